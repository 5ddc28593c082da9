/**
 * Pure builders of the restore Jobs: an init container (aws-cli image) runs restore-fetch.sh,
 * which downloads the set into the staging volume and verifies every artifact against the
 * manifest; the main container, described by the part (sources/<part>/restore.ts), applies it.
 * Values reach the scripts only through the contract's variables, secrets only through
 * secretKeyRef.
 */
import type { V1EnvVar, V1Job, V1Volume, V1VolumeMount } from "@kubernetes/client-node";
import { createHash } from "node:crypto";
import { COMMON_ENV, MOUNT, S3_ENV, SCRIPT } from "../core/contract";
import { containerSecurity, envSecret, envValue, LABELS, PART_OF, scriptCommand, scriptMounts, TMP_VOLUME, UPLOADER_UID } from "../core/pod";
import type { RestoreSpec } from "./validate";
import { decryptEnv, decryptMounts, identityVolume, toolCopyContainer, TOOLS_VOLUME } from "../encryption/pod";

/** Fixed object names in the namespace (the RBAC rules name them). */
export const RESTORE_NAMES = {
    scripts: "gitguardian-restore-scripts",
    progress: "gitguardian-restore-progress",
} as const;


/** A label value (63 characters of [A-Za-z0-9-_.], alphanumeric ends) standing for `text`. */
export function labelValue(text: string): string {
    const clean = text.replace(/[^A-Za-z0-9._-]/g, "-").replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
    if (clean.length <= 63 && clean === text) return clean;
    const hash = createHash("sha256").update(text).digest("hex").slice(0, 8);
    return `${clean.slice(0, 54).replace(/[^A-Za-z0-9]+$/, "")}-${hash}`;
}

export function restoreLabels(spec: RestoreSpec, component?: string): { [k: string]: string } {
    return {
        [LABELS.name]: "gitguardian-restore",
        [LABELS.partOf]: PART_OF,
        [LABELS.managedBy]: "pulumi",
        [LABELS.restore]: labelValue(spec.name),
        ...(component ? { [LABELS.component]: `restore-${component}` } : {}),
    };
}

/**
 * The Job of one part's restore in one run: its name carries the part, the set and the run, so a
 * resumed run finds its own Job again (and does not run a finished one twice), while a new run
 * (a changed backupId or trigger, a re-created resource) never adopts a Job of an earlier run,
 * even one that succeeded within the Jobs' TTL.
 */
export function restoreJobName(spec: RestoreSpec, component: string, backupId: string, runId: string): string {
    const hash = createHash("sha256").update(`${spec.namespace}/${spec.name}/${runId}`).digest("hex").slice(0, 8);
    return `${`ggb-restore-${component}-${backupId.toLowerCase()}`.slice(0, 63 - 9)}-${hash}`;
}

/** The apply container of a part's restore Job: its image, user, script and env, and any volume it adds. */
export interface ApplyContainer {
    image: string;
    runAsUser: number;
    /** The part's apply script (a file of the scripts ConfigMap). */
    script: string;
    env: V1EnvVar[];
    /** Volumes beyond scripts, staging and /tmp (the Redis data PVC), with their mounts in this container. */
    volumes?: { volume: V1Volume; mountPath: string }[];
}

/** Env of the fetch step. */
export function fetchEnv(spec: RestoreSpec, component: string, backupId: string): V1EnvVar[] {
    const s = spec.storage;
    return [
        envValue(COMMON_ENV.component.name, component),
        envValue(COMMON_ENV.stagingDir.name, MOUNT.staging),
        envValue(COMMON_ENV.backupId.name, backupId),
        envValue(S3_ENV.bucket.name, s.bucket),
        envValue(S3_ENV.prefix.name, s.prefix),
        ...(s.endpoint ? [envValue(S3_ENV.endpoint.name, s.endpoint)] : []),
        envValue(S3_ENV.region.name, s.region),
        ...(s.credentialsSecret
            ? [
                  envSecret(S3_ENV.accessKeyId.name, { name: s.credentialsSecret.name, key: s.credentialsSecret.accessKeyIdKey }),
                  envSecret(S3_ENV.secretAccessKey.name, { name: s.credentialsSecret.name, key: s.credentialsSecret.secretAccessKeyKey }),
              ]
            : []),
        envValue("HOME", "/tmp"),
    ];
}

/** The env every apply container starts with. */
export function applyBaseEnv(): V1EnvVar[] {
    return [envValue(COMMON_ENV.stagingDir.name, MOUNT.staging), envValue("HOME", "/tmp")];
}

/**
 * The restore Job of one part for the set `backupId`: an init container (the aws-cli image) runs
 * restore-fetch.sh, which downloads the set and verifies every artifact before anything is
 * touched; then the part's apply container runs its script.
 */
export function restoreJob(spec: RestoreSpec, component: string, backupId: string, runId: string, apply: ApplyContainer): V1Job {
    const labels = { ...restoreLabels(spec, component), [LABELS.restoreRun]: labelValue(runId) };
    const mounts: V1VolumeMount[] = scriptMounts();
    const extra = apply.volumes ?? [];
    const volumes: V1Volume[] = [
        { name: "scripts", configMap: { name: RESTORE_NAMES.scripts, defaultMode: 0o444 } },
        { name: "staging", emptyDir: { sizeLimit: spec.stagingSize } },
        { ...TMP_VOLUME },
        ...extra.map((e) => e.volume),
    ];
    const resources = { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "2", memory: "1Gi" } };
    // Encrypted sets are decrypted by the fetch step, age copied from the tool image before it;
    // the identity's Secret is mounted in the fetch container alone (the plan step checked both).
    const d = spec.decryption;
    const decrypts = d?.identitySecret && d.toolImage ? { identitySecret: d.identitySecret, toolImage: d.toolImage, agePath: d.agePath } : undefined;
    if (decrypts) volumes.push({ ...TOOLS_VOLUME }, identityVolume(decrypts.identitySecret));
    return {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: { name: restoreJobName(spec, component, backupId, runId), namespace: spec.namespace, labels },
        spec: {
            // A restore is not retried by Kubernetes: a half-applied target needs a person.
            backoffLimit: 0,
            activeDeadlineSeconds: spec.jobTimeoutSeconds,
            ttlSecondsAfterFinished: 7 * 86_400,
            template: {
                metadata: { labels },
                spec: {
                    restartPolicy: "Never",
                    // The identity that reaches the bucket when there are no static keys (IRSA).
                    ...(spec.storage.serviceAccountName ? { serviceAccountName: spec.storage.serviceAccountName } : {}),
                    // The scripts never talk to the API server.
                    automountServiceAccountToken: false,
                    enableServiceLinks: false,
                    securityContext: { runAsNonRoot: true, fsGroup: apply.runAsUser, seccompProfile: { type: "RuntimeDefault" } },
                    initContainers: [
                        ...(decrypts ? [toolCopyContainer(decrypts)] : []),
                        {
                            name: "fetch",
                            image: spec.fetchImage,
                            command: scriptCommand(SCRIPT.fetch),
                            env: [...fetchEnv(spec, component, backupId), ...(decrypts ? decryptEnv() : [])],
                            volumeMounts: decrypts ? [...mounts, ...decryptMounts()] : mounts,
                            resources,
                            securityContext: containerSecurity(UPLOADER_UID),
                            // The script's last stderr line (its one-line reason) becomes the termination message.
                            terminationMessagePolicy: "FallbackToLogsOnError",
                        },
                    ],
                    containers: [
                        {
                            name: `restore-${component}`,
                            image: apply.image,
                            command: scriptCommand(apply.script),
                            env: apply.env,
                            volumeMounts: [...mounts, ...extra.map((e) => ({ name: e.volume.name, mountPath: e.mountPath }))],
                            resources,
                            securityContext: containerSecurity(apply.runAsUser),
                            terminationMessagePolicy: "FallbackToLogsOnError",
                        },
                    ],
                    volumes,
                },
            },
        },
    };
}
