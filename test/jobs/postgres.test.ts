/**
 * PostgreSQL round trip on real servers: dump-postgres.sh + upload.sh to MinIO, the manifest
 * checked with parseManifest, restore-fetch.sh + restore-postgres.sh into a FRESH cluster (with
 * another superuser password), then the restored cluster compared with the source: normalized
 * pg_dumpall and per-table row checksums.
 */
import * as assert from "node:assert/strict";
import { Component, SCRIPT } from "../../core/contract";
import { MinioServer, startMinio } from "../../harness/minio";
import { PostgresServer, startPostgres } from "../../harness/postgres";
import { ODD_DB, databases, normalizedDumpall, populateSource, rowChecksums } from "./pgFixture";
import { RoundTripCase, assertSameText, backupOk, restorePostgresSet, uniquePrefix } from "./support";

interface Case extends RoundTripCase {
    format: "sql" | "directory";
}

// Every script under busybox sh and dash (upload and fetch under bash too), both formats and
// both compressions, without running the whole cross product (each round trip costs ~15 aws CLI
// runs). zstd in sql format is the same compress() path as the directory format's tar.zst.
const CASES: Case[] = [
    { format: "sql", compression: "gzip", dump: "busybox", upload: "bash", fetch: "dash", restore: "dash" },
    { format: "directory", compression: "gzip", dump: "dash", upload: "dash", fetch: "busybox", restore: "busybox" },
    { format: "directory", compression: "zstd", dump: "busybox", upload: "busybox", fetch: "bash", restore: "dash" },
];

describe("postgres: backup and restore round trip on real servers", function () {
    this.timeout(600_000);
    let minio: MinioServer;
    let source: PostgresServer;
    let sourceDump: string;
    let sourceSums: Record<string, string>;
    let serverVersion: string;

    before(async function () {
        this.timeout(900_000); // on a fresh machine, startMinio() first builds MinIO (scripts/tools/build.sh, minutes)
        [minio, source] = await Promise.all([startMinio(), startPostgres({ password: "source-superuser-pw" })]);
        await populateSource(source);
        sourceDump = await normalizedDumpall(source);
        sourceSums = await rowChecksums(source);
        serverVersion = (await source.psql("SHOW server_version")).trim();
        // The fixture is what it claims to be (guards against a silently empty comparison).
        assert.deepEqual(await databases(source), ["gitguardian", ODD_DB, "postgres"].sort());
        assert.ok(Object.keys(sourceSums).length >= 10, JSON.stringify(sourceSums));
        assert.match(sourceDump, /CREATE EXTENSION IF NOT EXISTS "pg_trgm"/);
        assert.match(sourceDump, /SELECT pg_catalog.setval\('"app"."ticket_seq"', \d{5}, true\);/);
        assert.match(sourceDump, /lo_create/);
    });

    after(async () => {
        await Promise.all([minio?.destroy(), source?.destroy()]);
    });

    for (const c of CASES) {
        it(`${c.format} format, ${c.compression}: dump (${c.dump}), upload (${c.upload}), fetch (${c.fetch}), restore (${c.restore}) into a fresh cluster`, async function () {
            const prefix = uniquePrefix(`pg-${c.format}-${c.compression}`);
            const run = await backupOk({
                component: Component.Postgres,
                minio,
                prefix,
                dumpShell: c.dump,
                uploadShell: c.upload,
                dumpEnv: { ...source.env(), GGB_PG_FORMAT: c.format, GGB_COMPRESSION: c.compression, GGB_PG_JOBS: "2" },
            });
            const m = run.manifest;
            assert.equal(m.format, c.format);
            assert.equal(m.tool.name, c.format === "sql" ? "pg_dumpall" : "pg_dump");
            assert.match(m.tool.version, /PostgreSQL\) 15\./);
            assert.equal(m.server.version, serverVersion);
            // A superuser reads pg_authid: auto (GGB_PG_ROLE_PASSWORDS unset) keeps the passwords.
            assert.deepEqual(m.details, { rolePasswords: "included" });
            const ext = c.compression === "gzip" ? ".gz" : ".zst";
            const names = m.artifacts.map((a) => a.name).sort();
            if (c.format === "sql") {
                // The dump, and its inventory for the drills (test/jobs/inventory.test.ts).
                assert.deepEqual(names, [`dumpall.sql${ext}`, "inventory.tsv"]);
            } else {
                // pg_dump 15 compresses directory archives with gzip only; with zstd the tar is compressed.
                const tar = c.compression === "zstd" ? ".tar.zst" : ".tar";
                assert.deepEqual(names, [`db-0001${tar}`, `db-0002${tar}`, `db-postgres${tar}`, `globals.sql${ext}`, "inventory.tsv"]);
            }
            for (const a of m.artifacts) {
                // Under the set, in the run folder of this upload (random, 12 hex digits).
                assert.match(a.key, new RegExp(`^${prefix}/postgres/${run.backupId}/[0-9a-f]{12}/${a.name.replace(/\./g, "\\.")}$`));
                assert.ok(a.size > 0);
                assert.equal(a.compression, a.name.endsWith(".gz") ? "gzip" : a.name.endsWith(".zst") ? "zstd" : "none");
            }
            const keys = await minio.list(`${prefix}/`);
            assert.deepEqual(keys, [...m.artifacts.map((a) => a.key), `${prefix}/postgres/${run.backupId}/manifest.json`].sort());

            const target = await startPostgres({ password: "target-superuser-pw" });
            try {
                await restorePostgresSet({ minio, prefix, backupId: run.backupId, target, shells: c });
                // The target superuser still logs in with its own password (the saved one was not applied).
                assert.equal((await target.psql("SELECT current_user")).trim(), "postgres");
                assert.deepEqual(await rowChecksums(target), sourceSums);
                const restoredDump = await normalizedDumpall(target);
                assertSameText(restoredDump, sourceDump, "normalized pg_dumpall of the source and the restored cluster");
            } finally {
                await target.destroy();
            }
        });
    }
});
