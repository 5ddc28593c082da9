/**
 * What the restore steps need from the cluster, as one small interface. The Kubernetes executor
 * (kubernetes.ts) does it with the API server; the tests' local executor runs the same Job specs'
 * scripts on the machine against local servers. Steps never talk to Kubernetes otherwise.
 */
import type { V1Job, V1Secret } from "@kubernetes/client-node";

/** The data of a Secret as the API gives it back (base64 values), its stringData folded in. */
export function secretData(secret: V1Secret): { [key: string]: string } {
    const data: { [key: string]: string } = { ...(secret.data ?? {}) };
    for (const [k, v] of Object.entries(secret.stringData ?? {})) data[k] = Buffer.from(v).toString("base64");
    return data;
}

/** Whether two Secrets' data (as secretData and readSecretData give it) hold the same keys and values. */
export function sameSecretData(a: { [key: string]: string }, b: { [key: string]: string }): boolean {
    const keys = Object.keys(a).sort();
    return keys.join("\0") === Object.keys(b).sort().join("\0") && keys.every((k) => a[k] === b[k]);
}

/** A finished restore Job. */
export interface JobOutcome {
    name: string;
    /** Wall time from creation (or adoption) to completion. */
    durationMs: number;
    /** True when a Job of that name had already succeeded (a resumed run) and was not run again. */
    alreadySucceeded: boolean;
}

/** A Job that failed: its reason and the failing container's message, for the step's error. */
export class JobFailedError extends Error {
    constructor(
        readonly job: string,
        readonly reason: string,
        readonly detail: string,
    ) {
        super(`Job ${job} failed (${reason})${detail ? `: ${detail}` : ""}`);
        this.name = "JobFailedError";
    }
}

/** A wait that ran out of time, with what was seen last. */
export class TimeoutError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "TimeoutError";
    }
}

export interface StatefulSetInfo {
    name: string;
    /** spec.replicas (1 when unset). */
    replicas: number;
    readyReplicas: number;
    /** Names of spec.volumeClaimTemplates. */
    volumeClaimTemplates: string[];
}

/** The progress of one restore run, kept in the namespace so a re-run resumes. */
export interface ProgressRecord {
    runId: string;
    /** The resolved ids the run restores, per component; a run is resumed only for the same ids. */
    backupIds: { [component: string]: string };
    /** sha256 checksums the plan step compared, per component. */
    checksums?: { [component: string]: number };
    /** Completed steps and what they reported. */
    steps: { [step: string]: { completedAt: string; durationMs: number; bytes: number; detail: string } };
    /** Values a step must remember across a failure (the StatefulSet's replica count). */
    memo: { [key: string]: string | number };
    /** Set when every step is done. */
    completedAt?: string;
}

export interface Progress {
    (message: string): void;
}

/** One permission, as a SelfSubjectAccessReview asks it (no namespace: cluster-wide). */
export interface AccessCheck {
    namespace?: string;
    verb: string;
    group: string;
    resource: string;
    subresource?: string;
    name?: string;
}

export interface RestoreExecutor {
    /** The checks the identity is not allowed (SelfSubjectAccessReview), in the order given. */
    deniedAccess(checks: readonly AccessCheck[]): Promise<AccessCheck[]>;
    /** "kubernetes" or "local". */
    readonly kind: string;
    /** A value of a Secret in the namespace (undefined when the Secret or key is missing). */
    readSecretKey(namespace: string, name: string, key: string): Promise<string | undefined>;
    /** The data of a Secret, values base64 as the API gives them (undefined when it is missing). */
    readSecretData(namespace: string, name: string): Promise<{ [key: string]: string } | undefined>;
    /** Creates or replaces a Secret (server-side apply). */
    applySecret(namespace: string, secret: V1Secret): Promise<void>;
    /** Creates a Secret that must not exist yet (a copy kept aside: `create` is all the Role allows for new names). */
    createSecret(namespace: string, secret: V1Secret): Promise<void>;
    /** Creates or updates the ConfigMap holding jobs/*.sh. */
    applyScripts(namespace: string, name: string, data: { [file: string]: string }): Promise<void>;
    /**
     * Runs a Job to completion: creates it (or adopts a running one of that name, or reports one
     * that already succeeded; a failed one is deleted and created again) and waits. Throws
     * JobFailedError with the Job's reason and the failing container's message, or TimeoutError.
     */
    runJob(job: V1Job, opts: { timeoutMs: number; progress: Progress }): Promise<JobOutcome>;
    /**
     * Waits until nothing of the Job can still touch its volumes: the Job finished (or is gone)
     * and none of its pods is left but Succeeded or Failed ones. Throws TimeoutError naming what
     * still runs, or the API's last error when it kept failing until the timeout.
     */
    waitForJobEnded(namespace: string, name: string, opts: { timeoutMs: number; progress: Progress }): Promise<void>;
    /** The CronJobs with these labels, and whether each is suspended. */
    listCronJobs(namespace: string, labels: { [key: string]: string }): Promise<{ name: string; suspended: boolean }[]>;
    /** Sets spec.suspend of a CronJob. */
    suspendCronJob(namespace: string, name: string, suspend: boolean): Promise<void>;
    getStatefulSet(namespace: string, name: string): Promise<StatefulSetInfo>;
    /** Sets spec.replicas (through the scale subresource). */
    scaleStatefulSet(namespace: string, name: string, replicas: number): Promise<void>;
    /** Waits until no pod of the StatefulSet is left. */
    waitForStatefulSetPodsGone(namespace: string, name: string, opts: { timeoutMs: number; progress: Progress }): Promise<void>;
    /** Waits until `replicas` pods of the StatefulSet are ready. */
    waitForStatefulSetReady(namespace: string, name: string, replicas: number, opts: { timeoutMs: number; progress: Progress }): Promise<void>;
    /** True when the PersistentVolumeClaim exists. */
    hasPersistentVolumeClaim(namespace: string, name: string): Promise<boolean>;
    readProgress(namespace: string, key: string): Promise<ProgressRecord | undefined>;
    writeProgress(namespace: string, key: string, record: ProgressRecord): Promise<void>;
}
