/**
 * Hostile values in every env input of every script: command substitutions, backticks, quotes,
 * newlines and spaces are data, never code. Each script runs with valid values against real
 * servers except for ONE variable set to a hostile value; the marker file the payload would
 * create must never appear, and each run gives the outcome pinned for that variable and payload
 * in EXPECTED: the one-line reason of the check or tool that refuses the value (with the value
 * in it, verbatim or as far as the tool's first error line goes: it was handled as data), or a
 * run that works with the value used as a name.
 *
 * Each variable gets both payloads, on shells that rotate over the ones the script is tested
 * under (busybox sh and dash, plus bash for the aws-cli steps).
 */
import * as assert from "node:assert/strict";
import { PART_SCRIPT } from "../../sources";
import { VALUE_RULES } from "../../core/valueRules";
import * as fs from "node:fs";
import * as path from "node:path";
import { Component, SCRIPT } from "../../core/contract";
import { FakeKots, FakeTool, makeFakeKots, makeFakeKubectl } from "../../harness/fakeKots";
import { JobResult, POSIX_SHELLS, SHELLS, Shell, explain, runJob } from "../../harness/jobRunner";
import { MinioServer, startMinio } from "../../harness/minio";
import { PostgresServer, startPostgres } from "../../harness/postgres";
import { makeTempDir, randomToken } from "../../harness/proc";
import { RedisServer, startRedis } from "../../harness/redis";
import { SCRIPTS, reads } from "./scriptEnv";
import { backupOk, fetchSet, nextBackupId, uniquePrefix } from "./support";

/** A hostile value, and the forms of it a reason line shows. */
interface Hostile {
    raw: string;
    /** As die() prints it: newlines and carriage returns folded to spaces. */
    folded: string;
    /** Up to its first newline: what a tool's first error line keeps of it. */
    firstLine: string;
    /** After its last newline: the end of a shell's "<command>: not found" for it. */
    lastLine: string;
    /** Up to its first blank: the command an unquoted ${GGB_AWS:-aws} runs (split, never expanded). */
    firstWord: string;
    /** Up to its first quote: what survives verbatim in Python's repr of it. */
    beforeQuote: string;
}
const hostile = (raw: string): Hostile => ({
    raw,
    folded: raw.replace(/[\n\r]/g, " "),
    firstLine: raw.split("\n")[0],
    lastLine: raw.split("\n").pop()!,
    firstWord: raw.split(/[ \t\n]/)[0],
    beforeQuote: raw.split("'")[0],
});

/** Regex source of a literal text. */
const lit = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
const ANY = /.*/;
/** A shell's words for a command it cannot find: "not found" (busybox, dash), "command not found" (bash); the shells rotate. */
const NOT_FOUND = /(command )?not found/;
const UTC_ID = /\d{8}T\d{6}Z/;
/** A whole stderr line: the template's text and string values literally, RegExp values as patterns. */
function line(strings: TemplateStringsArray, ...values: (string | number | RegExp)[]): RegExp {
    let source = "";
    strings.forEach((text, i) => {
        source += lit(text);
        if (i < values.length) {
            const v = values[i];
            source += v instanceof RegExp ? v.source : lit(String(v));
        }
    });
    return new RegExp(`^${source}$`);
}

/** What the run must give: its last stderr line, or success (then `works` looks at what it made). */
type Outcome = { reason: RegExp } | { works: (env: Record<string, string>) => void };
/** What the servers and sets of this run are, for the reasons that name them. */
interface Context {
    /** The run's baseline values (the hostile variable's own value excluded). */
    env: Record<string, string>;
    pgPort: number;
    redisPort: number;
    bucket: string;
}
type Rule = (h: Hostile, c: Context) => Outcome;
const refused = (reason: (h: Hostile, c: Context) => RegExp): Rule => (h, c) => ({ reason: reason(h, c) });
/** A different outcome for payload A (spaces, slashes, a newline) and payload B (a bare word). */
const byPayload = (a: Rule, b: Rule): Rule[] => [a, b];
const both = (rule: Rule): Rule[] => [rule, rule];

// The checks every dump step makes (jobs/lib.sh open_channel, check_compression_tool): the value
// is refused with itself in the reason.
const dumpChecks = (step: string): Record<string, Rule[]> => ({
    GGB_BACKUP_ID: both(refused((h) => line`${step}: backup id '${h.folded}' is not a UTC id like 20261127T020000Z`)),
    GGB_COMPONENT: both(refused((h) => line`${step}: GGB_COMPONENT '${h.folded}' is not ${VALUE_RULES.partName.what}`)),
    GGB_COMPRESSION: both(refused((h) => line`${step}: GGB_COMPRESSION '${h.folded}' is not one of gzip, zstd, none`)),
    GGB_COMPRESSION_LEVEL: both(refused((h) => line`${step}: GGB_COMPRESSION_LEVEL '${h.folded}' is not a gzip level (1 to 9)`)),
    GGB_CONNECT_TIMEOUT: both(refused((h) => line`${step}: GGB_CONNECT_TIMEOUT '${h.folded}' is not a number of seconds (1 to 9999)`)),
    GGB_STAGING_DIR: both(refused((h) => line`${step}: staging folder ${h.folded} does not exist`)),
});
// The S3 checks of upload.sh and restore-fetch.sh (jobs/lib.sh need_s3).
const s3Checks = (step: string): Record<string, Rule[]> => ({
    GGB_COMPONENT: both(refused((h) => line`${step}: GGB_COMPONENT '${h.folded}' is not ${VALUE_RULES.partName.what}`)),
    GGB_S3_BUCKET: both(refused((h) => line`${step}: GGB_S3_BUCKET '${h.folded}' is not ${VALUE_RULES.bucket.what}`)),
    GGB_S3_PREFIX: both(refused((h) => line`${step}: GGB_S3_PREFIX '${h.folded}' is not ${VALUE_RULES.prefix.what}`)),
});
// libpq gets the value: a host it cannot resolve, a port it cannot parse, a user or password
// the server refuses (the server cuts a user name at 63 bytes).
const libpq = (failed: (c: Context, host: string, port: string, user: string) => string): Record<string, Rule[]> => ({
    PGHOST: both(refused((h, c) => line`${failed(c, h.folded, String(c.pgPort), "postgres")}psql: error: could not translate host name "${h.firstLine}${ANY}`)),
    PGPORT: both(refused((h, c) => line`${failed(c, "127.0.0.1", h.folded, "postgres")}psql: error: invalid integer value "${h.firstLine}${ANY}`)),
    PGUSER: both(
        refused((h, c) => line`${failed(c, "127.0.0.1", String(c.pgPort), h.folded)}psql: error: connection to server at "127.0.0.1", port ${c.pgPort} failed: FATAL:  password authentication failed for user "${h.raw.slice(0, 40)}${ANY}`),
    ),
    PGPASSWORD: both(
        refused((_h, c) => line`${failed(c, "127.0.0.1", String(c.pgPort), "postgres")}psql: error: connection to server at "127.0.0.1", port ${c.pgPort} failed: FATAL:  password authentication failed for user "postgres"`),
    ),
});

/**
 * The aws CLI's variables (and jq's) of a step that lists or writes with it: each makes the call
 * fail, said after `failed` (the step's own words for that call).
 */
const listingChecks = (failed: (c: Context) => string | RegExp, jq = true): Record<string, Rule[]> => {
    return {
        AWS_ACCESS_KEY_ID: both(refused((_h, c) => line`${failed(c)}${ANY}`)),
        AWS_SECRET_ACCESS_KEY: both(refused((_h, c) => line`${failed(c)}${ANY}`)),
        AWS_DEFAULT_REGION: both(refused((_h, c) => line`${failed(c)}${ANY}`)),
        GGB_S3_ENDPOINT: both(refused((_h, c) => line`${failed(c)}${ANY}`)),
        GGB_AWS: both(refused((h, c) => line`${failed(c)}${ANY}${h.firstWord}: ${NOT_FOUND}`)),
        ...(jq ? { GGB_JQ: both(refused((h, c) => line`${failed(c)}${ANY}${h.firstWord}: ${NOT_FOUND}`)) } : {}),
    };
};

/**
 * The outcome each hostile value must give, per script and variable ([payload A, payload B]),
 * from what each script does with the variable: its own check refuses it, or the tool it is
 * handed to (libpq, redis-cli, the aws CLI, kots, kubectl) fails on it as a value, or it is a
 * name the script uses as given.
 */
const EXPECTED: Record<string, Record<string, Rule[]>> = {
    [PART_SCRIPT.dump.kots]: {
        ...dumpChecks("dump-kots"),
        // Run through timeout (bounded), whose own words for a missing program differ by image:
        // coreutils' "No such file or directory", busybox's "can't execute".
        // coreutils' escapes quotes in the name it prints: payload B is matched up to its first one.
        GGB_KOTS: byPayload(
            refused((h) => line`dump-kots: kots download failed: ${ANY}${h.lastLine}${ANY}`),
            refused((h) => line`dump-kots: kots download failed: ${ANY}${h.beforeQuote}${ANY}`),
        ),
        // Bounded the same way (kubectl's own --request-timeout breaks its in-cluster config).
        GGB_KUBECTL: byPayload(
            refused((h) => line`dump-kots: cannot export Secret 'kotsadm-encryption': ${ANY}${h.lastLine}${ANY}`),
            refused((h) => line`dump-kots: cannot export Secret 'kotsadm-encryption': ${ANY}${h.beforeQuote}${ANY}`),
        ),
        GGB_CALL_TIMEOUT: both(refused((h) => line`dump-kots: GGB_CALL_TIMEOUT '${h.folded}' is not ${VALUE_RULES.connectTimeout.what}`)),
        // Checked by the script itself with the rules TypeScript checks at preview, before kots sees them.
        GGB_KOTS_APP_SLUG: both(refused((h) => line`dump-kots: GGB_KOTS_APP_SLUG '${h.folded}' is not ${VALUE_RULES.appSlug.what}`)),
        GGB_KOTS_NAMESPACE: both(refused((h) => line`dump-kots: GGB_KOTS_NAMESPACE '${h.folded}' is not ${VALUE_RULES.namespace.what}`)),
        GGB_KOTS_SECRETS: both(refused((h) => line`dump-kots: Secret name '${h.folded}' is not a Kubernetes name`)),
    },
    [PART_SCRIPT.dump.postgres]: {
        ...dumpChecks("dump-postgres"),
        GGB_CALL_TIMEOUT: both(refused((h) => line`dump-postgres: GGB_CALL_TIMEOUT '${h.folded}' is not ${VALUE_RULES.connectTimeout.what}`)),
        GGB_PG_FORMAT: both(refused((h) => line`dump-postgres: GGB_PG_FORMAT '${h.folded}' is not one of sql, directory`)),
        GGB_PG_ROLE_PASSWORDS: both(refused((h) => line`dump-postgres: GGB_PG_ROLE_PASSWORDS '${h.folded}' is not one of auto, include, exclude`)),
        GGB_PG_JOBS: both(refused((h) => line`dump-postgres: GGB_PG_JOBS '${h.folded}' is not ${VALUE_RULES.parallelJobs.what}`)),
        ...libpq((_c, host, port, user) => `dump-postgres: cannot query PostgreSQL at ${host}:${port} as ${user}: `),
    },
    [PART_SCRIPT.dump.redis]: {
        ...dumpChecks("dump-redis"),
        GGB_CALL_TIMEOUT: both(refused((h) => line`dump-redis: GGB_CALL_TIMEOUT '${h.folded}' is not ${VALUE_RULES.connectTimeout.what}`)),
        GGB_REDIS_HOST: both(refused((h, c) => line`dump-redis: cannot reach Redis at ${h.folded}:${c.redisPort}: Could not connect to Redis at ${h.folded}:${c.redisPort}: Name or service not known`)),
        // redis-cli reads the port as a number: 0.
        GGB_REDIS_PORT: both(refused((h) => line`dump-redis: cannot reach Redis at 127.0.0.1:${h.folded}: Could not connect to Redis at 127.0.0.1:0: Connection refused`)),
        GGB_REDIS_USER: both(refused((_h, c) => line`dump-redis: Redis at 127.0.0.1:${c.redisPort} refused INFO: AUTH failed: WRONGPASS invalid username-password pair or user is disabled. NOAUTH Authentication required.`)),
        REDISCLI_AUTH: both(refused((_h, c) => line`dump-redis: Redis at 127.0.0.1:${c.redisPort} refused INFO: AUTH failed: WRONGPASS invalid username-password pair or user is disabled. NOAUTH Authentication required.`)),
        GGB_REDIS_TLS: both(refused((h) => line`dump-redis: GGB_REDIS_TLS '${h.folded}' is not 1 or empty`)),
        // Read only with GGB_REDIS_TLS=1 (this baseline's server is plain): never evaluated, the
        // snapshot is taken as without them. With TLS on, redisManaged.test.ts covers them.
        GGB_REDIS_TLS_CA: both(() => ({ works: () => undefined })),
        GGB_REDIS_TLS_SERVER_NAME: both(() => ({ works: () => undefined })),
    },
    [SCRIPT.prune]: (() => {
        const listFailed = (c: Context) => `prune: cannot list s3://${c.env.GGB_S3_BUCKET}/${c.env.GGB_S3_PREFIX}/postgres/: `;
        return {
            GGB_S3_BUCKET: both(refused((h) => line`prune: GGB_S3_BUCKET '${h.folded}' is not ${VALUE_RULES.bucket.what}`)),
            GGB_S3_PREFIX: both(refused((h) => line`prune: GGB_S3_PREFIX '${h.folded}' is not ${VALUE_RULES.prefix.what}`)),
            GGB_RETENTION_DAYS: both(refused((h) => line`prune: GGB_RETENTION_DAYS '${h.folded}' is not ${VALUE_RULES.retentionDays.what}`)),
            GGB_KEEP_LAST: both(refused((h) => line`prune: GGB_KEEP_LAST '${h.folded}' is not ${VALUE_RULES.keepLast.what}`)),
            GGB_PARTS: both(refused((h) => line`prune: part '${h.folded}' of GGB_PARTS, which '${h.folded}' is not ${VALUE_RULES.partName.what}`)),
            // The aws CLI and jq get the rest, as in restore-fetch.sh.
            ...listingChecks(listFailed),
        };
    })(),
    [SCRIPT.drillFetch]: (() => {
        const listFailed = (c: Context) => `drill-fetch: cannot list s3://${c.env.GGB_S3_BUCKET}/${c.env.GGB_S3_PREFIX}/postgres/: `;
        return {
            GGB_S3_BUCKET: both(refused((h) => line`drill-fetch: GGB_S3_BUCKET '${h.folded}' is not ${VALUE_RULES.bucket.what}`)),
            GGB_S3_PREFIX: both(refused((h) => line`drill-fetch: GGB_S3_PREFIX '${h.folded}' is not ${VALUE_RULES.prefix.what}`)),
            GGB_DRILL_PICK: both(refused((h) => line`drill-fetch: GGB_DRILL_PICK '${h.folded}' is not ${VALUE_RULES.drillPick.what}`)),
            GGB_DRILL_WINDOW_DAYS: both(refused((h) => line`drill-fetch: GGB_DRILL_WINDOW_DAYS '${h.folded}' is not ${VALUE_RULES.drillWindowDays.what}`)),
            GGB_DRILL_DEADLINE_SECONDS: both(refused((h) => line`drill-fetch: GGB_DRILL_DEADLINE_SECONDS '${h.folded}' is not ${VALUE_RULES.drillDeadlineSeconds.what}`)),
            GGB_DRILL_PARTS: both(refused((h) => line`drill-fetch: part '${h.folded}' of GGB_DRILL_PARTS, which '${h.folded}' is not ${VALUE_RULES.partName.what}`)),
            GGB_STAGING_DIR: both(refused((h) => line`drill-fetch: staging folder ${h.folded} is missing or not writable`)),
            // The aws CLI and jq get the rest, as in prune.sh.
            ...listingChecks(listFailed),
        };
    })(),
    [SCRIPT.drillReport]: (() => {
        const writeFailed = (c: Context) => new RegExp(lit(`drill-report: writing the drill result to s3://${c.env.GGB_S3_BUCKET}/${c.env.GGB_S3_PREFIX}/drills/`) + UTC_ID.source + lit(".json failed: "));
        return {
            GGB_S3_BUCKET: both(refused((h) => line`drill-report: GGB_S3_BUCKET '${h.folded}' is not ${VALUE_RULES.bucket.what}`)),
            GGB_S3_PREFIX: both(refused((h) => line`drill-report: GGB_S3_PREFIX '${h.folded}' is not ${VALUE_RULES.prefix.what}`)),
            GGB_STAGING_DIR: both(refused((h) => line`drill-report: no drill record in ${h.folded}/drill: the fetch step did not run`)),
            ...listingChecks(writeFailed, false),
            GGB_JQ: both(refused(() => line`drill-report: jq is not in this image (the amazon/aws-cli image has it)`)),
        };
    })(),
    ...Object.fromEntries(
        Object.entries(PART_SCRIPT.drill).map(([part, script]) => {
            const step = `drill-${part}`;
            const rules: Record<string, Rule[]> = {
                GGB_STAGING_DIR: both(refused((h) => line`${step}: no drill record in ${h.folded}/drill: the fetch step did not run`)),
                // Payload A is not absolute, payload B holds '$': neither reaches pg_ctl's shell.
                GGB_DRILL_DIR: both(refused((h) => line`${step}: GGB_DRILL_DIR '${h.folded}' is not an absolute path of letters, digits, '/', '.', '_', '-'`)),
            };
            // A server's settings in the env are never the scratch server's: the step names its own
            // socket to every client (PGHOST and the rest reach nothing; REDISCLI_AUTH is dropped).
            if (part === "postgres") for (const n of ["PGHOST", "PGPORT", "PGUSER", "PGPASSWORD"]) rules[n] = both(() => ({ works: () => undefined }));
            if (part === "redis") rules.REDISCLI_AUTH = both(() => ({ works: () => undefined }));
            // The keys to require are SECRET/KEY: payload A's SECRET and payload B (no '/') are no Secret names.
            if (part === "kots") {
                rules.GGB_DRILL_KOTS_KEYS = byPayload(
                    refused((h) => line`${step}: Secret name in GGB_DRILL_KOTS_KEYS '${h.raw.split("/")[0]}' is not a Kubernetes name`),
                    refused((h) => line`${step}: Secret name in GGB_DRILL_KOTS_KEYS '${h.folded}' is not a Kubernetes name`),
                );
            }
            return [script, rules];
        }),
    ),
    [SCRIPT.fetch]: (() => {
        const noManifest = (c: Context) => `restore-fetch: set ${c.env.GGB_S3_PREFIX}/redis/${c.env.GGB_BACKUP_ID} has no readable manifest (incomplete or missing set): `;
        return {
            ...s3Checks("restore-fetch"),
            GGB_BACKUP_ID: both(refused((h) => line`restore-fetch: backup id '${h.folded}' is not a UTC id like 20261127T020000Z`)),
            GGB_STAGING_DIR: both(refused((h) => line`restore-fetch: staging folder ${h.folded} is missing or not writable`)),
            // The aws CLI gets the rest: a header it cannot send (a newline in it), credentials
            // MinIO refuses (a HEAD request's 403 has no body to say more), a region or endpoint
            // it refuses to parse.
            AWS_ACCESS_KEY_ID: byPayload(
                refused((h, c) => line`${noManifest(c)}fatal error: An HTTP Client raised an unhandled exception: Invalid header value b'AWS4-HMAC-SHA256 Credential=${h.beforeQuote}${ANY}`),
                refused((_h, c) => line`${noManifest(c)}fatal error: An error occurred (403) when calling the HeadObject operation: Forbidden`),
            ),
            AWS_SECRET_ACCESS_KEY: both(refused((_h, c) => line`${noManifest(c)}fatal error: An error occurred (403) when calling the HeadObject operation: Forbidden`)),
            AWS_DEFAULT_REGION: both(refused((h, c) => line`${noManifest(c)}Provided region_name '${h.firstLine}${ANY}`)),
            GGB_S3_ENDPOINT: both(refused((h, c) => line`${noManifest(c)}Bad value for --endpoint-url "${h.firstLine}${ANY}`)),
            GGB_AWS: both(refused((h, c) => line`${noManifest(c)}${ANY}${h.firstWord}: ${NOT_FOUND}`)),
            // The manifest reader: refused before it reads anything, with what to do.
            GGB_JQ: both(refused(() => line`restore-fetch: jq is not in this image (the amazon/aws-cli image has it); set fetchImage to an image with the aws CLI and jq`)),
            // Read only for an encrypted set; the baseline's is not (test/jobs/encryption.test.ts has those).
            GGB_AGE: both(() => ({ works: () => undefined })),
            GGB_AGE_IDENTITY_FILE: both(() => ({ works: () => undefined })),
        };
    })(),
    [PART_SCRIPT.restorePostgres]: {
        // Anything but "true" is not an overwrite: the non-empty target is refused, as in the baseline.
        GGB_OVERWRITE: both(
            refused((_h, c) => line`restore-postgres: target PostgreSQL at 127.0.0.1:${c.pgPort} is not empty (1 databases, 1 roles, 0 relations in postgres); set overwrite to replace it; target untouched`),
        ),
        GGB_PG_JOBS: both(refused((h) => line`restore-postgres: GGB_PG_JOBS '${h.folded}' is not ${VALUE_RULES.parallelJobs.what}`)),
        GGB_STAGING_DIR: both(refused((h) => line`restore-postgres: no verified set in ${h.folded} (restore-fetch.sh did not complete); target untouched`)),
        ...libpq((_c, host, port) => `restore-postgres: query on PostgreSQL at ${host}:${port} failed: `),
    },
    [PART_SCRIPT.restoreRedis]: (() => {
        const notPlain = refused(() => line`restore-redis: GGB_REDIS_RDB_NAME and GGB_REDIS_AOF_DIR must be plain file names`);
        return {
            GGB_STAGING_DIR: both(refused((h) => line`restore-redis: no verified set in ${h.folded} (restore-fetch.sh did not complete); data untouched`)),
            GGB_REDIS_DATA_DIR: both(refused((h) => line`restore-redis: Redis data folder ${h.folded} is missing or not writable`)),
            // Anything but "true" is not an overwrite; the baseline's target is empty, so the set is placed.
            GGB_OVERWRITE: both(() => ({
                works: (env) => assert.equal(fs.readFileSync(path.join(env.GGB_REDIS_DATA_DIR, "dump.rdb")).subarray(0, 5).toString(), "REDIS", "the snapshot is placed"),
            })),
            // Payload A has slashes: not a plain name. Payload B is one, odd as it is: the
            // snapshot, and the AOF folder, are placed under exactly that name.
            GGB_REDIS_RDB_NAME: byPayload(notPlain, (h) => ({
                works: (env) => assert.equal(fs.readFileSync(path.join(env.GGB_REDIS_DATA_DIR, h.raw)).subarray(0, 5).toString(), "REDIS", `the snapshot is ${h.raw}`),
            })),
            GGB_REDIS_AOF_DIR: byPayload(notPlain, (h) => ({
                works: (env) => assert.ok(fs.readdirSync(path.join(env.GGB_REDIS_DATA_DIR, h.raw)).includes("appendonly.aof.manifest"), `the AOF folder is ${h.raw}`),
            })),
        };
    })(),
    [SCRIPT.upload]: (() => {
        // The backup id is the partner dump step's: any UTC id.
        const uploadFailed = (c: Context) => new RegExp(lit(`upload: upload of dump.rdb.gz to s3://${c.bucket}/${c.env.GGB_S3_PREFIX}/redis/`) + UTC_ID.source + lit("/ failed: "));
        return {
            ...s3Checks("upload"),
            GGB_CONNECT_TIMEOUT: both(refused((h) => line`upload: GGB_CONNECT_TIMEOUT '${h.folded}' is not a number of seconds (1 to 9999)`)),
            GGB_S3_PART_SIZE_MIB: both(refused((h) => line`upload: GGB_S3_PART_SIZE_MIB '${h.folded}' is not ${VALUE_RULES.uploadPartSizeMiB.what}`)),
            GGB_STAGING_DIR: both(refused((h) => line`upload: staging folder ${h.folded} does not exist`)),
            // The aws CLI gets the rest, as in restore-fetch.sh; a PUT's refusal names its code.
            AWS_ACCESS_KEY_ID: byPayload(
                refused((h, c) => line`${uploadFailed(c)}upload failed: - to s3://${ANY}/dump.rdb.gz An HTTP Client raised an unhandled exception: Invalid header value b'AWS4-HMAC-SHA256 Credential=${h.beforeQuote}${ANY}`),
                refused((_h, c) => line`${uploadFailed(c)}upload failed: - to s3://${ANY}/dump.rdb.gz An error occurred (InvalidAccessKeyId) when calling the PutObject operation: ${ANY}`),
            ),
            AWS_SECRET_ACCESS_KEY: both(refused((_h, c) => line`${uploadFailed(c)}upload failed: - to s3://${ANY}/dump.rdb.gz An error occurred (SignatureDoesNotMatch) when calling the PutObject operation: ${ANY}`)),
            AWS_DEFAULT_REGION: both(refused((h, c) => line`${uploadFailed(c)}Provided region_name '${h.firstLine}${ANY}`)),
            GGB_S3_ENDPOINT: both(refused((h, c) => line`${uploadFailed(c)}Bad value for --endpoint-url "${h.firstLine}${ANY}`)),
            GGB_AWS: both(refused((h, c) => line`${uploadFailed(c)}${ANY}${h.firstWord}: ${NOT_FOUND}`)),
            // Blanks, commas and newlines separate recipients: the first word is checked, and refused.
            GGB_ENCRYPTION_RECIPIENTS: both(refused((h) => line`upload: a recipient of GGB_ENCRYPTION_RECIPIENTS '${h.firstWord}' is not ${VALUE_RULES.ageRecipient.what}`)),
            // Read only when the baseline's set is encrypted, which it is not (test/jobs/encryption.test.ts runs age).
            GGB_AGE: both(() => ({ works: () => undefined })),
        };
    })(),
};

describe("hostile values in every env input of every script", function () {
    this.timeout(600_000);
    const marker = `pwned-${randomToken()}`;
    /** Absolute marker (payload A) and relative marker in the job's working directory (payload B). */
    const cwd = makeTempDir("hostile-cwd");
    const markers = [path.join("/tmp", marker), path.join(cwd, marker)];
    const PAYLOADS = [
        `x $(touch /tmp/${marker}) \`touch /tmp/${marker}\` 'single' "double" ;touch /tmp/${marker}; $(touch ${marker})\nsecond line\twith  spaces`,
        // No slash, no space, no leading dot: passes the scripts' name checks, so it reaches file names.
        `$(touch${"${IFS}"}${marker})\`touch${"${IFS}"}${marker}\`"'`,
    ];

    let minio: MinioServer;
    let pg: PostgresServer;
    let redis: RedisServer;
    let kots: FakeKots;
    let kubectl: FakeTool;
    const base: Record<string, () => Record<string, string>> = {};

    before(async function () {
        this.timeout(900_000); // on a fresh machine, startMinio() first builds MinIO (scripts/tools/build.sh, minutes)
        [minio, pg, redis] = await Promise.all([startMinio(), startPostgres(), startRedis()]);
        await pg.psql("CREATE DATABASE app; CREATE ROLE app LOGIN PASSWORD 'x';"); // non-empty: restore-postgres refuses without overwrite
        await redis.command("SET", "k", "v");
        kots = makeFakeKots({ appSlug: "gitguardian", namespace: "gg" });
        kubectl = makeFakeKubectl({ namespace: "gg", secrets: { "kotsadm-encryption": { k: "v" } } });

        // Ready-made inputs: committed sets for restore-fetch.sh, verified staging folders for the
        // apply steps. (A dump step and the upload step always run as a pair: see run() below.)
        const setPrefix = uniquePrefix("hostile-sets");
        const redisSet = await backupOk({ component: Component.Redis, minio, prefix: setPrefix, dumpShell: "dash", uploadShell: "bash", dumpEnv: { ...redis.env(), GGB_COMPRESSION: "gzip" } });
        const pgSet = await backupOk({ component: Component.Postgres, minio, prefix: setPrefix, dumpShell: "dash", uploadShell: "bash", dumpEnv: { ...pg.env(), GGB_PG_FORMAT: "sql", GGB_COMPRESSION: "gzip" } });
        const redisFetched = await fetchSet({ component: Component.Redis, minio, prefix: setPrefix, backupId: redisSet.backupId, shell: "dash" });
        const pgFetched = await fetchSet({ component: Component.Postgres, minio, prefix: setPrefix, backupId: pgSet.backupId, shell: "dash" });
        assert.equal(redisFetched.result.exitCode + pgFetched.result.exitCode, 0);

        const dumpCommon = (component: string): Record<string, string> => ({
            GGB_COMPONENT: component,
            GGB_STAGING_DIR: makeTempDir(`hostile-${component}`),
            GGB_BACKUP_ID: nextBackupId(),
            GGB_COMPRESSION: "gzip",
            GGB_COMPRESSION_LEVEL: "1",
        });
        base[PART_SCRIPT.dump.postgres] = () => ({ ...dumpCommon("postgres"), ...pg.env(), GGB_PG_FORMAT: "directory", GGB_PG_JOBS: "2" });
        base[PART_SCRIPT.dump.redis] = () => ({ ...dumpCommon("redis"), ...redis.env(), GGB_REDIS_USER: "default" });
        base[PART_SCRIPT.dump.kots] = () => ({ ...dumpCommon("kots"), GGB_KOTS_NAMESPACE: "gg", GGB_KOTS_APP_SLUG: "gitguardian", GGB_KOTS_SECRETS: "kotsadm-encryption", GGB_KOTS: kots.bin, GGB_KUBECTL: kubectl.bin });
        base[SCRIPT.upload] = () => ({ ...minio.env(), GGB_S3_PREFIX: uniquePrefix("hostile-up"), GGB_COMPONENT: "redis", GGB_STAGING_DIR: makeTempDir("hostile-up") });
        base[SCRIPT.prune] = () => ({ ...minio.env(), GGB_S3_PREFIX: setPrefix, GGB_RETENTION_DAYS: "30", GGB_KEEP_LAST: "3", GGB_PARTS: "postgres,redis" });
        // A drill's record: the fetch step run once against these sets (their ids are from a fixed
        // day: a window of a year finds them), then each part's step; the report's baseline drills
        // redis only, whose scratch server runs here as it is (initdb refuses root: postgres's step
        // records that as a failed check, and exits 0).
        const kotsSet = await backupOk({ component: Component.Kots, minio, prefix: setPrefix, dumpShell: "dash", uploadShell: "bash", dumpEnv: { GGB_COMPRESSION: "gzip", GGB_KOTS_NAMESPACE: "gg", GGB_KOTS_APP_SLUG: "gitguardian", GGB_KOTS_SECRETS: "kotsadm-encryption", GGB_KOTS: kots.bin, GGB_KUBECTL: kubectl.bin } });
        assert.ok(kotsSet.backupId);
        const drillEnv = { ...minio.env(), GGB_S3_PREFIX: setPrefix, GGB_DRILL_PICK: "latest", GGB_DRILL_WINDOW_DAYS: "365", GGB_DRILL_DEADLINE_SECONDS: "900" };
        const drillRecord = async (parts: string): Promise<string> => {
            const dir = makeTempDir("hostile-drill");
            const r = await runJob(SCRIPT.drillFetch, { shell: "bash", env: { ...drillEnv, GGB_STAGING_DIR: dir, GGB_DRILL_PARTS: parts } });
            assert.equal(r.exitCode, 0, explain(r));
            return dir;
        };
        const partsRecord = await drillRecord("postgres,redis,kots");
        const reportRecord = await drillRecord("redis");
        const drilled = await runJob(PART_SCRIPT.drill.redis, { shell: "dash", env: { GGB_STAGING_DIR: reportRecord, GGB_DRILL_DIR: makeTempDir("hostile-scratch") } });
        assert.equal(drilled.exitCode, 0, explain(drilled));
        base[SCRIPT.drillFetch] = () => ({ ...drillEnv, GGB_STAGING_DIR: makeTempDir("hostile-drill"), GGB_DRILL_PARTS: "postgres,redis" });
        base[SCRIPT.drillReport] = () => ({ ...minio.env(), GGB_S3_PREFIX: setPrefix, GGB_STAGING_DIR: reportRecord });
        // Each run gets a copy of the record: a part's step removes its fetched set when it ends.
        const recordCopy = () => {
            const dir = makeTempDir("hostile-drill-copy");
            fs.cpSync(partsRecord, dir, { recursive: true });
            return dir;
        };
        for (const script of Object.values(PART_SCRIPT.drill)) {
            base[script] = () => ({ GGB_STAGING_DIR: recordCopy(), GGB_DRILL_DIR: makeTempDir("hostile-scratch"), GGB_DRILL_KOTS_KEYS: "kotsadm-encryption/k" });
        }
        base[SCRIPT.fetch] = () => ({ ...minio.env(), GGB_S3_PREFIX: setPrefix, GGB_COMPONENT: "redis", GGB_BACKUP_ID: redisSet.backupId, GGB_STAGING_DIR: makeTempDir("hostile-fetch") });
        base[PART_SCRIPT.restorePostgres] = () => ({ ...pg.env(), GGB_STAGING_DIR: pgFetched.staging, GGB_OVERWRITE: "false", GGB_PG_JOBS: "2" });
        base[PART_SCRIPT.restoreRedis] = () => ({ GGB_STAGING_DIR: redisFetched.staging, GGB_REDIS_DATA_DIR: makeTempDir("hostile-redis-data"), GGB_REDIS_RDB_NAME: "dump.rdb", GGB_REDIS_AOF_DIR: "appendonlydir" });
    });
    after(async () => {
        await Promise.all([minio?.destroy(), pg?.destroy(), redis?.destroy()]);
    });
    afterEach(() => {
        for (const m of markers) fs.rmSync(m, { force: true });
    });

    /** The step beside a dump step is the upload step, and the one beside the upload step a redis dump. */
    function partnerOf(script: string, env: Record<string, string>): { script: string; env: Record<string, string> } | undefined {
        const shared = { GGB_COMPONENT: env.GGB_COMPONENT, GGB_STAGING_DIR: env.GGB_STAGING_DIR };
        if (script === SCRIPT.upload) return { script: PART_SCRIPT.dump.redis, env: { ...base[PART_SCRIPT.dump.redis](), ...shared } };
        if (Object.values(PART_SCRIPT.dump).includes(script)) return { script: SCRIPT.upload, env: { ...base[SCRIPT.upload](), ...shared } };
        return undefined;
    }

    /**
     * Runs `script` with one variable made hostile, beside its partner step with the baseline
     * values (so a dump and an upload always talk to each other); both give up waiting for the
     * other after 5 s when the hostile value stops one before it connects.
     */
    async function run(script: string, shell: Shell, name?: string, payload?: string): Promise<{ r: JobResult; baseline: Record<string, string> }> {
        const baseline = base[script]();
        const partner = partnerOf(script, baseline);
        const wait = partner ? { GGB_CONNECT_TIMEOUT: "5" } : {};
        const env = { ...baseline, ...wait, ...(name ? { [name]: payload! } : {}) };
        const [r] = await Promise.all([
            runJob(script, { shell, env, cwd }),
            partner ? runJob(partner.script, { shell: "dash", env: { ...partner.env, ...wait }, cwd }) : undefined,
        ]);
        return { r, baseline };
    }

    function checkRun(r: JobResult, script: string, name: string, expected: Outcome, baseline: Record<string, string>): void {
        for (const m of markers) assert.ok(!fs.existsSync(m), `${name} with a hostile value EXECUTED code in ${script} under ${r.shell}: ${m} exists\n${explain(r)}`);
        const last = r.stderrLines[r.stderrLines.length - 1] ?? "";
        if ("works" in expected) {
            assert.equal(r.exitCode, 0, `${script} with hostile ${name} under ${r.shell} must work (the value is a name it uses as given)\n${explain(r)}`);
            expected.works(baseline);
        } else {
            assert.notEqual(r.exitCode, 0, `${script} with hostile ${name} under ${r.shell} must be refused with ${expected.reason}\n${explain(r)}`);
            assert.match(last, expected.reason, `${script} with hostile ${name} under ${r.shell}: not the reason pinned for it\n${explain(r)}`);
        }
    }

    it("the baseline of every script works (so each hostile run changes one thing only)", async function () {
        for (const script of SCRIPTS) {
            const { r } = await run(script, "dash");
            if (script === PART_SCRIPT.restorePostgres) {
                // Its target is not empty and overwrite is false: it refuses, which is the safe outcome here.
                assert.match(r.stderrLines[r.stderrLines.length - 1] ?? "", /is not empty .* target untouched$/, explain(r));
            } else {
                assert.equal(r.exitCode, 0, explain(r));
            }
        }
    });

    for (const script of SCRIPTS) {
        const shells: readonly Shell[] = script === SCRIPT.upload || script === SCRIPT.fetch ? SHELLS : POSIX_SHELLS;
        const names = [...reads(script)].sort();
        it(`${script}: ${names.length} variables × 2 payloads (${shells.join(", ")})`, async function () {
            // Every variable the script reads has its outcome pinned: a new one must be added here.
            assert.deepEqual(Object.keys(EXPECTED[script]).sort(), names, `variables of ${script} with an expected outcome`);
            const outcomes: string[] = [];
            for (const [i, name] of names.entries()) {
                // Both payloads for every variable, on shells that rotate from one variable to the next.
                for (const [j, payload] of PAYLOADS.entries()) {
                    const shell = shells[(i + j) % shells.length];
                    const { r, baseline } = await run(script, shell, name, payload);
                    const expected = EXPECTED[script][name][j](hostile(payload), { env: baseline, pgPort: pg.port, redisPort: redis.port, bucket: minio.bucket });
                    checkRun(r, script, name, expected, baseline);
                    outcomes.push(`${name} [${shell}] ${r.exitCode === 0 ? "worked" : `refused: ${r.stderrLines[r.stderrLines.length - 1]}`}`);
                }
            }
            if (process.env.GGB_TEST_SHOW_REASONS) console.log(outcomes.map((o) => `      ${o}`).join("\n"));
        });
    }
});
