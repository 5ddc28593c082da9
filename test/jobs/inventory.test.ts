/**
 * The postgres set's inventory (sources/postgres/pg-inventory.sh, written by dump-postgres.sh from
 * the stream it uploads): on the fixture cluster, with its hostile database name, quoted
 * identifiers, a partitioned table and binary data, it lists every database and role the dump
 * creates and, for every table the server holds (partitions, not their parent), the row count
 * the server gives. What the restore drills hold the restored cluster to.
 */
import * as assert from "node:assert/strict";
import { Component } from "../../core/contract";
import { MinioServer, startMinio } from "../../harness/minio";
import { PostgresServer, startPostgres } from "../../harness/postgres";
import { databases, populateSource } from "./pgFixture";
import { backupOk, uniquePrefix } from "./support";

/** An identifier quoted as pg_dump --quote-all-identifiers quotes it. */
const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`;

describe("postgres: the inventory of a set, in both formats", function () {
    this.timeout(300_000);
    let minio: MinioServer;
    let pg: PostgresServer;
    before(async function () {
        this.timeout(900_000);
        [minio, pg] = await Promise.all([startMinio(), startPostgres()]);
        await populateSource(pg);
        // A database with a name outside [A-Za-z0-9_] and properties of its own (pg_dumpall then
        // reconnects to it by connection string), holding a table with an inheritance child.
        await pg.psql(`CREATE DATABASE "ops-db"; ALTER DATABASE "ops-db" SET work_mem = '8MB';`);
        await pg.psql(`CREATE TABLE parent (id int); CREATE TABLE child () INHERITS (parent); INSERT INTO parent SELECT generate_series(1, 7); INSERT INTO child SELECT generate_series(1, 5);`, { db: "ops-db" });
    });
    after(async () => {
        await Promise.all([minio?.destroy(), pg?.destroy()]);
    });

    for (const [shell, format] of [["busybox", "sql"], ["dash", "sql"], ["busybox", "directory"]] as const) {
        it(`${format} format, ${shell}: databases, roles and every table's row count, as the server counts them`, async () => {
            const prefix = uniquePrefix("inventory");
            const run = await backupOk({ component: Component.Postgres, minio, prefix, dumpShell: shell, uploadShell: "bash", dumpEnv: { ...pg.env(), GGB_PG_FORMAT: format, GGB_COMPRESSION: "zstd" } });
            const artifact = run.manifest.artifacts.find((a) => a.name === "inventory.tsv");
            assert.ok(artifact, "the set lists its inventory");
            assert.equal(artifact.compression, "none");
            const lines = (await minio.get(artifact.key)).toString("utf8").trim().split("\n").map((l) => l.split("\t"));

            const want: string[][] = [];
            for (const db of await databases(pg)) {
                if (db !== "postgres") want.push(["database", quoted(db)]);
                const tables = await pg.rows(
                    `SELECT format('"%s"."%s"', replace(n.nspname, '"', '""'), replace(c.relname, '"', '""')),
                            (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM ONLY %I.%I', n.nspname, c.relname), false, true, '')))[1]::text
                       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                      WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`,
                    db,
                );
                for (const [table, rows] of tables) want.push(["table", quoted(db), table, rows]);
            }
            for (const [role] of await pg.rows("SELECT rolname FROM pg_roles WHERE rolname NOT LIKE 'pg\\_%'")) want.push(["role", quoted(role)]);
            const sort = (rows: string[][]) => rows.map((r) => r.join("\t")).sort();
            assert.deepEqual(sort(lines), sort(want));
            assert.ok(lines.some((l) => l[0] === "database" && l[1].includes("'name'")), "the hostile database name is there, quoted");
            assert.deepEqual(lines.filter((l) => l[1] === '"ops-db"' && l[0] === "table").map((l) => [l[2], l[3]]).sort(), [['"public"."child"', "5"], ['"public"."parent"', "7"]], "a parent's own rows, not its child's");
        });
    }
});
