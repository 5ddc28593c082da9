// GitGuardian with external databases (e.g. Amazon RDS for PostgreSQL 16 and ElastiCache):
// the parallel directory format for a large database, and a staging volume on a storage class
// because the dump is larger than the node's disk.
// ElastiCache does not serve SYNC, which the Redis backup (redis-cli --rdb) is taken with: Redis
// is left to ElastiCache's own automatic backups here (a redis backup would fail every night with
// that reason), and the policy pack is told so in the stack's policy config:
//   gitguardian-backup-schedule-required: { requiredComponents: ["postgres", "kots"] }
// A Redis of your own behind TLS is backed up with `redis: { host, tls: { caSecret } }`.
// RDS's admin user is no superuser and cannot read pg_authid, where the role passwords are:
// the backup leaves them out, and a restore gives the roles passwords again (README, "Managed
// PostgreSQL"). rolePasswords auto, the default, would find that out at every run; exclude says it.
import { GitGuardianBackupPolicy, PostgresFormat, PostgresRolePasswords } from "pulumi-gitguardian-backup";

const backups = new GitGuardianBackupPolicy("gitguardian", {
    namespace: "gitguardian",
    schedule: "30 1 * * *",
    retentionDays: 35,
    storage: { createBucket: { region: "eu-west-1", credentials: { createIamUser: true } } },
    postgres: {
        host: "gitguardian.abcdefghij.eu-west-1.rds.amazonaws.com",
        user: "gitguardian_admin",
        passwordSecret: { name: "rds-credentials", key: "password" },
        rolePasswords: PostgresRolePasswords.Exclude,
        format: PostgresFormat.Directory,
        parallelJobs: 4,
    },
    kots: { appSlug: "gitguardian", image: "kotsadm/kotsadm:v1.124.0" },
    staging: { size: "200Gi", storageClassName: "gp3" },
    resources: { requests: { cpu: "500m", memory: "256Mi" }, limits: { cpu: "4", memory: "2Gi" } },
});

export const bucket = backups.bucketName;
