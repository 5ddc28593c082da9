/**
 * pulumi-gitguardian-backup: declarative backup and restore of a self-hosted GitGuardian
 * (Replicated KOTS on Kubernetes) with Pulumi.
 * @packageDocumentation
 */
export * from "./backup";
export { Component } from "./core/contract";
export { Manifest, Artifact, parseManifest, manifestKey } from "./core/manifest";
export { BackupSet, groupSets, selectSet, parseSelector } from "./core/backupSet";
export { scheduleProblem, maxIntervalHours } from "./core/schedule";
export { GitGuardianRestore, GitGuardianRestoreArgs, RESTORE_ROLE_RULES, restoreRoleRules, RESTORE_STEPS } from "./restore";
