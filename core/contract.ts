/**
 * The environment contract between the TypeScript that declares the jobs and the jobs/*.sh
 * scripts that run in the containers. Written down once here: the component builds container
 * env from it, the tests run the scripts with it, and a test checks that every variable a
 * script reads is declared here (and nothing declared is unused).
 *
 * Values reach the scripts only through these variables (secrets through secretKeyRef), never
 * spliced into script text, so a hostile namespace or host is data, not code.
 */

/** The backed-up parts of a GitGuardian instance; each has its own CronJob and backup sets. */
export const Component = {
    Postgres: "postgres",
    Redis: "redis",
    Kots: "kots",
} as const;
export type Component = (typeof Component)[keyof typeof Component];
export const ALL_COMPONENTS: readonly Component[] = [Component.Postgres, Component.Redis, Component.Kots];

/** Where the volumes sit inside the containers. */
export const MOUNT = {
    /** The ConfigMap holding jobs/*.sh. */
    scripts: "/scripts",
    /** The staging volume the dump step writes and the upload step reads. */
    staging: "/staging",
} as const;

/** Script file names in jobs/ (and keys of the scripts ConfigMap). */
export const SCRIPT = {
    lib: "lib.sh",
    dump: { postgres: "dump-postgres.sh", redis: "dump-redis.sh", kots: "dump-kots.sh" } as Record<Component, string>,
    upload: "upload.sh",
    fetch: "restore-fetch.sh",
    restorePostgres: "restore-postgres.sh",
    restoreRedis: "restore-redis.sh",
} as const;

/** A variable of the contract: its name, who reads it, and whether a value is secret. */
export interface EnvVarSpec {
    readonly name: string;
    readonly doc: string;
    readonly secret?: boolean;
    readonly optional?: boolean;
}

function v(name: string, doc: string, opts: { secret?: boolean; optional?: boolean } = {}): EnvVarSpec {
    return { name, doc, ...opts };
}

/** Variables every step reads. */
export const COMMON_ENV = {
    component: v("GGB_COMPONENT", "postgres | redis | kots"),
    stagingDir: v("GGB_STAGING_DIR", "folder shared by the dump and upload steps: the channel's FIFOs, and what a tool cannot stream"),
    backupId: v("GGB_BACKUP_ID", "UTC id of the set (YYYYMMDDTHHMMSSZ); the dump step creates it when unset", { optional: true }),
    connectTimeout: v("GGB_CONNECT_TIMEOUT", "seconds the dump and upload steps wait for each other to open the channel (default 600)", { optional: true }),
} as const;

/** Variables of the S3 steps (upload, fetch, list). */
export const S3_ENV = {
    bucket: v("GGB_S3_BUCKET", "bucket name"),
    prefix: v("GGB_S3_PREFIX", "key prefix of every set, no leading or trailing slash"),
    endpoint: v("GGB_S3_ENDPOINT", "S3-compatible endpoint URL; empty for AWS", { optional: true }),
    region: v("AWS_DEFAULT_REGION", "bucket region", { optional: true }),
    accessKeyId: v("AWS_ACCESS_KEY_ID", "static credentials (omitted with IRSA)", { secret: true, optional: true }),
    secretAccessKey: v("AWS_SECRET_ACCESS_KEY", "static credentials (omitted with IRSA)", { secret: true, optional: true }),
    awsBin: v("GGB_AWS", "aws CLI command (default aws)", { optional: true }),
} as const;

export const POSTGRES_ENV = {
    host: v("PGHOST", "PostgreSQL host"),
    port: v("PGPORT", "PostgreSQL port"),
    user: v("PGUSER", "superuser that can read every database and role"),
    password: v("PGPASSWORD", "its password", { secret: true, optional: true }),
    format: v("GGB_PG_FORMAT", "sql (pg_dumpall) | directory (pg_dump -Fd -j per database)"),
    parallelJobs: v("GGB_PG_JOBS", "parallel workers for directory format", { optional: true }),
    compression: v("GGB_COMPRESSION", "gzip | zstd | none"),
    compressionLevel: v("GGB_COMPRESSION_LEVEL", "compressor level", { optional: true }),
} as const;

export const REDIS_ENV = {
    host: v("GGB_REDIS_HOST", "Redis host"),
    port: v("GGB_REDIS_PORT", "Redis port"),
    user: v("GGB_REDIS_USER", "ACL user (empty: default user)", { optional: true }),
    password: v("REDISCLI_AUTH", "password, read by redis-cli itself", { secret: true, optional: true }),
    compression: POSTGRES_ENV.compression,
    compressionLevel: POSTGRES_ENV.compressionLevel,
} as const;

export const KOTS_ENV = {
    namespace: v("GGB_KOTS_NAMESPACE", "namespace of the KOTS admin console and app"),
    appSlug: v("GGB_KOTS_APP_SLUG", "KOTS app slug (gitguardian; older installs gitguardian-seal)"),
    secrets: v("GGB_KOTS_SECRETS", "comma-separated names of the encryption-key Secrets to export"),
    kotsBin: v("GGB_KOTS", "kots command (the kotsadm image carries /kots)", { optional: true }),
    kubectlBin: v("GGB_KUBECTL", "kubectl command", { optional: true }),
} as const;

/** Variables of the restore steps. */
export const RESTORE_ENV = {
    overwrite: v("GGB_OVERWRITE", "true to restore into a non-empty target", { optional: true }),
    redisDataDir: v("GGB_REDIS_DATA_DIR", "Redis data folder (the mounted data PVC)"),
    redisRdbName: v("GGB_REDIS_RDB_NAME", "dbfilename of the server (default dump.rdb)", { optional: true }),
    redisAofDir: v("GGB_REDIS_AOF_DIR", "appenddirname of the server (default appendonlydir)", { optional: true }),
} as const;

/** Every variable of the contract, by name. */
export const ALL_ENV: readonly EnvVarSpec[] = [
    ...Object.values(COMMON_ENV),
    ...Object.values(S3_ENV),
    ...Object.values(POSTGRES_ENV),
    ...Object.values(REDIS_ENV),
    ...Object.values(KOTS_ENV),
    ...Object.values(RESTORE_ENV),
].filter((e, i, all) => all.findIndex((o) => o.name === e.name) === i);

/** The shape of a backup id: a UTC timestamp, sortable as text. */
export const BACKUP_ID_PATTERN = /^[0-9]{8}T[0-9]{6}Z$/;
