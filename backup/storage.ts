/**
 * BackupBucket: the S3 bucket created for `storage.createBucket`, secured by default —
 * versioning, default encryption (SSE-S3 or SSE-KMS), every public-access block, a TLS-only
 * policy, a lifecycle that expires what the retention job deleted (noncurrent versions) after
 * retentionDays and never a current set (it cannot count them: backup/pruneJob.ts does), and
 * optional Object Lock against deletion.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PolicySpec } from "./validate";

export interface BackupBucket {
    bucket: aws.s3.Bucket;
    name: pulumi.Output<string>;
    arn: pulumi.Output<string>;
}

/** The bucket policy: refuse every request that is not over TLS. */
export function tlsOnlyPolicy(bucketArn: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: "s3:*",
                Resource: [bucketArn, `${bucketArn}/*`],
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
        ],
    });
}

export function createBackupBucket(name: string, spec: PolicySpec, kmsKeyArn: pulumi.Input<string> | undefined, parent: pulumi.Resource): BackupBucket {
    // `pulumi destroy` (or a rename of the component) leaves the bucket and its security settings
    // in place unless forceDestroy says the backups may go: otherwise a destroy would strip the
    // public-access block, TLS policy, lifecycle and encryption before failing on the full bucket.
    const retainOnDelete = !spec.bucket.forceDestroy;
    const opts = { parent, retainOnDelete };
    const region = spec.bucket.region;
    const bucket = new aws.s3.Bucket(
        `${name}-backups`,
        {
            region,
            ...(spec.bucket.name ? { bucket: spec.bucket.name } : { bucketPrefix: `${name}-backups-`.slice(0, 37) }),
            forceDestroy: spec.bucket.forceDestroy,
            objectLockEnabled: spec.objectLock !== undefined,
            tags: { "app.kubernetes.io/part-of": "pulumi-gitguardian-backup", "gitguardian-backup/policy": name },
        },
        opts,
    );
    const bucketOpts = { parent: bucket, retainOnDelete };
    const versioning = new aws.s3.BucketVersioning(
        `${name}-backups-versioning`,
        { region, bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
        bucketOpts,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
        `${name}-backups-encryption`,
        {
            region,
            bucket: bucket.id,
            rules: [
                {
                    applyServerSideEncryptionByDefault: kmsKeyArn ? { sseAlgorithm: "aws:kms", kmsMasterKeyId: kmsKeyArn } : { sseAlgorithm: "AES256" },
                    bucketKeyEnabled: kmsKeyArn !== undefined,
                },
            ],
        },
        bucketOpts,
    );
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
        `${name}-backups-public-access`,
        { region, bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
        bucketOpts,
    );
    new aws.s3.BucketPolicy(
        `${name}-backups-tls-only`,
        { region, bucket: bucket.id, policy: bucket.arn.apply(tlsOnlyPolicy) },
        // S3 refuses a policy while the public-access block is being written.
        { ...bucketOpts, dependsOn: [publicAccess] },
    );
    new aws.s3.BucketLifecycleConfiguration(
        `${name}-backups-retention`,
        {
            region,
            bucket: bucket.id,
            rules: [
                {
                    // No expiration of current objects: age alone would delete the last good set
                    // once backups fail for longer than the retention. The retention job deletes
                    // sets (keeping the newest complete ones); what it deleted goes from here.
                    id: "expire-deleted-sets",
                    status: "Enabled",
                    filter: { prefix: `${spec.prefix}/` },
                    expiration: { expiredObjectDeleteMarker: true },
                    noncurrentVersionExpiration: { noncurrentDays: spec.retentionDays },
                    abortIncompleteMultipartUpload: { daysAfterInitiation: 2 },
                },
            ],
        },
        // Lifecycle rules on noncurrent versions need versioning in place.
        { ...bucketOpts, dependsOn: [versioning] },
    );
    if (spec.objectLock) {
        new aws.s3.BucketObjectLockConfiguration(
            `${name}-backups-object-lock`,
            {
                region,
                bucket: bucket.id,
                objectLockEnabled: "Enabled",
                rule: { defaultRetention: { mode: spec.objectLock.mode, days: spec.objectLock.days } },
            },
            { ...bucketOpts, dependsOn: [versioning] },
        );
    }
    return { bucket, name: bucket.bucket, arn: bucket.arn };
}
