/**
 * Validation and defaults of GitGuardianBackupPolicyArgs, run at construction before any
 * resource is registered, so `pulumi preview` fails fast. Every error names the argument, the
 * bad value and what is allowed. The result is a plain, fully defaulted PolicySpec that the
 * pure spec builders (jobSpec.ts, rbac.ts) turn into Kubernetes objects.
 */
import { Component } from "../core/contract";
import { isTimeZone, SCHEDULE_ALLOWED, scheduleProblem } from "../core/schedule";
import {
    BucketCredentialsArgs,
    CompressionAlgorithm,
    GitGuardianBackupPolicyArgs,
    ObjectLockMode,
    PostgresFormat,
    S3CredentialsSecretArgs,
    SecretKeyRefArgs,
    TolerationArgs,
} from "./args";

export const DEFAULTS = {
    prefix: "gitguardian",
    timeZone: "Etc/UTC",
    postgresImage: "postgres:16-alpine",
    redisImage: "redis:7.2-alpine",
    uploaderImage: "amazon/aws-cli:2.22.35",
    appSlug: "gitguardian",
    kotsSecrets: ["gim-secrets", "kotsadm-encryption"],
    stagingSize: "20Gi",
    activeDeadlineSeconds: 14_400,
    backoffLimit: 2,
    startingDeadlineSeconds: 3_600,
    ttlSecondsAfterFinished: 86_400,
    historyLimit: 3,
    parallelJobs: 2,
    region: "us-east-1",
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "2", memory: "1Gi" } },
} as const;

/** Kubernetes' limit on CronJob names (Job names get an 11-character suffix). */
const CRONJOB_NAME_MAX = 52;

export class ArgumentError extends Error {
    constructor(resource: string, argument: string, value: unknown, allowed: string) {
        super(`${resource}: argument ${argument} = ${JSON.stringify(value)} is invalid; ${allowed}`);
        this.name = "ArgumentError";
    }
}

/** Resolved credentials of the jobs. */
export interface CredentialsSpec {
    mode: "irsa" | "iamUser" | "existingSecret" | "ambient";
    secret?: { name: string; accessKeyIdKey: string; secretAccessKeyKey: string };
}

export interface ComponentSpecBase {
    component: Component;
    schedule: string;
    image: string;
}

export interface PostgresSpec extends ComponentSpecBase {
    component: "postgres";
    host: string;
    port: number;
    user: string;
    passwordSecret: SecretKeyRefArgs;
    format: PostgresFormat;
    parallelJobs: number;
}

export interface RedisSpec extends ComponentSpecBase {
    component: "redis";
    host: string;
    port: number;
    user?: string;
    passwordSecret?: SecretKeyRefArgs;
}

export interface KotsSpec extends ComponentSpecBase {
    component: "kots";
    appSlug: string;
    secrets: string[];
}

export type JobComponentSpec = PostgresSpec | RedisSpec | KotsSpec;

/** Everything the resources are built from, validated and defaulted. */
export interface PolicySpec {
    name: string;
    namespace: string;
    timeZone: string;
    retentionDays: number;
    prefix: string;
    storageMode: "createBucket" | "existingBucket";
    bucket: { name?: string; endpoint?: string; region: string; forceDestroy: boolean };
    objectLock?: { mode: ObjectLockMode; days: number };
    credentials: CredentialsSpec;
    components: JobComponentSpec[];
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
    nodeSelector: { [k: string]: string };
    tolerations: TolerationArgs[];
    serviceAccountAnnotations: { [k: string]: string };
    /** Object names, fixed so that operators and the restore find them. */
    names: { serviceAccount: string; role: string; scripts: string; credentialsSecret: string; cronJob: Record<Component, string> };
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const HOST = /^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$|^\[?[0-9a-fA-F:.]+\]?$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
const IMAGE = /^[a-z0-9]+([._\-/:@][A-Za-z0-9]+)*$/;
/** '/'-separated parts of letters, digits, - _ . ; no ".." anywhere, no "." part (as jobs/lib.sh check_prefix). */
const PREFIX = /^(?!.*\.\.)(?!(.*\/)?\.(\/|$))[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const QUANTITY = /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m)?$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-[0-9]+$/;

/** Validates the args of the component named `name`; returns the defaulted spec or throws ArgumentError. */
export function resolvePolicy(name: string, args: GitGuardianBackupPolicyArgs): PolicySpec {
    const who = `GitGuardianBackupPolicy "${name}"`;
    const bad = (argument: string, value: unknown, allowed: string): never => {
        throw new ArgumentError(who, argument, value, allowed);
    };
    const text = (argument: string, value: unknown, pattern: RegExp, allowed: string, max = 253): string => {
        if (typeof value !== "string" || value.length > max || !pattern.test(value)) bad(argument, value, allowed);
        return value as string;
    };
    const int = (argument: string, value: unknown, fallback: number, min: number, max: number): number => {
        if (value === undefined) return fallback;
        if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
            bad(argument, value, `allowed: a whole number from ${min} to ${max}`);
        }
        return value as number;
    };
    const oneOf = <T extends string>(argument: string, value: unknown, choices: Record<string, T>, fallback?: T): T => {
        if (value === undefined && fallback !== undefined) return fallback;
        const allowed = Object.values(choices);
        if (!allowed.includes(value as T)) bad(argument, value, `allowed: ${allowed.map((c) => JSON.stringify(c)).join(", ")}`);
        return value as T;
    };
    const k8sName = (argument: string, value: unknown): string =>
        text(argument, value, DNS_SUBDOMAIN, "allowed: a Kubernetes name (lower-case letters, digits, '-' and '.', at most 253 characters)");
    const secretRef = (argument: string, ref: SecretKeyRefArgs | undefined): SecretKeyRefArgs => {
        if (!ref || typeof ref !== "object") bad(argument, ref, "allowed: { name, key } of a Secret in the namespace");
        return {
            name: k8sName(`${argument}.name`, ref!.name),
            key: text(`${argument}.key`, ref!.key, SECRET_KEY, "allowed: a Secret key (letters, digits, '-', '_', '.')"),
        };
    };
    const credentialsSecret = (argument: string, s: S3CredentialsSecretArgs): CredentialsSpec["secret"] => ({
        name: k8sName(`${argument}.name`, s.name),
        accessKeyIdKey: text(`${argument}.accessKeyIdKey`, s.accessKeyIdKey ?? "AWS_ACCESS_KEY_ID", SECRET_KEY, "allowed: a Secret key"),
        secretAccessKeyKey: text(`${argument}.secretAccessKeyKey`, s.secretAccessKeyKey ?? "AWS_SECRET_ACCESS_KEY", SECRET_KEY, "allowed: a Secret key"),
    });
    const image = (argument: string, value: unknown, fallback?: string): string => {
        if (value === undefined && fallback !== undefined) return fallback;
        return text(argument, value, IMAGE, "allowed: a non-empty container image reference such as postgres:16-alpine", 512);
    };
    const host = (argument: string, value: unknown): string =>
        text(argument, value, HOST, "allowed: a host name or IP address (letters, digits, '-', '.')");

    if (!args || typeof args !== "object") bad("args", args, "allowed: an object with namespace, schedule, retentionDays, storage");
    const namespace = text("namespace", args.namespace, DNS_LABEL, "allowed: a Kubernetes namespace name (lower-case letters, digits and '-', at most 63 characters)", 63);

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

    // Storage: exactly one of createBucket and existingBucket.
    const storage = args.storage;
    if (!storage || typeof storage !== "object") bad("storage", storage, "allowed: { createBucket: {...} } or { existingBucket: {...} }");
    const prefix = text("storage.prefix", storage.prefix ?? DEFAULTS.prefix, PREFIX, "allowed: letters, digits, '-', '_', '.' in '/'-separated parts, without leading or trailing '/' and without '.' or '..' parts", 200);
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
        const region = text("storage.createBucket.region", cb.region, REGION, "allowed: an AWS region such as eu-west-1");
        const bucketName = cb.bucketName === undefined ? undefined : text("storage.createBucket.bucketName", cb.bucketName, BUCKET, "allowed: an S3 bucket name (3-63 lower-case letters, digits, '.', '-')");
        bucket = { name: bucketName, region, forceDestroy: cb.forceDestroy ?? false };
        if (cb.objectLock !== undefined) {
            objectLock = {
                mode: oneOf("storage.createBucket.objectLock.mode", cb.objectLock.mode, ObjectLockMode),
                days: int("storage.createBucket.objectLock.days", cb.objectLock.days ?? null, 0, 1, retentionDays),
            };
        }
        credentials = resolveBucketCredentials(cb.credentials, bad, credentialsSecret);
    } else {
        const eb = storage.existingBucket!;
        storageMode = "existingBucket";
        const bucketName = text("storage.existingBucket.name", eb.name, BUCKET, "allowed: an S3 bucket name (3-63 lower-case letters, digits, '.', '-')");
        let endpoint: string | undefined;
        if (eb.endpoint !== undefined) {
            let ok = false;
            try {
                const url = new URL(eb.endpoint);
                ok = (url.protocol === "https:" || url.protocol === "http:") && url.username === "" && url.password === "" && url.search === "" && url.hash === "";
            } catch {
                ok = false;
            }
            if (!ok || /[\s"'`$\\]/.test(eb.endpoint)) bad("storage.existingBucket.endpoint", eb.endpoint, "allowed: an http(s) URL without credentials, e.g. https://minio.example:9000");
            endpoint = eb.endpoint;
        }
        const region = text("storage.existingBucket.region", eb.region ?? DEFAULTS.region, /^[a-z0-9-]+$/, "allowed: a region name such as us-east-1", 63);
        bucket = { name: bucketName, endpoint, region, forceDestroy: false };
        credentials = eb.credentialsSecret
            ? { mode: "existingSecret", secret: credentialsSecret("storage.existingBucket.credentialsSecret", eb.credentialsSecret) }
            : { mode: "ambient" };
    }

    // Components: at least one enabled; each may override the schedule.
    const components: JobComponentSpec[] = [];
    const enabled = (c: { enabled?: boolean } | undefined) => c !== undefined && c.enabled !== false;
    if (enabled(args.postgres)) {
        const p = args.postgres!;
        components.push({
            component: "postgres",
            schedule: p.schedule === undefined ? defaultSchedule : schedule("postgres.schedule", p.schedule),
            image: image("postgres.image", p.image, DEFAULTS.postgresImage),
            host: host("postgres.host", p.host),
            port: int("postgres.port", p.port, 5432, 1, 65535),
            user: text("postgres.user", p.user ?? "postgres", /^[A-Za-z_][A-Za-z0-9_$.-]*$/, "allowed: a PostgreSQL role name (letters, digits, '_', '$', '.', '-')", 63),
            passwordSecret: secretRef("postgres.passwordSecret", p.passwordSecret),
            format: oneOf("postgres.format", p.format, PostgresFormat, PostgresFormat.Sql),
            parallelJobs: int("postgres.parallelJobs", p.parallelJobs, DEFAULTS.parallelJobs, 1, 64),
        });
    }
    if (enabled(args.redis)) {
        const r = args.redis!;
        components.push({
            component: "redis",
            schedule: r.schedule === undefined ? defaultSchedule : schedule("redis.schedule", r.schedule),
            image: image("redis.image", r.image, DEFAULTS.redisImage),
            host: host("redis.host", r.host),
            port: int("redis.port", r.port, 6379, 1, 65535),
            user: r.user === undefined ? undefined : text("redis.user", r.user, /^[A-Za-z0-9_.-]+$/, "allowed: a Redis ACL user name (letters, digits, '_', '.', '-')", 128),
            passwordSecret: r.passwordSecret === undefined ? undefined : secretRef("redis.passwordSecret", r.passwordSecret),
        });
    }
    if (enabled(args.kots)) {
        const k = args.kots!;
        const secrets = k.secrets ?? [...DEFAULTS.kotsSecrets];
        if (!Array.isArray(secrets)) bad("kots.secrets", secrets, "allowed: a list of Secret names");
        components.push({
            component: "kots",
            schedule: k.schedule === undefined ? defaultSchedule : schedule("kots.schedule", k.schedule),
            image: image("kots.image", k.image),
            appSlug: text("kots.appSlug", k.appSlug ?? DEFAULTS.appSlug, DNS_LABEL, "allowed: a KOTS app slug such as gitguardian (lower-case letters, digits, '-')", 63),
            secrets: secrets.map((s, i) => k8sName(`kots.secrets[${i}]`, s)),
        });
    }
    if (components.length === 0) {
        bad("postgres/redis/kots", "none enabled", "enable at least one of postgres, redis and kots");
    }

    const cronJobName = (c: Component) => `${name}-backup-${c}`;
    for (const c of components) {
        if (cronJobName(c.component).length > CRONJOB_NAME_MAX || !DNS_LABEL.test(cronJobName(c.component))) {
            bad("name", name, `the CronJob name ${JSON.stringify(cronJobName(c.component))} must be a DNS label of at most ${CRONJOB_NAME_MAX} characters: use a shorter lower-case name`);
        }
    }

    const staging = args.staging ?? {};
    const stagingSize = text("staging.size", staging.size ?? DEFAULTS.stagingSize, QUANTITY, "allowed: a Kubernetes quantity such as 20Gi");
    const storageClassName = staging.storageClassName === undefined ? undefined : k8sName("staging.storageClassName", staging.storageClassName);
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
            text(`resources.${kind}.${k}`, q, QUANTITY, "allowed: a Kubernetes quantity such as 500m or 1Gi");
        }
    }
    const compression = oneOf("compression", args.compression, CompressionAlgorithm, CompressionAlgorithm.Gzip);

    return {
        name,
        namespace,
        timeZone,
        retentionDays,
        prefix,
        storageMode,
        bucket,
        objectLock,
        credentials,
        components,
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
        nodeSelector: map("nodeSelector", args.nodeSelector),
        tolerations: args.tolerations ?? [],
        serviceAccountAnnotations: map("serviceAccountAnnotations", args.serviceAccountAnnotations),
        names: {
            serviceAccount: `${name}-backup`,
            role: `${name}-backup`,
            scripts: `${name}-backup-scripts`,
            credentialsSecret: `${name}-backup-s3`,
            cronJob: { postgres: cronJobName("postgres"), redis: cronJobName("redis"), kots: cronJobName("kots") },
        },
    };
}

function resolveBucketCredentials(
    c: BucketCredentialsArgs | undefined,
    bad: (argument: string, value: unknown, allowed: string) => never,
    credentialsSecret: (argument: string, s: S3CredentialsSecretArgs) => CredentialsSpec["secret"],
): CredentialsSpec {
    const chosen = Object.entries(c ?? {}).filter(([, v]) => v !== undefined && v !== false).map(([k]) => k);
    if (chosen.length > 1) {
        bad("storage.createBucket.credentials", chosen, "set at most one of irsa, createIamUser, existingSecret");
    }
    if (c?.irsa) {
        if (!c.irsa.oidcProviderArn || !c.irsa.oidcProviderUrl) {
            bad("storage.createBucket.credentials.irsa", c.irsa, "allowed: { oidcProviderArn, oidcProviderUrl } of the cluster's IAM OIDC provider");
        }
        return { mode: "irsa" };
    }
    if (c?.existingSecret) return { mode: "existingSecret", secret: credentialsSecret("storage.createBucket.credentials.existingSecret", c.existingSecret) };
    return { mode: "iamUser" };
}
