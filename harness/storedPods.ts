/**
 * The pod of a CronJob as the API server stores it, run as the kubelet would (harness/podRunner.ts):
 * its projected token asked of the API server for its ServiceAccount, KUBERNETES_SERVICE_HOST/PORT
 * set, Secrets and ConfigMaps read from the API server. What the engine tests run after a real
 * `pulumi up`, so that what they prove is the stored object, not the TypeScript that declared it.
 */
import * as k8s from "@kubernetes/client-node";
import type { KubeCluster } from "./kube";
import { ContainerRun, PodRunOptions, runPod } from "./podRunner";

export type StoredPodOptions = Pick<PodRunOptions, "binds" | "pathPrefix" | "runAsUsers" | "timeoutMs">;

export async function runStoredCronJob(kube: KubeCluster, namespace: string, cronJob: string, opts: StoredPodOptions = {}): Promise<ContainerRun[]> {
    const kc = kube.admin();
    const stored = await kc.makeApiClient(k8s.BatchV1Api).readNamespacedCronJob({ name: cronJob, namespace });
    const api = new URL(kube.server);
    return runPod(stored.spec!.jobTemplate.spec!.template.spec!, {
        namespace,
        core: kc.makeApiClient(k8s.CoreV1Api),
        apiServer: { host: api.hostname, port: Number(api.port) },
        ...opts,
    });
}
