/**
 * gitguardian-backup-no-inline-secrets: a backup or restore container takes its secrets from a
 * Secret (valueFrom.secretKeyRef), never as a literal `value` in the pod spec, where anyone who
 * can read the CronJob, Job or Pod — or the Pulumi state — reads it.
 *
 * In scope: every container of a workload labelled `app.kubernetes.io/part-of:
 * pulumi-gitguardian-backup`, and any container that runs this package's scripts (/scripts/*.sh)
 * or a backup command (pg_dump, pg_dumpall, redis-cli --rdb, kots download). A variable is
 * secret when the environment contract (core/contract.ts) says so, or when its name matches
 * secretNamePattern and the contract does not declare it plain (GGB_KOTS_SECRETS lists Secret
 * names, not a secret).
 */
import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { contractEnv } from "../sources/registry";
import { asWorkload, at, commandLine, containersOf, describe, Findings, isPackageLabeled, isUnknown, notApplicable, PackResource, resolveConfig, resourceValidation, runsPackageScript, Verdict } from "./model";

export const NO_INLINE_SECRETS = "gitguardian-backup-no-inline-secrets";

export interface NoInlineSecretsConfig {
    [k: string]: string | string[];
    /** Case-insensitive regular expression of secret-looking variable names. */
    secretNamePattern: string;
    /** Variable names never treated as secret. */
    allowNames: string[];
}

export const NO_INLINE_SECRETS_DEFAULTS: NoInlineSecretsConfig = {
    secretNamePattern: "PASSWORD|PASSWD|SECRET|TOKEN|KEY|AUTH|CREDENTIAL",
    allowNames: [],
};

export const noInlineSecretsSchema: PolicyConfigSchema = {
    properties: {
        secretNamePattern: {
            type: "string",
            minLength: 1,
            default: NO_INLINE_SECRETS_DEFAULTS.secretNamePattern,
            description: "Case-insensitive regular expression: variables whose names match hold secrets.",
        },
        allowNames: {
            type: "array",
            items: { type: "string" },
            default: NO_INLINE_SECRETS_DEFAULTS.allowNames,
            description: "Variable names that match secretNamePattern but hold no secret.",
        },
    },
};

const CONTRACT_SECRET = new Set(contractEnv().filter((e) => e.secret).map((e) => e.name));
const CONTRACT_PLAIN = new Set(contractEnv().filter((e) => !e.secret).map((e) => e.name));
/** Backup and restore commands: pg_dump(all), pg_restore, redis-cli --rdb, kots download/upload. */
const BACKUP_COMMAND = /\bpg_dump(all)?\b|\bpg_restore\b|\bredis-cli\b[^;&|]*\s--rdb\b|\bkots\b[^;&|]*\s(download|upload)\b/;

export function isSecretName(name: string, cfg: NoInlineSecretsConfig): boolean {
    if (cfg.allowNames.includes(name)) return false;
    if (CONTRACT_SECRET.has(name)) return true;
    if (CONTRACT_PLAIN.has(name)) return false;
    return new RegExp(cfg.secretNamePattern, "i").test(name);
}

export function checkNoInlineSecrets(resource: PackResource, config?: Partial<NoInlineSecretsConfig>): Verdict {
    const cfg = resolveConfig(NO_INLINE_SECRETS, NO_INLINE_SECRETS_DEFAULTS, config);
    try {
        new RegExp(cfg.secretNamePattern, "i");
    } catch (e) {
        throw new Error(`${NO_INLINE_SECRETS}: config secretNamePattern is not a regular expression: ${(e as Error).message}`);
    }
    const w = asWorkload(resource);
    if (!w) return notApplicable("not a Kubernetes workload");
    const labelled = isPackageLabeled(w);
    const f = new Findings();
    let inScope = false;
    for (const { slot, name, container } of containersOf(w)) {
        if (!labelled && !runsPackageScript(container) && !BACKUP_COMMAND.test(commandLine(container))) continue;
        inScope = true;
        const env = at(container, "env");
        if (isUnknown(env)) {
            f.unknown(env);
            continue;
        }
        if (!Array.isArray(env)) continue;
        for (const e of env) {
            const varName = at(e, "name");
            if (typeof varName !== "string" || !isSecretName(varName, cfg)) continue;
            const where = `${describe(w)} container "${name}" (${slot})`;
            const value = at(e, "value");
            const ref = at(e, "valueFrom");
            if (isUnknown(value) || (typeof value === "string" && value !== "") || (value !== undefined && value !== null && typeof value !== "string")) {
                // Known or not (an Output during preview), the value is written into the pod spec. Never echo it.
                f.report(
                    `${where} sets ${varName} to a literal value: anyone who can read the ${w.kind} or the stack state reads it. ` +
                        `Store it in a Kubernetes Secret and use \`valueFrom: { secretKeyRef: { name, key } }\` (GitGuardianBackupPolicy takes { name, key } Secret references, e.g. postgres.passwordSecret).`,
                    resource.urn,
                );
            } else if (ref !== undefined && ref !== null && !isUnknown(ref) && at(ref, "secretKeyRef") === undefined) {
                const source = Object.keys(ref as object).join(", ") || "an empty valueFrom";
                f.report(`${where} takes ${varName} from ${source}, not from a Secret: use \`valueFrom: { secretKeyRef: { name, key } }\`.`, resource.urn);
            }
        }
    }
    if (!inScope) return notApplicable("no backup or restore container");
    return f.verdict();
}

export const noInlineSecretsPolicy: ResourceValidationPolicy = {
    name: NO_INLINE_SECRETS,
    description: "Backup and restore containers take secret variables (PGPASSWORD, REDISCLI_AUTH, AWS keys...) only from secretKeyRef, never as literal values.",
    enforcementLevel: "mandatory",
    severity: "critical",
    configSchema: noInlineSecretsSchema,
    validateResource: resourceValidation<NoInlineSecretsConfig>(checkNoInlineSecrets),
};
