/**
 * Backup faults on real servers, the dump and upload steps running side by side as in the pod.
 * Each asserts a non-zero exit, the one-line reason on stderr (its text) of the step that failed
 * and of the one beside it, and that no manifest reached the bucket: the set is never committed.
 */
import * as assert from "node:assert/strict";
import { execa } from "execa";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { Component, SCRIPT } from "../../core/contract";
import { Shell, explain, runJob } from "../../harness/jobRunner";
import { MinioServer, startMinio } from "../../harness/minio";
import { freePort } from "../../harness/ports";
import { PostgresServer, conninfoDb, pgBin, startPostgres } from "../../harness/postgres";
import { isRoot, makeTempDir, minimalEnv, randomToken, sleep, trackMount, untrackMount } from "../../harness/proc";
import { RedisServer, startRedis } from "../../harness/redis";
import { assertDumpFailed, assertFailed, assertNoManifest, backup, nextBackupId, stagingDir, uniquePrefix } from "./support";

describe("backup faults: non-zero exit, one-line reason, no manifest", function () {
    this.timeout(300_000);
    let minio: MinioServer;
    let pg: PostgresServer;
    let redis: RedisServer;

    before(async function () {
        this.timeout(900_000); // on a fresh machine, startMinio() first builds MinIO (scripts/tools/build.sh, minutes)
        [minio, pg, redis] = await Promise.all([startMinio(), startPostgres(), startRedis()]);
        // A table big enough to overflow a small staging volume (~3 MB of SQL, ~1.7 MB gzipped).
        await pg.psql("CREATE DATABASE big");
        await pg.psql("CREATE TABLE big_rows AS SELECT i AS id, md5(i::text) AS a, md5((i * 7)::text) AS b FROM generate_series(1, 40000) i", { db: "big" });
        // The test server runs with synchronous_commit=off: a commit leaves the server's WAL
        // buffers only when the WAL writer next writes them out, and the first tests stop the
        // server with SIGQUIT (no shutdown checkpoint) a second or two later. A crash that soon
        // can take the table's commit with it (a table created 0.3 s before a SIGQUIT was gone
        // after the restart in 10 of 10 tries), and every later test then dumps an empty
        // database. The CHECKPOINT writes everything out whatever the WAL writer did.
        await pg.psql("CHECKPOINT");
        await redis.command("SET", "k", "v");
    });
    after(async () => {
        await Promise.all([minio?.destroy(), pg?.destroy(), redis?.destroy()]);
    });

    const pgBackup = (shell: Shell, prefix: string, env: Record<string, string>, staging?: string) =>
        backup({ component: Component.Postgres, minio, prefix, dumpShell: shell, uploadShell: "bash", staging, dumpEnv: { ...pg.env(), GGB_PG_FORMAT: "sql", GGB_COMPRESSION: "gzip", ...env } });

    /** A session holding an ACCESS EXCLUSIVE lock on big_rows for `seconds` (granted when this resolves). */
    async function holdBigRowsLock(seconds: number) {
        const holder = execa(pgBin("psql"), ["-X", "-w", "-d", conninfoDb("big"), "-c", `BEGIN; LOCK TABLE big_rows IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(${seconds});`], {
            env: minimalEnv({ PGHOST: "127.0.0.1", PGPORT: String(pg.port), PGUSER: "postgres", PGPASSWORD: pg.password }),
            extendEnv: false,
            reject: false,
        });
        await waitUntil(async () => (await pg.rows("SELECT 1 FROM pg_locks WHERE mode = 'AccessExclusiveLock' AND granted AND relation = (SELECT oid FROM pg_class WHERE relname = 'big_rows')", "big")).length === 1);
        // Wrapped: an async function returning the subprocess itself would wait for it to end.
        return { holder };
    }

    /** A redis backup whose upload step gets `uploadEnv` (the S3 faults). */
    const redisBackup = (prefix: string, uploadShell: Shell, uploadEnv: Record<string, string>) =>
        backup({ component: Component.Redis, minio, prefix, dumpShell: "busybox", uploadShell, uploadEnv, dumpEnv: { ...redis.env(), GGB_COMPRESSION: "gzip" } });

    for (const [shell, format] of [["busybox", "sql"], ["dash", "directory"]] as const) {
        it(`postgres stopped in the middle of a ${format} dump (${shell})`, async function () {
            const prefix = uniquePrefix("pg-killed");
            // A session holds an exclusive lock on the big table, so pg_dump, having dumped what
            // comes before it, waits on that table: the server is then stopped at a known point.
            const { holder } = await holdBigRowsLock(120);
            try {
                const running = pgBackup(shell, prefix, { GGB_PG_FORMAT: format });
                await waitUntil(async () => (await pg.rows("SELECT 1 FROM pg_stat_activity WHERE application_name IN ('pg_dump', 'pg_dumpall') AND wait_event_type = 'Lock'")).length > 0);
                await pg.kill("SIGQUIT"); // immediate shutdown: every backend is gone at once
                const run = await running;
                if (format === "sql") {
                    assertDumpFailed(run, "dump-postgres", /^dump-postgres: pg_dumpall failed \(exit \d+\): .*(server closed the connection unexpectedly|terminating connection|connection to server)/);
                    // The artifact in flight was aborted, not completed: the bucket holds nothing.
                    assert.deepEqual(await minio.list(prefix + "/"), []);
                } else {
                    assertDumpFailed(run, "dump-postgres", /^dump-postgres: pg_dump of database 'big' failed: .*(server closed the connection unexpectedly|terminating connection|connection to server)/);
                }
                await assertNoManifest(minio, prefix);
            } finally {
                holder.kill("SIGKILL");
                await holder;
                if (!pg.isRunning()) await pg.start();
            }
            // The tests after this one dump the fixture: it must have come through the crash.
            assert.deepEqual(await pg.rows("SELECT to_regclass('public.big_rows') IS NOT NULL", "big"), [["t"]], "big_rows survived the immediate shutdown");
            assert.deepEqual(await pg.rows("SELECT count(*) FROM big_rows", "big"), [["40000"]]);
        });
    }

    for (const shell of ["busybox", "dash"] as const) {
        it(`postgres: wrong password (${shell})`, async function () {
            const prefix = uniquePrefix("pg-pw");
            const run = await pgBackup(shell, prefix, { PGPASSWORD: "not-the-password" });
            assertDumpFailed(run, "dump-postgres", new RegExp(`^dump-postgres: cannot query PostgreSQL at 127\\.0\\.0\\.1:${pg.port} as postgres: .*password authentication failed for user "postgres"`));
            await assertNoManifest(minio, prefix);
        });

        it(`redis unreachable, and redis with a wrong password (${shell})`, async function () {
            const prefix = uniquePrefix("redis-down");
            const port = await freePort();
            const run = await backup({ component: Component.Redis, minio, prefix, dumpShell: shell, uploadShell: "bash", dumpEnv: { ...redis.env(), GGB_REDIS_PORT: String(port), GGB_COMPRESSION: "gzip" } });
            assertDumpFailed(run, "dump-redis", new RegExp(`^dump-redis: cannot reach Redis at 127\\.0\\.0\\.1:${port}: Could not connect to Redis at 127\\.0\\.0\\.1:${port}: Connection refused`));
            const wrong = await backup({ component: Component.Redis, minio, prefix, dumpShell: shell, uploadShell: "bash", dumpEnv: { ...redis.env(), REDISCLI_AUTH: "wrong", GGB_COMPRESSION: "gzip" } });
            assertDumpFailed(wrong, "dump-redis", /^dump-redis: Redis at 127\.0\.0\.1:\d+ refused INFO: .*(WRONGPASS|NOAUTH)/);
            await assertNoManifest(minio, prefix);
        });
    }

    for (const [shell, format] of [["busybox", "sql"], ["dash", "directory"]] as const) {
        it(`postgres: a table lock the dump cannot get fails it after GGB_CALL_TIMEOUT with the reason (${format}, ${shell})`, async function () {
            const prefix = uniquePrefix("pg-lock");
            const { holder } = await holdBigRowsLock(60);
            try {
                const run = await pgBackup(shell, prefix, { GGB_PG_FORMAT: format, GGB_CALL_TIMEOUT: "2" });
                assertDumpFailed(run, "dump-postgres", /^dump-postgres: pg_dump(all)?( of database 'big')? failed.*(could not obtain lock on relation|lock timeout|canceling statement due to)/);
                assert.ok(run.dump.durationMs < 60_000, `stopped in ${run.dump.durationMs} ms, before the lock holder let go`);
                await assertNoManifest(minio, prefix);
            } finally {
                holder.kill("SIGTERM");
                await holder;
                await pg.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'big' AND pid <> pg_backend_pid()");
            }
        });
    }

    for (const shell of ["busybox", "dash"] as const) {
        it(`redis that accepts the connection and never answers: stopped after GGB_CALL_TIMEOUT with a reason (${shell})`, async function () {
            const held: net.Socket[] = [];
            const silent = net.createServer((socket) => held.push(socket));
            await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
            const port = (silent.address() as net.AddressInfo).port;
            try {
                const prefix = uniquePrefix("redis-silent");
                const run = await backup({ component: Component.Redis, minio, prefix, dumpShell: shell, uploadShell: "bash", dumpEnv: { ...redis.env(), GGB_REDIS_PORT: String(port), GGB_COMPRESSION: "gzip", GGB_CALL_TIMEOUT: "2" } });
                assertDumpFailed(run, "dump-redis", new RegExp(`^dump-redis: Redis at 127\\.0\\.0\\.1:${port} did not answer INFO within 2 s \\(GGB_CALL_TIMEOUT\\)$`));
                assert.ok(run.dump.durationMs < 60_000, `stopped in ${run.dump.durationMs} ms`);
                await assertNoManifest(minio, prefix);
            } finally {
                for (const socket of held) socket.destroy();
                silent.close();
            }
        });
    }

    it("S3 endpoint down (bash, the aws-cli image's shell)", async function () {
        const prefix = uniquePrefix("s3-down");
        const endpoint = `http://127.0.0.1:${await freePort()}`;
        const { upload: up } = await redisBackup(prefix, "bash", { GGB_S3_ENDPOINT: endpoint });
        assertFailed(up, "upload", new RegExp(`^upload: upload of dump\\.rdb\\.gz to s3://${minio.bucket}/${prefix}/redis/\\d{8}T\\d{6}Z/ failed: .*Could not connect to the endpoint URL: "${endpoint}/`));
        await assertNoManifest(minio, prefix);
    });

    it("wrong S3 credentials (dash)", async function () {
        const prefix = uniquePrefix("s3-creds");
        const { upload: up } = await redisBackup(prefix, "dash", { AWS_SECRET_ACCESS_KEY: "wrong-secret-key" });
        assertFailed(up, "upload", /^upload: upload of dump\.rdb\.gz to s3:\/\/.* failed: .*(SignatureDoesNotMatch|AccessDenied|InvalidAccessKeyId)/);
        await assertNoManifest(minio, prefix);
    });

    it("bucket missing (busybox)", async function () {
        const prefix = uniquePrefix("s3-nobucket");
        const missing = `missing-${randomToken(4)}`;
        const { upload: up } = await redisBackup(prefix, "busybox", { GGB_S3_BUCKET: missing });
        assertFailed(up, "upload", new RegExp(`^upload: upload of dump\\.rdb\\.gz to s3://${missing}/.* failed: .*NoSuchBucket`));
        const head = await minio.aws(["s3api", "head-bucket", "--bucket", missing], { reject: false });
        assert.notEqual(head.exitCode, 0, "the missing bucket was not created");
        await assertNoManifest(minio, prefix);
    });

    describe("staging volume full (a 512 KiB tmpfs)", function () {
        let mountPoint: string;
        before(function () {
            if (!isRoot) this.skip(); // mounting a tmpfs needs root: the only reason to skip these
            mountPoint = makeTempDir("tiny-staging");
            try {
                execFileSync("mount", ["-t", "tmpfs", "-o", "size=512k,mode=0755", "tmpfs", mountPoint], { stdio: "pipe" });
                trackMount(mountPoint);
            } catch (e) {
                // As root (as CI runs) these tests must run: a failed mount (no CAP_SYS_ADMIN, in a
                // container) fails them rather than passing them over unseen.
                throw new Error(`running as root, yet cannot mount a 512 KiB tmpfs for the staging-volume tests: ${(e as Error).message.trim()}`);
            }
        });
        after(() => {
            if (mountPoint && fs.existsSync(mountPoint)) {
                try {
                    execFileSync("umount", [mountPoint]);
                    untrackMount(mountPoint);
                } catch {
                    /* tracked: unmounted at exit */
                }
            }
        });

        it("a sql dump streams through it: nothing is staged, the set is committed (dash)", async function () {
            for (const f of fs.readdirSync(mountPoint)) fs.rmSync(path.join(mountPoint, f), { recursive: true, force: true });
            const prefix = uniquePrefix("full-sql");
            const run = await pgBackup("dash", prefix, { GGB_PG_FORMAT: "sql" }, mountPoint);
            assert.equal(run.dump.exitCode, 0, explain(run.dump));
            assert.equal(run.upload.exitCode, 0, explain(run.upload));
            const [artifact] = (await minio.list(prefix + "/")).filter((k) => k.endsWith("dumpall.sql.gz"));
            assert.ok((await minio.get(artifact)).length > 512 * 1024, "the dump is larger than the staging volume");
        });

        it("a directory dump into it (busybox)", async function () {
            for (const f of fs.readdirSync(mountPoint)) fs.rmSync(path.join(mountPoint, f), { recursive: true, force: true });
            const prefix = uniquePrefix("full");
            const run = await pgBackup("busybox", prefix, { GGB_PG_FORMAT: "directory" }, mountPoint);
            assertDumpFailed(run, "dump-postgres", /^dump-postgres: pg_dump of database 'big' failed: .*No space left on device/);
            await assertNoManifest(minio, prefix);
        });

        it("redis snapshot into it (busybox)", async function () {
            for (const f of fs.readdirSync(mountPoint)) fs.rmSync(path.join(mountPoint, f), { recursive: true, force: true });
            const prefix = uniquePrefix("full-redis");
            await redis.command("SET", "big:random", Buffer.from(crypto.getRandomValues(new Uint8Array(65536))).toString("base64").repeat(12));
            try {
                const run = await backup({ component: Component.Redis, minio, prefix, dumpShell: "busybox", uploadShell: "bash", staging: mountPoint, dumpEnv: { ...redis.env(), GGB_COMPRESSION: "gzip" } });
                assertDumpFailed(run, "dump-redis", /^dump-redis: redis-cli --rdb failed: .*(No space left on device|[Ee]rror)/);
                await assertNoManifest(minio, prefix);
            } finally {
                await redis.command("DEL", "big:random");
            }
        });
    });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
        if (Date.now() > deadline) throw new Error("condition not reached in time");
        await sleep(50);
    }
}
