/**
 * The runner of the restore sequence (restore/sequence.ts): runs the steps one after another,
 * records each completed step in the namespace (ConfigMap gitguardian-restore-progress) so that
 * `pulumi up` after a fix resumes, and turns a failure into one error that names the step, its
 * reason and what the steps before it did.
 */
import * as fs from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import { BACKUP_ID_PATTERN } from "../core/contract";
import { scriptBundle } from "../sources/registry";
import { JobFailedError, ProgressRecord, RestoreExecutor } from "./executor";
import { labelValue, RESTORE_NAMES } from "./jobs";
import { BACKUP_APP_NAME, LABELS, PART_OF } from "../core/pod";
import { ObjectStore } from "../core/objectStore";
import { restorePlan } from "./sequence";
import { privateTempDir } from "./tempDir";
import type { RestoreStep, StepContext, StepName, StepResult } from "./step";
import { RestoreSpec } from "./validate";

export interface StepReport {
    name: StepName;
    status: "done" | "skipped";
    durationMs: number;
    bytes: number;
    detail: string;
}

/** What a restore reports of one component (`postgres`, `redis`, `kots`). */
export interface RestoredComponent {
    /** Id of the set restored. */
    backupId: string;
    /** Bytes of its artifacts, as stored. */
    bytes: number;
    /** Artifacts restored. */
    artifacts: number;
    /** sha256 checksums of its artifacts compared with its manifest. */
    checksumsVerified: number;
}

export interface RestoreOutcome {
    runId: string;
    status: "complete";
    restored: { [component: string]: RestoredComponent };
    steps: StepReport[];
    checksumsVerified: number;
    completedAt: string;
    durationMs: number;
}

/** A failed run: which step, why, and what the steps before it did. */
export class RestoreFailedError extends Error {
    constructor(
        message: string,
        readonly runId: string,
        readonly failedStep: StepName,
        readonly reason: string,
        readonly steps: StepReport[],
        readonly restored: { [component: string]: RestoredComponent },
    ) {
        super(message);
        this.name = "RestoreFailedError";
    }
}

export interface RunnerDeps {
    executor: RestoreExecutor;
    store: () => Promise<ObjectStore>;
    log: { info(message: string): void; warn(message: string): void };
    /** Replaces secret values in any message. */
    redact: (text: string) => string;
    yaml: StepContext["yaml"];
    kotsEnv: Record<string, string>;
    kotsLicense?: string;
    kotsSharedPassword?: string;
    /** age identity given as a value (decryption.identity). */
    ageIdentity?: string;
    /** Steps to run instead of restorePlan(spec) (tests). */
    steps?: RestoreStep[];
}

/** Key of a restore's record in the progress ConfigMap. */
export function progressKey(spec: RestoreSpec): string {
    return labelValue(`${spec.name}`);
}

function newRunId(): string {
    return `${new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}-${randomBytes(3).toString("hex")}`;
}

/**
 * What a recorded run is for: a record is resumed (its completed steps skipped) only for the same
 * restore of the same sets' selector, parts and bucket. The ConfigMap is writable by whoever may
 * patch it, so a record that does not match, or is malformed, starts a new run instead.
 */
export function runBinding(spec: RestoreSpec): string {
    const what = { namespace: spec.namespace, name: spec.name, selector: spec.backupId, components: spec.components, bucket: spec.storage.bucket, prefix: spec.storage.prefix };
    return createHash("sha256").update(JSON.stringify(what)).digest("hex");
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function boundTo(r: ProgressRecord, binding: string): boolean {
    const rec = r as ProgressRecord & { binding?: unknown; selector?: unknown };
    if (rec.binding !== binding || typeof rec.runId !== "string" || !/^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$/.test(rec.runId)) return false;
    if (!isPlainObject(rec.steps) || !isPlainObject(rec.memo) || !isPlainObject(rec.backupIds)) return false;
    return Object.values(rec.backupIds).every((id) => typeof id === "string" && BACKUP_ID_PATTERN.test(id));
}

function seconds(ms: number): string {
    return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * Runs the plan. An incomplete run of this restore recorded in the namespace, for the same
 * backupId selector, is resumed: its completed steps are skipped and its set ids reused.
 */
export async function runRestore(spec: RestoreSpec, deps: RunnerDeps): Promise<RestoreOutcome> {
    const started = Date.now();
    const ns = spec.namespace;
    const key = progressKey(spec);
    const steps = deps.steps ?? restorePlan(spec);
    const say = (m: string) => deps.log.info(deps.redact(`GitGuardianRestore "${spec.name}": ${m}`));

    const previous = await deps.executor.readProgress(ns, key);
    const binding = runBinding(spec);
    const resumable = previous !== undefined && !previous.completedAt && boundTo(previous, binding);
    if (previous && !previous.completedAt && !resumable) say(`the recorded run ${String(previous.runId)} is for another restore (or malformed): not resumed, a new run starts`);
    const record: ProgressRecord & { selector: string; binding: string } = resumable
        ? (previous as ProgressRecord & { selector: string; binding: string })
        : { runId: newRunId(), selector: spec.backupId, binding, backupIds: {}, steps: {}, memo: previous && !previous.completedAt && isPlainObject(previous.memo) ? { ...previous.memo } : {} };
    if (resumable) {
        const done = Object.keys(record.steps);
        say(`resuming run ${record.runId} (sets ${Object.entries(record.backupIds).map(([c, id]) => `${c} ${id}`).join(", ") || "not resolved yet"}); done before: ${done.join(", ") || "nothing"}`);
    } else {
        say(`starting run ${record.runId}: ${steps.map((s) => s.name).join(" → ")}`);
    }
    const save = () => deps.executor.writeProgress(ns, key, record);
    await save();

    const workDir = privateTempDir("restore");
    let scriptsApplied = false;
    const ctx: StepContext = {
        spec,
        runId: record.runId,
        executor: deps.executor,
        store: deps.store,
        sets: new Map(),
        resumeIds: Object.keys(record.backupIds).length ? record.backupIds : undefined,
        planVerifiedBefore: record.steps.plan !== undefined,
        workDir,
        kotsEnv: deps.kotsEnv,
        kotsLicense: deps.kotsLicense,
        kotsSharedPassword: deps.kotsSharedPassword,
        ageIdentity: deps.ageIdentity,
        memo: record.memo,
        saveMemo: save,
        progress: (m) => say(m),
        ensureScripts: async () => {
            if (scriptsApplied) return;
            await deps.executor.applyScripts(ns, RESTORE_NAMES.scripts, scriptBundle());
            scriptsApplied = true;
        },
        yaml: deps.yaml,
    };

    const reports: StepReport[] = [];
    const restored = (): { [component: string]: RestoredComponent } => {
        const out: { [component: string]: RestoredComponent } = {};
        for (const s of steps) {
            if (!s.component || !record.steps[s.name]) continue;
            const set = ctx.sets.get(s.component);
            const id = set?.backupId ?? record.backupIds[s.component];
            if (!id) continue;
            // A component counts as restored when all its steps are done.
            const own = steps.filter((o) => o.component === s.component);
            if (!own.every((o) => record.steps[o.name])) continue;
            out[s.component] = {
                backupId: id,
                bytes: set?.bytes ?? 0,
                artifacts: set?.manifest.artifacts.length ?? 0,
                checksumsVerified: set?.checksumsVerified || record.checksums?.[s.component] || 0,
            };
        }
        return out;
    };
    // The backup CronJobs are suspended once the plan step has passed (a backup during the
    // restore could commit an empty or half-restored database as the newest set), and resumed
    // when the run ends, failed or not; the record names them, so a resumed run finds them.
    const SUSPENDED = "suspendedCronJobs";
    const suspendBackups = async () => {
        const running = (await deps.executor.listCronJobs(ns, { [LABELS.name]: BACKUP_APP_NAME, [LABELS.partOf]: PART_OF })).filter((c) => !c.suspended).map((c) => c.name);
        const mine = new Set([...String(record.memo[SUSPENDED] ?? "").split(",").filter(Boolean), ...running]);
        record.memo[SUSPENDED] = [...mine].join(",");
        await save();
        for (const name of running) await deps.executor.suspendCronJob(ns, name, true);
        if (mine.size) say(`backup CronJobs ${[...mine].join(", ")} suspended while the restore runs`);
    };
    const resumeBackups = async () => {
        const names = String(record.memo[SUSPENDED] ?? "").split(",").filter(Boolean);
        const left: string[] = [];
        for (const name of names) {
            try {
                await deps.executor.suspendCronJob(ns, name, false);
            } catch (e) {
                left.push(name);
                deps.log.warn(deps.redact(`GitGuardianRestore "${spec.name}": resuming CronJob ${ns}/${name} failed (${(e as Error).message}); resume it with: kubectl patch cronjob ${name} --namespace ${ns} -p '{"spec":{"suspend":false}}'`));
            }
        }
        if (names.length) say(`backup CronJobs ${names.filter((n) => !left.includes(n)).join(", ") || "none"} resumed`);
        if (left.length) record.memo[SUSPENDED] = left.join(",");
        else delete record.memo[SUSPENDED];
        await save().catch(() => undefined);
    };
    try {
        for (const [i, step] of steps.entries()) {
            const label = `step ${i + 1}/${steps.length} "${step.name}"`;
            const done = record.steps[step.name];
            // The plan step always runs: the later steps need the manifests (its checksums are not redone).
            if (done && step.name !== "plan") {
                say(`${label}: skipped, done at ${done.completedAt} in this run (${done.detail})`);
                reports.push({ name: step.name, status: "skipped", durationMs: 0, bytes: done.bytes, detail: done.detail });
                continue;
            }
            say(`${label}: ${step.title}`);
            const t0 = Date.now();
            let result: StepResult;
            try {
                result = await step.run(ctx);
                if (step.name === "plan") await suspendBackups();
            } catch (e) {
                const reason = deps.redact(e instanceof JobFailedError ? e.message : (e as Error).message ?? String(e));
                const before = reports.length
                    ? reports.map((r) => `${r.name} (${r.status}: ${r.detail})`).join("; ")
                    : "none (nothing was changed)";
                const message =
                    `GitGuardianRestore "${spec.name}": ${label} failed: ${reason}. ` +
                    `Steps completed before it: ${before}. ` +
                    `Fix the cause and run \`pulumi up\` again: run ${record.runId} resumes, completed steps are skipped.`;
                throw new RestoreFailedError(message, record.runId, step.name, reason, reports, restored());
            }
            const durationMs = Date.now() - t0;
            if (step.name === "plan") {
                record.checksums ??= {};
                for (const [c, s] of ctx.sets) {
                    record.backupIds[c] = s.backupId;
                    if (s.checksumsVerified) record.checksums[c] = s.checksumsVerified;
                }
            }
            record.steps[step.name] = { completedAt: new Date().toISOString(), durationMs, bytes: result.bytes, detail: deps.redact(result.detail) };
            await save();
            reports.push({ name: step.name, status: "done", durationMs, bytes: result.bytes, detail: deps.redact(result.detail) });
            say(`${label}: done in ${seconds(durationMs)}: ${result.detail}`);
        }
        record.completedAt = new Date().toISOString();
        await save();
        const out = restored();
        const outcome: RestoreOutcome = {
            runId: record.runId,
            status: "complete",
            restored: out,
            steps: reports,
            checksumsVerified: Object.values(out).reduce((n, c) => n + c.checksumsVerified, 0),
            completedAt: record.completedAt,
            durationMs: Date.now() - started,
        };
        say(`restore complete in ${seconds(outcome.durationMs)}: ${Object.entries(out).map(([c, r]) => `${c} ${r.backupId}`).join(", ")}`);
        return outcome;
    } finally {
        await resumeBackups();
        fs.rmSync(workDir, { recursive: true, force: true });
    }
}
