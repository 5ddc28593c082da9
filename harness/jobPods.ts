/**
 * The kubelet of the Job pods in chosen namespaces of the test control plane: each pod the Job
 * controller creates there (and the scheduler binds) is read back from the API server and run by
 * harness/podRunner.ts, as stored, and its outcome written to the pod's status the way a kubelet
 * reports it (phase, init and container statuses, exit codes, the last stderr line as the
 * termination message of FallbackToLogsOnError). The Job controller then completes or fails the
 * Job from real exit codes. kwok leaves these pods alone (KubeOptions.runJobsInNamespaces).
 */
import * as k8s from "@kubernetes/client-node";
import { ContainerRun, PodRunOptions, PodSources, PodStartError, apiServerSources, runPod } from "./podRunner";
import { sleep } from "./proc";

export interface JobPodRun {
    namespace: string;
    pod: string;
    job: string;
    containers: ContainerRun[];
    /** Set when a container could not start (a missing Secret key, a missing claim). */
    startError?: string;
}

export interface JobPodKubelet {
    /** Every pod run so far, in start order. */
    readonly runs: JobPodRun[];
    stop(): Promise<void>;
}

export interface JobPodKubeletOptions extends Omit<PodRunOptions, "namespace" | "sources" | "core"> {
    /** The namespaces whose Job pods this runs; they must be in KubeOptions.runJobsInNamespaces. */
    namespaces: string[];
    /** The host folder of each PersistentVolumeClaim the pods mount, by `<namespace>/<claim>`. */
    claims?: Record<string, string>;
}

const lastLine = (text: string) => text.split("\n").filter((l) => l.trim() !== "").slice(-1)[0] ?? "";

function terminated(run: ContainerRun, now: string): k8s.V1ContainerStatus {
    return {
        name: run.name,
        image: run.image,
        imageID: "",
        ready: false,
        restartCount: 0,
        state: {
            terminated: {
                exitCode: run.exitCode,
                reason: run.exitCode === 0 ? "Completed" : "Error",
                ...(run.exitCode === 0 ? {} : { message: lastLine(run.stderr) }),
                startedAt: new Date(now),
                finishedAt: new Date(),
            },
        },
    };
}

/** Starts running the Job pods of `opts.namespaces`; stop() waits for the pods under way. */
export function runJobPods(kc: k8s.KubeConfig, opts: JobPodKubeletOptions): JobPodKubelet {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const api = apiServerSources(core);
    const sources: PodSources = { ...api, claimDir: (namespace, claim) => opts.claims?.[`${namespace}/${claim}`] };
    const runs: JobPodRun[] = [];
    const taken = new Set<string>();
    const underWay = new Set<Promise<void>>();
    let stopped = false;

    async function setStatus(namespace: string, name: string, status: (pod: k8s.V1Pod) => k8s.V1PodStatus): Promise<void> {
        // A replace of the status subresource, as a kubelet does; retried on a conflict with the controllers.
        for (let attempt = 0; ; attempt++) {
            const pod = await core.readNamespacedPod({ name, namespace });
            pod.status = status(pod);
            try {
                await core.replaceNamespacedPodStatus({ name, namespace, body: pod });
                return;
            } catch (e) {
                if ((e as { code?: number }).code !== 409 || attempt > 10) throw e;
            }
        }
    }

    async function run(pod: k8s.V1Pod): Promise<void> {
        const namespace = pod.metadata!.namespace!;
        const name = pod.metadata!.name!;
        const started = new Date().toISOString();
        const record: JobPodRun = { namespace, pod: name, job: pod.metadata!.labels?.["batch.kubernetes.io/job-name"] ?? "", containers: [] };
        runs.push(record);
        await setStatus(namespace, name, (p) => ({ ...p.status, phase: "Running", startTime: new Date(started), hostIP: "127.0.0.1", podIP: "127.0.0.1" }));
        try {
            record.containers = await runPod(pod.spec!, { ...opts, namespace, sources });
        } catch (e) {
            if (!(e instanceof PodStartError)) throw e;
            // The kubelet reports a container that cannot start as waiting, and the pod stays Pending.
            record.startError = e.message;
            await setStatus(namespace, name, (p) => ({
                ...p.status,
                phase: "Pending",
                containerStatuses: pod.spec!.containers.map((c) => ({ name: c.name, image: c.image ?? "", imageID: "", ready: false, restartCount: 0, state: { waiting: { reason: e.reason, message: e.message } } })),
            }));
            return;
        }
        const init = new Set((pod.spec!.initContainers ?? []).map((c) => c.name));
        const failed = record.containers.some((r) => r.exitCode !== 0);
        await setStatus(namespace, name, (p) => ({
            ...p.status,
            phase: failed ? "Failed" : "Succeeded",
            conditions: [{ type: "Ready", status: "False", reason: "PodCompleted", lastTransitionTime: new Date() }],
            initContainerStatuses: record.containers.filter((r) => init.has(r.name)).map((r) => terminated(r, started)),
            containerStatuses: record.containers.filter((r) => !init.has(r.name)).map((r) => terminated(r, started)),
        }));
    }

    const loop = (async () => {
        while (!stopped) {
            for (const namespace of opts.namespaces) {
                const pods = await core.listNamespacedPod({ namespace, labelSelector: "batch.kubernetes.io/job-name" }).catch(() => undefined);
                for (const pod of pods?.items ?? []) {
                    const uid = pod.metadata!.uid!;
                    // Bound to the node, not started, not being deleted: what a kubelet would start.
                    if (taken.has(uid) || !pod.spec?.nodeName || pod.status?.phase !== "Pending" || pod.metadata?.deletionTimestamp) continue;
                    taken.add(uid);
                    const p: Promise<void> = run(pod)
                        .catch((e) => void runs.push({ namespace, pod: pod.metadata!.name!, job: "", containers: [], startError: `the runner failed: ${(e as Error).message}` }))
                        .finally(() => underWay.delete(p));
                    underWay.add(p);
                }
            }
            await sleep(200);
        }
    })();

    return {
        runs,
        async stop() {
            stopped = true;
            await loop;
            await Promise.all(underWay);
        },
    };
}
