/** GitGuardianRestore and what documents it: the restore sequence, its permissions, its executors. */
export * from "./args";
export { GitGuardianRestore, RestoredComponentOutput, restoreProvider, restoreProps } from "./restore";
export { RESTORE_STEPS, RestoreStep, StepName, StepReport, RestoreOutcome, RestoreFailedError, restorePlan, runRestore } from "./plan";
export { RESTORE_ROLE_RULES, restoreRoleRules, PolicyRule, RestoreRbacNames } from "./rbac";
export { RestoreExecutor, JobFailedError, TimeoutError, ProgressRecord, StatefulSetInfo } from "./executor";
export { RESTORE_NAMES, restoreJob, restoreJobName } from "./jobs";
export { resolveRestore, RestoreSpec, RestoreInputs, RESTORE_TYPE, DATABASE_HOST_ITEMS, KOTSADM_ENCRYPTION } from "./validate";
export { KOTS_SHARED_PASSWORD_ENV, kotsInstallArgv, kotsUploadArgv } from "./kots";
