/** GitGuardianRestore and what documents it: the restore sequence, its permissions, its executors. */
export * from "./args";
export { GitGuardianRestore, RestoredComponentOutput, restoreProvider, restoreProps } from "./restore";
export { RestoreStep, StepName } from "./step";
export { restoreSteps, restorePlan } from "./sequence";
export { StepReport, RestoreOutcome, RestoreFailedError, runRestore } from "./runner";
export { RESTORE_ROLE_RULES, restoreRoleRules, RestoreRbacNames } from "./rbac";
export { RestoreExecutor, JobFailedError, TimeoutError, ProgressRecord, StatefulSetInfo } from "./executor";
export { RESTORE_NAMES, restoreJob, restoreJobName } from "./jobs";
export { resolveRestore, RestoreSpec, RestoreInputs, RESTORE_TYPE, DATABASE_HOST_ITEMS, KOTSADM_ENCRYPTION } from "./validate";
