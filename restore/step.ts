/**
 * What a restore step is and what it may use. The steps themselves live with their part
 * (sources/<part>/restore*.ts) or here (the plan step); restore/sequence.ts puts them in order and
 * restore/runner.ts runs them.
 */
import type { V1Job } from "@kubernetes/client-node";
import type { Artifact } from "../core/manifest";
import type { ProgressRecord, RestoreExecutor } from "./executor";
import { decodeArtifact, readTar, TarEntry } from "./tar";
import { decryptedInProvider } from "../encryption/age";
import type { ResolvedSet } from "./resolve";
import type { ObjectStore } from "../core/objectStore";
import type { RestoreSpec } from "./validate";

/** A step's name: `plan`, or one of a part's steps (`postgres`, `kots-secrets`, …). */
export type StepName = string;

/** What a step reports; it lands in the outputs and in the progress record. */
export interface StepResult {
    bytes: number;
    detail: string;
}

/** What a step may use. Everything that talks to the cluster goes through `executor`. */
export interface StepContext {
    spec: RestoreSpec;
    /** The run this step belongs to (a resumed run keeps its id). */
    runId: string;
    executor: RestoreExecutor;
    /** The bucket (credentials resolved on first use). */
    store(): Promise<ObjectStore>;
    /** The set of each part, filled by the plan step. */
    sets: Map<string, ResolvedSet>;
    /** Ids of a resumed run: the plan step resolves exactly these. */
    resumeIds?: { [component: string]: string };
    /** True when the plan step of this run completed before (checksums verified then). */
    planVerifiedBefore: boolean;
    /** Private folder for files a step handles in the provider (the KOTS configuration), removed after the run. */
    workDir: string;
    /** Env of kots (KUBECONFIG when a kubeconfig is given). */
    kotsEnv: Record<string, string>;
    kotsLicense?: string;
    kotsSharedPassword?: string;
    /** age identity given as a value (decryption.identity); else the plan step reads decryption.identitySecret. */
    ageIdentity?: string;
    /** Values remembered across a failure (saved at once). */
    memo: ProgressRecord["memo"];
    saveMemo(): Promise<void>;
    progress(message: string): void;
    /** Jobs' ConfigMap of scripts, applied once per run. */
    ensureScripts(): Promise<void>;
    yaml: { load(text: string): unknown; dump(obj: unknown): string };
}

/**
 * When a step runs, whatever its part: `prepare` steps change nothing a failure could leave
 * half-done (they need no restored data and fail on rights, network or a license), so they run
 * before the data steps; `data` steps replace a target's contents; `finish` steps need the data
 * restored (a deploy). Within a phase the registry's order holds.
 */
export type StepPhase = "prepare" | "data" | "finish";
export const STEP_PHASES: readonly StepPhase[] = ["prepare", "data", "finish"];

export interface RestoreStep {
    readonly name: StepName;
    /** One line for the logs and docs. */
    readonly title: string;
    /** Default `data`. */
    readonly phase?: StepPhase;
    /** The part the step restores, if any. */
    readonly component?: string;
    applies(spec: RestoreSpec): boolean;
    run(ctx: StepContext): Promise<StepResult>;
}

/** `applies` of a step that runs whenever its part is restored. */
export const whenRestored = (part: string) => (spec: RestoreSpec) => spec.components.includes(part);

/** The resolved set of a part (the plan step fills them before any other step runs). */
export function setOf(ctx: StepContext, part: string): ResolvedSet {
    const set = ctx.sets.get(part);
    if (!set) throw new Error(`internal: no resolved ${part} set (the plan step did not run)`);
    return set;
}

/** True when the part's `overwrite` names the set this run restores (the plan step refused any other). */
export function overwriteAllowed(spec: RestoreSpec, part: string, backupId: string): boolean {
    return spec.overwrite[part] === backupId;
}

/** The validated restore section of a part (its descriptor's restore.resolve made it). */
export function restoreSection<T>(spec: RestoreSpec, part: string): T {
    const section = spec.parts[part];
    if (section === undefined) throw new Error(`internal: the restore of ${JSON.stringify(spec.name)} has no ${part} section`);
    return section as T;
}

/** The entries of a tar artifact of a part's set, read and decoded in the provider (checked first). */
export async function verifiedTar(ctx: StepContext, part: string, stem: string): Promise<{ artifact: Artifact; entries: TarEntry[] }> {
    const { artifact, data } = await verifiedArtifact(ctx, part, stem);
    return { artifact, entries: readTar(decodeArtifact(artifact, await decryptedInProvider(ctx, part, artifact, data))) };
}

/** Runs a part's restore Job to its end (its deadline plus the time to schedule it). */
export function runRestoreJob(ctx: StepContext, job: V1Job) {
    return ctx.executor.runJob(job, { timeoutMs: (ctx.spec.jobTimeoutSeconds + 300) * 1000, progress: ctx.progress });
}

/** Reads one artifact of a part's set in the provider, checking size and sha256 against the manifest. */
export async function verifiedArtifact(ctx: StepContext, part: string, stem: string): Promise<{ artifact: Artifact; data: Buffer }> {
    const set = setOf(ctx, part);
    const artifact = set.manifest.artifacts.find((a) => a.name === stem || a.name.startsWith(stem + "."));
    if (!artifact) throw new Error(`the ${part} set ${set.backupId} has no ${stem} artifact (it has ${set.manifest.artifacts.map((a) => a.name).join(", ")})`);
    const data = await (await ctx.store()).get(artifact.key);
    const { createHash } = await import("node:crypto");
    const sha = createHash("sha256").update(data).digest("hex");
    if (data.length !== artifact.size || sha !== artifact.sha256) {
        throw new Error(`artifact ${artifact.name} of ${part} set ${set.backupId} does not match its manifest (${data.length} bytes, sha256 ${sha}; expected ${artifact.size}, ${artifact.sha256}); refusing to restore it`);
    }
    return { artifact, data };
}
