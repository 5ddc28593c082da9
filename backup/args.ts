/**
 * Public arguments of GitGuardianBackupPolicy. They follow the component-provider rules
 * (interfaces only, no unions, string choices as `as const` enums) so that the schema inferred
 * from these types gives every Pulumi language the same API. Mutually exclusive options are
 * optional fields checked at construction (see validate.ts).
 */
import { RestoreDrill } from "../drill/args";
import { BackupEncryption, DrillDecryption, RestoreDecryption } from "../encryption/args";
import { BackupAlerts } from "../alerts/args";
import * as pulumi from "@pulumi/pulumi";
import { S3CredentialsSecret, SecretKeyRef } from "../core/args";
import { KotsBackup } from "../sources/kots/args";

export { S3CredentialsSecret };
import { PostgresBackup, PostgresFormat, PostgresRolePasswords } from "../sources/postgres/args";
import { RedisBackup } from "../sources/redis/args";

export { BackupEncryption, DrillDecryption, RestoreDecryption };
export { SecretKeyRef, KotsBackup, PostgresBackup, PostgresFormat, PostgresRolePasswords, RedisBackup };

/** Compressor of the artifacts. */
export const CompressionAlgorithm = {
    Gzip: "gzip",
    /** Needs `zstd` in the dump image. */
    Zstd: "zstd",
    None: "none",
} as const;
export type CompressionAlgorithm = (typeof CompressionAlgorithm)[keyof typeof CompressionAlgorithm];

/** S3 Object Lock retention mode. */
export const ObjectLockMode = {
    /** Users with s3:BypassGovernanceRetention can still delete. */
    Governance: "GOVERNANCE",
    /** Nobody, root included, can delete before the retention ends. */
    Compliance: "COMPLIANCE",
} as const;
export type ObjectLockMode = (typeof ObjectLockMode)[keyof typeof ObjectLockMode];

/** IAM Roles for Service Accounts: the job ServiceAccount assumes a role through the cluster's OIDC provider. */
export interface Irsa {
    /** ARN of the cluster's IAM OIDC provider, e.g. `arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC`. */
    oidcProviderArn: pulumi.Input<string>;
    /** Issuer URL of that provider without `https://`, e.g. `oidc.eks.eu-west-1.amazonaws.com/id/ABC`. */
    oidcProviderUrl: pulumi.Input<string>;
}

/** Credentials of the jobs for a bucket this component creates. Set at most one; default `createIamUser`. */
export interface BucketCredentials {
    /** Use IRSA: an IAM role trusted by the job ServiceAccount. */
    irsa?: Irsa;
    /** Create an IAM user and store its access key in a Kubernetes Secret (values are Pulumi secrets). Default when nothing else is set. */
    createIamUser?: boolean;
    /** Use static credentials from an existing Kubernetes Secret. */
    existingSecret?: S3CredentialsSecret;
}

/** S3 Object Lock against deletion and ransomware. The bucket must be created with it. */
export interface ObjectLock {
    /** GOVERNANCE or COMPLIANCE. */
    mode: ObjectLockMode;
    /** Default retention in days of every new object (1 or more, at most retentionDays). */
    days: number;
}

/** An AWS S3 bucket created and secured by this component. */
export interface CreateBucket {
    /** AWS region of the bucket, e.g. `eu-west-1`. */
    region: string;
    /** Bucket name. Default: generated from the component name. */
    bucketName?: string;
    /** KMS key ARN for SSE-KMS. Default: SSE-S3 (AES256). */
    kmsKeyArn?: pulumi.Input<string>;
    /** Object Lock default retention. Default: none. */
    objectLock?: ObjectLock;
    /** Delete the bucket with its backups on `pulumi destroy`. Default false: a destroy fails while backups exist. */
    forceDestroy?: boolean;
    /** How the jobs authenticate. Default: a generated IAM user. */
    credentials?: BucketCredentials;
}

/** A bucket that exists already, on AWS or any S3-compatible store (MinIO, Ceph RGW). */
export interface ExistingBucket {
    /** Bucket name. */
    name: string;
    /** Endpoint URL of an S3-compatible store, e.g. `https://minio.example:9000`. Default: AWS. */
    endpoint?: string;
    /** Region. Default `us-east-1`. */
    region?: string;
    /** Static credentials. Default: none, for IRSA or another ambient identity (see serviceAccountAnnotations). */
    credentialsSecret?: S3CredentialsSecret;
}

/** Where the backup sets go. Set exactly one of createBucket and existingBucket. */
export interface BackupStorage {
    /** Create and secure an AWS S3 bucket. */
    createBucket?: CreateBucket;
    /** Use an existing bucket. */
    existingBucket?: ExistingBucket;
    /** Key prefix of every set: `<prefix>/<component>/<backupId>/`. Default `gitguardian`. */
    prefix?: string;
}

/** Requests and limits of a container. */
export interface ResourceRequirements {
    /** e.g. `{ cpu: "250m", memory: "256Mi" }`. */
    requests?: { [key: string]: string };
    /** e.g. `{ cpu: "2", memory: "1Gi" }`. */
    limits?: { [key: string]: string };
}

/** A pod toleration. */
export interface Toleration {
    key?: string;
    /** `Exists` or `Equal`. */
    operator?: string;
    value?: string;
    /** `NoSchedule`, `PreferNoSchedule` or `NoExecute`. */
    effect?: string;
    tolerationSeconds?: number;
}

/**
 * The volume the dump and upload containers share. A sql-format PostgreSQL dump streams through it
 * (FIFOs) and takes no space; what a tool cannot stream is staged there one item at a time: the
 * directory-format dump of one database, the Redis snapshot, the kots download.
 */
export interface Staging {
    /** Size limit of the emptyDir, or size of the ephemeral volume. Default `20Gi`. */
    size?: string;
    /** With a storage class, an ephemeral PVC is used instead of an emptyDir (for dumps larger than node disk). */
    storageClassName?: string;
}

/** Arguments of GitGuardianBackupPolicy. */
export interface GitGuardianBackupPolicyArgs {
    /** Namespace of the GitGuardian installation; the jobs, ServiceAccount and RBAC go there. */
    namespace: string;
    /** Cron schedule of every backup (5 fields or a macro such as `@daily`). Required: there is no default. */
    schedule: string;
    /** IANA time zone of the schedules, e.g. `Europe/Paris`. Default `Etc/UTC`. */
    timeZone?: string;
    /**
     * Days the sets are kept. With createBucket, a retention job deletes older sets (their
     * noncurrent versions then expire after as many days again), except the newest `keepLast`
     * complete ones of each part. At least 1.
     */
    retentionDays: number;
    /**
     * Complete sets of each part kept whatever their age, so that backups failing for longer
     * than `retentionDays` never leave a part without a set to restore. 1 to 100. Default 3.
     */
    keepLast?: number;
    /** Where the sets go. */
    storage: BackupStorage;
    /** PostgreSQL backup. Omit to disable it. */
    postgres?: PostgresBackup;
    /** Redis backup. Omit to disable it. */
    redis?: RedisBackup;
    /** KOTS configuration backup. Omit to disable it. */
    kots?: KotsBackup;
    /** Compressor of the artifacts. Default gzip (pigz when the image has it). */
    compression?: CompressionAlgorithm;
    /** Image of the upload step (aws CLI). Default `amazon/aws-cli:2.22.35`. */
    uploaderImage?: string;
    /** Staging volume. Default a 20Gi emptyDir. */
    staging?: Staging;
    /** Seconds after which a run is killed (activeDeadlineSeconds). Default 14400 (4 h). */
    activeDeadlineSeconds?: number;
    /** Retries of a failed run (backoffLimit, 0 to 10). Default 2. */
    backoffLimit?: number;
    /** Seconds a missed run may still start (startingDeadlineSeconds). Default 3600. */
    startingDeadlineSeconds?: number;
    /** Seconds a finished Job is kept (ttlSecondsAfterFinished). Default 86400. */
    ttlSecondsAfterFinished?: number;
    /** Successful Jobs kept per CronJob. Default 3. */
    successfulJobsHistoryLimit?: number;
    /** Failed Jobs kept per CronJob. Default 3. */
    failedJobsHistoryLimit?: number;
    /** Resources of every container. Default requests 100m/128Mi, limits 2 CPU/2Gi. */
    resources?: ResourceRequirements;
    /**
     * Part size, in MiB, of the multipart uploads that stream each artifact to the bucket (8 to
     * 5120). S3 takes at most 10,000 parts per object, so this sets the largest artifact: the
     * default 128 allows 1.22 TiB (the aws CLI's own 8 MiB would stop at 78 GiB). The upload
     * container holds up to 11 parts in memory: `resources.limits.memory` must be at least
     * 11 x this + 256 MiB, which construction checks.
     */
    uploadPartSizeMiB?: number;
    /** Node selector of the job pods. */
    nodeSelector?: { [key: string]: string };
    /** Tolerations of the job pods. */
    tolerations?: Toleration[];
    /** Extra annotations of the ServiceAccount (e.g. for another workload identity). */
    serviceAccountAnnotations?: { [key: string]: string };
    /**
     * Client-side encryption of every artifact with age, in the pod before it leaves it, to
     * public keys only: the cluster can write sets it cannot read. Omit for none (the sets are
     * then protected by the bucket's own encryption and access rules alone).
     */
    encryption?: BackupEncryption;
    /**
     * A scheduled restore drill of the sets these backups make, into scratch servers of its own
     * pod (never the live ones); its result goes to `<prefix>/drills/<id>.json`. Omit for none.
     */
    drill?: RestoreDrill;
    /**
     * Prometheus alert rules (a PrometheusRule: only where the Prometheus Operator's CRD is
     * installed): a part without a committed set for longer than the recovery point, a failed
     * backup Job, a failed or overdue drill. Omit for none.
     */
    alerts?: BackupAlerts;
    /**
     * A backup during `pulumi up` whenever `triggers` change (the GitGuardian version this program
     * deploys, say): one Job per part, from the same template as its CronJob, which the up waits
     * for; the up fails if a backup does not commit. Omit for none.
     */
    backupOnChange?: BackupOnChange;
}

/** A backup run by `pulumi up` when its triggers change. */
export interface BackupOnChange {
    /** Any values: a change of one (a new GitGuardian version) runs the backups again. */
    triggers: { [key: string]: string };
    /** The parts backed up then. Default every enabled part. */
    parts?: string[];
}
