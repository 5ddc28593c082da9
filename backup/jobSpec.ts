/**
 * Pure builders of the backup CronJobs: from a validated PolicySpec to Kubernetes objects, so
 * the whole spec can be checked without Pulumi. Values reach the scripts only as environment
 * variables of the contract (core/contract.ts), secrets only through secretKeyRef.
 */
import * as pulumi from "@pulumi/pulumi";
import { COMMON_ENV, Component, KOTS_ENV, MOUNT, POSTGRES_ENV, REDIS_ENV, S3_ENV, SCRIPT } from "../core/contract";
import { JobComponentSpec, PolicySpec } from "./validate";

/** UIDs the images run as: the alpine images' service users, kotsadm's 1001, any for aws-cli. */
export const RUN_AS_USER: Record<Component | "uploader", number> = { postgres: 70, redis: 999, kots: 1001, uploader: 1000 };

/** Labels of every object; the policy pack finds the backup CronJobs by these. */
export const LABELS = {
    partOf: "app.kubernetes.io/part-of",
    component: "app.kubernetes.io/component",
    managedBy: "app.kubernetes.io/managed-by",
    name: "app.kubernetes.io/name",
} as const;
export const PART_OF = "pulumi-gitguardian-backup";

export function labels(spec: PolicySpec, component?: Component): { [k: string]: string } {
    return {
        [LABELS.name]: "gitguardian-backup",
        [LABELS.partOf]: PART_OF,
        [LABELS.managedBy]: "pulumi",
        ...(component ? { [LABELS.component]: `backup-${component}` } : {}),
        "app.kubernetes.io/instance": spec.name,
    };
}

type EnvVar = { name: string; value?: pulumi.Input<string>; valueFrom?: { secretKeyRef: { name: string; key: string } } };

const value = (name: string, v: pulumi.Input<string>): EnvVar => ({ name, value: v });
const secret = (name: string, ref: { name: string; key: string }): EnvVar => ({ name, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } });

/** The secretKeyRefs of the S3 credentials, per credentials mode (none for IRSA or ambient). */
export function s3CredentialEnv(spec: PolicySpec): EnvVar[] {
    const c = spec.credentials;
    const ref =
        c.mode === "iamUser"
            ? { name: spec.names.credentialsSecret, accessKeyIdKey: "AWS_ACCESS_KEY_ID", secretAccessKeyKey: "AWS_SECRET_ACCESS_KEY" }
            : c.secret;
    if (!ref) return [];
    return [
        secret(S3_ENV.accessKeyId.name, { name: ref.name, key: ref.accessKeyIdKey }),
        secret(S3_ENV.secretAccessKey.name, { name: ref.name, key: ref.secretAccessKeyKey }),
    ];
}

/** Env of the S3 steps. */
export function s3Env(spec: PolicySpec, component: Component, bucketName: pulumi.Input<string>): EnvVar[] {
    return [
        value(COMMON_ENV.component.name, component),
        value(COMMON_ENV.stagingDir.name, MOUNT.staging),
        value(S3_ENV.bucket.name, bucketName),
        value(S3_ENV.prefix.name, spec.prefix),
        ...(spec.bucket.endpoint ? [value(S3_ENV.endpoint.name, spec.bucket.endpoint)] : []),
        value(S3_ENV.region.name, spec.bucket.region),
        ...s3CredentialEnv(spec),
        value("HOME", "/tmp"),
    ];
}

/**
 * The libpq connection of a step that talks to PostgreSQL (backup dump, restore apply): host,
 * port, user, and the password only through its Secret.
 */
export function postgresConnectionEnv(c: { host: string; port: number; user: string; passwordSecret: { name: string; key: string } }) {
    return [
        { name: POSTGRES_ENV.host.name, value: c.host },
        { name: POSTGRES_ENV.port.name, value: String(c.port) },
        { name: POSTGRES_ENV.user.name, value: c.user },
        { name: POSTGRES_ENV.password.name, valueFrom: { secretKeyRef: { name: c.passwordSecret.name, key: c.passwordSecret.key } } },
    ];
}

/** Env of a dump step. */
export function dumpEnv(spec: PolicySpec, c: JobComponentSpec): EnvVar[] {
    const common = [
        value(COMMON_ENV.component.name, c.component),
        value(COMMON_ENV.stagingDir.name, MOUNT.staging),
        value(POSTGRES_ENV.compression.name, spec.compression),
        value("HOME", "/tmp"),
    ];
    switch (c.component) {
        case "postgres":
            return [
                ...common,
                ...postgresConnectionEnv(c),
                value(POSTGRES_ENV.format.name, c.format),
                value(POSTGRES_ENV.parallelJobs.name, String(c.parallelJobs)),
            ];
        case "redis":
            return [
                ...common,
                value(REDIS_ENV.host.name, c.host),
                value(REDIS_ENV.port.name, String(c.port)),
                ...(c.user ? [value(REDIS_ENV.user.name, c.user)] : []),
                ...(c.passwordSecret ? [secret(REDIS_ENV.password.name, c.passwordSecret)] : []),
            ];
        case "kots":
            return [
                ...common,
                value(KOTS_ENV.namespace.name, spec.namespace),
                value(KOTS_ENV.appSlug.name, c.appSlug),
                value(KOTS_ENV.secrets.name, c.secrets.join(",")),
                value(KOTS_ENV.kotsBin.name, "/kots"),
            ];
    }
}

/** The restrictive securityContext of every container of the package (backup and restore Jobs). */
export function containerSecurity(uid: number) {
    return {
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: uid,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        privileged: false,
        capabilities: { drop: ["ALL"] },
    };
}

/** The staging volume: a size-limited emptyDir, or an ephemeral PVC when a storage class is given. */
function stagingVolume(spec: PolicySpec) {
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

/** The CronJob of one component (the object passed to k8s.batch.v1.CronJob). */
export function cronJobSpec(spec: PolicySpec, c: JobComponentSpec, bucketName: pulumi.Input<string>) {
    const mounts = [
        { name: "scripts", mountPath: MOUNT.scripts, readOnly: true },
        { name: "staging", mountPath: MOUNT.staging },
        { name: "tmp", mountPath: "/tmp" },
    ];
    const resources = spec.resources;
    return {
        metadata: { name: spec.names.cronJob[c.component], namespace: spec.namespace, labels: labels(spec, c.component) },
        spec: {
            schedule: c.schedule,
            timeZone: spec.timeZone,
            concurrencyPolicy: "Forbid",
            startingDeadlineSeconds: spec.startingDeadlineSeconds,
            successfulJobsHistoryLimit: spec.successfulJobsHistoryLimit,
            failedJobsHistoryLimit: spec.failedJobsHistoryLimit,
            suspend: false,
            jobTemplate: {
                metadata: { labels: labels(spec, c.component) },
                spec: {
                    backoffLimit: spec.backoffLimit,
                    activeDeadlineSeconds: spec.activeDeadlineSeconds,
                    ttlSecondsAfterFinished: spec.ttlSecondsAfterFinished,
                    template: {
                        metadata: { labels: labels(spec, c.component) },
                        spec: {
                            serviceAccountName: spec.names.serviceAccount,
                            // Only kots talks to the API server; the others get no token.
                            automountServiceAccountToken: c.component === "kots",
                            restartPolicy: "Never",
                            securityContext: { runAsNonRoot: true, fsGroup: RUN_AS_USER.uploader, seccompProfile: { type: "RuntimeDefault" } },
                            nodeSelector: Object.keys(spec.nodeSelector).length ? spec.nodeSelector : undefined,
                            tolerations: spec.tolerations.length ? spec.tolerations : undefined,
                            // Dump and upload run side by side: the dump streams each artifact
                            // to the upload over FIFOs on the staging volume (jobs/lib.sh), so
                            // the upload ends seconds after the dump. The dump comes first: the
                            // kubelet starts containers in order, and it connects at once.
                            containers: [
                                {
                                    name: `dump-${c.component}`,
                                    image: c.image,
                                    command: ["sh", `${MOUNT.scripts}/${SCRIPT.dump[c.component]}`],
                                    env: dumpEnv(spec, c),
                                    volumeMounts: mounts,
                                    resources,
                                    securityContext: containerSecurity(RUN_AS_USER[c.component]),
                                },
                                {
                                    name: "upload",
                                    image: spec.uploaderImage,
                                    command: ["sh", `${MOUNT.scripts}/${SCRIPT.upload}`],
                                    env: s3Env(spec, c.component, bucketName),
                                    volumeMounts: mounts,
                                    resources,
                                    securityContext: containerSecurity(RUN_AS_USER.uploader),
                                },
                            ],
                            volumes: [
                                { name: "scripts", configMap: { name: spec.names.scripts, defaultMode: 0o444 } },
                                stagingVolume(spec),
                                { name: "tmp", emptyDir: { sizeLimit: "256Mi" } },
                            ],
                        },
                    },
                },
            },
        },
    };
}

/**
 * The Role of the job ServiceAccount: only what `kots download` and the Secret export need
 * (find the kotsadm pod, port-forward to it, read its auth string and the key Secrets).
 * Without the kots job the ServiceAccount needs no Kubernetes permission at all.
 */
export function roleRules(spec: PolicySpec) {
    const kots = spec.components.find((c) => c.component === "kots");
    if (!kots || kots.component !== "kots") return [];
    return [
        { apiGroups: [""], resources: ["pods"], verbs: ["get", "list"] },
        { apiGroups: [""], resources: ["pods/portforward"], verbs: ["create"] },
        { apiGroups: [""], resources: ["secrets"], verbs: ["get"], resourceNames: ["kotsadm-authstring", ...kots.secrets] },
    ];
}
