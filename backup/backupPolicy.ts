/**
 * GitGuardianBackupPolicy: everything a scheduled backup of a self-hosted GitGuardian needs —
 * the bucket (created and secured, or an existing S3-compatible one), the jobs' credentials,
 * a ServiceAccount with least-privilege RBAC, the scripts ConfigMap and one CronJob per
 * enabled part (postgres, redis, kots: sources/registry.ts).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BACKUP_POLICY_TYPE } from "../core/types";
import { scriptBundle } from "../sources/registry";
import { GitGuardianBackupPolicyArgs, S3CredentialsSecret } from "./args";
import { createJobCredentials, JobCredentials } from "./credentials";
import { cronJobSpec, labels, partRoles } from "./jobSpec";
import { pruneCronJobSpec } from "./pruneJob";
import { drillCronJobSpec } from "../drill/drillJob";
import { alertRules } from "../alerts/rules";
import { createBackupBucket } from "./storage";
import { PolicySpec, resolvePolicy } from "./validate";

/** Where a policy's sets are, as a GitGuardianRestore reads them. */
export interface BackupStorageLocation {
    /** Bucket name. */
    bucketName: string;
    /** Key prefix of the sets. */
    prefix: string;
    /** Region of the bucket. */
    region: string;
    /** S3-compatible endpoint; empty for AWS. */
    endpoint?: string;
    /** Secret (in the namespace) with the static credentials the jobs use, if any. */
    credentialsSecret?: S3CredentialsSecret;
    /**
     * ServiceAccount whose identity reaches the bucket when there is no credentials Secret (IRSA,
     * or another pod identity given through serviceAccountAnnotations): the restore Jobs run as it.
     */
    serviceAccountName?: string;
}

/** The CronJob name of each enabled part (a registered part beyond these three appears under its own name). */
export interface BackupCronJobNames {
    postgres?: string;
    redis?: string;
    kots?: string;
}

export { BACKUP_POLICY_TYPE };

export class GitGuardianBackupPolicy extends pulumi.ComponentResource {
    /** Name of the bucket the sets go to. */
    public readonly bucketName: pulumi.Output<string>;
    /** Key prefix of every set (`<prefix>/<component>/<backupId>/`). */
    public readonly prefix: pulumi.Output<string>;
    /** ServiceAccount the jobs run as. */
    public readonly serviceAccountName: pulumi.Output<string>;
    /** CronJob name per enabled component. */
    public readonly cronJobNames: pulumi.Output<BackupCronJobNames>;
    /** ARN of the IAM role of the jobs (IRSA mode only; empty otherwise). */
    public readonly roleArn: pulumi.Output<string>;
    /** Where the sets are, to hand to a GitGuardianRestore. */
    public readonly storage: pulumi.Output<BackupStorageLocation>;
    /** CronJob name of the restore drill; empty when none is declared. */
    public readonly drillCronJobName: pulumi.Output<string>;

    constructor(name: string, args: GitGuardianBackupPolicyArgs, opts?: pulumi.ComponentResourceOptions) {
        // Validate before registering anything, so a preview fails fast with the reason.
        const spec = resolvePolicy(name, args);
        super(BACKUP_POLICY_TYPE, name, {}, opts);
        const k8sOpts: pulumi.CustomResourceOptions = { parent: this };
        for (const w of spec.warnings) void pulumi.log.warn(w, this);

        let bucketName: pulumi.Output<string>;
        let credentials: JobCredentials = { serviceAccountAnnotations: {} };
        if (spec.storageMode === "createBucket") {
            const cb = args.storage.createBucket!;
            const bucket = createBackupBucket(name, spec, cb.kmsKeyArn, this);
            bucketName = bucket.name;
            credentials = createJobCredentials(name, spec, bucket.arn, cb.credentials?.irsa, cb.kmsKeyArn, this, k8sOpts);
        } else {
            bucketName = pulumi.output(spec.bucket.name!);
        }

        // Every backup job's ServiceAccount reaches the bucket the same way (the IRSA role trusts each of them).
        const backupAnnotations = { ...spec.serviceAccountAnnotations, ...credentials.serviceAccountAnnotations };
        const jobAccount = (resourceName: string, accountName: string, annotations: { [k: string]: pulumi.Input<string> }, component?: string) =>
            new k8s.core.v1.ServiceAccount(
                resourceName,
                {
                    metadata: { name: accountName, namespace: spec.namespace, labels: labels(spec, component), annotations },
                    // No pod gets a token from the ServiceAccount: the kots pod mounts one in one container.
                    automountServiceAccountToken: false,
                },
                k8sOpts,
            );
        const serviceAccount = jobAccount(`${name}-backup`, spec.names.serviceAccount, backupAnnotations);
        const accounts: pulumi.Resource[] = [serviceAccount];
        for (const { part, name: roleName, rules } of partRoles(spec)) {
            const account = jobAccount(`${name}-backup-${part}`, roleName, backupAnnotations, part);
            const role = new k8s.rbac.v1.Role(`${name}-backup-${part}`, { metadata: { name: roleName, namespace: spec.namespace, labels: labels(spec, part) }, rules }, k8sOpts);
            new k8s.rbac.v1.RoleBinding(
                `${name}-backup-${part}`,
                {
                    metadata: { name: roleName, namespace: spec.namespace, labels: labels(spec, part) },
                    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: roleName },
                    subjects: [{ kind: "ServiceAccount", name: roleName, namespace: spec.namespace }],
                },
                { ...k8sOpts, dependsOn: [role, account] },
            );
            accounts.push(account);
        }
        const scripts = new k8s.core.v1.ConfigMap(
            `${name}-backup-scripts`,
            { metadata: { name: spec.names.scripts, namespace: spec.namespace, labels: labels(spec) }, data: scriptBundle() },
            k8sOpts,
        );

        if (spec.storageMode === "createBucket") {
            // The retention job of the bucket this component owns (an existing bucket's retention is its owner's).
            const pruneAccount = jobAccount(`${name}-prune`, spec.names.pruneServiceAccount, credentials.pruneRoleArn ? { "eks.amazonaws.com/role-arn": credentials.pruneRoleArn } : {});
            new k8s.batch.v1.CronJob(`${name}-backup-prune`, pruneCronJobSpec(spec, bucketName), { ...k8sOpts, dependsOn: [pruneAccount, scripts] });
        }

        if (spec.drill) {
            // The drill's own identity (read the sets, write its results), with no Kubernetes rights.
            const drillAnnotations = credentials.drillRoleArn ? { "eks.amazonaws.com/role-arn": credentials.drillRoleArn } : spec.serviceAccountAnnotations;
            const drillAccount = jobAccount(`${name}-drill`, spec.names.drillServiceAccount, drillAnnotations);
            new k8s.batch.v1.CronJob(`${name}-backup-drill`, drillCronJobSpec(spec, spec.drill, bucketName), { ...k8sOpts, dependsOn: [drillAccount, scripts] });
        }

        if (spec.alerts) {
            new k8s.apiextensions.CustomResource(
                `${name}-backup-alerts`,
                {
                    apiVersion: "monitoring.coreos.com/v1",
                    kind: "PrometheusRule",
                    metadata: { name: spec.names.alertRules, namespace: spec.namespace, labels: { ...labels(spec), ...spec.alerts.ruleLabels } },
                    spec: alertRules(spec, spec.alerts),
                },
                k8sOpts,
            );
        }

        const cronJobNames: BackupCronJobNames = {};
        for (const c of spec.components) {
            const cronJob = cronJobSpec(spec, c, bucketName);
            new k8s.batch.v1.CronJob(`${name}-backup-${c.component}`, cronJob, {
                ...k8sOpts,
                dependsOn: [...accounts, scripts],
            });
            (cronJobNames as Record<string, string>)[c.component] = spec.names.cronJob[c.component];
            if (spec.backupOnChange?.parts.includes(c.component)) {
                // One run of the CronJob's own template, named after the triggers: a change of them is
                // a new Job (a new backup); the Kubernetes provider waits for it to complete and fails
                // the up when it fails. A succeeded backup Job has committed its set (upload.sh).
                new k8s.batch.v1.Job(
                    `${name}-backup-${c.component}-on-change`,
                    {
                        metadata: {
                            name: `${spec.names.cronJob[c.component]}-${spec.backupOnChange.triggersHash}`,
                            namespace: spec.namespace,
                            labels: cronJob.spec.jobTemplate.metadata.labels,
                            annotations: { "cronjob.kubernetes.io/instantiate": "pulumi-up" },
                        },
                        // Kept until the triggers change (a Job the TTL removed would be re-created by the next up: another backup).
                        spec: { ...cronJob.spec.jobTemplate.spec, ttlSecondsAfterFinished: undefined },
                    },
                    {
                        ...k8sOpts,
                        dependsOn: [...accounts, scripts],
                        // A Job's template cannot change: a changed one is a new run, under the same name.
                        replaceOnChanges: ["spec"],
                        deleteBeforeReplace: true,
                        customTimeouts: { create: `${spec.activeDeadlineSeconds + 300}s`, update: `${spec.activeDeadlineSeconds + 300}s` },
                    },
                );
            }
        }

        this.bucketName = bucketName;
        this.prefix = pulumi.output(spec.prefix);
        this.serviceAccountName = serviceAccount.metadata.name;
        this.cronJobNames = pulumi.output(cronJobNames);
        this.roleArn = credentials.roleArn ?? pulumi.output("");
        this.storage = bucketName.apply((b) => storageLocation(spec, b));
        this.drillCronJobName = pulumi.output(spec.drill ? spec.names.drillCronJob : "");
        this.registerOutputs({
            bucketName: this.bucketName,
            prefix: this.prefix,
            serviceAccountName: this.serviceAccountName,
            cronJobNames: this.cronJobNames,
            roleArn: this.roleArn,
            storage: this.storage,
            drillCronJobName: this.drillCronJobName,
        });
    }
}

/**
 * Where the sets are and the identity a restore reads them with: the read-only one this
 * component created (its key's Secret, or its IRSA ServiceAccount), else the Secret the user
 * gave (which then reads and writes), else the jobs' ServiceAccount (an ambient identity).
 */
function storageLocation(spec: PolicySpec, bucketName: string): BackupStorageLocation {
    const base = { bucketName, prefix: spec.prefix, region: spec.bucket.region, ...(spec.bucket.endpoint ? { endpoint: spec.bucket.endpoint } : {}) };
    switch (spec.credentials.mode) {
        case "iamUser":
            return { ...base, credentialsSecret: { name: spec.names.restoreCredentialsSecret, accessKeyIdKey: "AWS_ACCESS_KEY_ID", secretAccessKeyKey: "AWS_SECRET_ACCESS_KEY" } };
        case "irsa":
            return { ...base, serviceAccountName: spec.names.restoreServiceAccount };
        case "existingSecret":
            return { ...base, credentialsSecret: spec.credentials.secret! };
        case "ambient":
            return { ...base, serviceAccountName: spec.names.serviceAccount };
    }
}
