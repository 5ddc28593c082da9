/**
 * A managed PostgreSQL (Amazon RDS, Cloud SQL, Azure) on the real local server: the backup user
 * is the service's admin, not a superuser, so it cannot read pg_authid and pg_dumpall of the
 * role passwords is refused (issue #14). The admin is made with the rights such an admin has:
 * NOSUPERUSER, CREATEDB, CREATEROLE, a member of the role owning the application's databases. With rolePasswords auto the backup dumps without the passwords and
 * says so in its manifest; the set restores into a fresh server with every row and every other
 * attribute of the roles; with include the backup fails with pg_dumpall's own reason.
 */
import * as assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { Component } from "../../core/contract";
import { explain } from "../../harness/jobRunner";
import { MinioServer, startMinio } from "../../harness/minio";
import { PostgresServer, startPostgres } from "../../harness/postgres";
import { databases, normalizedDumpall, populateSource, rowChecksums } from "./pgFixture";
import { RoundTripCase, assertDumpFailed, assertNoManifest, assertSameText, backup, backupOk, restorePostgresSet, uniquePrefix } from "./support";

const ADMIN = { user: "gg_admin", password: "managed-admin-pw" };

interface Case extends RoundTripCase {
    format: "sql" | "directory";
}
// Both pg_dumpall calls: the whole dump (sql) and the globals of the directory format.
const CASES: Case[] = [
    { format: "sql", compression: "gzip", dump: "busybox", upload: "bash", fetch: "dash", restore: "dash" },
    { format: "directory", compression: "gzip", dump: "dash", upload: "dash", fetch: "busybox", restore: "busybox" },
];

/** The roles section of a dump: what comes before the first \connect (a whole globals.sql). */
const rolesSection = (sql: string): string => sql.split(/^\\connect /m)[0];

describe("postgres on a managed service: a backup user that cannot read pg_authid", function () {
    this.timeout(600_000);
    let minio: MinioServer;
    let source: PostgresServer;
    let sourceDump: string;
    let sourceSums: Record<string, string>;
    const asAdmin = () => source.env({ PGUSER: ADMIN.user, PGPASSWORD: ADMIN.password });

    before(async function () {
        this.timeout(900_000); // on a fresh machine, startMinio() first builds MinIO (scripts/tools/build.sh, minutes)
        [minio, source] = await Promise.all([startMinio(), startPostgres({ password: "source-superuser-pw" })]);
        await populateSource(source);
        // The admin a managed service hands out: it reads the application's data as a member of
        // the role that owns it. Not a member of pg_read_all_data: on a stock server that role
        // reads every table, pg_authid included, so its member would not be the admin meant here.
        // On such a service no object belongs to a superuser: the relations and large objects the
        // fixture's superuser made go to the application's owner.
        await source.psql(`
            CREATE ROLE "${ADMIN.user}" LOGIN PASSWORD '${ADMIN.password}' NOSUPERUSER CREATEDB CREATEROLE;
            GRANT app_owner TO "${ADMIN.user}";
        `);
        for (const db of await databases(source)) {
            await source.psql(
                `DO $$ DECLARE r record; BEGIN
                    FOR r IN SELECT c.oid::regclass AS rel FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                             WHERE c.relowner = 'postgres'::regrole AND c.relkind IN ('r', 'p', 'v', 'm', 'S') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
                    LOOP EXECUTE format('ALTER TABLE %s OWNER TO app_owner', r.rel); END LOOP;
                    FOR r IN SELECT oid FROM pg_largeobject_metadata WHERE lomowner = 'postgres'::regrole
                    LOOP EXECUTE format('ALTER LARGE OBJECT %s OWNER TO app_owner', r.oid); END LOOP;
                END $$;`,
                { db },
            );
        }
        // The admin is what it claims to be: not a superuser, and pg_authid is closed to it.
        assert.equal((await source.psql(`SELECT rolsuper FROM pg_roles WHERE rolname = '${ADMIN.user}'`)).trim(), "f");
        await assert.rejects(source.psql("SELECT rolpassword FROM pg_authid LIMIT 1", { as: ADMIN }), /permission denied for table pg_authid/);
        // Compared without passwords: the set has none, so the restored roles have none either.
        sourceDump = await normalizedDumpall(source, ["--no-role-passwords"]);
        sourceSums = await rowChecksums(source);
        assert.ok(Object.keys(sourceSums).length >= 10, JSON.stringify(sourceSums));
        assert.match(await source.dumpall(), /^ALTER ROLE "app_reader" WITH .* PASSWORD 'SCRAM-SHA-256\$/m, "the source's roles have passwords");
    });

    after(async () => {
        await Promise.all([minio?.destroy(), source?.destroy()]);
    });

    for (const c of CASES) {
        it(`${c.format} format, rolePasswords auto: dumps without the passwords, says so, and restores every row and role into a fresh server`, async function () {
            const prefix = uniquePrefix(`pg-managed-${c.format}`);
            const run = await backupOk({
                component: Component.Postgres,
                minio,
                prefix,
                dumpShell: c.dump,
                uploadShell: c.upload,
                // GGB_PG_ROLE_PASSWORDS unset: auto, the default the component passes.
                dumpEnv: { ...asAdmin(), GGB_PG_FORMAT: c.format, GGB_COMPRESSION: c.compression, GGB_PG_JOBS: "2" },
            });
            assert.deepEqual(run.manifest.details, { rolePasswords: "excluded" });
            assert.ok(
                run.dump.stderrLines.some((l) => /dump-postgres: role passwords are not dumped \(gg_admin cannot read pg_authid .*\): a restore creates the roles without passwords; set each login role's password after it \(ALTER ROLE name PASSWORD '\.\.\.'\)/.test(l)),
                explain(run.dump),
            );
            // The roles are in the dump, with their attributes, without a password.
            const globals = run.manifest.artifacts.find((a) => a.name === (c.format === "sql" ? "dumpall.sql.gz" : "globals.sql.gz"))!;
            const roles = rolesSection(gunzipSync(await minio.get(globals.key)).toString("utf8"));
            assert.match(roles, /^CREATE ROLE "app_reader";$/m);
            assert.match(roles, /^ALTER ROLE "app_reader" WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 5 VALID UNTIL '2099-01-01 00:00:00\+00';$/m);
            assert.match(roles, /^CREATE ROLE "Weird Role ü";$/m);
            assert.doesNotMatch(roles, /PASSWORD/);

            const target = await startPostgres({ password: "target-superuser-pw" });
            try {
                const restore = await restorePostgresSet({ minio, prefix, backupId: run.backupId, target, shells: c });
                // The restore says which roles now need a password.
                assert.ok(
                    restore.stderrLines.some((l) => l.endsWith(`restore-postgres: the set was dumped without role passwords: its login roles ("Weird Role ü", app_owner, app_reader, gg_admin) have none and cannot log in with one until it is set (ALTER ROLE name PASSWORD '...'), or the managed service manages them`)),
                    explain(restore),
                );
                assert.deepEqual(await target.rows("SELECT rolname, rolpassword IS NULL FROM pg_authid WHERE rolname IN ('app_owner', 'app_reader', 'gg_admin') ORDER BY 1"), [
                    ["app_owner", "t"],
                    ["app_reader", "t"],
                    ["gg_admin", "t"],
                ]);
                assert.deepEqual(await rowChecksums(target), sourceSums);
                assertSameText(await normalizedDumpall(target, ["--no-role-passwords"]), sourceDump, "normalized pg_dumpall (no passwords) of the source and the restored cluster");
            } finally {
                await target.destroy();
            }
        });
    }

    for (const format of ["sql", "directory"] as const) {
        it(`${format} format, rolePasswords include: the backup fails with pg_dumpall's reason and commits nothing`, async () => {
            const prefix = uniquePrefix(`pg-managed-include-${format}`);
            const run = await backup({
                component: Component.Postgres,
                minio,
                prefix,
                dumpShell: "dash",
                uploadShell: "bash",
                dumpEnv: { ...asAdmin(), GGB_PG_FORMAT: format, GGB_COMPRESSION: "gzip", GGB_PG_ROLE_PASSWORDS: "include" },
            });
            assertDumpFailed(run, "dump-postgres", /^dump-postgres: pg_dumpall failed \(exit 1\): pg_dumpall: error: query failed: ERROR: {2}permission denied for table pg_authid$/);
            await assertNoManifest(minio, prefix);
        });
    }

    it("rolePasswords exclude: a superuser's backup leaves the passwords out too, and says so", async () => {
        const prefix = uniquePrefix("pg-exclude");
        const run = await backupOk({
            component: Component.Postgres,
            minio,
            prefix,
            dumpShell: "busybox",
            uploadShell: "dash",
            dumpEnv: { ...source.env(), GGB_PG_FORMAT: "sql", GGB_COMPRESSION: "gzip", GGB_PG_ROLE_PASSWORDS: "exclude" },
        });
        assert.deepEqual(run.manifest.details, { rolePasswords: "excluded" });
        assert.ok(run.dump.stderrLines.some((l) => l.includes("role passwords are not dumped (rolePasswords is exclude)")), explain(run.dump));
        const roles = rolesSection(gunzipSync(await minio.get(run.manifest.artifacts[0].key)).toString("utf8"));
        assert.match(roles, /^ALTER ROLE "app_reader" WITH .*LOGIN/m);
        assert.doesNotMatch(roles, /PASSWORD/);
    });

    it("a value of GGB_PG_ROLE_PASSWORDS outside the choices stops the dump before it reads anything", async () => {
        const prefix = uniquePrefix("pg-bad-choice");
        const run = await backup({ component: Component.Postgres, minio, prefix, dumpShell: "dash", uploadShell: "bash", dumpEnv: { ...asAdmin(), GGB_PG_FORMAT: "sql", GGB_COMPRESSION: "gzip", GGB_PG_ROLE_PASSWORDS: "never" } });
        assertDumpFailed(run, "dump-postgres", /^dump-postgres: GGB_PG_ROLE_PASSWORDS 'never' is not one of auto, include, exclude$/);
        await assertNoManifest(minio, prefix);
    });
});
