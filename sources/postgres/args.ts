/**
 * The public arguments of the PostgreSQL part, backup and restore. They follow the component-provider
 * rules (interfaces only, string choices as `as const` enums) so that the schema inferred from
 * them gives every Pulumi language the same API; GitGuardianBackupPolicyArgs and
 * GitGuardianRestoreArgs name them.
 */
import { SecretKeyRefArgs } from "../../core/args";

/** How the PostgreSQL job dumps. */
export const PostgresFormat = {
    /** `pg_dumpall`, compressed: GitGuardian's documented procedure, restored with `psql`. */
    Sql: "sql",
    /** `pg_dumpall --globals-only` plus `pg_dump -Fd -j N` per database, restored with `pg_restore -j`. */
    Directory: "directory",
} as const;
export type PostgresFormat = (typeof PostgresFormat)[keyof typeof PostgresFormat];

/** The PostgreSQL backup (GitGuardian's embedded PostgreSQL is 16). */
export interface PostgresBackupArgs {
    /** Run this backup. Default true. */
    enabled?: boolean;
    /** Cron schedule overriding the policy's. */
    schedule?: string;
    /** Host name of the server (a Service name in the namespace, or an external host). */
    host: string;
    /** Port. Default 5432. */
    port?: number;
    /** A superuser that can read every database and role. Default `postgres`. */
    user?: string;
    /** The user's password. */
    passwordSecret: SecretKeyRefArgs;
    /** sql (default, the documented procedure) or directory (parallel). */
    format?: PostgresFormat;
    /** Parallel workers of the directory format. Default 2. */
    parallelJobs?: number;
    /** Dump image; its major version must be at least the server's. Default `postgres:16-alpine`. */
    image?: string;
}

/** PostgreSQL restore target. */
export interface PostgresRestoreArgs {
    /** Restore PostgreSQL. Default true. */
    enabled?: boolean;
    /** Host name of the server (a Service name in the namespace, or an external host). */
    host: string;
    /** Port. Default 5432. */
    port?: number;
    /** A superuser that can create every database and role. Default `postgres`. */
    user?: string;
    /** The user's password (read by the Job through secretKeyRef, never copied). */
    passwordSecret: SecretKeyRefArgs;
    /**
     * Restore into a non-empty server (every database and role but the restoring one is dropped first): the id of the one set this overwrite is for (e.g.
     * `20261127T020101Z`, as the preview's plan names it). A restore that chooses another set
     * (a later replace, a new trigger, `latest` moving on) is refused, so the flag left in a
     * program never overwrites again unasked. Default: a non-empty target is refused.
     */
    overwrite?: string;
    /** pg_restore workers for directory-format sets. Default 2. */
    parallelJobs?: number;
    /** Image of the apply container; its major version must be at least the dump's. Default `postgres:16-alpine`. */
    image?: string;
}
