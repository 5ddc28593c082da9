/**
 * JobCredentials: how the jobs reach a bucket this component creates. IRSA (an IAM role the
 * job ServiceAccount assumes through the cluster's OIDC provider) or a generated IAM user whose
 * access key lands in a Kubernetes Secret as Pulumi secrets. Either way the IAM policy allows
 * only the actions the jobs use, only on the bucket and prefix. No s3:DeleteObject: a stolen
 * key cannot erase the backups.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { IrsaArgs } from "./args";
import { PolicySpec } from "./validate";

/** The S3 actions of the jobs: upload (multipart too), read back a set, list the prefix. */
export const JOB_S3_ACTIONS = ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"] as const;

/** The least-privilege policy document of the jobs. */
export function jobPolicyDocument(bucketArn: string, prefix: string, kmsKeyArn?: string): string {
    const statements: object[] = [
        { Sid: "ListBackupPrefix", Effect: "Allow", Action: ["s3:ListBucket"], Resource: [bucketArn], Condition: { StringLike: { "s3:prefix": [`${prefix}/*`, `${prefix}/`] } } },
        { Sid: "ReadWriteBackupSets", Effect: "Allow", Action: [...JOB_S3_ACTIONS], Resource: [`${bucketArn}/${prefix}/*`] },
    ];
    if (kmsKeyArn) {
        statements.push({ Sid: "UseBucketKey", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: [kmsKeyArn] });
    }
    return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

/** The trust policy that lets exactly the job ServiceAccount assume the role. */
export function irsaTrustPolicy(oidcProviderArn: string, oidcProviderUrl: string, namespace: string, serviceAccount: string): string {
    const issuer = oidcProviderUrl.replace(/^https:\/\//, "");
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Effect: "Allow",
                Principal: { Federated: oidcProviderArn },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: {
                    StringEquals: {
                        [`${issuer}:sub`]: `system:serviceaccount:${namespace}:${serviceAccount}`,
                        [`${issuer}:aud`]: "sts.amazonaws.com",
                    },
                },
            },
        ],
    });
}

export interface JobCredentials {
    /** Set with IRSA. */
    roleArn?: pulumi.Output<string>;
    /** ServiceAccount annotations the mode needs. */
    serviceAccountAnnotations: { [k: string]: pulumi.Input<string> };
}

export function createJobCredentials(
    name: string,
    spec: PolicySpec,
    bucketArn: pulumi.Output<string>,
    irsa: IrsaArgs | undefined,
    kmsKeyArn: pulumi.Input<string> | undefined,
    parent: pulumi.Resource,
    k8sOpts: pulumi.CustomResourceOptions,
): JobCredentials {
    const policy = pulumi.all([bucketArn, kmsKeyArn]).apply(([arn, kms]) => jobPolicyDocument(arn, spec.prefix, kms));
    if (spec.credentials.mode === "irsa" && irsa) {
        const role = new aws.iam.Role(
            `${name}-backup-jobs`,
            {
                description: `GitGuardian backup jobs of ${spec.namespace}/${spec.names.serviceAccount}`,
                assumeRolePolicy: pulumi
                    .all([irsa.oidcProviderArn, irsa.oidcProviderUrl])
                    .apply(([arn, url]) => irsaTrustPolicy(arn, url, spec.namespace, spec.names.serviceAccount)),
                maxSessionDuration: 3600,
            },
            { parent },
        );
        new aws.iam.RolePolicy(`${name}-backup-jobs`, { role: role.id, policy }, { parent: role });
        return { roleArn: role.arn, serviceAccountAnnotations: { "eks.amazonaws.com/role-arn": role.arn } };
    }
    if (spec.credentials.mode === "iamUser") {
        const user = new aws.iam.User(`${name}-backup-jobs`, { path: "/gitguardian-backup/" }, { parent });
        new aws.iam.UserPolicy(`${name}-backup-jobs`, { user: user.name, policy }, { parent: user });
        const key = new aws.iam.AccessKey(`${name}-backup-jobs`, { user: user.name }, { parent: user, additionalSecretOutputs: ["secret"] });
        new k8s.core.v1.Secret(
            `${name}-backup-s3`,
            {
                metadata: { name: spec.names.credentialsSecret, namespace: spec.namespace },
                type: "Opaque",
                stringData: {
                    AWS_ACCESS_KEY_ID: pulumi.secret(key.id),
                    AWS_SECRET_ACCESS_KEY: pulumi.secret(key.secret),
                },
            },
            { ...k8sOpts, parent: user },
        );
        return { serviceAccountAnnotations: {} };
    }
    return { serviceAccountAnnotations: {} };
}
