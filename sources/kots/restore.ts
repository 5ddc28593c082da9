/**
 * The kots restore's validated section. Its steps, in order: the encryption-key Secrets
 * (restoreSecrets.ts), a fresh admin console when asked (restoreInstall.ts), the saved
 * configuration (restoreUpload.ts). kots runs on the machine running `pulumi up`.
 */
import type { RestoreResolveContext } from "../part";
import { KOTS_DEFAULTS } from "./backup";
import { KOTSADM_ENCRYPTION } from "./env";
import { secretOrder } from "./cli";

/** ConfigValues items rewritten by kots.databaseHostOverride when kots.databaseHostItems is unset. */
export const DATABASE_HOST_ITEMS = ["postgres_host", "postgresql_host", "pg_host", "db_host", "database_host"] as const;

export const KOTS_RESTORE_DEFAULTS = { kotsCommand: "kubectl-kots", timeoutSeconds: 900, waitDuration: "5m" } as const;

const GO_DURATION = /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/;
const CONFIG_ITEM = /^[A-Za-z0-9_.-]+$/;

export interface KotsRestoreSpec {
    appSlug: string;
    /** kotsadm-encryption first. */
    secrets: string[];
    install?: { waitDuration: string };
    deploy: boolean;
    skipPreflights: boolean;
    databaseHostOverride?: string;
    databaseHostItems?: string[];
    kotsCommand: string;
    timeoutMs: number;
}

export function resolveKotsRestore(k: Record<string, unknown>, { f, inputs }: RestoreResolveContext): KotsRestoreSpec {
    const appSlug = f.appSlug("kots.appSlug", k.appSlug ?? KOTS_DEFAULTS.appSlug);
    const secrets = (k.secrets as unknown[] | undefined) ?? [KOTSADM_ENCRYPTION, "gim-secrets"];
    if (!Array.isArray(secrets) || secrets.length === 0) f.bad("kots.secrets", secrets, "allowed: a non-empty list of Secret names (kotsadm-encryption is restored first)");
    secrets.forEach((s, i) => f.k8sName(`kots.secrets[${i}]`, s));
    if (new Set(secrets).size !== secrets.length) f.bad("kots.secrets", secrets, "allowed: a list of distinct Secret names");
    let install: KotsRestoreSpec["install"];
    if (k.install !== undefined) {
        const ins = f.object("kots.install", k.install, "allowed: { licenseFile or license, sharedPassword, waitDuration? }");
        const waitDuration = ins.waitDuration ?? KOTS_RESTORE_DEFAULTS.waitDuration;
        if (typeof waitDuration !== "string" || !GO_DURATION.test(waitDuration)) f.bad("kots.install.waitDuration", waitDuration, "allowed: a Go duration such as 90s, 5m or 1h");
        const license = inputs.kotsLicense;
        if (typeof license !== "string" || !/\bkind:\s*License\b/.test(license)) {
            // Never echo the license: it is a secret.
            f.bad("kots.install.license", license === undefined ? undefined : "[secret]", "allowed: a KOTS license (YAML with kind: License), from licenseFile or license");
        }
        const password = inputs.kotsSharedPassword;
        if (typeof password !== "string" || password.length < 6) {
            f.bad("kots.install.sharedPassword", password === undefined ? undefined : "[secret]", "allowed: the admin console password, at least 6 characters");
        }
        install = { waitDuration: waitDuration as string };
    }
    const databaseHostOverride = k.databaseHostOverride === undefined ? undefined : f.host("kots.databaseHostOverride", k.databaseHostOverride);
    let databaseHostItems: string[] | undefined;
    if (k.databaseHostItems !== undefined) {
        const items = k.databaseHostItems as unknown[];
        if (!Array.isArray(items) || items.length === 0 || items.some((i) => typeof i !== "string" || !CONFIG_ITEM.test(i))) {
            f.bad("kots.databaseHostItems", items, "allowed: a non-empty list of KOTS config item names (letters, digits, '_', '.', '-')");
        }
        if (databaseHostOverride === undefined) f.bad("kots.databaseHostItems", items, "set kots.databaseHostOverride too: the items name where the new host goes");
        databaseHostItems = items as string[];
    }
    const kotsCommand = f.text("kots.kotsCommand", k.kotsCommand ?? KOTS_RESTORE_DEFAULTS.kotsCommand, /^[A-Za-z0-9_./+-]+$/, "allowed: a command name on PATH (kubectl-kots, kots) or a path to it");
    return {
        appSlug,
        // kotsadm-encryption must exist before kots install: it goes first whatever the order given.
        secrets: secretOrder(secrets as string[]),
        install,
        deploy: f.bool("kots.deploy", k.deploy, false),
        skipPreflights: f.bool("kots.skipPreflights", k.skipPreflights, false),
        databaseHostOverride,
        databaseHostItems,
        kotsCommand,
        timeoutMs: 1000 * f.int("kots.timeoutSeconds", k.timeoutSeconds, KOTS_RESTORE_DEFAULTS.timeoutSeconds, 10, 86_400),
    };
}
