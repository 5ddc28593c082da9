export * from "./args";
export { GitGuardianBackupPolicy, BackupStorageLocation, BackupCronJobNames, BACKUP_POLICY_TYPE } from "./backupPolicy";
export { resolvePolicy, PolicySpec, ArgumentError, DEFAULTS } from "./validate";
export { cronJobSpec, partRoles, LABELS, PART_OF } from "./jobSpec";
export { backupPolicyDocument, restorePolicyDocument, irsaTrustPolicy, BACKUP_S3_ACTIONS, RESTORE_S3_ACTIONS } from "./credentials";
export { tlsOnlyPolicy } from "./storage";
