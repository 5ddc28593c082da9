/** The postgres restore: its validated section, and its one step (a Job: fetch and verify, then apply). */
import type { RestoreResolveContext } from "../part";
import type { Manifest } from "../../core/manifest";
import { RESTORE_ENV } from "../../core/contract";
import { envValue } from "../../core/pod";
import { applyBaseEnv, restoreJob } from "../../restore/jobs";
import { overwriteAllowed, restoreSection, RestoreStep, runRestoreJob, setOf, whenRestored } from "../../restore/step";
import type { RestoreSpec } from "../../restore/validate";
import { POSTGRES_DEFAULTS } from "./backup";
import { POSTGRES_ENV, postgresConnectionEnv } from "./env";

export const RESTORE_SCRIPT = "restore-postgres.sh";
/** The names a managed service reserves, sourced by the dump and the restore scripts. */
export const MANAGED_NAMES_SCRIPT = "pg-managed.sh";
/** The overwrite that puts the target's databases aside until the set is in, sourced by the restore script. */
export const ASIDE_SCRIPT = "pg-aside.sh";
/** The postgres image's `postgres` user. */
export const POSTGRES_UID = 70;

export interface PostgresRestoreSpec {
    host: string;
    port: number;
    user: string;
    passwordSecret: { name: string; key: string };
    parallelJobs: number;
    image: string;
}

export function resolvePostgresRestore(p: Record<string, unknown>, { f }: RestoreResolveContext): PostgresRestoreSpec {
    return {
        host: f.host("postgres.host", p.host),
        port: f.port("postgres.port", p.port, POSTGRES_DEFAULTS.port),
        user: f.pgUser("postgres.user", p.user ?? POSTGRES_DEFAULTS.user),
        passwordSecret: f.secretRef("postgres.passwordSecret", p.passwordSecret),
        parallelJobs: f.ruleInt("postgres.parallelJobs", p.parallelJobs, "parallelJobs", POSTGRES_DEFAULTS.parallelJobs),
        image: f.image("postgres.image", p.image, POSTGRES_DEFAULTS.image),
    };
}

/** The restore Job of a postgres set: fetch and verify, then restore-postgres.sh in the postgres image. */
export function postgresRestoreJob(spec: RestoreSpec, backupId: string, runId: string) {
    const p = restoreSection<PostgresRestoreSpec>(spec, "postgres");
    return restoreJob(spec, "postgres", backupId, runId, {
        image: p.image,
        runAsUser: POSTGRES_UID,
        script: RESTORE_SCRIPT,
        env: [
            ...applyBaseEnv(),
            ...postgresConnectionEnv(p),
            envValue(RESTORE_ENV.overwrite.name, overwriteAllowed(spec, "postgres", backupId) ? "true" : "false"),
            envValue(POSTGRES_ENV.parallelJobs.name, String(p.parallelJobs)),
        ],
    });
}

/**
 * What the step's result says of a set dumped without role passwords (rolePasswords: the
 * backup user could not read pg_authid, or was told not to): its roles come back without them.
 */
export function rolePasswordsNote(m: Pick<Manifest, "details">): string {
    return m.details.rolePasswords === "excluded"
        ? "; the set was dumped without role passwords: its roles were restored without them, so set each login role's password (ALTER ROLE name PASSWORD '...') or let the managed service manage its users"
        : "";
}

/** Step: PostgreSQL, in a Job. */
export const postgresStep: RestoreStep = {
    name: "postgres",
    title: "restore PostgreSQL in a Job (fetch and verify, refuse a non-empty target unless overwrite, apply)",
    component: "postgres",
    applies: whenRestored("postgres"),
    async run(ctx) {
        const set = setOf(ctx, "postgres");
        const p = restoreSection<PostgresRestoreSpec>(ctx.spec, "postgres");
        await ctx.ensureScripts();
        const job = postgresRestoreJob(ctx.spec, set.backupId, ctx.runId);
        const outcome = await runRestoreJob(ctx, job);
        return {
            bytes: set.bytes,
            detail: `set ${set.backupId} applied to ${p.host}:${p.port} by Job ${outcome.name}${outcome.alreadySucceeded ? " (it had succeeded before)" : ""}${rolePasswordsNote(set.manifest)}`,
        };
    },
};
