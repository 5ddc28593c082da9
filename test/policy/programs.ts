/**
 * Pulumi programs the policy tests run under mocks: the component with good and bad args, and
 * hand-written stacks (raw CronJobs, raw buckets) that do the same by hand.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GitGuardianBackupPolicy, GitGuardianBackupPolicyArgs } from "../../backup";

export const NS = "gitguardian";

/** Good args: every component, daily at 02:00 UTC, 14 days of retention. */
export function goodArgs(mode: "createBucket" | "existingBucket", extra: Partial<GitGuardianBackupPolicyArgs> = {}): GitGuardianBackupPolicyArgs {
    return {
        namespace: NS,
        schedule: "0 2 * * *",
        retentionDays: 14,
        storage:
            mode === "createBucket"
                ? { createBucket: { region: "eu-west-1" } }
                : { existingBucket: { name: "gg-backups", region: "eu-west-1", credentialsSecret: { name: "gg-s3" } } },
        postgres: { host: "postgresql", passwordSecret: { name: "gitguardian-postgresql", key: "postgres-password" } },
        redis: { host: "redis-master" },
        kots: { image: "kotsadm/kotsadm:v1.124.0" },
        ...extra,
    };
}

/** An age recipient (a public key) for the programs that encrypt. */
export const RECIPIENT = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
/** The encryption of a program that encrypts (the drill then needs its identity's Secret). */
export const ENCRYPTED: Pick<GitGuardianBackupPolicyArgs, "encryption"> = { encryption: { recipients: [RECIPIENT], toolImage: "registry.example/age:1.3.2" } };

/** What a stack adds to good args to pass the advisory policies too: encryption, a daily drill and the alert rules. */
export const OBSERVED: Partial<GitGuardianBackupPolicyArgs> = { ...ENCRYPTED, drill: { schedule: "0 5 * * *", decryption: { identitySecret: { name: "drill-age", key: "identity" } } }, alerts: {} };

export function component(args: GitGuardianBackupPolicyArgs, opts?: pulumi.ComponentResourceOptions, name = "gg"): () => GitGuardianBackupPolicy {
    return () => new GitGuardianBackupPolicy(name, args, opts);
}

/** A transformation that edits the spec of the component's CronJob of one component. */
export function editCronJob(component: string, edit: (spec: any) => any): pulumi.ResourceTransformation {
    return (a) => {
        if (a.type !== "kubernetes:batch/v1:CronJob" || !a.name.endsWith(`-backup-${component}`)) return undefined;
        return { props: { ...a.props, spec: edit({ ...a.props.spec }) }, opts: a.opts };
    };
}

/** GitGuardian's own workloads, as a stack that deploys it would declare them. */
export function gitGuardianWorkloads(namespace = NS): void {
    const pod = (app: string) => ({
        metadata: { labels: { app } },
        spec: { containers: [{ name: app, image: `gitguardian/${app}:2025.1` }] },
    });
    new k8s.apps.v1.StatefulSet("gitguardian-postgresql", {
        metadata: { name: "postgresql", namespace },
        spec: { serviceName: "postgresql", selector: { matchLabels: { app: "postgresql" } }, template: pod("postgresql") },
    });
    new k8s.apps.v1.Deployment("gitguardian-webapp", {
        metadata: { name: "webapp", namespace },
        spec: { selector: { matchLabels: { app: "webapp" } }, template: pod("webapp") },
    });
}

export interface RawCronJobOptions {
    name?: string;
    schedule?: string;
    suspend?: boolean;
    timeZone?: string;
    command: string[];
    env?: k8s.types.input.core.v1.EnvVar[];
    concurrencyPolicy?: string;
    activeDeadlineSeconds?: number;
    backoffLimit?: number;
    labels?: Record<string, string>;
}

/** A hand-written backup CronJob. */
export function rawCronJob(o: RawCronJobOptions): k8s.batch.v1.CronJob {
    const name = o.name ?? "hand-backup";
    return new k8s.batch.v1.CronJob(name, {
        metadata: { name, namespace: NS, ...(o.labels ? { labels: o.labels } : {}) },
        spec: {
            schedule: o.schedule as string,
            ...(o.suspend !== undefined ? { suspend: o.suspend } : {}),
            ...(o.timeZone ? { timeZone: o.timeZone } : {}),
            ...(o.concurrencyPolicy ? { concurrencyPolicy: o.concurrencyPolicy } : {}),
            jobTemplate: {
                spec: {
                    ...(o.activeDeadlineSeconds !== undefined ? { activeDeadlineSeconds: o.activeDeadlineSeconds } : {}),
                    ...(o.backoffLimit !== undefined ? { backoffLimit: o.backoffLimit } : {}),
                    template: {
                        spec: {
                            restartPolicy: "Never",
                            containers: [{ name: "backup", image: "backup:1", command: o.command, env: o.env ?? [] }],
                        },
                    },
                },
            },
        },
    });
}

/** Well-kept hand-written CronJobs for all three components. */
export function rawBackups(overrides: Partial<Record<"postgres" | "redis" | "kots", Partial<RawCronJobOptions>>> = {}): void {
    const common = { schedule: "30 1 * * *", concurrencyPolicy: "Forbid", activeDeadlineSeconds: 7200, backoffLimit: 1 };
    rawCronJob({
        name: "pg-backup",
        ...common,
        command: ["sh", "-c", "pg_dumpall -h postgresql | gzip > /backup/all.sql.gz"],
        env: [{ name: "PGPASSWORD", valueFrom: { secretKeyRef: { name: "gitguardian-postgresql", key: "postgres-password" } } }],
        ...overrides.postgres,
    });
    rawCronJob({ name: "redis-backup", ...common, command: ["redis-cli", "-h", "redis-master", "--rdb", "/backup/dump.rdb"], ...overrides.redis });
    rawCronJob({ name: "kots-backup", ...common, command: ["kubectl", "kots", "download", "gitguardian", "-n", NS], ...overrides.kots });
}

export const PART_OF_TAG = { "app.kubernetes.io/part-of": "pulumi-gitguardian-backup" };

export interface RawBucketOptions {
    name?: string;
    versioning?: boolean;
    encryption?: boolean;
    publicAccessBlock?: boolean;
    tlsPolicy?: boolean;
    expirationDays?: number;
    objectLock?: boolean;
    forceDestroy?: boolean;
    tags?: Record<string, string>;
}

/** A hand-written bucket with, optionally, each of the settings resources; they refer to it by id. */
export function rawBucket(o: RawBucketOptions = {}): aws.s3.Bucket {
    const name = o.name ?? "gg-raw-backups";
    const bucket = new aws.s3.Bucket(name, { bucket: name, tags: o.tags ?? PART_OF_TAG, objectLockEnabled: o.objectLock ?? false, ...(o.forceDestroy === undefined ? {} : { forceDestroy: o.forceDestroy }) });
    const ref = { bucket: bucket.id };
    if (o.versioning) new aws.s3.BucketVersioning(`${name}-versioning`, { ...ref, versioningConfiguration: { status: "Enabled" } });
    if (o.encryption) {
        new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-sse`, { ...ref, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } }] });
    }
    if (o.publicAccessBlock) {
        new aws.s3.BucketPublicAccessBlock(`${name}-pab`, { ...ref, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
    }
    if (o.tlsPolicy) {
        new aws.s3.BucketPolicy(`${name}-tls`, {
            ...ref,
            policy: bucket.arn.apply((arn) =>
                JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [{ Effect: "Deny", Principal: { AWS: "*" }, Action: "s3:*", Resource: [arn, `${arn}/*`], Condition: { Bool: { "aws:SecureTransport": false } } }],
                }),
            ),
        });
    }
    if (o.expirationDays !== undefined) {
        new aws.s3.BucketLifecycleConfiguration(`${name}-lifecycle`, {
            ...ref,
            rules: [{ id: "expire", status: "Enabled", expiration: { days: o.expirationDays }, noncurrentVersionExpiration: { noncurrentDays: o.expirationDays } }],
        });
    }
    if (o.objectLock) {
        new aws.s3.BucketObjectLockConfiguration(`${name}-lock`, { ...ref, rule: { defaultRetention: { mode: "GOVERNANCE", days: 7 } } });
    }
    return bucket;
}

/** A bucket with everything bucket-secure wants. */
export const SECURE: RawBucketOptions = { versioning: true, encryption: true, publicAccessBlock: true, tlsPolicy: true };
