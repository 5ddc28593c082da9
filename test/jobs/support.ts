/**
 * Shared steps of the job tests: a backup (dump step and upload step side by side, talking over
 * the staging folder's FIFOs, as the CronJob's two containers do), a restore fetch, and the
 * assertions every fault test makes.
 */
import { execa } from "execa";
import * as assert from "node:assert/strict";
import { PART_SCRIPT } from "../../sources";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { Component, SCRIPT } from "../../core/contract";
import { backupIdFor } from "../../core/backupSet";
import { Manifest, manifestKey, parseManifest } from "../../core/manifest";
import { JobResult, Shell, explain, runJob } from "../../harness/jobRunner";
import { AWS_BIN, MinioServer } from "../../harness/minio";
import { PostgresServer } from "../../harness/postgres";
import { makeTempDir, randomToken } from "../../harness/proc";

let idCounter = 0;
/** Distinct, increasing backup ids (a fixed day plus a counter), valid per BACKUP_ID_PATTERN. */
export function nextBackupId(): string {
    idCounter += 1;
    return backupIdFor(new Date(Date.UTC(2026, 10, 27, 2, 0, 0) + idCounter * 61_000));
}

/** A prefix no other test uses, so each test's sets are its own. */
export function uniquePrefix(label: string): string {
    return `ggb-test/${label}-${randomToken(3)}`;
}

export function stagingDir(label = "staging"): string {
    return makeTempDir(label);
}

export type Env = Record<string, string | undefined>;

/** One round trip of the job tests: the compression, and the shell each step runs under. */
export interface RoundTripCase {
    compression: "gzip" | "zstd";
    dump: Shell;
    upload: Shell;
    fetch: Shell;
    restore: Shell;
}

export interface BackupRun {
    dump: JobResult;
    upload: JobResult;
    staging: string;
    backupId: string;
    prefix: string;
}

/** Dump step and upload step of one component at once, as the CronJob's pod runs them. */
export async function backup(opts: {
    component: Component;
    minio: MinioServer;
    dumpEnv: Env;
    dumpShell: Shell;
    uploadShell: Shell;
    prefix: string;
    backupId?: string;
    staging?: string;
    pathPrefix?: string[];
    uploadEnv?: Env;
    uploadHome?: string;
}): Promise<BackupRun> {
    const staging = opts.staging ?? stagingDir(`stage-${opts.component}`);
    const backupId = opts.backupId ?? nextBackupId();
    const common = { GGB_COMPONENT: opts.component, GGB_STAGING_DIR: staging };
    const [dump, upload] = await Promise.all([
        runJob(PART_SCRIPT.dump[opts.component], { shell: opts.dumpShell, env: { ...common, GGB_BACKUP_ID: backupId, ...opts.dumpEnv }, pathPrefix: opts.pathPrefix }),
        runJob(SCRIPT.upload, { shell: opts.uploadShell, env: { ...common, ...opts.minio.env(), GGB_S3_PREFIX: opts.prefix, ...opts.uploadEnv }, home: opts.uploadHome }),
    ]);
    return { dump, upload, staging, backupId, prefix: opts.prefix };
}

/** A backup that must succeed; returns its parsed manifest too. */
export async function backupOk(opts: Parameters<typeof backup>[0]): Promise<BackupRun & { manifest: Manifest; manifestText: string }> {
    const run = await backup(opts);
    assert.equal(run.dump.exitCode, 0, explain(run.dump));
    assert.equal(run.upload.exitCode, 0, explain(run.upload));
    const text = (await opts.minio.get(manifestKey(opts.prefix, opts.component, run.backupId))).toString();
    const manifest = parseManifest(text);
    assert.equal(manifest.component, opts.component);
    assert.equal(manifest.backupId, run.backupId);
    return { ...run, manifest, manifestText: text };
}

/** restore-fetch.sh of one set into a fresh staging folder. */
export async function fetchSet(opts: { component: Component; minio: MinioServer; prefix: string; backupId: string; shell: Shell; staging?: string; env?: Env; home?: string }): Promise<{ result: JobResult; staging: string }> {
    const staging = opts.staging ?? stagingDir(`fetch-${opts.component}`);
    const result = await runJob(SCRIPT.fetch, {
        shell: opts.shell,
        env: { GGB_COMPONENT: opts.component, GGB_STAGING_DIR: staging, GGB_BACKUP_ID: opts.backupId, ...opts.minio.env(), GGB_S3_PREFIX: opts.prefix, ...opts.env },
        home: opts.home,
    });
    return { result, staging };
}

/**
 * A committed postgres set fetched (restore-fetch.sh) and applied (restore-postgres.sh) to a
 * target, on the shells of a round-trip case; both must succeed. Returns the apply step's run.
 */
export async function restorePostgresSet(opts: { minio: MinioServer; prefix: string; backupId: string; target: PostgresServer; shells: Pick<RoundTripCase, "fetch" | "restore"> }): Promise<JobResult> {
    const fetched = await fetchSet({ component: Component.Postgres, minio: opts.minio, prefix: opts.prefix, backupId: opts.backupId, shell: opts.shells.fetch });
    assert.equal(fetched.result.exitCode, 0, explain(fetched.result));
    const restore = await runJob(PART_SCRIPT.restorePostgres, { shell: opts.shells.restore, env: { ...opts.target.env(), GGB_STAGING_DIR: fetched.staging, GGB_PG_JOBS: "2" } });
    assert.equal(restore.exitCode, 0, explain(restore));
    return restore;
}

/**
 * The job failed cleanly: non-zero exit, and its last stderr line is the one-line reason
 * `<step>: <reason>` (die in jobs/lib.sh), matching `reason`, with no other such line.
 */
export function assertFailed(r: JobResult, step: string, reason: RegExp): void {
    assert.notEqual(r.exitCode, 0, `expected a failure\n${explain(r)}`);
    const last = r.stderrLines[r.stderrLines.length - 1] ?? "";
    assert.ok(last.startsWith(`${step}: `), `last stderr line is not "${step}: <reason>"\n${explain(r)}`);
    assert.match(last, reason, explain(r));
    if (process.env.GGB_TEST_SHOW_REASONS) console.log(`      [${r.shell}] ${last}`);
    const reasons = r.stderrLines.filter((l) => l.startsWith(`${step}: `));
    assert.equal(reasons.length, 1, `one reason line expected\n${explain(r)}`);
}

/**
 * The dump step failed with `reason`, and the upload step beside it stopped too, relaying that
 * reason on its own one line: `upload: the dump step failed: <step>: <reason>`.
 */
export function assertDumpFailed(run: BackupRun, step: string, reason: RegExp): void {
    assertFailed(run.dump, step, reason);
    const dumpLine = run.dump.stderrLines[run.dump.stderrLines.length - 1];
    assertFailed(run.upload, "upload", /^upload: the dump step failed: /);
    assert.equal(run.upload.stderrLines[run.upload.stderrLines.length - 1], `upload: the dump step failed: ${dumpLine}`, explain(run.upload));
}

/** No manifest anywhere under the prefix (the failed backup committed nothing). */
export async function assertNoManifest(minio: MinioServer, prefix: string): Promise<void> {
    const keys = await minio.list(prefix + "/");
    const manifests = keys.filter((k) => k.endsWith("/manifest.json"));
    assert.deepEqual(manifests, [], `no manifest expected under ${prefix}/, found ${manifests.join(", ")}`);
}

/** Files (recursively, relative) of a folder with their sizes and content hashes. */
export function folderFingerprint(dir: string): Record<string, string> {
    const out: Record<string, string> = {};
    const walk = (d: string): void => {
        for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
            const full = path.join(d, entry.name);
            const rel = path.relative(dir, full);
            if (entry.isDirectory()) {
                out[rel + "/"] = "dir";
                walk(full);
            } else {
                const data = fs.readFileSync(full);
                out[rel] = `${data.length}:${createHash("sha256").update(data).digest("hex")}`;
            }
        }
    };
    walk(dir);
    return out;
}

/**
 * Equal texts, or an assertion error that shows only the differing lines (a unified-diff-like
 * excerpt), not two multi-megabyte strings.
 */
export function assertSameText(actual: string, expected: string, what: string): void {
    if (actual === expected) return;
    const a = actual.split("\n");
    const e = expected.split("\n");
    const inE = new Set(e);
    const inA = new Set(a);
    const missing = e.filter((l) => !inA.has(l)).slice(0, 25);
    const extra = a.filter((l) => !inE.has(l)).slice(0, 25);
    let first = 0;
    while (first < a.length && first < e.length && a[first] === e[first]) first++;
    const context = (lines: string[]): string => lines.slice(Math.max(0, first - 3), first + 6).map((l, i) => `${Math.max(0, first - 3) + i + 1}: ${l}`).join("\n");
    assert.fail(
        `${what} differ (${e.length} expected lines, ${a.length} actual); first difference at line ${first + 1}\n` +
            `--- expected around it ---\n${context(e)}\n--- actual around it ---\n${context(a)}\n` +
            `--- lines only in expected (first 25) ---\n${missing.join("\n")}\n--- lines only in actual (first 25) ---\n${extra.join("\n")}`,
    );
}

/**
 * A HOME whose ~/.aws/credentials hold temporary credentials limited to exactly `policy` (MinIO
 * STS AssumeRole with it as the session policy): the aws CLI finds them through its default
 * chain, as it finds IRSA's. For the least-privilege tests of each identity's document.
 */
export async function restrictedHome(minio: MinioServer, policy: string, session: string): Promise<string> {
    const home = makeTempDir(`restricted-${session}`);
    const r = await minio.aws(["sts", "assume-role", "--role-arn", "arn:minio:iam:::role/jobs", "--role-session-name", session, "--policy", policy, "--output", "json"]);
    const c = (JSON.parse(r.stdout.toString()) as { Credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string } }).Credentials;
    fs.mkdirSync(path.join(home, ".aws"));
    fs.writeFileSync(path.join(home, ".aws", "credentials"), `[default]\naws_access_key_id = ${c.AccessKeyId}\naws_secret_access_key = ${c.SecretAccessKey}\naws_session_token = ${c.SessionToken}\n`);
    return home;
}

/** The aws CLI with the credentials of one restricted HOME only. */
export async function awsAs(minio: MinioServer, home: string, args: string[]): Promise<{ exitCode: number; stderr: string }> {
    const r = await execa(AWS_BIN, ["--endpoint-url", minio.endpoint, ...args], { env: { HOME: home, PATH: "/usr/bin:/bin", AWS_DEFAULT_REGION: "us-east-1", AWS_PAGER: "" }, extendEnv: false, reject: false, input: "" });
    return { exitCode: r.exitCode ?? -1, stderr: r.stderr };
}
