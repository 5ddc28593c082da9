/** The variables the postgres scripts read, and the libpq connection both of its steps use. */
import { v } from "../../core/contract";
import { envSecret, envValue } from "../../core/pod";

export const POSTGRES_ENV = {
    host: v("PGHOST", "PostgreSQL host"),
    port: v("PGPORT", "PostgreSQL port"),
    user: v("PGUSER", "user that can read every database and role (a superuser, or a managed service's admin)"),
    password: v("PGPASSWORD", "its password", { secret: true, optional: true }),
    format: v("GGB_PG_FORMAT", "sql (pg_dumpall) | directory (pg_dump -Fd -j per database)"),
    rolePasswords: v("GGB_PG_ROLE_PASSWORDS", "auto (default: when PGUSER may read pg_authid) | include | exclude (pg_dumpall --no-role-passwords)", { optional: true }),
    parallelJobs: v("GGB_PG_JOBS", "parallel workers for directory format (value rule parallelJobs)", { optional: true }),
} as const;

/**
 * The libpq connection of a step that talks to PostgreSQL (backup dump, restore apply): host,
 * port, user, and the password only through its Secret.
 */
export function postgresConnectionEnv(c: { host: string; port: number; user: string; passwordSecret: { name: string; key: string } }) {
    return [
        envValue(POSTGRES_ENV.host.name, c.host),
        envValue(POSTGRES_ENV.port.name, String(c.port)),
        envValue(POSTGRES_ENV.user.name, c.user),
        envSecret(POSTGRES_ENV.password.name, c.passwordSecret),
    ];
}
