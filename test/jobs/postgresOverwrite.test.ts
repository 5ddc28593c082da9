/**
 * The postgres overwrite on real servers (issue #13, item 6): the target's databases stay whole
 * until the set's are in. restore-postgres.sh puts them aside (renamed, closed, their sessions
 * ended), replays, and drops them only after success; a replay that fails halfway drops what it
 * made and puts them back, so pg_dumpall of the target is what it was. What a managed service
 * reserves (RDS's rdsadmin, rds_superuser, Cloud SQL's, Azure's) is neither dumped, counted,
 * moved nor replayed; databases a killed restore left aside are refused until someone chooses.
 * Both formats: sql (psql replay, dash) and directory (pg_restore per database, busybox).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { execa, ResultPromise } from "execa";
import { Component } from "../../core/contract";
import { explain, runJob, Shell } from "../../harness/jobRunner";
import { MinioServer, startMinio } from "../../harness/minio";
import { conninfoDb, pgBin, PostgresServer, startPostgres } from "../../harness/postgres";
import { PART_SCRIPT } from "../../sources";
import { normalizedDumpall, rowChecksums } from "./pgFixture";
import { assertFailed, assertSameText, backupOk, fetchSet, uniquePrefix } from "./support";

const RESERVED_DBS = ["rdsadmin", "azure_sys"];

/** The source: an application, and what RDS and Cloud SQL keep for themselves beside it. */
const SOURCE_SQL = `
CREATE ROLE app_user LOGIN PASSWORD 'app-pw';
CREATE ROLE rds_superuser NOLOGIN CONNECTION LIMIT 3;
CREATE ROLE rdsadmin LOGIN;
CREATE ROLE cloudsqlsuperuser NOLOGIN;
GRANT rds_superuser TO app_user;
CREATE DATABASE gitguardian OWNER app_user;
CREATE DATABASE "odd ""set"" ü" OWNER app_user;
CREATE DATABASE rdsadmin;
CREATE DATABASE azure_sys;
`;

/** The target: its own application data, and the service's reserved names with their own state. */
const TARGET_SQL = `
CREATE ROLE target_owner LOGIN PASSWORD 'target-pw';
CREATE ROLE rds_superuser NOLOGIN CONNECTION LIMIT 7;
CREATE ROLE rdsadmin LOGIN;
CREATE DATABASE gitguardian OWNER target_owner;
CREATE DATABASE "target ""odd"" ü" OWNER target_owner;
CREATE DATABASE rdsadmin;
CREATE TABLE before_restore (note text);
INSERT INTO before_restore VALUES ('in the postgres database');
`;

interface Case {
    format: "sql" | "directory";
    shell: Shell;
}
const CASES: Case[] = [
    { format: "sql", shell: "dash" },
    { format: "directory", shell: "busybox" },
];

describe("postgres overwrite: the target's databases are put aside until the set is in", function () {
    this.timeout(600_000);
    let minio: MinioServer;
    let source: PostgresServer;
    let sourceSums: Record<string, string>;
    const sets = new Map<string, { prefix: string; backupId: string }>();

    before(async function () {
        this.timeout(900_000); // on a fresh machine, startMinio() first builds MinIO (scripts/tools/build.sh, minutes)
        [minio, source] = await Promise.all([startMinio(), startPostgres({ password: "src-pw" })]);
        await source.psql(SOURCE_SQL);
        await source.psql("CREATE TABLE incidents (id int PRIMARY KEY, title text); INSERT INTO incidents SELECT i, 'incident ' || i FROM generate_series(1, 300) i;", { db: "gitguardian" });
        await source.psql("CREATE TABLE t (v text); INSERT INTO t VALUES ('odd set');", { db: `odd "set" ü` });
        await source.psql("CREATE TABLE service_state (v text); INSERT INTO service_state VALUES ('source service');", { db: "rdsadmin" });
        sourceSums = withoutReserved(await rowChecksums(source));
        for (const c of CASES) {
            const prefix = uniquePrefix(`pg-aside-${c.format}`);
            const set = await backupOk({ component: Component.Postgres, minio, prefix, dumpShell: "dash", uploadShell: "bash", dumpEnv: { ...source.env(), GGB_PG_FORMAT: c.format, GGB_COMPRESSION: "gzip" } });
            sets.set(c.format, { prefix, backupId: set.backupId });
            // The dump leaves the reserved databases out (pg-managed.sh): one artifact per other database.
            if (c.format === "sql") {
                const fetched = await fetched_(c);
                const text = gunzipSync(fs.readFileSync(path.join(fetched, "dumpall.sql.gz"))).toString("utf8");
                for (const db of RESERVED_DBS) assert.doesNotMatch(text, new RegExp(`^CREATE DATABASE "${db}"`, "m"));
                assert.match(text, /^CREATE DATABASE "gitguardian"/m);
                assert.match(text, /^CREATE ROLE "rds_superuser";$/m, "the dump still holds the reserved roles: the restore leaves them out");
            } else {
                assert.deepEqual(set.manifest.artifacts.map((a) => a.name).sort(), ["db-0001.tar", "db-0002.tar", "db-postgres.tar", "globals.sql.gz", "inventory.tsv"]);
            }
        }
    });
    after(async () => {
        await Promise.all([minio?.destroy(), source?.destroy()]);
    });

    /** The set of a case fetched and verified into a fresh staging folder. */
    async function fetched_(c: Case): Promise<string> {
        const set = sets.get(c.format)!;
        const f = await fetchSet({ component: Component.Postgres, minio, prefix: set.prefix, backupId: set.backupId, shell: "bash" });
        assert.equal(f.result.exitCode, 0, explain(f.result));
        return f.staging;
    }

    function withoutReserved(sums: Record<string, string>): Record<string, string> {
        return Object.fromEntries(Object.entries(sums).filter(([k]) => !RESERVED_DBS.some((db) => k.startsWith(`${db} `))));
    }

    /** What the service owns on a target: its roles' attributes and its database's rows. */
    async function reservedState(pg: PostgresServer): Promise<string> {
        const roles = await pg.psql("SELECT rolname, rolcanlogin, rolconnlimit FROM pg_roles WHERE rolname ~ '^(rds|cloudsql)' ORDER BY 1");
        const rows = await pg.psql("SELECT string_agg(v, ',') FROM service_state", { db: "rdsadmin" });
        return `${roles}\n${rows}`;
    }

    async function target(): Promise<PostgresServer> {
        const pg = await startPostgres({ password: "target-pw" });
        await pg.psql(TARGET_SQL);
        await pg.psql("CREATE TABLE incidents (id int PRIMARY KEY, title text); INSERT INTO incidents VALUES (1, 'the target''s own incident');", { db: "gitguardian" });
        await pg.psql("CREATE TABLE service_state (v text); INSERT INTO service_state VALUES ('target service');", { db: "rdsadmin" });
        return pg;
    }

    /** A session of the application, idle in gitguardian for as long as the restore lets it. */
    // Wrapped: a subprocess is a thenable, which an async function's return would wait for.
    async function openSession(pg: PostgresServer): Promise<{ session: ResultPromise }> {
        const session = execa(pgBin("psql"), ["-X", "-w", "-d", conninfoDb("gitguardian"), "-c", "SELECT pg_sleep(300)"], { env: pg.env(), extendEnv: false, reject: false });
        for (let i = 0; i < 100; i++) {
            if ((await pg.psql("SELECT count(*) FROM pg_stat_activity WHERE datname = 'gitguardian' AND query LIKE '%pg_sleep(300)%'")).trim() === "1") return { session };
            await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error("the application's session did not start");
    }

    /** The session's end, within 10 s: the restore ends the sessions before the rename. */
    async function ended({ session }: { session: ResultPromise }): Promise<string> {
        const timer = setTimeout(() => session.kill("SIGKILL"), 10_000);
        const result = await session;
        clearTimeout(timer);
        assert.ok(!result.isTerminated, "the application's session was still there 10 s after the restore");
        return String(result.stderr);
    }

    const asideLeft = async (pg: PostgresServer) => (await pg.psql("SELECT string_agg(datname, ',') FROM pg_database WHERE datname LIKE 'ggb\\_aside\\_%'")).trim();

    for (const c of CASES) {
        it(`${c.format} format: a replay failing after the set's databases were made puts the target's back, pg_dumpall as before (${c.shell})`, async function () {
            const pg = await target();
            try {
                const staging = await fetched_(c);
                // The set's last statement fails: every database of the set was made and filled first.
                if (c.format === "sql") {
                    const file = path.join(staging, "dumpall.sql.gz");
                    fs.writeFileSync(file, gzipSync(Buffer.concat([gunzipSync(fs.readFileSync(file)), Buffer.from("\nSELECT 1/0;\n")])));
                } else {
                    // The last database's archive is not one: pg_restore fails after the others were restored.
                    const dir = path.join(staging, "db-0002");
                    fs.mkdirSync(dir);
                    fs.writeFileSync(path.join(dir, "toc.dat"), "not an archive");
                    await execa("tar", ["-cf", path.join(staging, "db-0002.tar"), "-C", staging, "db-0002"]);
                    fs.rmSync(dir, { recursive: true });
                }
                const before = await normalizedDumpall(pg);
                const state = await reservedState(pg);
                const session = await openSession(pg);
                const r = await runJob(PART_SCRIPT.restorePostgres, { shell: c.shell, env: { ...pg.env(), GGB_STAGING_DIR: staging, GGB_OVERWRITE: "true", GGB_PG_JOBS: "2" } });
                const sessionEnd = ended(session);
                assertFailed(
                    r,
                    "restore-postgres",
                    /^restore-postgres: (replaying dumpall\.sql\.gz failed: .*division by zero|pg_restore of db-0002 failed: .*); the target's previous databases were put back \(ggb_aside_gitguardian, ggb_aside_postgres, "ggb_aside_target ""odd"" ü" renamed back\) and the roles the replay created dropped; roles the set shares with the target keep the attributes the set gave them$/,
                );
                assert.match(r.stderr, /overwrite: the target's databases are put aside until the set is in/);
                assert.match(await sessionEnd, /terminating connection due to administrator command/, "the application's session was ended before the rename");
                assertSameText(await normalizedDumpall(pg), before, "pg_dumpall of the target before the restore and after the failed one");
                assert.equal(await reservedState(pg), state);
                assert.equal(await asideLeft(pg), "");
            } finally {
                await pg.destroy();
            }
        });

        it(`${c.format} format: a replay that succeeds replaces the target, then drops what was put aside and the target's roles the set lacks; the service's names are untouched (${c.shell})`, async function () {
            const pg = await target();
            try {
                const staging = await fetched_(c);
                const state = await reservedState(pg);
                const session = await openSession(pg);
                const r = await runJob(PART_SCRIPT.restorePostgres, { shell: c.shell, env: { ...pg.env(), GGB_STAGING_DIR: staging, GGB_OVERWRITE: "true", GGB_PG_JOBS: "2" } });
                assert.equal(r.exitCode, 0, explain(r));
                assert.match(await ended(session), /terminating connection due to administrator command/);
                assert.deepEqual(withoutReserved(await rowChecksums(pg)), sourceSums);
                assert.equal(await reservedState(pg), state, "the service's roles and database are as the target had them");
                assert.equal(await asideLeft(pg), "");
                assert.equal((await pg.psql("SELECT count(*) FROM pg_roles WHERE rolname = 'target_owner'")).trim(), "0");
                assert.equal((await pg.psql("SELECT rolcanlogin FROM pg_roles WHERE rolname = 'app_user'")).trim(), "t");
                assert.match(r.stderr, /overwrite: the previous databases were dropped \(ggb_aside_gitguardian, ggb_aside_postgres, "ggb_aside_target ""odd"" ü"\)/);
                assert.match(r.stderr, /overwrite: role target_owner of the target is not in the set: dropped/);
                assert.match(r.stderr, /\d+ statements of (dumpall|globals)\.sql\.gz about roles the managed service reserves were left out/);
            } finally {
                await pg.destroy();
            }
        });
    }

    it("a target that holds only what a managed service reserves is empty: restored without overwrite, those names untouched (dash)", async function () {
        const pg = await startPostgres({ password: "target-pw" });
        try {
            await pg.psql("CREATE ROLE rds_superuser NOLOGIN CONNECTION LIMIT 7; CREATE ROLE rdsadmin LOGIN; CREATE ROLE cloudsqladmin NOLOGIN; CREATE ROLE azure_pg_admin NOLOGIN; CREATE DATABASE rdsadmin; CREATE DATABASE azure_maintenance;");
            await pg.psql("CREATE TABLE service_state (v text); INSERT INTO service_state VALUES ('target service');", { db: "rdsadmin" });
            const state = await reservedState(pg);
            const staging = await fetched_(CASES[0]);
            const r = await runJob(PART_SCRIPT.restorePostgres, { shell: "dash", env: { ...pg.env(), GGB_STAGING_DIR: staging } });
            assert.equal(r.exitCode, 0, explain(r));
            assert.doesNotMatch(r.stderr, /put aside/);
            assert.deepEqual(withoutReserved(await rowChecksums(pg)), sourceSums);
            assert.equal(await reservedState(pg), state);
            assert.equal((await pg.psql("SELECT count(*) FROM pg_database WHERE datname = 'azure_maintenance'")).trim(), "1");
        } finally {
            await pg.destroy();
        }
    });

    it("databases a killed restore left aside are refused, with or without overwrite, and the target is untouched (busybox)", async function () {
        const pg = await target();
        try {
            // What a restore SIGKILLed after the rename leaves: the previous database, aside and closed.
            await pg.psql('ALTER DATABASE gitguardian RENAME TO ggb_aside_gitguardian; ALTER DATABASE ggb_aside_gitguardian WITH ALLOW_CONNECTIONS false; CREATE DATABASE gitguardian;');
            const before = await normalizedDumpall(pg);
            const staging = await fetched_(CASES[1]);
            for (const overwrite of ["true", undefined]) {
                const r = await runJob(PART_SCRIPT.restorePostgres, { shell: "busybox", env: { ...pg.env(), GGB_STAGING_DIR: staging, GGB_OVERWRITE: overwrite } });
                assertFailed(
                    r,
                    "restore-postgres",
                    /^restore-postgres: databases put aside by a restore that did not finish remain on PostgreSQL at 127\.0\.0\.1:\d+ \(ggb_aside_gitguardian\): they hold the data from before it; .*ALTER DATABASE ggb_aside_NAME RENAME TO NAME.*; target untouched$/,
                );
            }
            assertSameText(await normalizedDumpall(pg), before, "pg_dumpall of the target before and after the refusals");
            assert.equal(await asideLeft(pg), "ggb_aside_gitguardian");
        } finally {
            await pg.destroy();
        }
    });
});
