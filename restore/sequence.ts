/**
 * THE RESTORE SEQUENCE: the plan step, then the registered parts' steps by phase (prepare, data,
 * finish; see StepPhase in step.ts), in registry order (sources/registry.ts) within a phase;
 * restorePlan() picks those a restore needs, and restore/runner.ts runs them one after another.
 * With the built-in parts:
 *
 *   1. plan          resolve the set of each component (complete sets only, selector semantics
 *                    of core/backupSet.ts) and check every artifact against its manifest
 *                    (size, and sha256 unless verify = "size"); nothing is changed before this.
 *   2. kots-secrets  (prepare) the set's encryption-key Secrets, kotsadm-encryption first,
 *                    applied in the namespace (before any kots install, so the console can read
 *                    ConfigValues); live ones that differ are refused unless overwrite, kept aside.
 *   3. kots-install  (prepare) when asked: a fresh admin console (`kots install …
 *                    --no-port-forward`): it needs no restored data, and its failures (cluster
 *                    rights, registry, license) come before any database is replaced.
 *   4. postgres      (data) a Job: restore-fetch.sh (init, aws-cli) downloads and verifies the
 *                    set, restore-postgres.sh (postgres image) refuses a non-empty target
 *                    unless overwrite, then applies the dump.
 *   5. redis         (data) remember the StatefulSet's replicas, scale it to 0 and wait for its
 *                    pods to go, a Job mounting its ordinal-0 data PVC places the verified RDB
 *                    (restore-redis.sh), scale back and wait for readiness.
 *   6. kots-upload   (finish) the saved configuration (database hosts rewritten when asked),
 *                    uploaded with `kots upload`, deployed when asked: after the data.
 *
 * A failed step stops the run; the error names it, its reason and what the steps before it
 * did. Each completed step is recorded in the namespace (ConfigMap gitguardian-restore-progress),
 * so running `pulumi up` again after a fix resumes: completed steps are skipped, the others are
 * idempotent (a Job that already succeeded is not run again).
 */
import { backupParts } from "../sources/registry";
import { planStep } from "./planStep";
import { RestoreStep, STEP_PHASES } from "./step";
import type { RestoreSpec } from "./validate";

/** The sequence, in order: derived from the registry at each call, so a part registered later has its place. */
export function restoreSteps(): RestoreStep[] {
    const steps = backupParts().flatMap((p) => p.restore?.steps ?? []);
    return [planStep, ...STEP_PHASES.flatMap((phase) => steps.filter((s) => (s.phase ?? "data") === phase))];
}

/** The steps a restore runs, in order. */
export function restorePlan(spec: RestoreSpec): RestoreStep[] {
    return restoreSteps().filter((s) => s.applies(spec));
}
