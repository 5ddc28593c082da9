/**
 * Pod scaffolding shared by the backup CronJobs and the restore Jobs: the labels every object of
 * the package carries, the container securityContext, env entries, volume mounts and RBAC rule
 * shape. Backup and restore build their pods from these, so neither imports the other.
 */
import { MOUNT } from "./contract";

/** Labels of every object; the policy pack finds the backup CronJobs by these. */
export const LABELS = {
    partOf: "app.kubernetes.io/part-of",
    component: "app.kubernetes.io/component",
    managedBy: "app.kubernetes.io/managed-by",
    name: "app.kubernetes.io/name",
    instance: "app.kubernetes.io/instance",
    /** The restore a restore Job belongs to. */
    restore: "gitguardian-backup.io/restore",
    /** The run of that restore the Job belongs to. */
    restoreRun: "gitguardian-backup.io/restore-run",
} as const;
export const PART_OF = "pulumi-gitguardian-backup";
/** `app.kubernetes.io/name` of the backup CronJobs (a restore finds them by it to suspend them). */
export const BACKUP_APP_NAME = "gitguardian-backup";

/** `app.kubernetes.io/component` of the retention job (not `backup-<part>`: it backs nothing up; the pack reads it). */
export const PRUNE_COMPONENT = "retention";

/** `app.kubernetes.io/component` of a part's backup CronJob: `backup-<part>` (the policy pack reads it). */
export function backupComponentLabel(part: string): string {
    return `backup-${part}`;
}
/** The part named by a backup component label, or undefined. */
export function partOfComponentLabel(label: unknown): string | undefined {
    const m = /^backup-([a-z][a-z0-9-]*)$/.exec(String(label ?? ""));
    return m ? m[1] : undefined;
}

/** An env entry: a value, or a key of a Secret (the only way a secret reaches a container). */
export interface EnvVar<V = string> {
    name: string;
    value?: V;
    valueFrom?: { secretKeyRef: { name: string; key: string } };
}

export function envValue<V>(name: string, value: V): EnvVar<V> {
    return { name, value };
}

export function envSecret(name: string, ref: { name: string; key: string }): EnvVar<never> {
    return { name, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } };
}

/** A Kubernetes RBAC rule. */
export interface PolicyRule {
    apiGroups: string[];
    resources: string[];
    verbs: string[];
    resourceNames?: string[];
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

/** UID of the upload and fetch containers (the aws-cli image runs as any user). */
export const UPLOADER_UID = 1000;

/** The mounts of every container that runs the scripts: the scripts, the staging volume, /tmp. */
export function scriptMounts(): { name: string; mountPath: string; readOnly?: boolean }[] {
    return [
        { name: "scripts", mountPath: MOUNT.scripts, readOnly: true },
        { name: "staging", mountPath: MOUNT.staging },
        { name: "tmp", mountPath: "/tmp" },
    ];
}

/** The command of a container that runs one of the scripts. */
export function scriptCommand(script: string): string[] {
    return ["sh", `${MOUNT.scripts}/${script}`];
}

/** The writable /tmp of a container with a read-only root filesystem. */
export const TMP_VOLUME = { name: "tmp", emptyDir: { sizeLimit: "256Mi" } } as const;

/**
 * The API token of a pod that talks to the API server, as one container's volume rather than
 * the pod-wide automount: the ServiceAccount admission would mount it into every container
 * (the upload step included), so the pod sets automountServiceAccountToken: false and mounts
 * this, the same three sources the kubelet projects, only where kots and kubectl run. Their
 * in-cluster config reads it from API_TOKEN_MOUNT.mountPath.
 */
export const API_TOKEN_VOLUME: { name: string; projected: { defaultMode: number; sources: object[] } } = {
    name: "kube-api-access",
    projected: {
        defaultMode: 0o444,
        sources: [
            // The kubelet refreshes a projected token at 80% of its life: an hour covers any run.
            { serviceAccountToken: { path: "token", expirationSeconds: 3600 } },
            { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
            { downwardAPI: { items: [{ path: "namespace", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } }] } },
        ],
    },
};
export const API_TOKEN_MOUNT = { name: API_TOKEN_VOLUME.name, mountPath: "/var/run/secrets/kubernetes.io/serviceaccount", readOnly: true } as const;
