// An AWS bucket created and secured by the component; the jobs authenticate with IRSA (no static key).
import * as pulumi from "@pulumi/pulumi";
import { GitGuardianBackupPolicy } from "pulumi-gitguardian-backup";

const cfg = new pulumi.Config();

const backups = new GitGuardianBackupPolicy("gitguardian", {
    namespace: "gitguardian",
    schedule: "0 2 * * *",
    timeZone: "Europe/Paris",
    retentionDays: 30,
    storage: {
        createBucket: {
            region: "eu-west-1",
            kmsKeyArn: cfg.get("kmsKeyArn"),
            objectLock: { mode: "GOVERNANCE", days: 7 },
            credentials: {
                irsa: {
                    oidcProviderArn: cfg.require("oidcProviderArn"),
                    oidcProviderUrl: cfg.require("oidcProviderUrl"),
                },
            },
        },
    },
    postgres: { host: "postgresql", user: "postgres", passwordSecret: { name: "postgresql", key: "postgres-password" } },
    redis: { host: "redis-master", passwordSecret: { name: "redis", key: "redis-password" } },
    kots: { appSlug: "gitguardian", image: "kotsadm/kotsadm:v1.124.0" },
});

export const bucket = backups.bucketName;
export const roleArn = backups.roleArn;
export const cronJobs = backups.cronJobNames;
