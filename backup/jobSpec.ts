/**
 * Pure builders of the backup CronJobs: from a validated PolicySpec to Kubernetes objects, so
 * the whole spec can be checked without Pulumi. One builder for every part: the part's
 * descriptor gives its dump script, image user and env; values reach the scripts only as
 * environment variables of the contract, secrets only through secretKeyRef.
 */
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CODEC_ENV, COMMON_ENV, MOUNT, S3_ENV, SCRIPT } from "../core/contract";
import { API_TOKEN_MOUNT, API_TOKEN_VOLUME, BACKUP_APP_NAME, backupComponentLabel, containerSecurity, EnvVar, envSecret, envValue, LABELS, PART_OF, PolicyRule, scriptCommand, scriptMounts, TMP_VOLUME, UPLOADER_UID } from "../core/pod";
import { partNamed } from "../sources/registry";
import { encryptEnv, toolCopyContainer, TOOLS_MOUNT, TOOLS_VOLUME } from "../encryption/pod";
import type { BackupPart } from "../sources/part";
import { JobComponentSpec, PolicySpec } from "./validate";

export { LABELS, PART_OF };

export function labels(spec: PolicySpec, component?: string): { [k: string]: string } {
    return {
        [LABELS.name]: BACKUP_APP_NAME,
        [LABELS.partOf]: PART_OF,
        [LABELS.managedBy]: "pulumi",
        ...(component ? { [LABELS.component]: backupComponentLabel(component) } : {}),
        [LABELS.instance]: spec.name,
    };
}

function partOf(c: JobComponentSpec): BackupPart {
    const part = partNamed(c.component);
    if (!part) throw new Error(`internal: part ${c.component} is not registered`);
    return part;
}

/**
 * The secretKeyRefs of the S3 credentials, per credentials mode: the key of the identity this
 * component generated (createIamUser: the backup jobs' by default, the retention job's own
 * Secret for it), else the user's Secret; none for IRSA or ambient.
 */
export function s3CredentialEnv(spec: PolicySpec, generatedSecret = spec.names.credentialsSecret): EnvVar[] {
    const c = spec.credentials;
    const ref = c.mode === "iamUser" ? { name: generatedSecret, accessKeyIdKey: "AWS_ACCESS_KEY_ID", secretAccessKeyKey: "AWS_SECRET_ACCESS_KEY" } : c.secret;
    if (!ref) return [];
    return [
        envSecret(S3_ENV.accessKeyId.name, { name: ref.name, key: ref.accessKeyIdKey }),
        envSecret(S3_ENV.secretAccessKey.name, { name: ref.name, key: ref.secretAccessKeyKey }),
    ];
}

/** Where the sets are, as the steps that list the bucket read it (the retention job, the drill): bucket, prefix, region, endpoint. */
export function bucketLocationEnv(spec: PolicySpec, bucketName: pulumi.Input<string>): EnvVar<pulumi.Input<string>>[] {
    return [
        envValue(S3_ENV.bucket.name, bucketName),
        envValue(S3_ENV.prefix.name, spec.prefix),
        envValue(S3_ENV.region.name, spec.bucket.region),
        ...(spec.bucket.endpoint ? [envValue(S3_ENV.endpoint.name, spec.bucket.endpoint)] : []),
    ];
}

/** Env of the S3 steps. */
export function s3Env(spec: PolicySpec, component: string, bucketName: pulumi.Input<string>): EnvVar<pulumi.Input<string>>[] {
    return [
        envValue(COMMON_ENV.component.name, component),
        envValue(COMMON_ENV.stagingDir.name, MOUNT.staging),
        envValue(S3_ENV.bucket.name, bucketName),
        envValue(S3_ENV.prefix.name, spec.prefix),
        ...(spec.bucket.endpoint ? [envValue(S3_ENV.endpoint.name, spec.bucket.endpoint)] : []),
        envValue(S3_ENV.region.name, spec.bucket.region),
        envValue(S3_ENV.partSizeMiB.name, String(spec.uploadPartSizeMiB)),
        ...s3CredentialEnv(spec),
        envValue("HOME", "/tmp"),
    ];
}

/** Env of a dump step: the shared variables, then the part's own. */
export function dumpEnv(spec: PolicySpec, c: JobComponentSpec): EnvVar[] {
    return [
        envValue(COMMON_ENV.component.name, c.component),
        envValue(COMMON_ENV.stagingDir.name, MOUNT.staging),
        envValue(CODEC_ENV.compression.name, spec.compression),
        envValue("HOME", "/tmp"),
        ...partOf(c).backup.env(c, { namespace: spec.namespace }),
    ];
}

/** The staging volume: a size-limited emptyDir, or an ephemeral PVC when a storage class is given. */
export function stagingVolume(spec: PolicySpec) {
    if (spec.staging.storageClassName) {
        return {
            name: "staging",
            ephemeral: {
                volumeClaimTemplate: {
                    spec: {
                        accessModes: ["ReadWriteOnce"],
                        storageClassName: spec.staging.storageClassName,
                        resources: { requests: { storage: spec.staging.size } },
                    },
                },
            },
        };
    }
    return { name: "staging", emptyDir: { sizeLimit: spec.staging.size } };
}

/** A pod's containers and volumes, and the ServiceAccount it runs as (never with a pod-wide token). */
export interface JobPod {
    serviceAccountName: string;
    /** Run in order before the containers (the drill's steps). */
    initContainers?: k8s.types.input.core.v1.Container[];
    containers: k8s.types.input.core.v1.Container[];
    volumes: k8s.types.input.core.v1.Volume[];
    /** The Job's own retry and deadline, when not the policy's. */
    job?: { backoffLimit: number; activeDeadlineSeconds: number };
}

/**
 * The CronJob around a pod, with the policy's scheduling, history and security defaults: every
 * CronJob of the package (each part's backup, the retention job) is built by this.
 */
export function scheduledJob(spec: PolicySpec, name: string, jobLabels: { [k: string]: string }, schedule: string, pod: JobPod) {
    return {
        metadata: { name, namespace: spec.namespace, labels: jobLabels },
        spec: {
            schedule,
            timeZone: spec.timeZone,
            concurrencyPolicy: "Forbid",
            startingDeadlineSeconds: spec.startingDeadlineSeconds,
            successfulJobsHistoryLimit: spec.successfulJobsHistoryLimit,
            failedJobsHistoryLimit: spec.failedJobsHistoryLimit,
            suspend: false,
            jobTemplate: {
                metadata: { labels: jobLabels },
                spec: {
                    backoffLimit: pod.job?.backoffLimit ?? spec.backoffLimit,
                    activeDeadlineSeconds: pod.job?.activeDeadlineSeconds ?? spec.activeDeadlineSeconds,
                    ttlSecondsAfterFinished: spec.ttlSecondsAfterFinished,
                    template: {
                        metadata: { labels: jobLabels },
                        spec: {
                            serviceAccountName: pod.serviceAccountName,
                            // No pod-wide token: a container that needs one mounts it (API_TOKEN_VOLUME).
                            automountServiceAccountToken: false,
                            restartPolicy: "Never",
                            securityContext: { runAsNonRoot: true, fsGroup: UPLOADER_UID, seccompProfile: { type: "RuntimeDefault" } },
                            nodeSelector: Object.keys(spec.nodeSelector).length ? spec.nodeSelector : undefined,
                            tolerations: spec.tolerations.length ? spec.tolerations : undefined,
                            ...(pod.initContainers ? { initContainers: pod.initContainers } : {}),
                            containers: pod.containers,
                            volumes: pod.volumes,
                        },
                    },
                },
            },
        },
    };
}

/** The CronJob of one part (the object passed to k8s.batch.v1.CronJob). */
export function cronJobSpec(spec: PolicySpec, c: JobComponentSpec, bucketName: pulumi.Input<string>) {
    const part = partOf(c);
    const mounts = scriptMounts();
    const resources = spec.resources;
    // A part that talks to the API server runs as its own ServiceAccount, its token in its dump container only.
    const partAccount = spec.names.partServiceAccount[c.component];
    const encryption = spec.encryption;
    return scheduledJob(spec, spec.names.cronJob[c.component], labels(spec, c.component), c.schedule, {
        serviceAccountName: partAccount ?? spec.names.serviceAccount,
        // With encryption, age comes from the tool image first (no stock job image has it).
        ...(encryption ? { initContainers: [toolCopyContainer(encryption)] } : {}),
        // Dump and upload run side by side: the dump streams each artifact to the upload over
        // FIFOs on the staging volume (jobs/lib.sh), so the upload ends seconds after the dump.
        // The dump comes first: the kubelet starts containers in order, and it connects at once.
        containers: [
            {
                name: `dump-${c.component}`,
                image: c.image,
                command: scriptCommand(part.dumpScript),
                env: dumpEnv(spec, c),
                volumeMounts: partAccount ? [...mounts, { ...API_TOKEN_MOUNT }] : mounts,
                resources,
                securityContext: containerSecurity(part.runAsUser),
            },
            {
                name: "upload",
                image: spec.uploaderImage,
                command: scriptCommand(SCRIPT.upload),
                // It encrypts: the recipients (public keys) and age reach the upload step only.
                env: [...s3Env(spec, c.component, bucketName), ...(encryption ? encryptEnv(encryption) : [])],
                volumeMounts: encryption ? [...mounts, TOOLS_MOUNT] : mounts,
                resources,
                securityContext: containerSecurity(UPLOADER_UID),
            },
        ],
        volumes: [
            { name: "scripts", configMap: { name: spec.names.scripts, defaultMode: 0o444 } },
            stagingVolume(spec),
            { ...TMP_VOLUME },
            ...(partAccount ? [API_TOKEN_VOLUME] : []),
            ...(encryption ? [{ ...TOOLS_VOLUME }] : []),
        ],
    });
}

/**
 * The Role of each part whose job talks to the API server (kots: find the kotsadm pod,
 * port-forward to it, read its auth string and the key Secrets), bound to that part's own
 * ServiceAccount; the backup jobs' shared ServiceAccount has no Kubernetes permission at all.
 */
export function partRoles(spec: PolicySpec): { part: string; name: string; rules: PolicyRule[] }[] {
    return spec.components.filter((c) => spec.names.partServiceAccount[c.component]).map((c) => ({ part: c.component, name: spec.names.partServiceAccount[c.component], rules: partOf(c).backup.roleRules(c) }));
}
