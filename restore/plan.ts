/**
 * THE RESTORE SEQUENCE, written down once: RESTORE_STEPS is the ordered list of named steps,
 * restorePlan() picks those a restore needs, runRestore() runs them one after another.
 *
 *   1. plan          resolve the set of each component (complete sets only, selector semantics
 *                    of core/backupSet.ts) and check every artifact against its manifest
 *                    (size, and sha256 unless verify = "size"); nothing is changed before this.
 *   2. postgres      a Job: restore-fetch.sh (init, aws-cli) downloads and verifies the set,
 *                    restore-postgres.sh (postgres image) refuses a non-empty target unless
 *                    overwrite, then applies the dump.
 *   3. redis         remember the StatefulSet's replicas, scale it to 0 and wait for its pods to
 *                    go, a Job mounting its ordinal-0 data PVC places the verified RDB
 *                    (restore-redis.sh), scale back and wait for readiness.
 *   4. kots-secrets  the set's encryption-key Secrets, kotsadm-encryption first, applied in the
 *                    namespace (before any kots install, so the console can read ConfigValues).
 *   5. kots-install  when asked: a fresh admin console (`kots install … --no-port-forward`).
 *   6. kots-upload   the saved configuration (database hosts rewritten when asked), uploaded
 *                    with `kots upload`, deployed when asked.
 *
 * A failed step stops the run; the error names it, its reason and what the steps before it
 * did. Each completed step is recorded in the namespace (ConfigMap gitguardian-restore-progress),
 * so running `pulumi up` again after a fix resumes: completed steps are skipped, the others are
 * idempotent (a Job that already succeeded is not run again).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { Component } from "../core/contract";
import { Artifact } from "../core/manifest";
import { jobScripts } from "../core/paths";
import { JobFailedError, ProgressRecord, RestoreExecutor } from "./executor";
import { REDIS_DATA_MOUNT, RESTORE_NAMES, labelValue, restoreJob } from "./jobs";
import {
    KOTS_SHARED_PASSWORD_ENV,
    findAppDir,
    kotsInstallArgv,
    kotsUploadArgv,
    rewriteDatabaseHosts,
    runKots,
    secretsFromArtifact,
} from "./kots";
import { ResolvedSet, resolveSets, verifyChecksums } from "./resolve";
import { ObjectStore } from "./s3";
import { decompressByName, extractTo, readTar } from "./tar";
import { RestoreSpec } from "./validate";

export type StepName = "plan" | "postgres" | "redis" | "kots-secrets" | "kots-install" | "kots-upload";

/** What a step reports; it lands in the outputs and in the progress record. */
export interface StepResult {
    bytes: number;
    detail: string;
}

/** What a step may use. Everything that talks to the cluster goes through `executor`. */
export interface StepContext {
    spec: RestoreSpec;
    executor: RestoreExecutor;
    /** The bucket (credentials resolved on first use). */
    store(): Promise<ObjectStore>;
    /** The set of each component, filled by the plan step. */
    sets: Map<Component, ResolvedSet>;
    /** Ids of a resumed run: the plan step resolves exactly these. */
    resumeIds?: { [component: string]: string };
    /** True when the plan step of this run completed before (checksums verified then). */
    planVerifiedBefore: boolean;
    /** Private folder for the KOTS files, removed after the run. */
    workDir: string;
    /** Env of kots (KUBECONFIG when a kubeconfig is given). */
    kotsEnv: Record<string, string>;
    kotsLicense?: string;
    kotsSharedPassword?: string;
    /** Values remembered across a failure (saved at once). */
    memo: ProgressRecord["memo"];
    saveMemo(): Promise<void>;
    progress(message: string): void;
    /** Jobs' ConfigMap of scripts, applied once per run. */
    ensureScripts(): Promise<void>;
    yaml: { load(text: string): unknown; dump(obj: unknown): string };
}

export interface RestoreStep {
    readonly name: StepName;
    /** One line for the logs and docs. */
    readonly title: string;
    /** The component the step restores, if any. */
    readonly component?: Component;
    applies(spec: RestoreSpec): boolean;
    run(ctx: StepContext): Promise<StepResult>;
}

const has = (c: Component) => (spec: RestoreSpec) => spec.components.includes(c);

function setOf(ctx: StepContext, c: Component): ResolvedSet {
    const set = ctx.sets.get(c);
    if (!set) throw new Error(`internal: no resolved ${c} set (the plan step did not run)`);
    return set;
}

/** Step 1: resolve and verify. */
export const planStep: RestoreStep = {
    name: "plan",
    title: "resolve the set of each component and verify every artifact against its manifest",
    applies: () => true,
    async run(ctx) {
        const store = await ctx.store();
        const sets = new Map<Component, ResolvedSet>();
        const problems: string[] = [];
        for (const c of ctx.spec.components) {
            const id = ctx.resumeIds?.[c];
            const selector = id ? ({ kind: "exact", backupId: id } as const) : ctx.spec.selector;
            try {
                const one = await resolveSets(store, ctx.spec.storage.prefix, [c], selector);
                sets.set(c, one.get(c)!);
            } catch (e) {
                problems.push((e as Error).message);
            }
        }
        if (problems.length) throw new Error(problems.join("; "));
        let verified = 0;
        let bytes = 0;
        for (const set of sets.values()) {
            bytes += set.bytes;
            if (ctx.spec.verify === "checksum" && !ctx.planVerifiedBefore) {
                set.checksumsVerified = await verifyChecksums(store, set, ctx.progress);
                verified += set.checksumsVerified;
            }
        }
        for (const [c, s] of sets) ctx.sets.set(c, s);
        const ids = [...sets.values()].map((s) => `${s.component} ${s.backupId} (${s.manifest.artifacts.length} artifacts, ${s.bytes} bytes)`).join(", ");
        const how = ctx.planVerifiedBefore ? "checksums verified earlier in this run" : ctx.spec.verify === "checksum" ? `${verified} sha256 checksums verified` : "sizes verified";
        return { bytes, detail: `${ids}; ${how}` };
    },
};

/** Step 2: PostgreSQL, in a Job. */
export const postgresStep: RestoreStep = {
    name: "postgres",
    title: "restore PostgreSQL in a Job (fetch and verify, refuse a non-empty target unless overwrite, apply)",
    component: Component.Postgres,
    applies: has(Component.Postgres),
    async run(ctx) {
        const set = setOf(ctx, Component.Postgres);
        await ctx.ensureScripts();
        const job = restoreJob(ctx.spec, "postgres", set.backupId);
        const p = ctx.spec.postgres!;
        const outcome = await ctx.executor.runJob(job, { timeoutMs: (ctx.spec.jobTimeoutSeconds + 300) * 1000, progress: ctx.progress });
        return {
            bytes: set.bytes,
            detail: `set ${set.backupId} applied to ${p.host}:${p.port} by Job ${outcome.name}${outcome.alreadySucceeded ? " (it had succeeded before)" : ""}`,
        };
    },
};

/** The data volumeClaimTemplate of the Redis StatefulSet. */
export function redisClaimTemplate(templates: readonly string[], wanted: string | undefined, sts: string): string {
    if (wanted) {
        if (!templates.includes(wanted)) throw new Error(`StatefulSet ${sts} has no volumeClaimTemplate ${wanted} (it has ${templates.join(", ") || "none"})`);
        return wanted;
    }
    if (templates.length === 1) return templates[0];
    for (const guess of ["redis-data", "data"]) if (templates.includes(guess)) return guess;
    throw new Error(
        templates.length === 0
            ? `StatefulSet ${sts} has no volumeClaimTemplates: its data is not on a PVC the restore can write`
            : `StatefulSet ${sts} has several volumeClaimTemplates (${templates.join(", ")}); set redis.volumeClaimTemplate`,
    );
}

const REPLICAS_MEMO = "redis.replicas";

/** Step 3: Redis, with its StatefulSet stopped. */
export const redisStep: RestoreStep = {
    name: "redis",
    title: "restore Redis: scale its StatefulSet to 0, place the verified RDB on its data PVC in a Job, scale back and wait for readiness",
    component: Component.Redis,
    applies: has(Component.Redis),
    async run(ctx) {
        const set = setOf(ctx, Component.Redis);
        const r = ctx.spec.redis!;
        const ns = ctx.spec.namespace;
        const ex = ctx.executor;
        const sts = await ex.getStatefulSet(ns, r.statefulSet);
        const template = redisClaimTemplate(sts.volumeClaimTemplates, r.volumeClaimTemplate, r.statefulSet);
        const claim = `${template}-${r.statefulSet}-0`;
        if (!(await ex.hasPersistentVolumeClaim(ns, claim))) {
            throw new Error(`PersistentVolumeClaim ${ns}/${claim} of StatefulSet ${r.statefulSet} does not exist: start the StatefulSet once so that its data volume exists, then run again`);
        }
        // Remember the replica count before touching it: a re-run after a failure finds it here.
        if (ctx.memo[REPLICAS_MEMO] === undefined) {
            ctx.memo[REPLICAS_MEMO] = sts.replicas;
            await ctx.saveMemo();
        }
        const replicas = Number(ctx.memo[REPLICAS_MEMO]);
        const wait = { timeoutMs: r.readyTimeoutMs, progress: ctx.progress };
        ctx.progress(`scaling StatefulSet ${ns}/${r.statefulSet} from ${sts.replicas} to 0 replicas (it had ${replicas})`);
        await ex.scaleStatefulSet(ns, r.statefulSet, 0);
        await ex.waitForStatefulSetPodsGone(ns, r.statefulSet, wait);
        await ctx.ensureScripts();
        const job = restoreJob(ctx.spec, "redis", set.backupId, claim);
        let outcome;
        try {
            outcome = await ex.runJob(job, { timeoutMs: (ctx.spec.jobTimeoutSeconds + 300) * 1000, progress: ctx.progress });
        } catch (e) {
            // The script leaves the data untouched on failure: give Redis back its pods.
            let after = `StatefulSet ${r.statefulSet} scaled back to ${replicas} replicas with its data untouched`;
            try {
                await ex.scaleStatefulSet(ns, r.statefulSet, replicas);
            } catch (scaleError) {
                after = `scaling StatefulSet ${r.statefulSet} back to ${replicas} failed too (${(scaleError as Error).message}); scale it by hand`;
            }
            (e as Error).message += `; ${after}`;
            throw e;
        }
        ctx.progress(`scaling StatefulSet ${ns}/${r.statefulSet} back to ${replicas} replicas`);
        await ex.scaleStatefulSet(ns, r.statefulSet, replicas);
        await ex.waitForStatefulSetReady(ns, r.statefulSet, replicas, wait);
        delete ctx.memo[REPLICAS_MEMO];
        await ctx.saveMemo();
        return {
            bytes: set.bytes,
            detail: `set ${set.backupId} placed on PVC ${claim} (${REDIS_DATA_MOUNT}) by Job ${outcome.name}${outcome.alreadySucceeded ? " (it had succeeded before)" : ""}; StatefulSet ${r.statefulSet} back to ${replicas} ready replicas`,
        };
    },
};

/** Reads one artifact of the KOTS set whose name starts with `stem`, checking size and sha256. */
async function kotsArtifact(ctx: StepContext, stem: string): Promise<{ artifact: Artifact; data: Buffer }> {
    const set = setOf(ctx, Component.Kots);
    const artifact = set.manifest.artifacts.find((a) => a.name === stem || a.name.startsWith(stem + "."));
    if (!artifact) throw new Error(`the kots set ${set.backupId} has no ${stem} artifact (it has ${set.manifest.artifacts.map((a) => a.name).join(", ")})`);
    const data = await (await ctx.store()).get(artifact.key);
    const { createHash } = await import("node:crypto");
    const sha = createHash("sha256").update(data).digest("hex");
    if (data.length !== artifact.size || sha !== artifact.sha256) {
        throw new Error(`artifact ${artifact.name} of kots set ${set.backupId} does not match its manifest (${data.length} bytes, sha256 ${sha}; expected ${artifact.size}, ${artifact.sha256}); refusing to restore it`);
    }
    return { artifact, data };
}

/** Step 4: the encryption keys. */
export const kotsSecretsStep: RestoreStep = {
    name: "kots-secrets",
    title: "apply the set's encryption-key Secrets, kotsadm-encryption first",
    component: Component.Kots,
    applies: has(Component.Kots),
    async run(ctx) {
        const k = ctx.spec.kots!;
        const { artifact, data } = await kotsArtifact(ctx, "kots-secrets.tar");
        const entries = readTar(decompressByName(artifact.name, data));
        const secrets = secretsFromArtifact(entries, k.secrets, ctx.spec.namespace, ctx.yaml.load);
        for (const s of secrets) {
            ctx.progress(`applying Secret ${ctx.spec.namespace}/${s.metadata!.name}`);
            await ctx.executor.applySecret(ctx.spec.namespace, s);
        }
        return { bytes: artifact.size, detail: `Secrets ${secrets.map((s) => s.metadata!.name).join(", ")} applied` };
    },
};

/** Step 5: a fresh admin console. */
export const kotsInstallStep: RestoreStep = {
    name: "kots-install",
    title: "install a fresh KOTS admin console (kots install --no-port-forward)",
    component: Component.Kots,
    applies: (spec) => spec.components.includes(Component.Kots) && spec.kots?.install !== undefined,
    async run(ctx) {
        const k = ctx.spec.kots!;
        const licenseFile = path.join(ctx.workDir, "license.yaml");
        fs.writeFileSync(licenseFile, ctx.kotsLicense ?? "", { mode: 0o600 });
        try {
            const argv = kotsInstallArgv(k, ctx.spec.namespace, licenseFile);
            ctx.progress(`running ${k.kotsCommand} install ${k.appSlug} --namespace ${ctx.spec.namespace}`);
            const run = await runKots(k.kotsCommand, argv, {
                env: { ...ctx.kotsEnv, [KOTS_SHARED_PASSWORD_ENV]: ctx.kotsSharedPassword ?? "" },
                timeoutMs: k.timeoutMs,
                cwd: ctx.workDir,
            });
            return { bytes: 0, detail: `admin console installed for app ${k.appSlug} in ${Math.round(run.durationMs / 1000)} s` };
        } finally {
            fs.rmSync(licenseFile, { force: true });
        }
    },
};

/** Step 6: the saved configuration. */
export const kotsUploadStep: RestoreStep = {
    name: "kots-upload",
    title: "upload the saved KOTS configuration (database hosts rewritten when asked), deploy when asked",
    component: Component.Kots,
    applies: has(Component.Kots),
    async run(ctx) {
        const k = ctx.spec.kots!;
        const { artifact, data } = await kotsArtifact(ctx, "kots-app.tar");
        const root = path.join(ctx.workDir, "app");
        fs.rmSync(root, { recursive: true, force: true });
        extractTo(readTar(decompressByName(artifact.name, data)), root);
        const appDir = findAppDir(root, k.appSlug);
        let rewritten = "";
        if (k.databaseHostOverride) {
            const config = path.join(appDir, "upstream", "userdata", "config.yaml");
            const out = rewriteDatabaseHosts(fs.readFileSync(config, "utf8"), k.databaseHostOverride, k.databaseHostItems, ctx.yaml);
            fs.writeFileSync(config, out.text, { mode: 0o600 });
            rewritten = `; ${out.changed.join(", ")} set to ${k.databaseHostOverride}`;
            ctx.progress(`ConfigValues: ${out.changed.join(", ")} set to ${k.databaseHostOverride}`);
        }
        const argv = kotsUploadArgv(k, ctx.spec.namespace, appDir);
        ctx.progress(`running ${k.kotsCommand} upload --namespace ${ctx.spec.namespace} --slug ${k.appSlug}${k.deploy ? " --deploy" : ""}`);
        await runKots(k.kotsCommand, argv, { env: ctx.kotsEnv, timeoutMs: k.timeoutMs, cwd: ctx.workDir });
        return { bytes: artifact.size, detail: `configuration of set ${setOf(ctx, Component.Kots).backupId} uploaded${k.deploy ? " and deployed" : ""}${rewritten}` };
    },
};

/** The sequence, in order. */
export const RESTORE_STEPS: readonly RestoreStep[] = [planStep, postgresStep, redisStep, kotsSecretsStep, kotsInstallStep, kotsUploadStep];

/** The steps a restore runs, in order. */
export function restorePlan(spec: RestoreSpec): RestoreStep[] {
    return RESTORE_STEPS.filter((s) => s.applies(spec));
}

// ---------------------------------------------------------------------------------------------
// The runner.

export interface StepReport {
    name: StepName;
    status: "done" | "skipped";
    durationMs: number;
    bytes: number;
    detail: string;
}

export interface RestoredComponent {
    backupId: string;
    bytes: number;
    artifacts: number;
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
    const resumable = previous && !previous.completedAt && (previous as ProgressRecord & { selector?: string }).selector === spec.backupId;
    const record: ProgressRecord & { selector: string } = resumable
        ? (previous as ProgressRecord & { selector: string })
        : { runId: newRunId(), selector: spec.backupId, backupIds: {}, steps: {}, memo: previous && !previous.completedAt ? { ...previous.memo } : {} };
    if (resumable) {
        const done = Object.keys(record.steps);
        say(`resuming run ${record.runId} (sets ${Object.entries(record.backupIds).map(([c, id]) => `${c} ${id}`).join(", ") || "not resolved yet"}); done before: ${done.join(", ") || "nothing"}`);
    } else {
        say(`starting run ${record.runId}: ${steps.map((s) => s.name).join(" → ")}`);
    }
    const save = () => deps.executor.writeProgress(ns, key, record);
    await save();

    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "ggb-restore-"));
    let scriptsApplied = false;
    const ctx: StepContext = {
        spec,
        executor: deps.executor,
        store: deps.store,
        sets: new Map(),
        resumeIds: Object.keys(record.backupIds).length ? record.backupIds : undefined,
        planVerifiedBefore: record.steps.plan !== undefined,
        workDir,
        kotsEnv: deps.kotsEnv,
        kotsLicense: deps.kotsLicense,
        kotsSharedPassword: deps.kotsSharedPassword,
        memo: record.memo,
        saveMemo: save,
        progress: (m) => say(m),
        ensureScripts: async () => {
            if (scriptsApplied) return;
            await deps.executor.applyScripts(ns, RESTORE_NAMES.scripts, jobScripts());
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
        fs.rmSync(workDir, { recursive: true, force: true });
    }
}
