/**
 * Validation and defaults of GitGuardianBackupPolicyArgs, run at construction before any
 * resource is registered, so `pulumi preview` fails fast. Every error names the argument, the
 * bad value and what is allowed. The result is a plain, fully defaulted PolicySpec that the
 * pure spec builders (jobSpec.ts, rbac.ts) turn into Kubernetes objects.
 */
import { createHash } from "node:crypto";
import type { PartBackupSpec } from "../sources/part";
import { backupParts, partNamed, partNames } from "../sources/registry";
import { SHARED_DEFAULTS } from "../core/defaults";
import { isTimeZone, SCHEDULE_ALLOWED, scheduleProblem } from "../core/schedule";
import { andList, FieldRules, PATTERNS, plainHttpWarning, quantityBytes } from "../core/fields";
import { DrillSpec, resolveDrill } from "../drill/validate";
import { EncryptionSpec, resolveEncryption } from "../encryption/validate";
import { AlertsSpec, resolveAlerts } from "../alerts/validate";
import {
    BucketCredentials,
    CompressionAlgorithm,
    GitGuardianBackupPolicyArgs,
    ObjectLockMode,
    Toleration,
} from "./args";

export const DEFAULTS = {
    ...SHARED_DEFAULTS,
    timeZone: "Etc/UTC",
    backoffLimit: 2,
    startingDeadlineSeconds: 3_600,
    ttlSecondsAfterFinished: 86_400,
    historyLimit: 3,
    // 2Gi, not 1Gi: the upload container holds up to UPLOAD_PARTS_IN_MEMORY parts of the default size.
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "2", memory: "2Gi" } },
    /** 128 MiB parts: one artifact can reach 10,000 x 128 MiB = 1.22 TiB. */
    uploadPartSizeMiB: 128,
    /** The newest three complete sets of each part outlive the retention. */
    keepLast: 3,
} as const;

/** S3's most parts in one multipart upload: the part size times this is an artifact's ceiling. */
export const S3_MAX_PARTS = 10_000;
/**
 * Parts the aws CLI holds in memory while it streams one upload (s3transfer reads up to 10 ahead
 * of the requests and the CLI cannot change that; measured here: 64 MiB parts of a 1.5 GiB
 * stream peaked at 534 MB RSS), plus the one being read.
 */
export const UPLOAD_PARTS_IN_MEMORY = 11;
/** The aws CLI itself (Python and its modules), MiB. */
const UPLOADER_BASE_MIB = 256;


/** Kubernetes' limit on CronJob names (Job names get an 11-character suffix). */
const CRONJOB_NAME_MAX = 52;

/** The CronJob of a part's backup: `<policy name>-backup-<part>`. */
export function cronJobName(policy: string, part: string): string {
    return `${policy}-backup-${part}`;
}

export { ArgumentError } from "../core/fields";

/** Resolved credentials of the jobs. */
export interface CredentialsSpec {
    mode: "irsa" | "iamUser" | "existingSecret" | "ambient";
    secret?: { name: string; accessKeyIdKey: string; secretAccessKeyKey: string };
}

/** A part's validated backup section (its descriptor's backup.resolve made it). */
export type JobComponentSpec = PartBackupSpec;

/** Everything the resources are built from, validated and defaulted. */
export interface PolicySpec {
    name: string;
    namespace: string;
    timeZone: string;
    retentionDays: number;
    keepLast: number;
    /** The policy's schedule (each part may have its own); the retention job runs on it. */
    schedule: string;
    prefix: string;
    storageMode: "createBucket" | "existingBucket";
    bucket: { name?: string; endpoint?: string; region: string; forceDestroy: boolean };
    objectLock?: { mode: ObjectLockMode; days: number };
    credentials: CredentialsSpec;
    components: JobComponentSpec[];
    /** The restore drill, when one is declared. */
    drill?: DrillSpec;
    /** Client-side encryption of the artifacts, when declared. */
    encryption?: EncryptionSpec;
    /** The alert rules, when declared. */
    alerts?: AlertsSpec;
    /** The backups `pulumi up` runs when the triggers change: the parts, and a hash of the triggers. */
    backupOnChange?: { parts: string[]; triggersHash: string };
    compression: CompressionAlgorithm;
    uploaderImage: string;
    staging: { size: string; storageClassName?: string };
    activeDeadlineSeconds: number;
    backoffLimit: number;
    startingDeadlineSeconds: number;
    ttlSecondsAfterFinished: number;
    successfulJobsHistoryLimit: number;
    failedJobsHistoryLimit: number;
    resources: { requests: { [k: string]: string }; limits: { [k: string]: string } };
    /** Part size of the streamed uploads, MiB. */
    uploadPartSizeMiB: number;
    /** What is allowed but unsafe, said at every preview. */
    warnings: string[];
    nodeSelector: { [k: string]: string };
    tolerations: Toleration[];
    serviceAccountAnnotations: { [k: string]: string };
    /** Object names, fixed so that operators and the restore find them. */
    names: {
        /** The backup jobs' ServiceAccount: no Kubernetes rights, no token. */
        serviceAccount: string;
        /**
         * The ServiceAccount (and its Role and RoleBinding, same name) of each part whose job talks
         * to the API server (kots): `<name>-backup-<part>`. Only that part's pods run as it.
         */
        partServiceAccount: { [part: string]: string };
        scripts: string;
        /** The backup jobs' generated key (createIamUser). */
        credentialsSecret: string;
        /** The restore's read-only identity: its generated key (createIamUser) or its ServiceAccount (IRSA). */
        restoreCredentialsSecret: string;
        restoreServiceAccount: string;
        /** The retention job (createBucket): its CronJob, and its list-and-delete identity's ServiceAccount (IRSA) or key Secret. */
        pruneCronJob: string;
        pruneServiceAccount: string;
        pruneCredentialsSecret: string;
        /** The restore drill: its CronJob, and its identity's ServiceAccount (IRSA) or key Secret (createIamUser). */
        drillCronJob: string;
        drillServiceAccount: string;
        drillCredentialsSecret: string;
        /** The PrometheusRule of the alerts. */
        alertRules: string;
        cronJob: { [part: string]: string };
    };
}

/** Validates the args of the component named `name`; returns the defaulted spec or throws ArgumentError. */
export function resolvePolicy(name: string, args: GitGuardianBackupPolicyArgs): PolicySpec {
    const f = new FieldRules(`GitGuardianBackupPolicy "${name}"`);
    const bad = f.bad.bind(f);
    const int = f.int.bind(f);
    const oneOf = f.oneOf.bind(f);
    const image = f.image.bind(f);

    if (!args || typeof args !== "object") bad("args", args, "allowed: an object with namespace, schedule, retentionDays, storage");
    const namespace = f.namespace("namespace", args.namespace);

    const timeZone = args.timeZone ?? DEFAULTS.timeZone;
    if (typeof timeZone !== "string" || !isTimeZone(timeZone)) bad("timeZone", timeZone, "allowed: an IANA time zone such as Europe/Paris or Etc/UTC");
    const schedule = (argument: string, value: unknown): string => {
        if (typeof value !== "string") bad(argument, value, SCHEDULE_ALLOWED);
        const problem = scheduleProblem(value as string, timeZone);
        if (problem) bad(argument, value, `${problem}; ${SCHEDULE_ALLOWED}`);
        return (value as string).trim();
    };
    if (args.schedule === undefined) bad("schedule", args.schedule, `a schedule is required (there is no default); ${SCHEDULE_ALLOWED}`);
    const defaultSchedule = schedule("schedule", args.schedule);
    const retentionDays = int("retentionDays", args.retentionDays ?? null, 0, 1, 36_500);
    const keepLast = f.ruleInt("keepLast", args.keepLast, "keepLast", DEFAULTS.keepLast);

    // Storage: exactly one of createBucket and existingBucket.
    const storage = args.storage;
    if (!storage || typeof storage !== "object") bad("storage", storage, "allowed: { createBucket: {...} } or { existingBucket: {...} }");
    const prefix = f.prefix("storage.prefix", storage.prefix ?? DEFAULTS.prefix);
    if ((storage.createBucket === undefined) === (storage.existingBucket === undefined)) {
        bad("storage", Object.keys(storage), "set exactly one of storage.createBucket and storage.existingBucket");
    }
    let storageMode: PolicySpec["storageMode"];
    let bucket: PolicySpec["bucket"];
    let objectLock: PolicySpec["objectLock"];
    let credentials: CredentialsSpec;
    if (storage.createBucket) {
        const cb = storage.createBucket;
        storageMode = "createBucket";
        const region = f.text("storage.createBucket.region", cb.region, PATTERNS.awsRegion, "allowed: an AWS region such as eu-west-1");
        const bucketName = cb.bucketName === undefined ? undefined : f.bucket("storage.createBucket.bucketName", cb.bucketName);
        bucket = { name: bucketName, region, forceDestroy: cb.forceDestroy ?? false };
        if (cb.objectLock !== undefined) {
            objectLock = {
                mode: oneOf("storage.createBucket.objectLock.mode", cb.objectLock.mode, ObjectLockMode),
                days: int("storage.createBucket.objectLock.days", cb.objectLock.days ?? null, 0, 1, retentionDays),
            };
        }
        credentials = resolveBucketCredentials(cb.credentials, f);
    } else {
        const eb = storage.existingBucket!;
        storageMode = "existingBucket";
        const bucketName = f.bucket("storage.existingBucket.name", eb.name);
        const endpoint = eb.endpoint === undefined ? undefined : f.endpoint("storage.existingBucket.endpoint", eb.endpoint);
        const region = f.region("storage.existingBucket.region", eb.region ?? DEFAULTS.region);
        bucket = { name: bucketName, endpoint, region, forceDestroy: false };
        credentials = eb.credentialsSecret
            ? { mode: "existingSecret", secret: f.credentialsSecret("storage.existingBucket.credentialsSecret", eb.credentialsSecret) }
            : { mode: "ambient" };
    }

    // Parts: at least one enabled; each may override the schedule. The registry says which parts
    // exist, each descriptor how its section is checked.
    const components: JobComponentSpec[] = [];
    const sections = args as unknown as Record<string, unknown>;
    for (const part of backupParts()) {
        const section = sections[part.name];
        if (section === undefined) continue;
        const s = f.object(part.name, section, `allowed: an object (the ${part.name} backup's settings)`);
        if (s.enabled === false) continue;
        components.push(
            part.backup.resolve(s, { f, schedule: (argument, value) => (value === undefined ? defaultSchedule : schedule(argument, value)) }),
        );
    }
    if (components.length === 0) {
        bad(partNames().join("/"), "none enabled", `enable at least one of ${andList(partNames())}`);
    }

    const encryption = resolveEncryption(args.encryption, f);
    const drill = resolveDrill(args.drill, components, f, schedule, timeZone, encryption);
    const backupOnChange = resolveBackupOnChange(args.backupOnChange, components, f);
    const alerts = resolveAlerts(args.alerts, components.map((c) => ({ part: c.component, schedule: c.schedule })), timeZone, f);
    for (const c of [...components, ...(drill ? [{ component: "drill" }] : [])]) {
        const cronJob = cronJobName(name, c.component);
        if (cronJob.length > CRONJOB_NAME_MAX || !PATTERNS.dnsLabel.test(cronJob)) {
            bad("name", name, `the CronJob name ${JSON.stringify(cronJob)} must be a DNS label of at most ${CRONJOB_NAME_MAX} characters: use a shorter lower-case name`);
        }
    }

    const staging = args.staging ?? {};
    const stagingSize = f.quantity("staging.size", staging.size ?? DEFAULTS.stagingSize);
    const storageClassName = staging.storageClassName === undefined ? undefined : f.k8sName("staging.storageClassName", staging.storageClassName);
    const map = (argument: string, value: { [k: string]: string } | undefined): { [k: string]: string } => {
        if (value === undefined) return {};
        if (typeof value !== "object" || value === null || Object.values(value).some((x) => typeof x !== "string")) {
            bad(argument, value, "allowed: a map of strings");
        }
        return { ...value };
    };
    const resources = args.resources ?? {};
    for (const [kind, values] of Object.entries({ requests: resources.requests ?? {}, limits: resources.limits ?? {} })) {
        for (const [k, q] of Object.entries(values)) {
            f.quantity(`resources.${kind}.${k}`, q, "allowed: a Kubernetes quantity such as 500m or 1Gi");
        }
    }
    const compression = oneOf("compression", args.compression, CompressionAlgorithm, CompressionAlgorithm.Gzip);
    const uploadPartSizeMiB = f.ruleInt("uploadPartSizeMiB", args.uploadPartSizeMiB, "uploadPartSizeMiB", DEFAULTS.uploadPartSizeMiB);
    const memoryLimit = resources.limits?.memory ?? DEFAULTS.resources.limits.memory;
    const neededMiB = UPLOAD_PARTS_IN_MEMORY * uploadPartSizeMiB + UPLOADER_BASE_MIB;
    if (quantityBytes(memoryLimit) < neededMiB * 2 ** 20) {
        // Found at preview rather than as an OOM-killed upload on the first large night.
        bad(
            "resources.limits.memory",
            memoryLimit,
            `allowed: at least ${neededMiB}Mi with uploadPartSizeMiB ${uploadPartSizeMiB} (the upload holds up to ${UPLOAD_PARTS_IN_MEMORY} parts in memory, plus ${UPLOADER_BASE_MIB}Mi for the aws CLI); raise the limit or lower uploadPartSizeMiB (an artifact's ceiling is ${S3_MAX_PARTS} parts)`,
        );
    }

    return {
        name,
        namespace,
        timeZone,
        retentionDays,
        keepLast,
        schedule: defaultSchedule,
        prefix,
        storageMode,
        bucket,
        objectLock,
        credentials,
        components,
        drill,
        encryption,
        alerts,
        backupOnChange,
        compression,
        uploaderImage: image("uploaderImage", args.uploaderImage, DEFAULTS.uploaderImage),
        staging: { size: stagingSize, storageClassName },
        activeDeadlineSeconds: int("activeDeadlineSeconds", args.activeDeadlineSeconds, DEFAULTS.activeDeadlineSeconds, 60, 7 * 86_400),
        backoffLimit: int("backoffLimit", args.backoffLimit, DEFAULTS.backoffLimit, 0, 10),
        startingDeadlineSeconds: int("startingDeadlineSeconds", args.startingDeadlineSeconds, DEFAULTS.startingDeadlineSeconds, 10, 86_400),
        ttlSecondsAfterFinished: int("ttlSecondsAfterFinished", args.ttlSecondsAfterFinished, DEFAULTS.ttlSecondsAfterFinished, 0, 30 * 86_400),
        successfulJobsHistoryLimit: int("successfulJobsHistoryLimit", args.successfulJobsHistoryLimit, DEFAULTS.historyLimit, 0, 100),
        failedJobsHistoryLimit: int("failedJobsHistoryLimit", args.failedJobsHistoryLimit, DEFAULTS.historyLimit, 0, 100),
        resources: {
            requests: { ...DEFAULTS.resources.requests, ...(resources.requests ?? {}) },
            limits: { ...DEFAULTS.resources.limits, ...(resources.limits ?? {}) },
        },
        uploadPartSizeMiB,
        warnings: [plainHttpWarning(`GitGuardianBackupPolicy "${name}"`, "storage.existingBucket.endpoint", bucket.endpoint)].filter((w): w is string => w !== undefined),
        nodeSelector: map("nodeSelector", args.nodeSelector),
        tolerations: args.tolerations ?? [],
        serviceAccountAnnotations: map("serviceAccountAnnotations", args.serviceAccountAnnotations),
        names: {
            serviceAccount: `${name}-backup`,
            partServiceAccount: Object.fromEntries(components.filter((c) => partNamed(c.component)?.backup.roleRules(c).length).map((c) => [c.component, `${name}-backup-${c.component}`])),
            scripts: `${name}-backup-scripts`,
            credentialsSecret: `${name}-backup-s3`,
            restoreCredentialsSecret: `${name}-restore-s3`,
            restoreServiceAccount: `${name}-restore`,
            pruneCronJob: `${name}-backup-prune`,
            pruneServiceAccount: `${name}-prune`,
            pruneCredentialsSecret: `${name}-prune-s3`,
            drillCronJob: cronJobName(name, "drill"),
            drillServiceAccount: `${name}-drill`,
            drillCredentialsSecret: `${name}-drill-s3`,
            alertRules: `${name}-backup-alerts`,
            cronJob: Object.fromEntries(components.map((c) => [c.component, cronJobName(name, c.component)])),
        },
    };
}

function resolveBucketCredentials(c: BucketCredentials | undefined, f: FieldRules): CredentialsSpec {
    const chosen = Object.entries(c ?? {}).filter(([, v]) => v !== undefined && v !== false).map(([k]) => k);
    if (chosen.length > 1) {
        f.bad("storage.createBucket.credentials", chosen, "set at most one of irsa, createIamUser, existingSecret");
    }
    if (c?.irsa) {
        if (!c.irsa.oidcProviderArn || !c.irsa.oidcProviderUrl) {
            f.bad("storage.createBucket.credentials.irsa", c.irsa, "allowed: { oidcProviderArn, oidcProviderUrl } of the cluster's IAM OIDC provider");
        }
        return { mode: "irsa" };
    }
    if (c?.existingSecret) return { mode: "existingSecret", secret: f.credentialsSecret("storage.createBucket.credentials.existingSecret", c.existingSecret) };
    return { mode: "iamUser" };
}

function resolveBackupOnChange(value: GitGuardianBackupPolicyArgs["backupOnChange"], components: JobComponentSpec[], f: FieldRules): PolicySpec["backupOnChange"] {
    if (value === undefined) return undefined;
    const o = f.object("backupOnChange", value, "allowed: { triggers: { name: value }, parts?: [...] }");
    const triggers = f.object("backupOnChange.triggers", o.triggers, "allowed: a map of names to strings (a change of one runs the backups)");
    for (const [k, v] of Object.entries(triggers)) if (typeof v !== "string") f.bad(`backupOnChange.triggers.${k}`, v, "allowed: a string");
    const enabled = components.map((c) => c.component);
    const parts = o.parts === undefined ? enabled : (o.parts as unknown[]);
    if (!Array.isArray(parts) || parts.length === 0) f.bad("backupOnChange.parts", o.parts, `allowed: a non-empty list of ${enabled.join(", ")}`);
    parts.forEach((p, i) => {
        if (typeof p !== "string" || !enabled.includes(p)) f.bad(`backupOnChange.parts[${i}]`, p, `allowed: a part this policy backs up: ${enabled.join(", ")}`);
    });
    // Sorted keys: the same triggers in another order are the same backup.
    const canonical = JSON.stringify(Object.keys(triggers).sort().map((k) => [k, triggers[k]]));
    return { parts: parts as string[], triggersHash: createHash("sha256").update(canonical).digest("hex").slice(0, 8) };
}
