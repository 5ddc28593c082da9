/**
 * The environment contract between the TypeScript that declares the jobs and the jobs/*.sh
 * scripts that run in the containers. Written down once here: the component builds container
 * env from it, the tests run the scripts with it, and a test checks that every variable a
 * script reads is declared here (and nothing declared is unused).
 *
 * Values reach the scripts only through these variables (secrets through secretKeyRef), never
 * spliced into script text, so a hostile namespace or host is data, not code.
 */

/** The parts this package backs up out of the box (sources/registry.ts lists them with their descriptors). */
export const Component = {
    Postgres: "postgres",
    Redis: "redis",
    Kots: "kots",
} as const;
/** A backed-up part's name: a built-in one, or one registered in sources/registry.ts. */
export type Component = string;

/** Where the volumes sit inside the containers. */
export const MOUNT = {
    /** The ConfigMap holding jobs/*.sh. */
    scripts: "/scripts",
    /** The staging volume the dump step writes and the upload step reads. */
    staging: "/staging",
    /** A restore drill's scratch servers (their data and Unix sockets): an emptyDir of the drill pod. */
    drill: "/drill",
    /** The encryption tool (age), copied from its image by an init container: an emptyDir. */
    tools: "/ggb-tools",
    /** The age identity of a restore's or a drill's fetch step: a Secret volume of that container only. */
    identity: "/ggb-identity",
} as const;

/** The shared scripts (jobs/, and the generated rules.sh); each part's own are named in its descriptor. */
export const SCRIPT = {
    lib: "lib.sh",
    rules: "rules.sh",
    upload: "upload.sh",
    fetch: "restore-fetch.sh",
    prune: "prune.sh",
    drillFetch: "drill-fetch.sh",
    drillReport: "drill-report.sh",
} as const;

/** The files lib.sh sources (a container runs none of them itself): the seams of the scripts. */
export const SCRIPT_LIBRARIES: readonly string[] = [SCRIPT.lib, SCRIPT.rules, "codec.sh", "channel.sh", "s3.sh", "drill-lib.sh"];

/** A variable of the contract: its name, who reads it, and whether a value is secret. */
export interface EnvVarSpec {
    readonly name: string;
    readonly doc: string;
    readonly secret?: boolean;
    readonly optional?: boolean;
}

export function v(name: string, doc: string, opts: { secret?: boolean; optional?: boolean } = {}): EnvVarSpec {
    return { name, doc, ...opts };
}

/** Variables every step reads. */
export const COMMON_ENV = {
    component: v("GGB_COMPONENT", "the backed-up part (postgres, redis, kots, …)"),
    stagingDir: v("GGB_STAGING_DIR", "folder shared by the dump and upload steps: the channel's FIFOs, and what a tool cannot stream"),
    backupId: v("GGB_BACKUP_ID", "UTC id of the set (YYYYMMDDTHHMMSSZ); the dump step creates it when unset", { optional: true }),
    connectTimeout: v("GGB_CONNECT_TIMEOUT", "seconds the dump and upload steps wait for each other to open the channel (default 600)", { optional: true }),
    callTimeout: v("GGB_CALL_TIMEOUT", "seconds one call to a server may take (kubectl, kots, redis-cli INFO; value rule connectTimeout; default 600)", { optional: true }),
} as const;

/** Variables of the S3 steps (upload, fetch, list). */
export const S3_ENV = {
    bucket: v("GGB_S3_BUCKET", "bucket name"),
    prefix: v("GGB_S3_PREFIX", "key prefix of every set, no leading or trailing slash"),
    endpoint: v("GGB_S3_ENDPOINT", "S3-compatible endpoint URL; empty for AWS", { optional: true }),
    region: v("AWS_DEFAULT_REGION", "bucket region", { optional: true }),
    accessKeyId: v("AWS_ACCESS_KEY_ID", "static credentials (omitted with IRSA)", { secret: true, optional: true }),
    secretAccessKey: v("AWS_SECRET_ACCESS_KEY", "static credentials (omitted with IRSA)", { secret: true, optional: true }),
    partSizeMiB: v("GGB_S3_PART_SIZE_MIB", "part size of the streamed multipart uploads, MiB (value rule uploadPartSizeMiB; default 128): one artifact holds at most 10,000 parts", { optional: true }),
    awsBin: v("GGB_AWS", "aws CLI command (default aws)", { optional: true }),
    jqBin: v("GGB_JQ", "jq command of the fetch step, which reads the manifest (default jq; the aws-cli image ships it)", { optional: true }),
} as const;

/** Variables of the retention job (jobs/prune.sh). */
export const PRUNE_ENV = {
    retentionDays: v("GGB_RETENTION_DAYS", "days a set is kept (value rule retentionDays)"),
    keepLast: v("GGB_KEEP_LAST", "complete sets of each part kept whatever their age (value rule keepLast)"),
    parts: v("GGB_PARTS", "the parts whose sets the retention job looks at, comma-separated"),
} as const;

/** Variables of the restore drills (jobs/drill-*.sh and each part's drill step). */
export const DRILL_ENV = {
    parts: v("GGB_DRILL_PARTS", "the parts a drill restores, comma-separated"),
    pick: v("GGB_DRILL_PICK", "which complete set of each part a drill takes: latest or random (value rule drillPick)"),
    windowDays: v("GGB_DRILL_WINDOW_DAYS", "days back a drill looks for a set; an older newest set fails it (value rule drillWindowDays)"),
    deadlineSeconds: v("GGB_DRILL_DEADLINE_SECONDS", "seconds the drill's steps may take before its checks are TIMED_OUT (value rule drillDeadlineSeconds)"),
    dir: v("GGB_DRILL_DIR", "the drill pod's scratch volume, where each part's step starts its scratch server"),
} as const;

/** Variables of the codec of the dump steps (jobs/lib.sh compress). */
export const CODEC_ENV = {
    compression: v("GGB_COMPRESSION", "gzip | zstd | none"),
    compressionLevel: v("GGB_COMPRESSION_LEVEL", "compressor level", { optional: true }),
} as const;

/**
 * Variables of the encryption codec (jobs/codec.sh): the upload step encrypts to the
 * recipients, the restore's and the drill's fetch steps decrypt with the identity file. The
 * private key never reaches a backup container.
 */
export const ENCRYPTION_ENV = {
    recipients: v("GGB_ENCRYPTION_RECIPIENTS", "age recipients every artifact is encrypted to, one a line (value rule ageRecipient); unset or empty: not encrypted", { optional: true }),
    ageBin: v("GGB_AGE", "age command (default the one the encryption tool image's init container copied, /ggb-tools/age)", { optional: true }),
    identityFile: v("GGB_AGE_IDENTITY_FILE", "file holding the age identity (private key) that decrypts the set: a Secret volume of the fetch container only", { optional: true }),
} as const;

/** Variables every restore apply step reads. */
export const RESTORE_ENV = {
    overwrite: v("GGB_OVERWRITE", "true to restore into a non-empty target", { optional: true }),
} as const;

/** The variables every part shares (each part's own are in its descriptor; sources/registry.ts joins them). */
export const SHARED_ENV: readonly EnvVarSpec[] = [...Object.values(COMMON_ENV), ...Object.values(S3_ENV), ...Object.values(CODEC_ENV), ...Object.values(ENCRYPTION_ENV), ...Object.values(RESTORE_ENV), ...Object.values(PRUNE_ENV), ...Object.values(DRILL_ENV)];

/** The shape of a backup id: a UTC timestamp, sortable as text. */
export const BACKUP_ID_PATTERN = /^[0-9]{8}T[0-9]{6}Z$/;
