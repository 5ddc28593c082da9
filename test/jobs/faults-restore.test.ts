/**
 * Restore faults on real servers: a corrupted or truncated artifact is refused by the fetch
 * step before anything touches the target (and the apply steps refuse an unverified staging
 * folder); a set without a manifest is never restorable; a non-empty PostgreSQL target is
 * refused without overwrite and replaced with GGB_OVERWRITE=true (postgresOverwrite.test.ts: how).
 */
import * as assert from "node:assert/strict";
import { PART_SCRIPT } from "../../sources";
import * as fs from "node:fs";
import * as path from "node:path";
import { BackupSet, groupSets, parseSelector, selectSet } from "../../core/backupSet";
import { Component, SCRIPT } from "../../core/contract";
import { Manifest, manifestKey } from "../../core/manifest";
import { explain, runJob } from "../../harness/jobRunner";
import { MinioServer, startMinio } from "../../harness/minio";
import { PostgresServer, startPostgres } from "../../harness/postgres";
import { makeTempDir } from "../../harness/proc";
import { RedisServer, startRedis } from "../../harness/redis";
import { normalizedDumpall } from "./pgFixture";
import { assertFailed, assertSameText, backupOk, fetchSet, folderFingerprint, nextBackupId, uniquePrefix } from "./support";

const SMALL_PG = `
CREATE ROLE app_user LOGIN PASSWORD 'app-pw';
CREATE DATABASE app OWNER app_user;
`;

describe("restore faults", function () {
    this.timeout(300_000);
    let minio: MinioServer;
    let source: PostgresServer;
    let redis: RedisServer;
    let pgPrefix: string;
    let pgSet: { backupId: string; manifest: Manifest; manifestText: string };
    let redisPrefix: string;
    let redisSet: { backupId: string; manifest: Manifest; manifestText: string };
    let sourceDump: string;

    before(async function () {
        this.timeout(900_000); // on a fresh machine, startMinio() first builds MinIO (scripts/tools/build.sh, minutes)
        [minio, source, redis] = await Promise.all([startMinio(), startPostgres({ password: "src-pw" }), startRedis()]);
        await source.psql(SMALL_PG);
        await source.psql("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT i, 'row ' || i FROM generate_series(1, 500) i;", { db: "app" });
        sourceDump = await normalizedDumpall(source);
        await redis.command("SET", "k", "v");
        pgPrefix = uniquePrefix("rf-pg");
        redisPrefix = uniquePrefix("rf-redis");
        pgSet = await backupOk({ component: Component.Postgres, minio, prefix: pgPrefix, dumpShell: "dash", uploadShell: "bash", dumpEnv: { ...source.env(), GGB_PG_FORMAT: "sql", GGB_COMPRESSION: "gzip" } });
        redisSet = await backupOk({ component: Component.Redis, minio, prefix: redisPrefix, dumpShell: "busybox", uploadShell: "bash", dumpEnv: { ...redis.env(), GGB_COMPRESSION: "zstd" } });
    });
    after(async () => {
        await Promise.all([minio?.destroy(), source?.destroy(), redis?.destroy()]);
    });

    /**
     * A copy of a committed set under a new prefix (server-side copy), for damaging. The copied
     * manifest still names the old keys, which restore-fetch must refuse (a manifest may not point
     * outside its set); then the manifest is rewritten for the new prefix.
     */
    async function copySet(fromPrefix: string, component: Component, set: { backupId: string; manifestText: string }, label: string, checkOutside = false): Promise<string> {
        const prefix = uniquePrefix(label);
        await minio.aws(["s3", "cp", "--recursive", "--only-show-errors", `s3://${minio.bucket}/${fromPrefix}/${component}/${set.backupId}/`, `s3://${minio.bucket}/${prefix}/${component}/${set.backupId}/`]);
        if (checkOutside) {
            const f = await fetchSet({ component, minio, prefix, backupId: set.backupId, shell: "dash" });
            assertFailed(f.result, "restore-fetch", new RegExp(`^restore-fetch: manifest of ${prefix}/${component}/${set.backupId} lists ${fromPrefix}/${component}/${set.backupId}/\\S+ outside the set$`));
        }
        await minio.put(manifestKey(prefix, component, set.backupId), set.manifestText.split(`"key":"${fromPrefix}/`).join(`"key":"${prefix}/`));
        return prefix;
    }

    // Corruption on postgres here, truncation on redis below: each check of restore-fetch.sh once.
    it("postgres: a corrupted artifact (same size) is refused by restore-fetch (dash); restore-postgres then refuses too (busybox); the target is untouched", async function () {
        const prefix = await copySet(pgPrefix, Component.Postgres, pgSet, "rf-pg-corrupted", true);
        const artifact = pgSet.manifest.artifacts[0];
        const key = artifact.key.replace(pgPrefix, prefix);
        const bad = Buffer.from(await minio.get(key));
        bad[Math.floor(bad.length / 2)] ^= 0xff;
        await minio.put(key, bad);

        const target = await startPostgres();
        try {
            await target.psql("CREATE TABLE keep_me (v text); INSERT INTO keep_me VALUES ('untouched');");
            const before = await normalizedDumpall(target);
            const fetched = await fetchSet({ component: Component.Postgres, minio, prefix, backupId: pgSet.backupId, shell: "dash" });
            assertFailed(fetched.result, "restore-fetch", new RegExp(`^restore-fetch: artifact ${artifact.name} has sha256 [0-9a-f]{64}, the manifest says ${artifact.sha256}: corrupted; refusing to restore$`));
            assert.ok(!fs.existsSync(path.join(fetched.staging, artifact.name)), "the bad artifact is removed from staging");
            assert.ok(!fs.existsSync(path.join(fetched.staging, ".fetch-complete")));
            // Even with overwrite, the apply step refuses a folder the fetch step did not verify.
            const apply = await runJob(PART_SCRIPT.restorePostgres, { shell: "busybox", env: { ...target.env(), GGB_STAGING_DIR: fetched.staging, GGB_OVERWRITE: "true" } });
            assertFailed(apply, "restore-postgres", /no verified set in .* \(restore-fetch\.sh did not complete\); target untouched$/);
            assertSameText(await normalizedDumpall(target), before, "pg_dumpall of the target before and after (untouched)");
        } finally {
            await target.destroy();
        }
    });

    it("redis: the files of a fresh server (no keys, empty AOF increment) are not data: restored without overwrite (dash)", async function () {
        const fresh = await startRedis({ appendonly: true });
        try {
            await fresh.stop();
            assert.ok(fs.existsSync(path.join(fresh.dir, "appendonlydir")), "a fresh appendonly server has an AOF folder");
            const fetched = await fetchSet({ component: Component.Redis, minio, prefix: redisPrefix, backupId: redisSet.backupId, shell: "bash" });
            const apply = await runJob(PART_SCRIPT.restoreRedis, { shell: "dash", env: { GGB_STAGING_DIR: fetched.staging, GGB_REDIS_DATA_DIR: fresh.dir } });
            assert.equal(apply.exitCode, 0, explain(apply));
            assert.doesNotMatch(apply.stderr, /overwrite/);
            await fresh.start();
            assert.ok(Number(await fresh.command("DBSIZE")) > 0, "the set's keys are loaded");
        } finally {
            await fresh.destroy();
        }
    });

    it("redis: a truncated RDB is refused by restore-fetch (bash); restore-redis then refuses; the data folder is untouched", async function () {
        const prefix = await copySet(redisPrefix, Component.Redis, redisSet, "rf-redis-trunc");
        const artifact = redisSet.manifest.artifacts[0];
        const key = artifact.key.replace(redisPrefix, prefix);
        await minio.put(key, (await minio.get(key)).subarray(0, 10));
        const dataDir = makeTempDir("redis-target");
        fs.writeFileSync(path.join(dataDir, "dump.rdb"), "REDIS0010 existing data");
        fs.mkdirSync(path.join(dataDir, "appendonlydir"));
        fs.writeFileSync(path.join(dataDir, "appendonlydir", "appendonly.aof.manifest"), "file appendonly.aof.1.base.rdb seq 1 type b\n");
        const before = folderFingerprint(dataDir);
        const fetched = await fetchSet({ component: Component.Redis, minio, prefix, backupId: redisSet.backupId, shell: "bash" });
        assertFailed(fetched.result, "restore-fetch", new RegExp(`^restore-fetch: artifact ${artifact.name.replace(".", "\\.")} is 10 bytes, the manifest says ${artifact.size}: corrupted or truncated; refusing to restore$`));
        const apply = await runJob(PART_SCRIPT.restoreRedis, { shell: "dash", env: { GGB_STAGING_DIR: fetched.staging, GGB_REDIS_DATA_DIR: dataDir } });
        assertFailed(apply, "restore-redis", /no verified set in .* \(restore-fetch\.sh did not complete\); data untouched$/);
        assert.deepEqual(folderFingerprint(dataDir), before);
    });

    it("a set without a manifest is never listed as restorable, and restore-fetch refuses it (dash)", async function () {
        // Copy the artifacts (not the manifest) of the committed set to a NEWER id: if incomplete
        // sets counted, "latest" would pick it.
        const incompleteId = nextBackupId();
        for (const a of pgSet.manifest.artifacts) {
            await minio.aws(["s3", "cp", "--only-show-errors", `s3://${minio.bucket}/${a.key}`, `s3://${minio.bucket}/${pgPrefix}/postgres/${incompleteId}/${a.name}`]);
        }
        const keys = await minio.list(`${pgPrefix}/`);
        assert.ok(keys.includes(`${pgPrefix}/postgres/${incompleteId}/${pgSet.manifest.artifacts[0].name}`));
        assert.ok(!keys.includes(manifestKey(pgPrefix, Component.Postgres, incompleteId)));
        const sets: BackupSet[] = groupSets(pgPrefix, Component.Postgres, keys);
        assert.deepEqual(
            sets.map((s) => [s.backupId, s.complete]),
            [
                [pgSet.backupId, true],
                [incompleteId, false],
            ],
        );
        assert.equal(selectSet(sets, parseSelector("latest"), Component.Postgres).backupId, pgSet.backupId);
        assert.equal(selectSet(sets, { kind: "atOrBefore", time: new Date("2100-01-01T00:00:00Z") }, Component.Postgres).backupId, pgSet.backupId);
        assert.throws(() => selectSet(sets, parseSelector(incompleteId), Component.Postgres), /has no manifest \(incomplete: its upload never finished\); it cannot be restored/);
        assert.throws(() => selectSet(sets.filter((s) => !s.complete), parseSelector("latest"), Component.Postgres), /there is no complete set/);

        const fetched = await fetchSet({ component: Component.Postgres, minio, prefix: pgPrefix, backupId: incompleteId, shell: "dash" });
        assertFailed(fetched.result, "restore-fetch", new RegExp(`^restore-fetch: set ${pgPrefix}/postgres/${incompleteId} has no readable manifest \\(incomplete or missing set\\): `));
        assert.deepEqual(fs.readdirSync(fetched.staging).filter((f) => !f.startsWith(".")), [], "nothing fetched");
    });

    describe("postgres: restore into a non-empty target", function () {
        let staging: string;
        before(async () => {
            const fetched = await fetchSet({ component: Component.Postgres, minio, prefix: pgPrefix, backupId: pgSet.backupId, shell: "bash" });
            assert.equal(fetched.result.exitCode, 0, explain(fetched.result));
            staging = fetched.staging;
        });

        for (const shell of ["busybox", "dash"] as const) {
            it(`without overwrite: refused, target untouched (${shell})`, async function () {
                const target = await startPostgres();
                try {
                    await target.psql("CREATE ROLE other LOGIN; CREATE DATABASE other_db;");
                    await target.psql("CREATE TABLE other_t AS SELECT 1 AS x", { db: "other_db" });
                    const before = await normalizedDumpall(target);
                    for (const overwrite of [undefined, "false", "TRUE", "yes"]) {
                        const r = await runJob(PART_SCRIPT.restorePostgres, { shell, env: { ...target.env(), GGB_STAGING_DIR: staging, GGB_OVERWRITE: overwrite } });
                        assertFailed(r, "restore-postgres", /^restore-postgres: target PostgreSQL at 127\.0\.0\.1:\d+ is not empty \(1 databases, 1 roles, 0 relations in postgres\); set overwrite to replace it; target untouched$/);
                    }
                    assertSameText(await normalizedDumpall(target), before, "pg_dumpall of the target before and after (untouched)");
                } finally {
                    await target.destroy();
                }
            });
        }

        for (const shell of ["dash", "busybox"] as const) {
            it(`with GGB_OVERWRITE=true: replaced by the backup (${shell})`, async function () {
                const target = await startPostgres();
                try {
                    await target.psql("CREATE ROLE other LOGIN; CREATE ROLE app_user NOLOGIN; CREATE DATABASE other_db; CREATE TABLE in_postgres (v int);");
                    const r = await runJob(PART_SCRIPT.restorePostgres, { shell, env: { ...target.env(), GGB_STAGING_DIR: staging, GGB_OVERWRITE: "true" } });
                    assert.equal(r.exitCode, 0, explain(r));
                    assert.match(r.stderr, /overwrite: the target's databases are put aside until the set is in \(ggb_aside_other_db, ggb_aside_postgres\)/);
                    assert.match(r.stderr, /overwrite: role other of the target is not in the set: dropped/);
                    assertSameText(await normalizedDumpall(target), sourceDump, "pg_dumpall of the source and the overwritten target");
                } finally {
                    await target.destroy();
                }
            });
        }
    });
});
