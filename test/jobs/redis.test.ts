/**
 * Redis round trip on real servers: dump-redis.sh + upload.sh to MinIO, the manifest checked
 * with parseManifest, restore-fetch.sh + restore-redis.sh into the data folder of a STOPPED
 * server that runs with appendonly yes and already has an AOF of other data, then that server
 * started and compared key by key with the source (DUMP, PEXPIRETIME, PTTL).
 */
import * as assert from "node:assert/strict";
import { PART_SCRIPT } from "../../sources";
import * as fs from "node:fs";
import * as path from "node:path";
import { Component, SCRIPT } from "../../core/contract";
import { explain, runJob } from "../../harness/jobRunner";
import { MinioServer, startMinio } from "../../harness/minio";
import { RedisServer, startRedis, text } from "../../harness/redis";
import { FIXTURE_DBS, KeyState, assertSameKeys, populateRedis, snapshot } from "./redisFixture";
import { RoundTripCase, assertFailed, backupOk, fetchSet, folderFingerprint, uniquePrefix } from "./support";

const CASES: RoundTripCase[] = [
    { compression: "gzip", dump: "busybox", upload: "bash", fetch: "dash", restore: "dash" },
    { compression: "zstd", dump: "dash", upload: "dash", fetch: "busybox", restore: "busybox" },
];

describe("redis: backup and restore round trip on real servers", function () {
    this.timeout(300_000);
    let minio: MinioServer;
    let source: RedisServer;
    let sourceKeys: Record<string, KeyState>;
    let snapshotAt: number;

    before(async function () {
        this.timeout(900_000); // on a fresh machine, startMinio() first builds MinIO (scripts/tools/build.sh, minutes)
        [minio, source] = await Promise.all([startMinio(), startRedis({ password: "source-redis-pw" })]);
        await populateRedis(source);
        sourceKeys = await snapshot(source);
        snapshotAt = Date.now();
        const types = new Set(Object.values(sourceKeys).map((k) => k.type));
        assert.deepEqual([...types].sort(), ["hash", "list", "set", "stream", "string", "zset"]);
        const encodings = new Set(Object.values(sourceKeys).map((k) => k.encoding));
        for (const e of ["listpack", "hashtable", "quicklist", "intset", "skiplist", "stream", "int", "raw", "embstr"]) assert.ok(encodings.has(e), `fixture has a ${e} key`);
        assert.ok(Object.values(sourceKeys).filter((k) => k.pttl > 0).length >= 6, "fixture has keys with TTLs");
    });

    after(async () => {
        await Promise.all([minio?.destroy(), source?.destroy()]);
    });

    for (const c of CASES) {
        it(`${c.compression}: dump (${c.dump}), upload (${c.upload}), fetch (${c.fetch}), restore (${c.restore}) into a stopped appendonly server`, async function () {
            const prefix = uniquePrefix(`redis-${c.compression}`);
            const run = await backupOk({
                component: Component.Redis,
                minio,
                prefix,
                dumpShell: c.dump,
                uploadShell: c.upload,
                dumpEnv: { ...source.env(), GGB_COMPRESSION: c.compression },
            });
            assert.equal(run.manifest.format, "rdb");
            assert.equal(run.manifest.tool.name, "redis-cli");
            assert.equal(run.manifest.server.version, text(await source.command("INFO", "server")).match(/redis_version:(\S+)/)![1]);
            assert.deepEqual(
                run.manifest.artifacts.map((a) => [a.name, a.compression]),
                [[c.compression === "gzip" ? "dump.rdb.gz" : "dump.rdb.zst", c.compression]],
            );

            // The target: appendonly yes, with data of its own in its AOF, then stopped.
            const target = await startRedis({ password: "target-redis-pw", appendonly: true });
            try {
                await target.command("SET", "stale:only-in-the-aof", "must disappear");
                await target.command("HSET", "str:int", "f", "a key the RDB also has, as another type");
                await target.stop();
                assert.ok(fs.existsSync(path.join(target.dir, "appendonlydir")), "the target has an AOF folder");
                // The check below that the AOF's data did not override the RDB proves something only
                // if that data reached the AOF before the stop (SIGTERM: Redis flushes its AOF on a
                // clean shutdown; a kill would leave whatever was written so far).
                const aof = fs.readdirSync(path.join(target.dir, "appendonlydir")).map((f) => fs.readFileSync(path.join(target.dir, "appendonlydir", f)).toString("latin1")).join("\n");
                assert.ok(aof.includes("stale:only-in-the-aof") && aof.includes("a key the RDB also has, as another type"), "the target's own data is in its AOF");

                const fetched = await fetchSet({ component: Component.Redis, minio, prefix, backupId: run.backupId, shell: c.fetch });
                assert.equal(fetched.result.exitCode, 0, explain(fetched.result));
                // The target holds data: refused, untouched, unless told to overwrite.
                const before = folderFingerprint(target.dir);
                for (const overwrite of [undefined, "false", "TRUE"]) {
                    const refused = await runJob(PART_SCRIPT.restoreRedis, { shell: c.restore, env: { GGB_STAGING_DIR: fetched.staging, GGB_REDIS_DATA_DIR: target.dir, GGB_OVERWRITE: overwrite } });
                    assertFailed(refused, "restore-redis", /^restore-redis: target Redis data in \S+ is not empty \([^)]*commands in appendonly\.aof\.1\.incr\.aof\); set overwrite to replace it; data untouched$/);
                }
                assert.deepEqual(folderFingerprint(target.dir), before, "the refused restores left the target as it was");
                const restore = await runJob(PART_SCRIPT.restoreRedis, {
                    shell: c.restore,
                    env: { GGB_STAGING_DIR: fetched.staging, GGB_REDIS_DATA_DIR: target.dir, GGB_OVERWRITE: "true" },
                });
                assert.equal(restore.exitCode, 0, explain(restore));
                assert.match(restore.stderr, /overwrite: replacing the target's data \(/);
                const entries = fs.readdirSync(target.dir).sort();
                assert.ok(entries.includes("dump.rdb"), entries.join(", "));
                assert.ok(entries.some((e) => /^appendonlydir\.before-restore-\d{8}T\d{6}Z$/.test(e)), `the old AOF folder was kept aside: ${entries.join(", ")}`);
                // The AOF folder now names only the restored snapshot as its base, numbered above
                // the old AOF's seq 1 (the swap is a switch of the manifest, see restore-redis.sh).
                assert.deepEqual(fs.readdirSync(path.join(target.dir, "appendonlydir")).sort(), ["appendonly.aof.2.base.rdb", "appendonly.aof.2.incr.aof", "appendonly.aof.manifest"]);
                assert.ok(fs.readFileSync(path.join(target.dir, "appendonlydir", "appendonly.aof.2.base.rdb")).equals(fs.readFileSync(path.join(target.dir, "dump.rdb"))));

                await target.start();
                const persistence = text(await target.command("INFO", "persistence"));
                assert.match(persistence, /aof_enabled:1/);
                assert.equal(await target.command("EXISTS", "stale:only-in-the-aof"), 0, "the AOF's data did not override the RDB");
                assertSameKeys(await snapshot(target), sourceKeys, Date.now() - snapshotAt);
                const keyspace = text(await target.command("INFO", "keyspace"));
                for (const db of FIXTURE_DBS) assert.match(keyspace, new RegExp(`^db${db}:keys=`, "m"));

                // Written after the restore, in the AOF: a restart loads base + increment.
                await target.command("SET", "after:restore", "1");
                await target.stop();
                await target.start();
                assert.equal(text(await target.command("GET", "after:restore")), "1");
                await target.command("DEL", "after:restore");
                assertSameKeys(await snapshot(target), sourceKeys, Date.now() - snapshotAt);
            } finally {
                await target.destroy();
            }
        });
    }
});
