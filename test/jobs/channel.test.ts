/**
 * The channel between the dump and the upload step (FIFOs in the staging folder, jobs/lib.sh):
 * each step gives up with a reason when the other never connects, a step that stops before
 * connecting lets the other one fail at once, and a second upload of the same backup id never
 * touches the objects the first one committed.
 */
import * as assert from "node:assert/strict";
import { PART_SCRIPT } from "../../sources";
import * as fs from "node:fs";
import * as path from "node:path";
import { Component, SCRIPT } from "../../core/contract";
import { manifestKey, parseManifest } from "../../core/manifest";
import { explain, runJob } from "../../harness/jobRunner";
import { MinioServer, startMinio } from "../../harness/minio";
import { makeTempDir, sleep } from "../../harness/proc";
import { RedisServer, startRedis } from "../../harness/redis";
import { assertFailed, backup, backupOk, nextBackupId, stagingDir, uniquePrefix } from "./support";

describe("dump/upload channel: connecting, giving up, re-running a set", function () {
    this.timeout(300_000);
    let minio: MinioServer;
    let redis: RedisServer;

    before(async function () {
        this.timeout(900_000); // on a fresh machine, startMinio() first builds MinIO (scripts/tools/build.sh, minutes)
        [minio, redis] = await Promise.all([startMinio(), startRedis()]);
        await redis.command("SET", "k", "v");
    });
    after(async () => {
        await Promise.all([minio?.destroy(), redis?.destroy()]);
    });

    const dumpEnv = (staging: string) => ({ ...redis.env(), GGB_COMPONENT: "redis", GGB_STAGING_DIR: staging, GGB_COMPRESSION: "gzip", GGB_BACKUP_ID: nextBackupId() });
    const uploadEnv = (staging: string, prefix: string) => ({ ...minio.env(), GGB_S3_PREFIX: prefix, GGB_COMPONENT: "redis", GGB_STAGING_DIR: staging });

    for (const shell of ["busybox", "bash"] as const) {
        it(`the upload step alone gives up after GGB_CONNECT_TIMEOUT with a reason; nothing uploaded (${shell})`, async function () {
            const prefix = uniquePrefix("alone-up");
            const r = await runJob(SCRIPT.upload, { shell, env: { ...uploadEnv(stagingDir(), prefix), GGB_CONNECT_TIMEOUT: "2" } });
            assertFailed(r, "upload", /^upload: the dump step did not connect within 2 s \(see its log\)$/);
            assert.ok(r.durationMs < 30_000, explain(r));
            assert.deepEqual(await minio.list(prefix + "/"), []);
        });
    }

    for (const shell of ["busybox", "dash"] as const) {
        it(`the dump step alone gives up after GGB_CONNECT_TIMEOUT with a reason (${shell})`, async function () {
            const r = await runJob(PART_SCRIPT.dump.redis, { shell, env: { ...dumpEnv(stagingDir()), GGB_CONNECT_TIMEOUT: "2" } });
            assertFailed(r, "dump-redis", /^dump-redis: the upload step did not connect within 2 s \(see its log\)$/);
            assert.ok(r.durationMs < 30_000, explain(r));
        });
    }

    // A watchdog that fires is often still exiting when the step it released kills it, so its
    // exit status alone would read "killed by us" and the timeout would pass for a connect.
    // Many steps side by side on two cores make that window likely (the bug failed 1 to 2 of 12).
    it("twelve lone steps side by side each report the timeout, not a connect (upload under bash, dump under busybox)", async function () {
        const runs = await Promise.all(
            Array.from({ length: 6 }, () => [
                runJob(SCRIPT.upload, { shell: "bash", env: { ...uploadEnv(stagingDir(), uniquePrefix("lone-up")), GGB_CONNECT_TIMEOUT: "1" } }),
                runJob(PART_SCRIPT.dump.redis, { shell: "busybox", env: { ...dumpEnv(stagingDir()), GGB_CONNECT_TIMEOUT: "1" } }),
            ]).flat(),
        );
        for (const r of runs) {
            const [step, peer] = r.script === SCRIPT.upload ? ["upload", "dump"] : ["dump-redis", "upload"];
            assertFailed(r, step, new RegExp(`^${step}: the ${peer} step did not connect within 1 s \\(see its log\\)$`));
        }
    });

    it("an upload step that stops before connecting lets the waiting dump step fail at once, not after the timeout", async function () {
        const staging = stagingDir();
        const prefix = uniquePrefix("early-stop");
        // The dump step starts first, as in the pod; the upload step refuses its bucket name.
        const dump = runJob(PART_SCRIPT.dump.redis, { shell: "busybox", env: { ...dumpEnv(staging), GGB_CONNECT_TIMEOUT: "120" } });
        const up = await runJob(SCRIPT.upload, { shell: "bash", env: { ...uploadEnv(staging, prefix), GGB_S3_BUCKET: "Not_A_Bucket", GGB_CONNECT_TIMEOUT: "120" } });
        assertFailed(up, "upload", /^upload: GGB_S3_BUCKET 'Not_A_Bucket' is not a valid bucket name$/);
        const r = await dump;
        assertFailed(r, "dump-redis", /^dump-redis: the upload step stopped listening \(see its log\)$/);
    });

    it("a second run with the same backup id commits its own objects; the first run's stay as they were", async function () {
        const prefix = uniquePrefix("rerun");
        const backupId = nextBackupId();
        const opts = { component: Component.Redis, minio, prefix, backupId, dumpShell: "dash" as const, uploadShell: "bash" as const, dumpEnv: { ...redis.env(), GGB_COMPRESSION: "gzip" } };
        const first = await backupOk(opts);
        const firstBytes = await minio.get(first.manifest.artifacts[0].key);
        await redis.command("SET", "k", "changed");
        const second = await backupOk(opts);
        const [a1, a2] = [first.manifest.artifacts[0], second.manifest.artifacts[0]];
        assert.notEqual(a2.key, a1.key, "each run uploads under its own run folder");
        assert.notEqual(a2.sha256, a1.sha256, "the second run dumped the changed data");
        // The manifest now names the second run's artifact; the first run's object is untouched.
        const manifest = parseManifest((await minio.get(manifestKey(prefix, Component.Redis, backupId))).toString());
        assert.deepEqual(manifest.artifacts, second.manifest.artifacts);
        assert.deepEqual(await minio.get(a1.key), firstBytes);
        await redis.command("SET", "k", "v");
    });

    it("the upload step holds the artifact open until the dump step vouches for it: a dump that dies mid-stream completes nothing", async function () {
        const staging = stagingDir();
        const prefix = uniquePrefix("mid-stream");
        // A 'redis-cli' that writes part of an RDB and then fails: the bytes reach the upload
        // step, the verdict says failed, the aws CLI is killed before its input ends.
        const run = await backup({
            component: Component.Redis,
            minio,
            prefix,
            staging,
            dumpShell: "dash",
            uploadShell: "bash",
            dumpEnv: { ...redis.env(), GGB_COMPRESSION: "gzip" },
            pathPrefix: [failingCatDir()],
        });
        assertFailed(run.dump, "dump-redis", /^dump-redis: cat failed \(exit 7\): cat: simulated read error$/);
        assertFailed(run.upload, "upload", /^upload: the dump step failed: dump-redis: cat failed \(exit 7\): cat: simulated read error$/);
        assert.match(run.upload.stderr, /uploading dump\.rdb\.gz to /, "the artifact was in flight");
        assert.deepEqual(await minio.list(prefix + "/"), [], "no object was completed");
    });

    it("an upload step killed outright (SIGKILL, no trap runs) fails the dump step, and nothing is committed", async function () {
        const staging = stagingDir();
        const prefix = uniquePrefix("killed-upload");
        let uploadPid: number | undefined;
        const dump = runJob(PART_SCRIPT.dump.redis, { shell: "dash", env: dumpEnv(staging), pathPrefix: [slowCatDir(4)] });
        const upload = runJob(SCRIPT.upload, { shell: "bash", env: uploadEnv(staging, prefix), onSpawn: (pid) => (uploadPid = pid) });
        // Connected, the artifact announced, the dump still running.
        await sleep(2_000);
        process.kill(uploadPid!, "SIGKILL");
        const [d, u] = await Promise.all([dump, upload]);
        // The kill came mid-artifact: the upload step's last word is its progress line for it
        // (no trap ran to say more).
        assert.match(u.stderrLines[u.stderrLines.length - 1] ?? "", /^\d\d:\d\d:\d\d upload: uploading dump\.rdb\.gz to s3:\/\/\S+ as it is dumped$/, explain(u));
        // The tee reading the artifact outlives the upload shell, so the bytes still go through;
        // what the dump step finds broken is the control FIFO, when it reports the artifact sent.
        assertFailed(d, "dump-redis", /^dump-redis: the upload step stopped listening \(see its log\)$/);
        const keys = await minio.list(prefix + "/");
        assert.deepEqual(keys.filter((k) => k.endsWith("manifest.json")), [], `no manifest: ${keys.join(", ")}`);
    });
});

/** A folder with a `cat` that waits `seconds` before copying: a dump still running when the test acts. */
function slowCatDir(seconds: number): string {
    const dir = makeTempDir("slow-cat");
    fs.writeFileSync(path.join(dir, "cat"), `#!/bin/sh\nsleep ${seconds}\nexec /bin/cat "$@"\n`, { mode: 0o755 });
    return dir;
}

/** A folder with a `cat` that copies its file, then fails: a dump whose source breaks mid-stream. */
function failingCatDir(): string {
    const dir = makeTempDir("failing-cat");
    fs.writeFileSync(path.join(dir, "cat"), '#!/bin/sh\n/bin/cat "$@"\necho "cat: simulated read error" >&2\nexit 7\n', { mode: 0o755 });
    return dir;
}
