/**
 * JobCredentials: how the jobs reach a bucket this component creates, with two identities. The
 * backup jobs may only write (put, abort their own upload): whoever takes a backup pod's key
 * can neither read a set (the key Secrets are in them) nor delete one. The restore has a
 * read-only identity of its own (list the prefix, get objects). Each is IRSA (an IAM role a
 * ServiceAccount assumes through the cluster's OIDC provider) or a generated IAM user whose
 * access key lands in a Kubernetes Secret as Pulumi secrets. No s3:DeleteObject for either.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Irsa } from "./args";
import { PolicySpec } from "./validate";

/** The S3 actions of the backup jobs: write new objects (multipart too) and abort their own uploads; nothing to read, list or delete. */
export const BACKUP_S3_ACTIONS = ["s3:PutObject", "s3:AbortMultipartUpload"] as const;
/** The S3 actions of a restore, besides listing the prefix: read the objects; nothing to write or delete. */
export const RESTORE_S3_ACTIONS = ["s3:GetObject"] as const;
/** The S3 actions of the retention job, besides listing the prefix: delete objects; nothing to read or write. */
export const PRUNE_S3_ACTIONS = ["s3:DeleteObject"] as const;

/**
 * The backup jobs' policy document: write-only. With SSE-KMS a multipart upload needs
 * kms:Decrypt as well as kms:GenerateDataKey (to complete it); without s3:GetObject the key
 * still reads nothing.
 */
export function backupPolicyDocument(bucketArn: string, prefix: string, kmsKeyArn?: string): string {
    const statements: object[] = [{ Sid: "WriteBackupSets", Effect: "Allow", Action: [...BACKUP_S3_ACTIONS], Resource: [`${bucketArn}/${prefix}/*`] }];
    if (kmsKeyArn) statements.push({ Sid: "UseBucketKey", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: [kmsKeyArn] });
    return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

/** Listing the bucket, under the prefix only (the restore and the retention job find the sets so). */
function listPrefixStatement(bucketArn: string, prefix: string): object {
    return { Sid: "ListBackupPrefix", Effect: "Allow", Action: ["s3:ListBucket"], Resource: [bucketArn], Condition: { StringLike: { "s3:prefix": [`${prefix}/*`, `${prefix}/`] } } };
}

/** The restore's policy document: read-only, the prefix only. */
export function restorePolicyDocument(bucketArn: string, prefix: string, kmsKeyArn?: string): string {
    const statements: object[] = [
        listPrefixStatement(bucketArn, prefix),
        { Sid: "ReadBackupSets", Effect: "Allow", Action: [...RESTORE_S3_ACTIONS], Resource: [`${bucketArn}/${prefix}/*`] },
    ];
    if (kmsKeyArn) statements.push({ Sid: "UseBucketKey", Effect: "Allow", Action: ["kms:Decrypt"], Resource: [kmsKeyArn] });
    return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

/** The S3 actions of a restore drill, besides listing and reading like a restore: write its own results. */
export const DRILL_S3_ACTIONS = ["s3:PutObject"] as const;
/** Where a drill writes its results, under the prefix. */
export const DRILL_RESULTS_FOLDER = "drills";

/**
 * A restore drill's policy document: read like a restore, and write only under
 * `<prefix>/drills/` (its results); nothing to delete.
 */
export function drillPolicyDocument(bucketArn: string, prefix: string, kmsKeyArn?: string): string {
    const statements: object[] = [
        listPrefixStatement(bucketArn, prefix),
        { Sid: "ReadBackupSets", Effect: "Allow", Action: [...RESTORE_S3_ACTIONS], Resource: [`${bucketArn}/${prefix}/*`] },
        { Sid: "WriteDrillResults", Effect: "Allow", Action: [...DRILL_S3_ACTIONS], Resource: [`${bucketArn}/${prefix}/${DRILL_RESULTS_FOLDER}/*`] },
    ];
    if (kmsKeyArn) statements.push({ Sid: "UseBucketKey", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: [kmsKeyArn] });
    return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

/**
 * The retention job's policy document: list the prefix and delete under it. It reads no set
 * (the key Secrets are in them) and writes none; with versioning its deletes leave noncurrent
 * versions, which only the lifecycle removes (no s3:DeleteObjectVersion).
 */
export function prunePolicyDocument(bucketArn: string, prefix: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            listPrefixStatement(bucketArn, prefix),
            { Sid: "DeleteExpiredSets", Effect: "Allow", Action: [...PRUNE_S3_ACTIONS], Resource: [`${bucketArn}/${prefix}/*`] },
        ],
    });
}

/**
 * The trust policy that lets exactly the given ServiceAccounts assume the role (the backup
 * jobs run as two: the shared one, and the kots job's own, which holds its Kubernetes rights).
 */
export function irsaTrustPolicy(oidcProviderArn: string, oidcProviderUrl: string, namespace: string, serviceAccount: string | readonly string[]): string {
    const issuer = oidcProviderUrl.replace(/^https:\/\//, "");
    const accounts = (typeof serviceAccount === "string" ? [serviceAccount] : [...serviceAccount]).map((sa) => `system:serviceaccount:${namespace}:${sa}`);
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Effect: "Allow",
                Principal: { Federated: oidcProviderArn },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: {
                    StringEquals: {
                        // A list in StringEquals matches any of its values.
                        [`${issuer}:sub`]: accounts.length === 1 ? accounts[0] : accounts,
                        [`${issuer}:aud`]: "sts.amazonaws.com",
                    },
                },
            },
        ],
    });
}

export interface JobCredentials {
    /** Set with IRSA: the backup jobs' role. */
    roleArn?: pulumi.Output<string>;
    /** Set with IRSA: the retention job's role (its ServiceAccount is spec.names.pruneServiceAccount). */
    pruneRoleArn?: pulumi.Output<string>;
    /** Set with IRSA and a drill: the drill's role (its ServiceAccount is spec.names.drillServiceAccount). */
    drillRoleArn?: pulumi.Output<string>;
    /** ServiceAccount annotations the mode needs. */
    serviceAccountAnnotations: { [k: string]: pulumi.Input<string> };
}

/** One identity: an IRSA role trusted by `serviceAccounts`, or a generated IAM user with its key in `secretName`. */
function identity(
    resourceName: string,
    what: string,
    spec: PolicySpec,
    policy: pulumi.Input<string>,
    irsa: Irsa | undefined,
    who: { serviceAccounts: string[]; secretName: string },
    parent: pulumi.Resource,
    k8sOpts: pulumi.CustomResourceOptions,
): { roleArn?: pulumi.Output<string> } {
    if (spec.credentials.mode === "irsa" && irsa) {
        const role = new aws.iam.Role(
            resourceName,
            {
                description: `GitGuardian ${what} of ${spec.namespace}/${who.serviceAccounts.join(", ")}`,
                assumeRolePolicy: pulumi.all([irsa.oidcProviderArn, irsa.oidcProviderUrl]).apply(([arn, url]) => irsaTrustPolicy(arn, url, spec.namespace, who.serviceAccounts)),
                maxSessionDuration: 3600,
            },
            { parent },
        );
        new aws.iam.RolePolicy(resourceName, { role: role.id, policy }, { parent: role });
        return { roleArn: role.arn };
    }
    const user = new aws.iam.User(resourceName, { path: "/gitguardian-backup/" }, { parent });
    new aws.iam.UserPolicy(resourceName, { user: user.name, policy }, { parent: user });
    const key = new aws.iam.AccessKey(resourceName, { user: user.name }, { parent: user, additionalSecretOutputs: ["secret"] });
    new k8s.core.v1.Secret(
        `${resourceName}-s3`,
        {
            metadata: { name: who.secretName, namespace: spec.namespace },
            type: "Opaque",
            stringData: { AWS_ACCESS_KEY_ID: pulumi.secret(key.id), AWS_SECRET_ACCESS_KEY: pulumi.secret(key.secret) },
        },
        { ...k8sOpts, parent: user },
    );
    return {};
}

export function createJobCredentials(
    name: string,
    spec: PolicySpec,
    bucketArn: pulumi.Output<string>,
    irsa: Irsa | undefined,
    kmsKeyArn: pulumi.Input<string> | undefined,
    parent: pulumi.Resource,
    k8sOpts: pulumi.CustomResourceOptions,
): JobCredentials {
    if (spec.credentials.mode !== "irsa" && spec.credentials.mode !== "iamUser") return { serviceAccountAnnotations: {} };
    const backupPolicy = pulumi.all([bucketArn, kmsKeyArn]).apply(([arn, kms]) => backupPolicyDocument(arn, spec.prefix, kms));
    const restorePolicy = pulumi.all([bucketArn, kmsKeyArn]).apply(([arn, kms]) => restorePolicyDocument(arn, spec.prefix, kms));
    const backup = identity(`${name}-backup-jobs`, "backup jobs (write-only)", spec, backupPolicy, irsa, { serviceAccounts: [spec.names.serviceAccount, ...Object.values(spec.names.partServiceAccount)], secretName: spec.names.credentialsSecret }, parent, k8sOpts);
    const restore = identity(`${name}-restore`, "restore (read-only)", spec, restorePolicy, irsa, { serviceAccounts: [spec.names.restoreServiceAccount], secretName: spec.names.restoreCredentialsSecret }, parent, k8sOpts);
    const prunePolicy = bucketArn.apply((arn) => prunePolicyDocument(arn, spec.prefix));
    const prune = identity(`${name}-prune`, "retention job (list and delete)", spec, prunePolicy, irsa, { serviceAccounts: [spec.names.pruneServiceAccount], secretName: spec.names.pruneCredentialsSecret }, parent, k8sOpts);
    const drill = spec.drill
        ? identity(`${name}-drill`, "restore drill (read, write its results)", spec, pulumi.all([bucketArn, kmsKeyArn]).apply(([arn, kms]) => drillPolicyDocument(arn, spec.prefix, kms)), irsa, { serviceAccounts: [spec.names.drillServiceAccount], secretName: spec.names.drillCredentialsSecret }, parent, k8sOpts)
        : {};
    if (restore.roleArn) {
        // The ServiceAccount the restore Jobs run as (GitGuardianBackupPolicy.storage names it).
        new k8s.core.v1.ServiceAccount(
            `${name}-restore`,
            {
                metadata: { name: spec.names.restoreServiceAccount, namespace: spec.namespace, annotations: { "eks.amazonaws.com/role-arn": restore.roleArn } },
                automountServiceAccountToken: false,
            },
            k8sOpts,
        );
    }
    return { roleArn: backup.roleArn, pruneRoleArn: prune.roleArn, drillRoleArn: drill.roleArn, serviceAccountAnnotations: backup.roleArn ? { "eks.amazonaws.com/role-arn": backup.roleArn } : {} };
}
