/**
 * A backed-up part of GitGuardian (postgres, redis, kots, …): everything that changes when a
 * part is added or changed sits in its folder under sources/, described by one BackupPart. The
 * registry (sources/registry.ts) lists them; the component's CronJobs, the scripts ConfigMap, the
 * env contract, the RBAC of the backup jobs, the policy pack's recognition of backup CronJobs,
 * the restore order and the README's tables all derive from it.
 */
import type { EnvVarSpec } from "../core/contract";
import type { FieldRules } from "../core/fields";
import type { EnvVar, PolicyRule } from "../core/pod";
import type { RestoreStep, StepContext } from "../restore/step";

/** What every part's validated backup section carries. */
export interface PartBackupSpec {
    /** The part's name (`BackupPart.name`). */
    component: string;
    /** Cron schedule of its CronJob. */
    schedule: string;
    /** Image of its dump container. */
    image: string;
}

/** What a part's backup resolver may use besides its own section. */
export interface BackupResolveContext {
    f: FieldRules;
    /** Validates `<part>.schedule`, or gives the policy's schedule when it is unset. */
    schedule(argument: string, value: unknown): string;
}

/** What a part's dump env may read of the policy. */
export interface BackupEnvContext {
    namespace: string;
}

/** What a part's restore resolver may use besides its own section. */
export interface RestoreResolveContext {
    f: FieldRules;
    /** The restore's top-level inputs (secrets a part needs, such as the KOTS license). */
    inputs: Record<string, unknown>;
}

export interface BackupPart<B extends PartBackupSpec = PartBackupSpec, R = unknown> {
    /** The argument section, CronJob suffix, key folder and manifest `component` (value rule `partName`). */
    readonly name: string;
    /** One line for the docs. */
    readonly title: string;
    /** Folder of the part's scripts (each ships in the scripts ConfigMap under its file name). */
    readonly scriptsDir: string;
    /** The dump script, run by the dump container of its CronJob. */
    readonly dumpScript: string;
    /** The apply scripts of its restore Jobs, if it has any. */
    readonly restoreScripts: readonly string[];
    /** Files its scripts source (no container runs one itself): facts its dump and restore share. */
    readonly libraries?: readonly string[];
    /** The artifacts a set of this part holds, by file name (codec suffix left out), for the docs. */
    readonly artifacts: readonly string[];
    /** The variables its scripts read, beyond the shared ones of core/contract.ts. */
    readonly env: Readonly<Record<string, EnvVarSpec>>;
    /** UID its dump container runs as (the image's service user). */
    readonly runAsUser: number;
    /** Default dump image; none when the user must name one (kots: the kotsadm image of their version). */
    readonly defaultImage?: string;
    /**
     * Whether the policy pack's schedule-required policy asks every GitGuardian stack for a backup
     * of this part by default. A newly added part says false until users can be expected to have
     * it, so that adding it never breaks an existing stack's preview.
     */
    readonly requiredBySchedulePolicy: boolean;
    /** How the policy pack recognises a hand-written CronJob that backs this part up, and names it in messages. */
    readonly recognise: { readonly command: RegExp; readonly handWritten: string; readonly enableArg: string };
    readonly backup: {
        /** Validates and defaults the part's argument section (`args[name]`, enabled). */
        resolve(section: Record<string, unknown>, ctx: BackupResolveContext): B;
        /** Env of the dump container (the shared variables are added by the CronJob builder). */
        env(spec: B, ctx: BackupEnvContext): EnvVar<string>[];
        /** Kubernetes rights of its backup job; none means no ServiceAccount token is mounted. */
        roleRules(spec: B): PolicyRule[];
    };
    /**
     * Its step of the restore drills (drill/): a script that restores the set the drill fetched
     * into a scratch server of its own container and checks it (recording verdicts through
     * jobs/drill-lib.sh), run after the fetch step. A part without one is not drilled.
     */
    readonly drill?: {
        readonly script: string;
        /** Image of its drill container: the backup's own, whose tools made the set (and, for a database, hold the server). */
        image(spec: B): string;
        /** Env of its drill container beyond the drill's shared variables. */
        env?(spec: B): EnvVar<string>[];
    };
    /** The restore side; a part without one is backed up only. */
    readonly restore?: {
        /** Validates and defaults the part's section of GitGuardianRestore's args. */
        resolve(section: Record<string, unknown>, ctx: RestoreResolveContext): R;
        /** Its steps, in the order they run (after the plan step, after the parts registered before it). */
        readonly steps: readonly RestoreStep[];
        /**
         * What would make its steps refuse, found by the plan step before any part changes
         * anything (a refusal halfway would leave the parts restored before it changed).
         * Resolves to the reasons, none when the steps may run.
         */
        preflight?(ctx: StepContext): Promise<string[]>;
    };
}

/** Type-checks a descriptor against its own spec types. */
export function definePart<B extends PartBackupSpec, R>(part: BackupPart<B, R>): BackupPart<B, R> {
    return part;
}
