/**
 * The LOCAL executor of the restore (tests): it runs the very Job specs the provider builds, but
 * on this machine, through the one pod runner of the tests (harness/podRunner.ts, which
 * also runs the stored backup CronJobs): the container's env (secretKeyRefs resolved from the
 * executor's Secrets), the scripts ConfigMap the run applied, emptyDirs as temp folders, a PVC as
 * the folder the test gives for it, the image's stand-in shell. Init containers run first; a
 * failing one stops the Job, as in Kubernetes. StatefulSets are local servers the test can
 * stop/start.
 */
import type { V1Job, V1Secret } from "@kubernetes/client-node";
import { AccessCheck, JobFailedError, JobOutcome, Progress, ProgressRecord, RestoreExecutor, StatefulSetInfo, TimeoutError } from "../../restore/executor";
import { contractNames, Shell } from "../../harness/jobRunner";
import { ContainerRun, PodSources, PodStartError, runPod } from "../../harness/podRunner";
import { sleep } from "../../harness/proc";

/** A StatefulSet stood in for by a local server. */
export interface LocalStatefulSet {
    volumeClaimTemplates: string[];
    /** Stops the server (scale to 0). */
    stop(): Promise<void>;
    /** Starts it (scale back up). */
    start(): Promise<void>;
    isRunning(): boolean;
    /** Ready to serve (e.g. PING answered). */
    isReady(): Promise<boolean>;
}

export interface LocalJobRun {
    job: V1Job;
    /** Per container: script, shell, exit code, stderr. */
    containers: { name: string; script: string; shell: Shell; exitCode: number; stderr: string; env: Record<string, string> }[];
    succeeded: boolean;
}

export class LocalExecutor implements RestoreExecutor {
    readonly kind = "local";
    /** Secrets by `namespace/name`: key -> plain value. */
    readonly secrets = new Map<string, Record<string, string>>();
    readonly appliedSecrets: V1Secret[] = [];
    readonly scripts = new Map<string, { [file: string]: string }>();
    readonly progress = new Map<string, ProgressRecord>();
    readonly jobRuns: LocalJobRun[] = [];
    private readonly replicas = new Map<string, number>();

    constructor(
        private readonly opts: {
            statefulSets?: Record<string, LocalStatefulSet>;
            /** PVC name -> local folder. */
            volumes?: Record<string, string>;
            secrets?: Record<string, Record<string, string>>;
        },
    ) {
        for (const [k, v] of Object.entries(opts.secrets ?? {})) this.secrets.set(k, { ...v });
        for (const [name, sts] of Object.entries(opts.statefulSets ?? {})) this.replicas.set(name, sts.isRunning() ? 1 : 0);
    }

    async readSecretKey(namespace: string, name: string, key: string): Promise<string | undefined> {
        return this.secrets.get(`${namespace}/${name}`)?.[key];
    }

    /** Permissions the identity lacks (as an API server would deny them), and every check asked. */
    readonly deny: AccessCheck[] = [];
    readonly accessChecked: AccessCheck[] = [];

    async deniedAccess(checks: readonly AccessCheck[]): Promise<AccessCheck[]> {
        this.accessChecked.push(...checks);
        return checks.filter((c) => this.deny.some((d) => JSON.stringify(d) === JSON.stringify(c)));
    }

    async readSecretData(namespace: string, name: string): Promise<{ [key: string]: string } | undefined> {
        const data = this.secrets.get(`${namespace}/${name}`);
        if (!data) return undefined;
        return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")]));
    }

    async createSecret(namespace: string, secret: V1Secret): Promise<void> {
        if (this.secrets.has(`${namespace}/${secret.metadata!.name}`)) throw new Error(`creating Secret ${namespace}/${secret.metadata!.name}: AlreadyExists`);
        await this.applySecret(namespace, secret);
    }

    async applySecret(namespace: string, secret: V1Secret): Promise<void> {
        const data: Record<string, string> = {};
        for (const [k, v] of Object.entries(secret.data ?? {})) data[k] = Buffer.from(v, "base64").toString("utf8");
        for (const [k, v] of Object.entries(secret.stringData ?? {})) data[k] = v;
        this.secrets.set(`${namespace}/${secret.metadata!.name}`, data);
        this.appliedSecrets.push(secret);
    }

    async applyScripts(namespace: string, name: string, data: { [file: string]: string }): Promise<void> {
        this.scripts.set(`${namespace}/${name}`, data);
    }

    async readProgress(namespace: string, key: string): Promise<ProgressRecord | undefined> {
        const r = this.progress.get(`${namespace}/${key}`);
        return r ? (JSON.parse(JSON.stringify(r)) as ProgressRecord) : undefined;
    }

    async writeProgress(namespace: string, key: string, record: ProgressRecord): Promise<void> {
        this.progress.set(`${namespace}/${key}`, JSON.parse(JSON.stringify(record)) as ProgressRecord);
    }

    /** Secrets, ConfigMaps and PVCs of the pods this executor runs: its own maps. */
    private sources(): PodSources {
        return {
            secretValue: async (namespace, name, key) => this.secrets.get(`${namespace}/${name}`)?.[key],
            configMapData: async (namespace, name) => this.scripts.get(`${namespace}/${name}`),
            claimDir: (_namespace, claim) => this.opts.volumes?.[claim],
        };
    }

    async runJob(job: V1Job, opts: { timeoutMs: number; progress: Progress }): Promise<JobOutcome> {
        const namespace = job.metadata!.namespace!;
        const name = job.metadata!.name!;
        const previous = this.jobRuns.find((r) => r.job.metadata!.name === name && r.job.metadata!.namespace === namespace && r.succeeded);
        if (previous) return { name, durationMs: 0, alreadySucceeded: true };
        const started = Date.now();
        const pod = job.spec!.template.spec!;
        for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
            for (const e of c.env ?? []) {
                if (e.name !== "HOME" && !contractNames().has(e.name)) throw new Error(`container ${c.name} has env ${e.name}, which is not a variable of the env contract`);
            }
        }
        const run: LocalJobRun = { job, containers: [], succeeded: false };
        this.jobRuns.push(run);
        let runs: ContainerRun[];
        try {
            // The same runner as the backup CronJobs' pods: the pod spec as built, under bubblewrap.
            runs = await runPod(pod, {
                namespace,
                sources: this.sources(),
                timeoutMs: opts.timeoutMs,
                onStart: (c, shell) => opts.progress(`local Job ${name}: container ${c.name} runs ${(c.command ?? []).join(" ")} under ${shell}`),
            });
        } catch (e) {
            if (e instanceof PodStartError) throw new JobFailedError(`${namespace}/${name}`, e.reason, e.message);
            throw e;
        }
        for (const r of runs) {
            run.containers.push({ name: r.name, script: r.script ?? "", shell: r.shell, exitCode: r.exitCode, stderr: r.stderr, env: r.env });
            if (r.exitCode !== 0) {
                const last = r.stderr.split("\n").filter((l) => l.trim() !== "").slice(-1)[0] ?? "";
                throw new JobFailedError(`${namespace}/${name}`, "BackoffLimitExceeded", `container ${r.name} exited ${r.exitCode} (Error): ${last}`);
            }
        }
        run.succeeded = true;
        return { name, durationMs: Date.now() - started, alreadySucceeded: false };
    }

    /** A local Job runs inside runJob (its processes killed at its timeout): none outlives it. */
    async waitForJobEnded(): Promise<void> {}

    private sts(name: string): LocalStatefulSet {
        const s = this.opts.statefulSets?.[name];
        if (!s) throw new Error(`StatefulSet ${name} does not exist (redis.statefulSet)`);
        return s;
    }

    /** The namespace's CronJobs: name -> labels and spec.suspend; every suspend call, in order. */
    readonly cronJobs = new Map<string, { labels: Record<string, string>; suspended: boolean }>();
    readonly suspendCalls: [string, boolean][] = [];

    async listCronJobs(_namespace: string, labels: { [key: string]: string }): Promise<{ name: string; suspended: boolean }[]> {
        return [...this.cronJobs].filter(([, c]) => Object.entries(labels).every(([k, v]) => c.labels[k] === v)).map(([name, c]) => ({ name, suspended: c.suspended }));
    }

    async suspendCronJob(_namespace: string, name: string, suspend: boolean): Promise<void> {
        const c = this.cronJobs.get(name);
        if (!c) throw new Error(`CronJob ${name} not found`);
        c.suspended = suspend;
        this.suspendCalls.push([name, suspend]);
    }

    async getStatefulSet(_namespace: string, name: string): Promise<StatefulSetInfo> {
        const s = this.sts(name);
        const replicas = this.replicas.get(name) ?? 0;
        return { name, replicas, readyReplicas: s.isRunning() && (await s.isReady()) ? 1 : 0, volumeClaimTemplates: s.volumeClaimTemplates };
    }

    async scaleStatefulSet(_namespace: string, name: string, replicas: number): Promise<void> {
        const s = this.sts(name);
        this.replicas.set(name, replicas);
        if (replicas === 0 && s.isRunning()) await s.stop();
        if (replicas > 0 && !s.isRunning()) await s.start();
    }

    async waitForStatefulSetPodsGone(_namespace: string, name: string, opts: { timeoutMs: number }): Promise<void> {
        const deadline = Date.now() + opts.timeoutMs;
        while (this.sts(name).isRunning()) {
            if (Date.now() > deadline) throw new TimeoutError(`the local ${name} did not stop`);
            await sleep(100);
        }
    }

    async waitForStatefulSetReady(_namespace: string, name: string, _replicas: number, opts: { timeoutMs: number }): Promise<void> {
        const deadline = Date.now() + opts.timeoutMs;
        while (!(await this.sts(name).isReady().catch(() => false))) {
            if (Date.now() > deadline) throw new TimeoutError(`StatefulSet ${name} (local) did not become ready within ${Math.round(opts.timeoutMs / 1000)} s`);
            await sleep(100);
        }
    }

    async hasPersistentVolumeClaim(_namespace: string, name: string): Promise<boolean> {
        return this.opts.volumes?.[name] !== undefined;
    }
}
