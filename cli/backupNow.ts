/**
 * One backup now, from the stored CronJob (what `kubectl create job --from=cronjob/…` does, then
 * waits): the Job gets the CronJob's jobTemplate as Kubernetes stores it, so it runs exactly what
 * the schedule runs, under the same identity. It ends when the Job does; a Job that succeeded has
 * committed its set (upload.sh writes the manifest last, and the Job fails otherwise), which is
 * then read back from the bucket and returned. For an operator before an upgrade of GitGuardian.
 */
import * as k8s from "@kubernetes/client-node";
import { listSets } from "../core/catalog";
import { backupIdTime, BackupSet } from "../core/backupSet";
import { S3_ENV } from "../core/contract";
import { LABELS, partOfComponentLabel } from "../core/pod";
import type { ObjectStore, BucketLocation } from "../core/objectStore";
import { apiErrorText } from "../restore/kubernetes";
import { withRetry, DEFAULT_RETRY } from "../restore/retry";

export interface BackupNowResult {
    job: string;
    part: string;
    set: BackupSet;
    seconds: number;
}

/** Where the CronJob's upload container sends its sets (its env, as stored). */
export function bucketOf(cronJob: k8s.V1CronJob): BucketLocation & { prefix: string } {
    const containers = cronJob.spec?.jobTemplate.spec?.template.spec?.containers ?? [];
    const env = (name: string) => containers.flatMap((c) => c.env ?? []).find((e) => e.name === name)?.value;
    const bucket = env(S3_ENV.bucket.name);
    const prefix = env(S3_ENV.prefix.name);
    if (!bucket || !prefix) throw new Error(`CronJob ${cronJob.metadata?.name} names no bucket (${S3_ENV.bucket.name}, ${S3_ENV.prefix.name}): not a backup CronJob of this package`);
    return { bucket, prefix, region: env(S3_ENV.region.name) ?? "us-east-1", endpoint: env(S3_ENV.endpoint.name) };
}

/**
 * Runs one backup of `cronJob` now and waits for it (at most `timeoutMs`); resolves to the set it
 * committed, or rejects with the Job's reason. `store` reads the bucket the CronJob writes to.
 */
export async function backupNow(
    kc: k8s.KubeConfig,
    namespace: string,
    cronJobName: string,
    store: (where: BucketLocation) => ObjectStore,
    opts: { timeoutMs: number; pollMs?: number; progress?: (text: string) => void },
): Promise<BackupNowResult> {
    const batch = kc.makeApiClient(k8s.BatchV1Api);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const call = <T>(what: string, fn: () => Promise<T>) => withRetry(what, fn, DEFAULT_RETRY, apiErrorText);
    const cronJob = await call(`reading CronJob ${namespace}/${cronJobName}`, () => batch.readNamespacedCronJob({ name: cronJobName, namespace }));
    const part = partOfComponentLabel(cronJob.metadata?.labels?.[LABELS.component]);
    if (!part) throw new Error(`CronJob ${namespace}/${cronJobName} is not a backup CronJob of this package (no ${LABELS.component}: backup-<part> label)`);
    const where = bucketOf(cronJob);
    const started = new Date();
    // Set ids are UTC seconds: a set of this run has an id at or after the second it started.
    const notBefore = new Date(Math.floor(started.getTime() / 1000) * 1000);
    const template = cronJob.spec!.jobTemplate;
    const name = `${cronJobName}-manual-${Math.floor(started.getTime() / 1000)}`.slice(0, 63);
    await call(`creating Job ${namespace}/${name}`, () =>
        batch.createNamespacedJob({
            namespace,
            body: {
                metadata: {
                    name,
                    namespace,
                    labels: template.metadata?.labels,
                    annotations: { ...(template.metadata?.annotations ?? {}), "cronjob.kubernetes.io/instantiate": "manual" },
                    ownerReferences: [{ apiVersion: "batch/v1", kind: "CronJob", name: cronJobName, uid: cronJob.metadata!.uid!, controller: true }],
                },
                spec: template.spec,
            },
        }),
    );
    opts.progress?.(`Job ${namespace}/${name} created from CronJob ${cronJobName}`);
    const deadline = started.getTime() + opts.timeoutMs;
    for (;;) {
        const job = await call(`reading Job ${namespace}/${name}`, () => batch.readNamespacedJob({ name, namespace }));
        const done = job.status?.conditions?.find((c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True");
        if (done?.type === "Complete") break;
        if (done?.type === "Failed") {
            const pods = (await call(`listing the pods of Job ${name}`, () => core.listNamespacedPod({ namespace, labelSelector: `job-name=${name}` }))).items;
            throw new Error(`backup Job ${namespace}/${name} failed (${done.reason ?? "Failed"}): ${failureReasons(pods) || done.message || "no pod"}`);
        }
        if (Date.now() > deadline) throw new Error(`backup Job ${namespace}/${name} did not finish within ${Math.round(opts.timeoutMs / 1000)} s; it goes on running (kubectl -n ${namespace} get job ${name})`);
        await new Promise((r) => setTimeout(r, opts.pollMs ?? 2000));
    }
    const sets = (await listSets(store(where), where.prefix, part)).filter((s) => s.complete && backupIdTime(s.backupId) >= notBefore);
    const set = sets[sets.length - 1];
    if (!set) throw new Error(`backup Job ${namespace}/${name} succeeded, but s3://${where.bucket}/${where.prefix}/${part}/ holds no complete set made since ${started.toISOString()}`);
    return { job: name, part, set, seconds: Math.round((Date.now() - started.getTime()) / 1000) };
}

/** The termination messages of a Job's failed containers (each script's one-line reason). */
function failureReasons(pods: k8s.V1Pod[]): string {
    return pods
        .flatMap((p) => [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])])
        .filter((s) => (s.state?.terminated?.exitCode ?? 0) !== 0)
        .map((s) => `${s.name}: ${s.state!.terminated!.message?.trim() || `exit ${s.state!.terminated!.exitCode}`}`)
        .join("; ");
}
