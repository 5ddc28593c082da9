/** Arguments shared by the component tests: a complete, valid policy per storage mode. */
import { GitGuardianBackupPolicyArgs } from "../../backup/args";

export function minioArgs(overrides: Partial<GitGuardianBackupPolicyArgs> = {}): GitGuardianBackupPolicyArgs {
    return {
        namespace: "gitguardian",
        schedule: "0 2 * * *",
        retentionDays: 30,
        storage: {
            existingBucket: {
                name: "gitguardian-backups",
                endpoint: "http://minio.storage.svc:9000",
                region: "us-east-1",
                credentialsSecret: { name: "minio-backup-credentials" },
            },
        },
        postgres: { host: "postgresql", user: "postgres", passwordSecret: { name: "postgresql", key: "postgres-password" } },
        redis: { host: "redis-master", passwordSecret: { name: "redis", key: "redis-password" } },
        kots: { appSlug: "gitguardian", image: "kotsadm/kotsadm:v1.124.0" },
        ...overrides,
    };
}

export function awsArgs(credentials: NonNullable<NonNullable<GitGuardianBackupPolicyArgs["storage"]["createBucket"]>["credentials"]> = {}, overrides: Partial<GitGuardianBackupPolicyArgs> = {}): GitGuardianBackupPolicyArgs {
    return minioArgs({ storage: { createBucket: { region: "eu-west-1", credentials } }, ...overrides });
}
