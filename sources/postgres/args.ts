/**
 * The public arguments of the PostgreSQL part, backup and restore. They follow the component-provider
 * rules (interfaces only, string choices as `as const` enums) so that the schema inferred from
 * them gives every Pulumi language the same API; GitGuardianBackupPolicyArgs and
 * GitGuardianRestoreArgs name them.
 */
import { SecretKeyRef } from "../../core/args";

/** How the PostgreSQL job dumps. */
export const PostgresFormat = {
    /** `pg_dumpall`, compressed: GitGuardian's documented procedure, restored with `psql`. */
    Sql: "sql",
    /** `pg_dumpall --globals-only` plus `pg_dump -Fd -j N` per database, restored with `pg_restore -j`. */
    Directory: "directory",
} as const;
export type PostgresFormat = (typeof PostgresFormat)[keyof typeof PostgresFormat];

/**
 * Whether the dump keeps the roles' passwords. They are read from `pg_authid`, which only a
 * superuser may read: the admin user of a managed service (Amazon RDS, Cloud SQL, Azure
 * Database for PostgreSQL) is not one, and `pg_dumpall` fails there with
 * `permission denied for table pg_authid` unless told `--no-role-passwords`.
 */
export const PostgresRolePasswords = {
    /** Keep them when the user can read `pg_authid`, else dump without them (the set records which). */
    Auto: "auto",
    /** Keep them; the backup fails with pg_dumpall's reason when the user cannot read `pg_authid`. */
    Include: "include",
    /** Never dump them (`--no-role-passwords`), even when readable. */
    Exclude: "exclude",
} as const;
export type PostgresRolePasswords = (typeof PostgresRolePasswords)[keyof typeof PostgresRolePasswords];

/** The PostgreSQL backup (GitGuardian's embedded PostgreSQL is 16). */
export interface PostgresBackup {
    /** Run this backup. Default true. */
    enabled?: boolean;
    /** Cron schedule overriding the policy's. */
    schedule?: string;
    /** Host name of the server (a Service name in the namespace, or an external host). */
    host: string;
    /** Port. Default 5432. */
    port?: number;
    /**
     * A user that can read every database and role: a superuser (default `postgres`), or the
     * admin user of a managed service (then see `rolePasswords`).
     */
    user?: string;
    /** The user's password. */
    passwordSecret: SecretKeyRef;
    /**
     * Dump the roles' passwords: auto (default: when the user may read `pg_authid`, which on a
     * managed service it may not), include (fail when it may not), or exclude. A set dumped
     * without them restores every role without a password: set each login role's password
     * afterwards (`ALTER ROLE name PASSWORD '…'`), or let the managed service manage its users.
     */
    rolePasswords?: PostgresRolePasswords;
    /** sql (default, the documented procedure) or directory (parallel). */
    format?: PostgresFormat;
    /** Parallel workers of the directory format. Default 2. */
    parallelJobs?: number;
    /** Dump image; its major version must be at least the server's. Default `postgres:16-alpine`. */
    image?: string;
}

/** PostgreSQL restore target. */
export interface PostgresRestore {
    /** Restore PostgreSQL. Default true. */
    enabled?: boolean;
    /** Host name of the server (a Service name in the namespace, or an external host). */
    host: string;
    /** Port. Default 5432. */
    port?: number;
    /** A superuser that can create every database and role. Default `postgres`. */
    user?: string;
    /** The user's password (read by the Job through secretKeyRef, never copied). */
    passwordSecret: SecretKeyRef;
    /**
     * Restore into a non-empty server: the id of the one set this overwrite is for (e.g.
     * `20261127T020101Z`, as the preview's plan names it). A restore that chooses another set
     * (a later replace, a new trigger, `latest` moving on) is refused, so the flag left in a
     * program never overwrites again unasked. The target's databases are renamed aside
     * (`ggb_aside_<name>`) until the set's are in and dropped after; a failed replay puts them
     * back. A managed service's reserved databases and roles are left alone. Default: a
     * non-empty target is refused.
     */
    overwrite?: string;
    /** pg_restore workers for directory-format sets. Default 2. */
    parallelJobs?: number;
    /** Image of the apply container; its major version must be at least the dump's. Default `postgres:16-alpine`. */
    image?: string;
}
