/**
 * The type tokens of the package's resources, declared once: the classes register under them,
 * the plugin serves them, and the policy pack recognises them.
 */
export const BACKUP_POLICY_TYPE = "gitguardian-backup:index:GitGuardianBackupPolicy";
export const RESTORE_TYPE = "gitguardian-backup:index:GitGuardianRestore";
