/**
 * The postgres part: `pg_dumpall` (GitGuardian's documented procedure) or a parallel directory
 * dump, restored with psql or pg_restore -j by a Job.
 */
import * as path from "node:path";
import { packageRoot } from "../../core/paths";
import { definePart } from "../part";
import { POSTGRES_DEFAULTS, postgresDumpEnv, resolvePostgresBackup } from "./backup";
import { POSTGRES_ENV } from "./env";
import { ASIDE_SCRIPT, MANAGED_NAMES_SCRIPT, POSTGRES_UID, postgresStep, resolvePostgresRestore, RESTORE_SCRIPT } from "./restore";

/** The inventory of a sql-format dump (its databases, roles and row counts), for the drills. */
const INVENTORY_SCRIPT = "pg-inventory.sh";

export const postgresPart = definePart({
    name: "postgres",
    title: "PostgreSQL: every database and role (pg_dumpall, or pg_dump -Fd -j per database)",
    scriptsDir: path.join(packageRoot(), "sources", "postgres"),
    dumpScript: "dump-postgres.sh",
    restoreScripts: [RESTORE_SCRIPT],
    libraries: [MANAGED_NAMES_SCRIPT, ASIDE_SCRIPT, INVENTORY_SCRIPT],
    artifacts: ["dumpall.sql and inventory.tsv (sql format)", "globals.sql and db-<n>.tar per database (directory format)"],
    env: POSTGRES_ENV,
    runAsUser: POSTGRES_UID,
    defaultImage: POSTGRES_DEFAULTS.image,
    requiredBySchedulePolicy: true,
    recognise: { command: /\bpg_dump(all)?\b/, handWritten: "pg_dumpall", enableArg: '`postgres: { host: "...", passwordSecret: { name: "...", key: "..." } }`' },
    backup: { resolve: resolvePostgresBackup, env: postgresDumpEnv, roleRules: () => [] },
    // The postgres image holds the server a drill restores into (initdb, pg_ctl).
    drill: { script: "drill-postgres.sh", image: (spec) => spec.image },
    restore: { resolve: resolvePostgresRestore, steps: [postgresStep] },
});
