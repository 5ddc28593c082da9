/** The postgres backup: its validated section and the env of its dump container. */
import type { BackupEnvContext, BackupResolveContext, PartBackupSpec } from "../part";
import { envValue } from "../../core/pod";
import { PostgresFormat, PostgresRolePasswords } from "./args";
import { POSTGRES_ENV, postgresConnectionEnv } from "./env";

export const POSTGRES_DEFAULTS = { image: "postgres:16-alpine", port: 5432, user: "postgres", parallelJobs: 2 } as const;

export interface PostgresSpec extends PartBackupSpec {
    component: "postgres";
    host: string;
    port: number;
    user: string;
    passwordSecret: { name: string; key: string };
    format: PostgresFormat;
    rolePasswords: PostgresRolePasswords;
    parallelJobs: number;
}

export function resolvePostgresBackup(p: Record<string, unknown>, { f, schedule }: BackupResolveContext): PostgresSpec {
    return {
        component: "postgres",
        schedule: schedule("postgres.schedule", p.schedule),
        image: f.image("postgres.image", p.image, POSTGRES_DEFAULTS.image),
        host: f.host("postgres.host", p.host),
        port: f.port("postgres.port", p.port, POSTGRES_DEFAULTS.port),
        user: f.pgUser("postgres.user", p.user ?? POSTGRES_DEFAULTS.user),
        passwordSecret: f.secretRef("postgres.passwordSecret", p.passwordSecret),
        format: f.oneOf("postgres.format", p.format, PostgresFormat, PostgresFormat.Sql),
        rolePasswords: f.oneOf("postgres.rolePasswords", p.rolePasswords, PostgresRolePasswords, PostgresRolePasswords.Auto),
        parallelJobs: f.ruleInt("postgres.parallelJobs", p.parallelJobs, "parallelJobs", POSTGRES_DEFAULTS.parallelJobs),
    };
}

export function postgresDumpEnv(c: PostgresSpec, _ctx: BackupEnvContext) {
    return [
        ...postgresConnectionEnv(c),
        envValue(POSTGRES_ENV.format.name, c.format),
        envValue(POSTGRES_ENV.rolePasswords.name, c.rolePasswords),
        envValue(POSTGRES_ENV.parallelJobs.name, String(c.parallelJobs)),
    ];
}
