// An existing bucket on MinIO (or Ceph RGW), with static credentials from a Kubernetes Secret
// that holds AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
import { GitGuardianBackupPolicy } from "pulumi-gitguardian-backup";

const backups = new GitGuardianBackupPolicy("gitguardian", {
    namespace: "gitguardian",
    schedule: "0 2 * * *",
    retentionDays: 14,
    storage: {
        existingBucket: {
            name: "gitguardian-backups",
            endpoint: "http://minio.minio.svc:9000",
            region: "us-east-1",
            credentialsSecret: { name: "minio-backup-credentials" },
        },
    },
    postgres: { host: "postgresql", user: "postgres", passwordSecret: { name: "postgresql", key: "postgres-password" } },
    // Redis every 6 hours: the queue state changes faster than the database.
    redis: { host: "redis-master", schedule: "0 */6 * * *", passwordSecret: { name: "redis", key: "redis-password" } },
    kots: { appSlug: "gitguardian", image: "kotsadm/kotsadm:v1.124.0" },
});

export const bucket = backups.bucketName;
export const storage = backups.storage;
