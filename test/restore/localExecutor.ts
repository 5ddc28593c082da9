/**
 * The LOCAL executor of the restore (tests): it runs the very Job specs the provider builds, but
 * on this machine. Each container's script (command `sh /scripts/<script>`) runs from jobs/ with
 * the container's env (the contract's variables; secretKeyRefs resolved from the executor's
 * Secrets), its volumes mapped to local folders (emptyDirs to fresh temp folders, a PVC to the
 * folder the test gives for it), under the shell of its image (bash for aws-cli, busybox sh for
 * the alpine images), through test/harness/jobRunner.ts. Init containers run first; a failing
 * one stops the Job, as in Kubernetes. StatefulSets are local servers the test can stop/start.
 */
import type { V1Container, V1Job, V1Secret } from "@kubernetes/client-node";
import * as path from "node:path";
import { JobFailedError, JobOutcome, Progress, ProgressRecord, RestoreExecutor, StatefulSetInfo, TimeoutError } from "../../restore/executor";
import { MOUNT } from "../../core/contract";
import { contractNames, Shell, runJob } from "../harness/jobRunner";
import { AWS_BIN } from "../harness/minio";
import { makeTempDir, sleep } from "../harness/proc";

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

    /** The env of a container, resolved: values, secretKeyRefs, mount paths mapped to local folders. */
    private env(namespace: string, c: V1Container, mounts: Map<string, string>): Record<string, string> {
        const env: Record<string, string> = {};
        for (const e of c.env ?? []) {
            if (e.name === "HOME") continue; // the runner gives each script an empty HOME
            let value = e.value;
            const ref = e.valueFrom?.secretKeyRef;
            if (ref) {
                value = this.secrets.get(`${namespace}/${ref.name}`)?.[ref.key];
                if (value === undefined) throw new JobFailedError(`${namespace}/?`, "CreateContainerConfigError", `container ${c.name} cannot start: secret "${ref.name}" key "${ref.key}" not found`);
            }
            if (value === undefined) continue;
            // The longest mount path the value is in, replaced once.
            const original: string = value;
            const mount = [...mounts.keys()].filter((m) => original === m || original.startsWith(m + "/")).sort((a, b) => b.length - a.length)[0];
            if (mount) value = mounts.get(mount)! + original.slice(mount.length);
            if (!contractNames().has(e.name)) throw new Error(`container ${c.name} has env ${e.name}, which is not a variable of the env contract`);
            env[e.name] = value;
        }
        return env;
    }

    async runJob(job: V1Job, opts: { timeoutMs: number; progress: Progress }): Promise<JobOutcome> {
        const namespace = job.metadata!.namespace!;
        const name = job.metadata!.name!;
        const previous = this.jobRuns.find((r) => r.job.metadata!.name === name && r.job.metadata!.namespace === namespace && r.succeeded);
        if (previous) return { name, durationMs: 0, alreadySucceeded: true };
        const started = Date.now();
        const pod = job.spec!.template.spec!;
        // Volumes: emptyDirs become fresh folders, PVCs the test's folders; the scripts ConfigMap is jobs/ itself.
        const volumeDirs = new Map<string, string>();
        for (const v of pod.volumes ?? []) {
            if (v.emptyDir) volumeDirs.set(v.name, makeTempDir(`job-${v.name}`));
            else if (v.persistentVolumeClaim) {
                const dir = this.opts.volumes?.[v.persistentVolumeClaim.claimName];
                if (!dir) throw new JobFailedError(`${namespace}/${name}`, "FailedMount", `persistentvolumeclaim "${v.persistentVolumeClaim.claimName}" not found`);
                volumeDirs.set(v.name, dir);
            }
        }
        const run: LocalJobRun = { job, containers: [], succeeded: false };
        this.jobRuns.push(run);
        for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
            const mounts = new Map<string, string>();
            for (const m of c.volumeMounts ?? []) {
                const dir = volumeDirs.get(m.name);
                if (dir) mounts.set(m.mountPath, dir);
            }
            const [sh, scriptPath] = c.command ?? [];
            if (sh !== "sh" || !scriptPath?.startsWith(`${MOUNT.scripts}/`)) throw new Error(`container ${c.name}: command ${JSON.stringify(c.command)} is not sh ${MOUNT.scripts}/<script>`);
            const script = path.basename(scriptPath);
            const shell: Shell = (c.image ?? "").includes("aws-cli") ? "bash" : "busybox";
            const env = this.env(namespace, c, mounts);
            // The aws-cli image has `aws` on PATH; here it is the system one.
            if (shell === "bash") env.GGB_AWS = AWS_BIN;
            opts.progress(`local Job ${name}: container ${c.name} runs ${script} under ${shell}`);
            const r = await runJob(script, { shell, env, timeoutMs: opts.timeoutMs });
            run.containers.push({ name: c.name, script, shell, exitCode: r.exitCode, stderr: r.stderr, env });
            if (r.exitCode !== 0) {
                const last = r.stderrLines.slice(-1)[0] ?? "";
                throw new JobFailedError(`${namespace}/${name}`, "BackoffLimitExceeded", `container ${c.name} exited ${r.exitCode} (Error): ${last}`);
            }
        }
        run.succeeded = true;
        return { name, durationMs: Date.now() - started, alreadySucceeded: false };
    }

    private sts(name: string): LocalStatefulSet {
        const s = this.opts.statefulSets?.[name];
        if (!s) throw new Error(`StatefulSet ${name} does not exist (redis.statefulSet)`);
        return s;
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
