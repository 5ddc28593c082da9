/**
 * What the plugin's schema says of `gitguardian-backup:index:GitGuardianRestore`. @pulumi/pulumi
 * infers a schema only from ComponentResource classes (their constructor's Args interface and
 * their Output fields, with TSDoc), while the restore is a custom resource of the plugin: this
 * class is never constructed, it declares the plugin resource's inputs (the same
 * GitGuardianRestoreArgs as the TypeScript resource) and outputs for the analyzer, and
 * plugin/schema.ts turns its entry into the custom resource GitGuardianRestore.
 * test/unit/pluginSchema.test.ts holds its outputs to the TypeScript resource's.
 */
import * as pulumi from "@pulumi/pulumi";
import type { GitGuardianRestoreArgs } from "../restore/args";
import type { RestoredComponent } from "../restore/runner";

/** One step of a restore run, as the outputs report it. */
export interface RestoreStepReport {
    /** The step: `plan`, `kots-install`, `postgres`, `redis`, `kots-secrets`, `kots-upload`, … */
    name: string;
    /** `done`, or `skipped` (done by an earlier attempt of a resumed run). */
    status: string;
    /** How long the step took, in milliseconds. */
    durationMs: number;
    /** Bytes the step moved. */
    bytes: number;
    /** What the step did. */
    detail: string;
}

/**
 * Brings GitGuardian back from the bucket after a cluster wipe: `pulumi up` runs the restore
 * sequence (plan and checks before anything changes, then the KOTS install, PostgreSQL, Redis,
 * the KOTS key Secrets and configuration). A changed `backupId` or `triggers` restores again;
 * other changes are recorded without a run; deleting it does nothing to the cluster. A failed run
 * is kept with its partial state, and the next `pulumi up` resumes it.
 */
export class GitGuardianRestoreSchema extends pulumi.ComponentResource {
    /** Id of the run that restored (or is restoring). */
    public readonly runId!: pulumi.Output<string>;
    /** `complete`, or `failed` while a run is stopped at a step. */
    public readonly status!: pulumi.Output<string>;
    /** Restored set per component: backupId, bytes, artifacts, checksums verified. */
    public readonly restored!: pulumi.Output<{ [component: string]: RestoredComponent }>;
    /** Each step: name, done or skipped (resumed run), duration, bytes, what it did. */
    public readonly steps!: pulumi.Output<RestoreStepReport[]>;
    /** sha256 checksums compared with the manifests. */
    public readonly checksumsVerified!: pulumi.Output<number>;
    /** When the restore completed (ISO-8601). */
    public readonly completedAt!: pulumi.Output<string>;

    constructor(name: string, args: GitGuardianRestoreArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitguardian-backup:index:GitGuardianRestoreSchema", name, {}, opts);
        throw new Error(`GitGuardianRestoreSchema "${name}" describes the plugin's schema and is never constructed (args: ${Object.keys(args ?? {}).join(", ")})`);
    }
}
