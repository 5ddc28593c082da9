/**
 * The root Pulumi.yaml program: a GitGuardianBackupPolicy declared from stack config, so a
 * user's `pulumi up` needs no code. Config keys (namespace `gitguardian-backup`):
 * namespace, schedule, timeZone, retentionDays, storage, postgres, redis, kots (objects as in
 * GitGuardianBackupPolicyArgs).
 */
import * as pulumi from "@pulumi/pulumi";
import { GitGuardianBackupPolicyArgs } from "../backup/args";
import { GitGuardianBackupPolicy } from "../backup/backupPolicy";

export function rootProgram() {
    const cfg = new pulumi.Config("gitguardian-backup");
    const args: GitGuardianBackupPolicyArgs = {
        namespace: cfg.get("namespace") ?? "gitguardian",
        schedule: cfg.require("schedule"),
        timeZone: cfg.get("timeZone"),
        retentionDays: cfg.requireNumber("retentionDays"),
        storage: cfg.requireObject("storage"),
        postgres: cfg.getObject("postgres"),
        redis: cfg.getObject("redis"),
        kots: cfg.getObject("kots"),
        compression: cfg.get("compression") as GitGuardianBackupPolicyArgs["compression"],
    };
    const backups = new GitGuardianBackupPolicy(cfg.get("name") ?? "gitguardian", args);
    return {
        bucketName: backups.bucketName,
        prefix: backups.prefix,
        serviceAccountName: backups.serviceAccountName,
        cronJobNames: backups.cronJobNames,
        storage: backups.storage,
    };
}
