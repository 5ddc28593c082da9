/**
 * The RestoreExecutor on a real cluster, with @kubernetes/client-node: Jobs created and polled
 * (failures surfaced with the Job's reason and the failing container's termination message),
 * StatefulSets scaled through their scale subresource, Secrets and ConfigMaps server-side applied.
 * Only the permissions of rbac.ts are used.
 */
import * as k8s from "@kubernetes/client-node";
import type { V1Job, V1Pod, V1Secret } from "@kubernetes/client-node";
import { AccessCheck, JobFailedError, JobOutcome, Progress, ProgressRecord, RestoreExecutor, sameSecretData, secretData, StatefulSetInfo, TimeoutError } from "./executor";
import { RESTORE_NAMES } from "./jobs";
import { LABELS, PART_OF } from "../core/pod";
import { DEFAULT_RETRY, RetryNotice, RetryPolicy, statusOf, withRetry } from "./retry";

export const FIELD_MANAGER = "gitguardian-restore";

/** Container waiting reasons that do not fix themselves soon: reported instead of waiting for the deadline. */
const STUCK_REASONS = new Set(["CreateContainerConfigError", "ImagePullBackOff", "ErrImagePull", "InvalidImageName", "CreateContainerError", "ErrImageNeverPull"]);

/** A KubeConfig from kubeconfig text, or the ambient one (KUBECONFIG, ~/.kube/config, in-cluster). */
export function loadKubeConfig(kubeconfig?: string): k8s.KubeConfig {
    const kc = new k8s.KubeConfig();
    if (kubeconfig) kc.loadFromString(kubeconfig);
    else kc.loadFromDefault();
    if (!kc.getCurrentCluster()) throw new Error("no Kubernetes cluster in the kubeconfig (set the kubeconfig argument, KUBECONFIG or ~/.kube/config)");
    return kc;
}

export { statusOf };

/** A one-line reason of a client-node error: status and the API server's message, never headers. */
export function apiErrorText(e: unknown): string {
    const err = e as { code?: number; body?: unknown; message?: string };
    if (typeof err.code === "number") {
        let body = err.body as { reason?: string; message?: string } | string | undefined;
        if (typeof body === "string") {
            try {
                body = JSON.parse(body) as { reason?: string; message?: string };
            } catch {
                /* plain text */
            }
        }
        const detail = typeof body === "object" && body ? `${body.reason ?? ""}${body.message ? `: ${body.message}` : ""}` : String(body ?? "");
        return `HTTP ${err.code}${detail ? ` ${detail}` : ""}`;
    }
    return (err.message ?? String(e)).split("\n")[0];
}

/**
 * One API call under the retry policy (restore/retry.ts); its final error says what was asked,
 * the API server's answer, and how long it was tried when it was retried.
 */
async function call<T>(what: string, fn: () => Promise<T>, policy: RetryPolicy, notice?: RetryNotice): Promise<T> {
    try {
        return await withRetry(what, fn, policy, apiErrorText, notice);
    } catch (e) {
        const { attempts = 1, triedMs = 0 } = e as { attempts?: number; triedMs?: number };
        const tried = attempts > 1 ? ` (after ${attempts} attempts over ${Math.round(triedMs / 1000)} s)` : "";
        const err = new Error(`${what}: ${apiErrorText(e)}${tried}`);
        (err as Error & { status?: number; attempts?: number }).status = statusOf(e);
        (err as Error & { attempts?: number }).attempts = attempts;
        throw err;
    }
}

async function orMissing<T>(fn: () => Promise<T>): Promise<T | undefined> {
    try {
        return await fn();
    } catch (e) {
        if (statusOf(e) === 404 || (e as { status?: number }).status === 404) return undefined;
        throw e;
    }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function jobCondition(job: V1Job, type: string): { reason?: string; message?: string } | undefined {
    return job.status?.conditions?.find((c) => c.type === type && c.status === "True");
}

/** Why a pod failed or is stuck, from its container statuses (init containers first). */
export function podProblem(pod: V1Pod): { reason: string; detail: string; stuck: boolean } | undefined {
    const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
    for (const s of statuses) {
        const t = s.state?.terminated;
        if (t && t.exitCode !== 0) {
            const msg = (t.message ?? "").trim().split("\n").filter((l) => l.trim() !== "").slice(-3).join(" | ");
            return { reason: t.reason ?? "Error", detail: `container ${s.name} exited ${t.exitCode}${t.reason ? ` (${t.reason})` : ""}${msg ? `: ${msg}` : ""}`, stuck: false };
        }
        const w = s.state?.waiting;
        if (w?.reason && STUCK_REASONS.has(w.reason)) {
            return { reason: w.reason, detail: `container ${s.name} cannot start (${w.reason})${w.message ? `: ${w.message}` : ""}`, stuck: true };
        }
    }
    if (pod.status?.phase === "Failed") return { reason: pod.status.reason ?? "Failed", detail: `pod ${pod.metadata?.name} failed${pod.status.message ? `: ${pod.status.message}` : ""}`, stuck: false };
    return undefined;
}

/** One line about a pod for progress and timeout messages. */
export function podSummary(pod: V1Pod): string {
    const phase = pod.status?.phase ?? "Unknown";
    const notReady = pod.status?.conditions?.find((c) => c.status !== "True" && c.reason);
    const waiting = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].find((s) => s.state?.waiting?.reason);
    const why = waiting ? `, ${waiting.name} ${waiting.state!.waiting!.reason}` : notReady ? `, ${notReady.type} ${notReady.reason}` : "";
    return `${pod.metadata?.name} ${phase}${pod.spec?.nodeName ? "" : " (not scheduled)"}${why}`;
}

export interface KubernetesExecutorOptions {
    /** Poll interval of the waits. Default 1000 ms. */
    pollMs?: number;
    /** How long a container may stay in a stuck waiting state before the Job is reported failed. Default 120 s. */
    stuckMs?: number;
    /** Interval of progress lines during a wait. Default 15 s. */
    progressEveryMs?: number;
    /** How API calls are retried and bounded (restore/retry.ts); unset fields keep DEFAULT_RETRY's. */
    retry?: Partial<RetryPolicy>;
    /** Told of each retry (the restore's log). */
    onRetry?: (line: string) => void;
}

export class KubernetesExecutor implements RestoreExecutor {
    readonly kind = "kubernetes";
    private readonly core: k8s.CoreV1Api;
    private readonly batch: k8s.BatchV1Api;
    private readonly apps: k8s.AppsV1Api;
    private readonly objects: k8s.KubernetesObjectApi;
    private readonly pollMs: number;
    private readonly stuckMs: number;
    private readonly authz: k8s.AuthorizationV1Api;
    private readonly progressEveryMs: number;
    private readonly call: <T>(what: string, fn: () => Promise<T>) => Promise<T>;

    constructor(kc: k8s.KubeConfig, opts: KubernetesExecutorOptions = {}) {
        this.core = kc.makeApiClient(k8s.CoreV1Api);
        this.batch = kc.makeApiClient(k8s.BatchV1Api);
        this.apps = kc.makeApiClient(k8s.AppsV1Api);
        this.objects = k8s.KubernetesObjectApi.makeApiClient(kc);
        this.authz = kc.makeApiClient(k8s.AuthorizationV1Api);
        this.pollMs = opts.pollMs ?? 1000;
        this.stuckMs = opts.stuckMs ?? 120_000;
        this.progressEveryMs = opts.progressEveryMs ?? 15_000;
        const policy: RetryPolicy = { ...DEFAULT_RETRY, ...opts.retry };
        const onRetry = opts.onRetry;
        const notice: RetryNotice | undefined = onRetry && ((what, reason, attempt, waitMs) => onRetry(`${what}: ${reason}; attempt ${attempt + 1} of ${policy.attempts} in ${(waitMs / 1000).toFixed(1)} s`));
        this.call = (what, fn) => call(what, fn, policy, notice);
    }

    private apply(obj: k8s.KubernetesObject, what: string, fieldManager = FIELD_MANAGER): Promise<unknown> {
        return this.call(what, () => this.objects.patch(obj, undefined, undefined, fieldManager, true, k8s.PatchStrategy.ServerSideApply));
    }

    async readSecretKey(namespace: string, name: string, key: string): Promise<string | undefined> {
        const secret = await orMissing(() => this.call(`reading Secret ${namespace}/${name}`, () => this.core.readNamespacedSecret({ name, namespace })));
        const data = secret?.data?.[key];
        return data === undefined ? undefined : Buffer.from(data, "base64").toString("utf8");
    }

    async deniedAccess(checks: readonly AccessCheck[]): Promise<AccessCheck[]> {
        const denied: AccessCheck[] = [];
        for (const c of checks) {
            const review = await this.call(`asking the API server whether this identity may ${c.verb} ${c.resource}`, () =>
                this.authz.createSelfSubjectAccessReview({
                    body: { spec: { resourceAttributes: { namespace: c.namespace, verb: c.verb, group: c.group, resource: c.resource, subresource: c.subresource, name: c.name } } },
                }),
            );
            if (!review.status?.allowed) denied.push(c);
        }
        return denied;
    }

    async readSecretData(namespace: string, name: string): Promise<{ [key: string]: string } | undefined> {
        const secret = await orMissing(() => this.call(`reading Secret ${namespace}/${name}`, () => this.core.readNamespacedSecret({ name, namespace })));
        return secret ? { ...(secret.data ?? {}) } : undefined;
    }

    async createSecret(namespace: string, secret: V1Secret): Promise<void> {
        const name = secret.metadata?.name ?? "";
        try {
            await this.call(`creating Secret ${namespace}/${name}`, () => this.core.createNamespacedSecret({ namespace, body: { ...secret, metadata: { ...secret.metadata, namespace } } }));
        } catch (e) {
            // A retried create whose first answer was lost (a timeout, a reset) finds the Secret
            // it made: the same data is that create having worked; anything else is a conflict.
            const err = e as { status?: number; attempts?: number };
            if (err.status !== 409 || (err.attempts ?? 1) < 2) throw e;
            const live = await this.readSecretData(namespace, name);
            if (live === undefined || !sameSecretData(live, secretData(secret))) throw e;
        }
    }

    async applySecret(namespace: string, secret: V1Secret): Promise<void> {
        await this.apply({ ...secret, metadata: { ...secret.metadata, namespace } }, `applying Secret ${namespace}/${secret.metadata?.name}`);
    }

    async applyScripts(namespace: string, name: string, data: { [file: string]: string }): Promise<void> {
        const labels = { [LABELS.partOf]: PART_OF, [LABELS.managedBy]: "pulumi", [LABELS.name]: "gitguardian-restore" };
        await this.apply({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace, labels }, data } as k8s.V1ConfigMap, `applying ConfigMap ${namespace}/${name}`);
    }

    async readProgress(namespace: string, key: string): Promise<ProgressRecord | undefined> {
        const cm = await orMissing(() => this.call(`reading ConfigMap ${namespace}/${RESTORE_NAMES.progress}`, () => this.core.readNamespacedConfigMap({ name: RESTORE_NAMES.progress, namespace })));
        const text = cm?.data?.[key];
        if (!text) return undefined;
        try {
            return JSON.parse(text) as ProgressRecord;
        } catch {
            return undefined;
        }
    }

    async writeProgress(namespace: string, key: string, record: ProgressRecord): Promise<void> {
        // One field manager per restore: each owns its own key of the shared ConfigMap.
        const cm: k8s.V1ConfigMap = {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: RESTORE_NAMES.progress, namespace, labels: { [LABELS.partOf]: PART_OF } },
            data: { [key]: JSON.stringify(record) },
        };
        await this.apply(cm as k8s.KubernetesObject, `recording progress in ConfigMap ${namespace}/${RESTORE_NAMES.progress}`, `${FIELD_MANAGER}-${key}`.slice(0, 128));
    }

    private readJob(namespace: string, name: string): Promise<V1Job | undefined> {
        return orMissing(() => this.call(`reading Job ${namespace}/${name}`, () => this.batch.readNamespacedJob({ name, namespace })));
    }

    private async jobPods(namespace: string, name: string): Promise<V1Pod[]> {
        const list = await this.call(`listing the pods of Job ${namespace}/${name}`, () => this.core.listNamespacedPod({ namespace, labelSelector: `batch.kubernetes.io/job-name=${name}` }));
        return list.items.sort((a, b) => String(b.metadata?.creationTimestamp ?? "").localeCompare(String(a.metadata?.creationTimestamp ?? "")));
    }

    private async failure(namespace: string, job: V1Job, fallbackReason: string): Promise<JobFailedError> {
        const name = job.metadata!.name!;
        const cond = jobCondition(job, "Failed");
        const pods = await this.jobPods(namespace, name).catch(() => [] as V1Pod[]);
        const problem = pods.map(podProblem).find((p) => p !== undefined);
        const reason = cond?.reason ?? fallbackReason;
        const detail = [cond?.message, problem?.detail].filter(Boolean).join("; ");
        return new JobFailedError(`${namespace}/${name}`, reason, detail);
    }

    async runJob(job: V1Job, opts: { timeoutMs: number; progress: Progress }): Promise<JobOutcome> {
        const namespace = job.metadata!.namespace!;
        const name = job.metadata!.name!;
        const started = Date.now();
        let existing = await this.readJob(namespace, name);
        if (existing && jobCondition(existing, "Complete")) {
            opts.progress(`Job ${namespace}/${name} already succeeded in an earlier run; not running it again`);
            return { name, durationMs: 0, alreadySucceeded: true };
        }
        if (existing && jobCondition(existing, "Failed")) {
            opts.progress(`Job ${namespace}/${name} failed in an earlier run; deleting it to run it again`);
            await this.call(`deleting Job ${namespace}/${name}`, () => this.batch.deleteNamespacedJob({ name, namespace, propagationPolicy: "Background" }));
            const deadline = Date.now() + 120_000;
            while ((await this.readJob(namespace, name)) !== undefined) {
                if (Date.now() > deadline) throw new TimeoutError(`Job ${namespace}/${name} of an earlier run was not deleted within 120 s`);
                await sleep(this.pollMs);
            }
            existing = undefined;
        }
        if (existing) opts.progress(`Job ${namespace}/${name} is running from an earlier run; waiting for it`);
        else {
            try {
                await this.call(`creating Job ${namespace}/${name}`, () => this.batch.createNamespacedJob({ namespace, body: job }));
                opts.progress(`Job ${namespace}/${name} created`);
            } catch (e) {
                if ((e as { status?: number }).status !== 409) throw e;
            }
        }
        const deadline = started + opts.timeoutMs;
        let lastProgress = Date.now();
        const stuckSince = new Map<string, number>();
        for (;;) {
            const current = await this.readJob(namespace, name);
            if (!current) throw new JobFailedError(`${namespace}/${name}`, "Deleted", "the Job was deleted while the restore waited for it");
            if (jobCondition(current, "Complete")) {
                opts.progress(`Job ${namespace}/${name} succeeded`);
                return { name, durationMs: Date.now() - started, alreadySucceeded: false };
            }
            if (jobCondition(current, "Failed")) throw await this.failure(namespace, current, "Failed");
            const pods = await this.jobPods(namespace, name);
            for (const pod of pods) {
                const problem = podProblem(pod);
                const podName = pod.metadata?.name ?? "";
                if (problem?.stuck) {
                    const since = stuckSince.get(podName) ?? Date.now();
                    stuckSince.set(podName, since);
                    if (Date.now() - since >= this.stuckMs) {
                        throw new JobFailedError(`${namespace}/${name}`, problem.reason, `${problem.detail} (for ${Math.round((Date.now() - since) / 1000)} s; the Job is left in place for inspection)`);
                    }
                } else stuckSince.delete(podName);
            }
            if (Date.now() - lastProgress >= this.progressEveryMs) {
                lastProgress = Date.now();
                opts.progress(`Job ${namespace}/${name}: ${pods.length ? pods.map(podSummary).join("; ") : "no pod yet"}`);
            }
            if (Date.now() > deadline) {
                throw new TimeoutError(`Job ${namespace}/${name} did not finish within ${Math.round(opts.timeoutMs / 1000)} s: ${pods.length ? pods.map(podSummary).join("; ") : "no pod was created"}`);
            }
            await sleep(this.pollMs);
        }
    }

    async waitForJobEnded(namespace: string, name: string, opts: { timeoutMs: number; progress: Progress }): Promise<void> {
        const deadline = Date.now() + opts.timeoutMs;
        let lastProgress = Date.now();
        for (;;) {
            let state: string;
            try {
                const job = await this.readJob(namespace, name);
                const finished = !job || jobCondition(job, "Complete") !== undefined || jobCondition(job, "Failed") !== undefined;
                // A pod being deleted is still Running until its containers have stopped.
                const live = (await this.jobPods(namespace, name)).filter((p) => p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed");
                if (finished && live.length === 0) return;
                state = `${!job ? "the Job is deleted" : finished ? "the Job has finished" : "the Job is still active"}; ${live.length ? `pods: ${live.map(podSummary).join("; ")}` : "no pod runs"}`;
            } catch (e) {
                // A transient API error must not pass for an ended Job: ask again until the deadline.
                state = `the API did not answer: ${(e as Error).message}`;
            }
            if (Date.now() > deadline) throw new TimeoutError(`Job ${namespace}/${name} was not seen ended within ${Math.round(opts.timeoutMs / 1000)} s: ${state}`);
            if (Date.now() - lastProgress >= this.progressEveryMs) {
                lastProgress = Date.now();
                opts.progress(`waiting for Job ${namespace}/${name} to end: ${state}`);
            }
            await sleep(this.pollMs);
        }
    }

    async getStatefulSet(namespace: string, name: string): Promise<StatefulSetInfo> {
        const sts = await orMissing(() => this.call(`reading StatefulSet ${namespace}/${name}`, () => this.apps.readNamespacedStatefulSet({ name, namespace })));
        if (!sts) throw new Error(`StatefulSet ${namespace}/${name} does not exist (redis.statefulSet)`);
        return {
            name,
            replicas: sts.spec?.replicas ?? 1,
            readyReplicas: sts.status?.readyReplicas ?? 0,
            volumeClaimTemplates: (sts.spec?.volumeClaimTemplates ?? []).map((t) => t.metadata?.name ?? "").filter((n) => n !== ""),
        };
    }

    async listCronJobs(namespace: string, labels: { [key: string]: string }): Promise<{ name: string; suspended: boolean }[]> {
        const labelSelector = Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(",");
        const list = await this.call(`listing the CronJobs of ${namespace}`, () => this.batch.listNamespacedCronJob({ namespace, labelSelector }));
        return list.items.map((c) => ({ name: c.metadata!.name!, suspended: c.spec?.suspend === true }));
    }

    async suspendCronJob(namespace: string, name: string, suspend: boolean): Promise<void> {
        await this.call(`${suspend ? "suspending" : "resuming"} CronJob ${namespace}/${name}`, () =>
            this.batch.patchNamespacedCronJob({ name, namespace, body: [{ op: "add", path: "/spec/suspend", value: suspend }], fieldManager: FIELD_MANAGER }),
        );
    }

    async scaleStatefulSet(namespace: string, name: string, replicas: number): Promise<void> {
        await this.call(`scaling StatefulSet ${namespace}/${name} to ${replicas}`, () =>
            this.apps.patchNamespacedStatefulSetScale({ name, namespace, body: [{ op: "replace", path: "/spec/replicas", value: replicas }], fieldManager: FIELD_MANAGER }),
        );
    }

    private async statefulSetPods(namespace: string, name: string): Promise<V1Pod[]> {
        const sts = await this.call(`reading StatefulSet ${namespace}/${name}`, () => this.apps.readNamespacedStatefulSet({ name, namespace }));
        const match = sts.spec?.selector?.matchLabels ?? {};
        const labelSelector = Object.entries(match).map(([k, v]) => `${k}=${v}`).join(",");
        const list = await this.call(`listing the pods of StatefulSet ${namespace}/${name}`, () => this.core.listNamespacedPod({ namespace, labelSelector }));
        return list.items.filter((p) => p.metadata?.ownerReferences?.some((o) => o.kind === "StatefulSet" && o.name === name));
    }

    async waitForStatefulSetPodsGone(namespace: string, name: string, opts: { timeoutMs: number; progress: Progress }): Promise<void> {
        const deadline = Date.now() + opts.timeoutMs;
        let lastProgress = Date.now();
        for (;;) {
            const pods = await this.statefulSetPods(namespace, name);
            if (pods.length === 0) return;
            if (Date.now() > deadline) {
                throw new TimeoutError(`the pods of StatefulSet ${namespace}/${name} did not stop within ${Math.round(opts.timeoutMs / 1000)} s (redis.readyTimeoutSeconds): ${pods.map(podSummary).join("; ")}`);
            }
            if (Date.now() - lastProgress >= this.progressEveryMs) {
                lastProgress = Date.now();
                opts.progress(`waiting for the pods of StatefulSet ${namespace}/${name} to stop: ${pods.map(podSummary).join("; ")}`);
            }
            await sleep(this.pollMs);
        }
    }

    async waitForStatefulSetReady(namespace: string, name: string, replicas: number, opts: { timeoutMs: number; progress: Progress }): Promise<void> {
        const deadline = Date.now() + opts.timeoutMs;
        let lastProgress = Date.now();
        for (;;) {
            const sts = await this.call(`reading StatefulSet ${namespace}/${name}`, () => this.apps.readNamespacedStatefulSet({ name, namespace }));
            const ready = sts.status?.readyReplicas ?? 0;
            const observed = (sts.status?.observedGeneration ?? 0) >= (sts.metadata?.generation ?? 0);
            if (observed && ready >= replicas) return;
            if (Date.now() > deadline || Date.now() - lastProgress >= this.progressEveryMs) {
                const pods = await this.statefulSetPods(namespace, name).catch(() => [] as V1Pod[]);
                const state = `${ready} of ${replicas} replicas ready; ${pods.length ? `pods: ${pods.map(podSummary).join("; ")}` : "no pod"}`;
                if (Date.now() > deadline) {
                    throw new TimeoutError(`StatefulSet ${namespace}/${name} did not become ready within ${Math.round(opts.timeoutMs / 1000)} s (redis.readyTimeoutSeconds): ${state}`);
                }
                lastProgress = Date.now();
                opts.progress(`waiting for StatefulSet ${namespace}/${name}: ${state}`);
            }
            await sleep(this.pollMs);
        }
    }

    async hasPersistentVolumeClaim(namespace: string, name: string): Promise<boolean> {
        const pvc = await orMissing(() => this.call(`reading PersistentVolumeClaim ${namespace}/${name}`, () => this.core.readNamespacedPersistentVolumeClaim({ name, namespace })));
        return pvc !== undefined;
    }
}
