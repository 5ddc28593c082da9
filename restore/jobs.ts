/**
 * Pure builders of the restore Jobs: an init container (aws-cli image) runs restore-fetch.sh,
 * which downloads the set into the staging volume and verifies every artifact against the
 * manifest; the main container applies it (restore-postgres.sh in the postgres image,
 * restore-redis.sh with the Redis data PVC mounted). Values reach the scripts only through the
 * contract's variables (core/contract.ts), secrets only through secretKeyRef.
 */
import type { V1EnvVar, V1Job, V1Volume, V1VolumeMount } from "@kubernetes/client-node";
import { containerSecurity, postgresConnectionEnv, RUN_AS_USER } from "../backup/jobSpec";
import { createHash } from "node:crypto";
import { COMMON_ENV, Component, MOUNT, POSTGRES_ENV, RESTORE_ENV, S3_ENV, SCRIPT } from "../core/contract";
import { PART_OF } from "../backup/jobSpec";
import { RestoreSpec } from "./validate";

/** Fixed object names in the namespace (the RBAC rules name them). */
export const RESTORE_NAMES = {
    scripts: "gitguardian-restore-scripts",
    progress: "gitguardian-restore-progress",
} as const;

/** Where the Redis data PVC is mounted in the apply container. */
export const REDIS_DATA_MOUNT = "/data";

export const RESTORE_LABELS = {
    name: "app.kubernetes.io/name",
    partOf: "app.kubernetes.io/part-of",
    managedBy: "app.kubernetes.io/managed-by",
    component: "app.kubernetes.io/component",
    restore: "gitguardian-backup.io/restore",
} as const;

/** A label value (63 characters of [A-Za-z0-9-_.], alphanumeric ends) standing for `text`. */
export function labelValue(text: string): string {
    const clean = text.replace(/[^A-Za-z0-9._-]/g, "-").replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
    if (clean.length <= 63 && clean === text) return clean;
    const hash = createHash("sha256").update(text).digest("hex").slice(0, 8);
    return `${clean.slice(0, 54).replace(/[^A-Za-z0-9]+$/, "")}-${hash}`;
}

export function restoreLabels(spec: RestoreSpec, component?: Component): { [k: string]: string } {
    return {
        [RESTORE_LABELS.name]: "gitguardian-restore",
        [RESTORE_LABELS.partOf]: PART_OF,
        [RESTORE_LABELS.managedBy]: "pulumi",
        [RESTORE_LABELS.restore]: labelValue(spec.name),
        ...(component ? { [RESTORE_LABELS.component]: `restore-${component}` } : {}),
    };
}

/** The Job of one component's restore: one name per restore, component and set, so a re-run finds it. */
export function restoreJobName(spec: RestoreSpec, component: Component, backupId: string): string {
    const hash = createHash("sha256").update(`${spec.namespace}/${spec.name}`).digest("hex").slice(0, 6);
    return `ggb-restore-${component}-${backupId.toLowerCase()}-${hash}`;
}

/** UIDs of the images, as for the backup Jobs: the postgres image's `postgres` (70), any for aws-cli. */
const FETCH_UID = RUN_AS_USER.uploader;
const POSTGRES_UID = RUN_AS_USER.postgres;

const value = (name: string, v: string): V1EnvVar => ({ name, value: v });
const secretRef = (name: string, ref: { name: string; key: string }): V1EnvVar => ({ name, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } });

/** Env of the fetch step. */
export function fetchEnv(spec: RestoreSpec, component: Component, backupId: string): V1EnvVar[] {
    const s = spec.storage;
    return [
        value(COMMON_ENV.component.name, component),
        value(COMMON_ENV.stagingDir.name, MOUNT.staging),
        value(COMMON_ENV.backupId.name, backupId),
        value(S3_ENV.bucket.name, s.bucket),
        value(S3_ENV.prefix.name, s.prefix),
        ...(s.endpoint ? [value(S3_ENV.endpoint.name, s.endpoint)] : []),
        value(S3_ENV.region.name, s.region),
        ...(s.credentialsSecret
            ? [
                  secretRef(S3_ENV.accessKeyId.name, { name: s.credentialsSecret.name, key: s.credentialsSecret.accessKeyIdKey }),
                  secretRef(S3_ENV.secretAccessKey.name, { name: s.credentialsSecret.name, key: s.credentialsSecret.secretAccessKeyKey }),
              ]
            : []),
        value("HOME", "/tmp"),
    ];
}

/** Env of the apply step of a component. */
export function applyEnv(spec: RestoreSpec, component: "postgres" | "redis"): V1EnvVar[] {
    const common = [value(COMMON_ENV.stagingDir.name, MOUNT.staging), value("HOME", "/tmp")];
    if (component === "postgres") {
        const p = spec.postgres!;
        return [
            ...common,
            ...postgresConnectionEnv(p),
            value(RESTORE_ENV.overwrite.name, p.overwrite ? "true" : "false"),
            value(POSTGRES_ENV.parallelJobs.name, String(p.parallelJobs)),
        ];
    }
    const r = spec.redis!;
    return [
        ...common,
        value(RESTORE_ENV.redisDataDir.name, REDIS_DATA_MOUNT),
        ...(r.rdbName ? [value(RESTORE_ENV.redisRdbName.name, r.rdbName)] : []),
        ...(r.aofDir ? [value(RESTORE_ENV.redisAofDir.name, r.aofDir)] : []),
    ];
}

/**
 * The restore Job of `component` for the set `backupId`. For redis, `dataClaim` is the
 * StatefulSet's ordinal-0 PVC, mounted while the StatefulSet is scaled to zero.
 */
export function restoreJob(spec: RestoreSpec, component: "postgres" | "redis", backupId: string, dataClaim?: string): V1Job {
    const labels = restoreLabels(spec, component);
    const mounts: V1VolumeMount[] = [
        { name: "scripts", mountPath: MOUNT.scripts, readOnly: true },
        { name: "staging", mountPath: MOUNT.staging },
        { name: "tmp", mountPath: "/tmp" },
    ];
    const volumes: V1Volume[] = [
        { name: "scripts", configMap: { name: RESTORE_NAMES.scripts, defaultMode: 0o444 } },
        { name: "staging", emptyDir: { sizeLimit: spec.stagingSize } },
        { name: "tmp", emptyDir: { sizeLimit: "256Mi" } },
    ];
    let applyUid = POSTGRES_UID;
    let applyMounts = mounts;
    let image = spec.postgres?.image ?? "";
    if (component === "redis") {
        if (!dataClaim) throw new Error("restoreJob(redis): the data PVC is required");
        applyUid = spec.redis!.runAsUser;
        image = spec.redis!.image;
        applyMounts = [...mounts, { name: "data", mountPath: REDIS_DATA_MOUNT }];
        volumes.push({ name: "data", persistentVolumeClaim: { claimName: dataClaim } });
    }
    const resources = { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "2", memory: "1Gi" } };
    return {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: { name: restoreJobName(spec, component, backupId), namespace: spec.namespace, labels },
        spec: {
            // A restore is not retried by Kubernetes: a half-applied target needs a person.
            backoffLimit: 0,
            activeDeadlineSeconds: spec.jobTimeoutSeconds,
            ttlSecondsAfterFinished: 7 * 86_400,
            template: {
                metadata: { labels },
                spec: {
                    restartPolicy: "Never",
                    // The scripts never talk to the API server.
                    automountServiceAccountToken: false,
                    enableServiceLinks: false,
                    securityContext: { runAsNonRoot: true, fsGroup: applyUid, seccompProfile: { type: "RuntimeDefault" } },
                    initContainers: [
                        {
                            name: "fetch",
                            image: spec.fetchImage,
                            command: ["sh", `${MOUNT.scripts}/${SCRIPT.fetch}`],
                            env: fetchEnv(spec, component, backupId),
                            volumeMounts: mounts,
                            resources,
                            securityContext: containerSecurity(FETCH_UID),
                            // The script's last stderr line (its one-line reason) becomes the termination message.
                            terminationMessagePolicy: "FallbackToLogsOnError",
                        },
                    ],
                    containers: [
                        {
                            name: `restore-${component}`,
                            image,
                            command: ["sh", `${MOUNT.scripts}/${component === "postgres" ? SCRIPT.restorePostgres : SCRIPT.restoreRedis}`],
                            env: applyEnv(spec, component),
                            volumeMounts: applyMounts,
                            resources,
                            securityContext: containerSecurity(applyUid),
                            terminationMessagePolicy: "FallbackToLogsOnError",
                        },
                    ],
                    volumes,
                },
            },
        },
    };
}
