/**
 * pulumi-gitguardian-backup: declarative backup and restore of a self-hosted GitGuardian
 * (Replicated KOTS on Kubernetes) with Pulumi.
 *
 * The public API, chosen name by name: the two resources and their argument types, what a
 * program needs to read the sets (manifests, selectors, schedules) and to document the restore's
 * permissions, and the registry for a program that backs up a part of its own. The builders
 * behind them (CronJob and Job specs, validation) are not part of it.
 * @packageDocumentation
 */
export * from "./backup/args";
export { GitGuardianBackupPolicy, BackupStorageLocation, BackupCronJobNames } from "./backup/backupPolicy";
export { ArgumentError } from "./core/fields";
export { BACKUP_POLICY_TYPE, RESTORE_TYPE } from "./core/types";
export { Component } from "./core/contract";
export { Manifest, Artifact, parseManifest, manifestKey } from "./core/manifest";
export { BackupSet, groupSets, selectSet, parseSelector } from "./core/backupSet";
export { scheduleProblem, maxIntervalHours } from "./core/schedule";
export * from "./restore/args";
export { GitGuardianRestore, RestoredComponentOutput } from "./restore/restore";
// The plugin's schema of GitGuardianRestore is inferred from this class, and the analyzer finds
// classes by following the imports of the package's entry point (this file).
export type { GitGuardianRestoreSchema, RestoreStepReport } from "./plugin/restoreSchema";
export { RESTORE_ROLE_RULES, restoreRoleRules, RestoreRbacNames } from "./restore/rbac";
export { restoreSteps } from "./restore/sequence";
export { PolicyRule } from "./core/pod";
export { BackupPart, PartBackupSpec, definePart, backupParts, registerPart } from "./sources";
