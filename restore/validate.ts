/**
 * Validation and defaults of GitGuardianRestore, run at construction (for the values known then)
 * and again by the provider's check on the resolved inputs. Every error names the argument, the
 * bad value and what is allowed, in the words of GitGuardianBackupPolicy for the shared
 * arguments (see sharedRules.ts).
 */
import { BackupSelector, parseSelector } from "../core/backupSet";
import { Component } from "../core/contract";
import { ArgumentError, DEFAULTS } from "../backup/validate";
import { SecretKeyRefArgs } from "../backup/args";
import { KotsInstallArgs, KotsRestoreArgs, PostgresRestoreArgs, RedisRestoreArgs, RestoreStorageArgs } from "./args";
import * as rules from "./sharedRules";

export const RESTORE_TYPE = "gitguardian-backup:index:GitGuardianRestore";

/** The KOTS Secret that must exist before any `kots install` (the ConfigValues cipher key). */
export const KOTSADM_ENCRYPTION = "kotsadm-encryption";

/** ConfigValues items rewritten by kots.databaseHostOverride when kots.databaseHostItems is unset. */
export const DATABASE_HOST_ITEMS = ["postgres_host", "postgresql_host", "pg_host", "db_host", "database_host"] as const;

export const RESTORE_DEFAULTS = {
    redisRunAsUser: 999,
    readyTimeoutSeconds: 600,
    kotsCommand: "kubectl-kots",
    kotsTimeoutSeconds: 900,
    waitDuration: "5m",
    verify: "checksum",
} as const;

/** The props of the dynamic resource: the args, resolved, with the secrets as top-level fields. */
export interface RestoreInputs {
    restoreName: string;
    namespace: string;
    storage: RestoreStorageArgs;
    backupId: string;
    /** The args' sections without `enabled` (a disabled component is left out). */
    postgres?: Omit<PostgresRestoreArgs, "enabled">;
    redis?: Omit<RedisRestoreArgs, "enabled">;
    /** kots.install keeps only its plain settings: the license and password are top-level secrets. */
    kots?: Omit<KotsRestoreArgs, "enabled" | "install"> & { install?: Pick<KotsInstallArgs, "waitDuration"> };
    /** License YAML (secret), with kots.install. */
    kotsLicense?: string;
    /** Admin console password (secret), with kots.install. */
    kotsSharedPassword?: string;
    /** Kubeconfig content (secret). */
    kubeconfig?: string;
    triggers?: { [key: string]: string };
    fetchImage?: string;
    stagingSize?: string;
    jobTimeoutSeconds?: number;
    verify?: string;
}

export interface StorageSpec {
    bucket: string;
    prefix: string;
    region: string;
    endpoint?: string;
    credentialsSecret?: { name: string; accessKeyIdKey: string; secretAccessKeyKey: string };
}

export interface PostgresRestoreSpec {
    host: string;
    port: number;
    user: string;
    passwordSecret: SecretKeyRefArgs;
    overwrite: boolean;
    parallelJobs: number;
    image: string;
}

export interface RedisRestoreSpec {
    statefulSet: string;
    volumeClaimTemplate?: string;
    rdbName?: string;
    aofDir?: string;
    image: string;
    runAsUser: number;
    readyTimeoutMs: number;
}

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

/** Everything the restore runs from, validated and defaulted. */
export interface RestoreSpec {
    name: string;
    namespace: string;
    backupId: string;
    selector: BackupSelector;
    storage: StorageSpec;
    components: Component[];
    postgres?: PostgresRestoreSpec;
    redis?: RedisRestoreSpec;
    kots?: KotsRestoreSpec;
    fetchImage: string;
    stagingSize: string;
    jobTimeoutSeconds: number;
    verify: "checksum" | "size";
    triggers: { [key: string]: string };
}

/** The engine's placeholder for a value not known yet (preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** True when the value, or anything inside it, is not known yet. */
export function hasUnknown(value: unknown): boolean {
    if (value === UNKNOWN) return true;
    if (Array.isArray(value)) return value.some(hasUnknown);
    if (value && typeof value === "object") return Object.values(value).some(hasUnknown);
    return false;
}

const GO_DURATION = /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/;
const CONFIG_ITEM = /^[A-Za-z0-9_.-]+$/;

/** Validates and defaults the inputs of the restore named `name`; throws ArgumentError. */
export function resolveRestore(inputs: RestoreInputs): RestoreSpec {
    const name = inputs?.restoreName;
    const who = `GitGuardianRestore "${name}"`;
    const bad = (argument: string, value: unknown, allowed: string): never => {
        throw new ArgumentError(who, argument, value, allowed);
    };
    const int = (argument: string, value: unknown, fallback: number, min: number, max: number): number => {
        if (value === undefined) return fallback;
        if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
            bad(argument, value, `allowed: a whole number from ${min} to ${max}`);
        }
        return value as number;
    };
    const bool = (argument: string, value: unknown, fallback: boolean): boolean => {
        if (value === undefined) return fallback;
        if (typeof value !== "boolean") bad(argument, value, "allowed: true or false");
        return value as boolean;
    };
    const object = (argument: string, value: unknown, allowed: string): Record<string, unknown> => {
        if (!value || typeof value !== "object" || Array.isArray(value)) bad(argument, value, allowed);
        return value as Record<string, unknown>;
    };

    if (!inputs || typeof inputs !== "object") bad("args", inputs, "allowed: an object with namespace, storage, backupId and at least one of postgres, redis, kots");
    rules.namespaceRule(who, "namespace", inputs.namespace);

    // backupId: the selector grammar of core/backupSet.ts.
    let selector: BackupSelector;
    try {
        selector = parseSelector(inputs.backupId as string, "backupId");
    } catch (e) {
        const text = (e as Error).message;
        bad("backupId", inputs.backupId, text.slice(text.indexOf("allowed:")));
    }

    // storage: the BackupStorageLocation a policy outputs.
    const st = object("storage", inputs.storage, "allowed: { bucketName, prefix, region, endpoint?, credentialsSecret? } (what GitGuardianBackupPolicy.storage outputs)");
    rules.bucketRule(who, "storage.bucketName", st.bucketName);
    const prefix = (st.prefix as string | undefined) ?? DEFAULTS.prefix;
    rules.prefixRule(who, "storage.prefix", prefix);
    const region = (st.region as string | undefined) ?? DEFAULTS.region;
    rules.regionRule(who, "storage.region", region);
    const endpoint = st.endpoint === undefined || st.endpoint === "" ? undefined : (st.endpoint as string);
    if (endpoint !== undefined) rules.endpointRule(who, "storage.endpoint", endpoint);
    let credentialsSecret: StorageSpec["credentialsSecret"];
    if (st.credentialsSecret !== undefined) {
        const cs = object("storage.credentialsSecret", st.credentialsSecret, "allowed: { name, accessKeyIdKey?, secretAccessKeyKey? } of a Secret in the namespace");
        rules.credentialsSecretRule(who, "storage.credentialsSecret", cs);
        credentialsSecret = {
            name: cs.name as string,
            accessKeyIdKey: (cs.accessKeyIdKey as string | undefined) ?? "AWS_ACCESS_KEY_ID",
            secretAccessKeyKey: (cs.secretAccessKeyKey as string | undefined) ?? "AWS_SECRET_ACCESS_KEY",
        };
    }

    const components: Component[] = [];
    let postgres: PostgresRestoreSpec | undefined;
    if (inputs.postgres !== undefined) {
        const p = object("postgres", inputs.postgres, "allowed: { host, port?, user?, passwordSecret, overwrite?, parallelJobs?, image? }");
        rules.hostRule(who, "postgres.host", p.host);
        if (p.port !== undefined) rules.portRule(who, "postgres.port", p.port);
        const user = (p.user as string | undefined) ?? "postgres";
        rules.pgUserRule(who, "postgres.user", user);
        rules.secretRefRule(who, "postgres.passwordSecret", p.passwordSecret);
        if (p.parallelJobs !== undefined) rules.parallelJobsRule(who, "postgres.parallelJobs", p.parallelJobs);
        const image = (p.image as string | undefined) ?? DEFAULTS.postgresImage;
        rules.imageRule(who, "postgres.image", image);
        const ref = p.passwordSecret as SecretKeyRefArgs;
        postgres = {
            host: p.host as string,
            port: (p.port as number | undefined) ?? 5432,
            user,
            passwordSecret: { name: ref.name, key: ref.key },
            overwrite: bool("postgres.overwrite", p.overwrite, false),
            parallelJobs: (p.parallelJobs as number | undefined) ?? DEFAULTS.parallelJobs,
            image,
        };
        components.push(Component.Postgres);
    }

    let redis: RedisRestoreSpec | undefined;
    if (inputs.redis !== undefined) {
        const r = object("redis", inputs.redis, "allowed: { statefulSet, volumeClaimTemplate?, rdbName?, aofDir?, image?, runAsUser?, readyTimeoutSeconds? }");
        rules.k8sNameRule(who, "redis.statefulSet", r.statefulSet);
        if (r.volumeClaimTemplate !== undefined) rules.k8sNameRule(who, "redis.volumeClaimTemplate", r.volumeClaimTemplate);
        for (const field of ["rdbName", "aofDir"] as const) {
            const v = r[field];
            if (v !== undefined && (typeof v !== "string" || !/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(v))) {
                bad(`redis.${field}`, v, "allowed: a plain file name (letters, digits, '.', '_', '-'; not starting with '.')");
            }
        }
        const image = (r.image as string | undefined) ?? DEFAULTS.redisImage;
        rules.imageRule(who, "redis.image", image);
        redis = {
            statefulSet: r.statefulSet as string,
            volumeClaimTemplate: r.volumeClaimTemplate as string | undefined,
            rdbName: r.rdbName as string | undefined,
            aofDir: r.aofDir as string | undefined,
            image,
            runAsUser: int("redis.runAsUser", r.runAsUser, RESTORE_DEFAULTS.redisRunAsUser, 1, 2_147_483_647),
            readyTimeoutMs: 1000 * int("redis.readyTimeoutSeconds", r.readyTimeoutSeconds, RESTORE_DEFAULTS.readyTimeoutSeconds, 5, 86_400),
        };
        components.push(Component.Redis);
    }

    let kots: KotsRestoreSpec | undefined;
    if (inputs.kots !== undefined) {
        const k = object("kots", inputs.kots, "allowed: { appSlug?, secrets?, install?, deploy?, skipPreflights?, databaseHostOverride?, databaseHostItems?, kotsCommand?, timeoutSeconds? }");
        const appSlug = (k.appSlug as string | undefined) ?? DEFAULTS.appSlug;
        rules.appSlugRule(who, "kots.appSlug", appSlug);
        const secrets = (k.secrets as string[] | undefined) ?? [KOTSADM_ENCRYPTION, "gim-secrets"];
        if (!Array.isArray(secrets) || secrets.length === 0) bad("kots.secrets", secrets, "allowed: a non-empty list of Secret names (kotsadm-encryption is restored first)");
        secrets.forEach((s, i) => rules.k8sNameRule(who, `kots.secrets[${i}]`, s));
        if (new Set(secrets).size !== secrets.length) bad("kots.secrets", secrets, "allowed: a list of distinct Secret names");
        // kotsadm-encryption must exist before kots install: it goes first whatever the order given.
        const ordered = [...secrets.filter((s) => s === KOTSADM_ENCRYPTION), ...secrets.filter((s) => s !== KOTSADM_ENCRYPTION)];
        let install: KotsRestoreSpec["install"];
        if (k.install !== undefined) {
            const ins = object("kots.install", k.install, "allowed: { licenseFile or license, sharedPassword, waitDuration? }");
            const waitDuration = (ins.waitDuration as string | undefined) ?? RESTORE_DEFAULTS.waitDuration;
            if (typeof waitDuration !== "string" || !GO_DURATION.test(waitDuration)) bad("kots.install.waitDuration", waitDuration, "allowed: a Go duration such as 90s, 5m or 1h");
            if (typeof inputs.kotsLicense !== "string" || !/\bkind:\s*License\b/.test(inputs.kotsLicense)) {
                // Never echo the license: it is a secret.
                bad("kots.install.license", inputs.kotsLicense === undefined ? undefined : "[secret]", "allowed: a KOTS license (YAML with kind: License), from licenseFile or license");
            }
            if (typeof inputs.kotsSharedPassword !== "string" || inputs.kotsSharedPassword.length < 6) {
                bad("kots.install.sharedPassword", inputs.kotsSharedPassword === undefined ? undefined : "[secret]", "allowed: the admin console password, at least 6 characters");
            }
            install = { waitDuration };
        }
        let databaseHostOverride: string | undefined;
        if (k.databaseHostOverride !== undefined) {
            rules.hostRule(who, "kots.databaseHostOverride", k.databaseHostOverride);
            databaseHostOverride = k.databaseHostOverride as string;
        }
        let databaseHostItems: string[] | undefined;
        if (k.databaseHostItems !== undefined) {
            const items = k.databaseHostItems as unknown[];
            if (!Array.isArray(items) || items.length === 0 || items.some((i) => typeof i !== "string" || !CONFIG_ITEM.test(i))) {
                bad("kots.databaseHostItems", items, "allowed: a non-empty list of KOTS config item names (letters, digits, '_', '.', '-')");
            }
            if (databaseHostOverride === undefined) bad("kots.databaseHostItems", items, "set kots.databaseHostOverride too: the items name where the new host goes");
            databaseHostItems = items as string[];
        }
        const kotsCommand = (k.kotsCommand as string | undefined) ?? RESTORE_DEFAULTS.kotsCommand;
        if (typeof kotsCommand !== "string" || !/^[A-Za-z0-9_./+-]+$/.test(kotsCommand)) {
            bad("kots.kotsCommand", kotsCommand, "allowed: a command name on PATH (kubectl-kots, kots) or a path to it");
        }
        kots = {
            appSlug,
            secrets: ordered,
            install,
            deploy: bool("kots.deploy", k.deploy, false),
            skipPreflights: bool("kots.skipPreflights", k.skipPreflights, false),
            databaseHostOverride,
            databaseHostItems,
            kotsCommand,
            timeoutMs: 1000 * int("kots.timeoutSeconds", k.timeoutSeconds, RESTORE_DEFAULTS.kotsTimeoutSeconds, 10, 86_400),
        };
        components.push(Component.Kots);
    }
    if (components.length === 0) bad("postgres/redis/kots", "none given", "give at least one of postgres, redis and kots");

    const fetchImage = inputs.fetchImage ?? DEFAULTS.uploaderImage;
    rules.imageRule(who, "fetchImage", fetchImage);
    const stagingSize = inputs.stagingSize ?? DEFAULTS.stagingSize;
    rules.quantityRule(who, "stagingSize", stagingSize);
    const jobTimeoutSeconds = inputs.jobTimeoutSeconds ?? DEFAULTS.activeDeadlineSeconds;
    if (inputs.jobTimeoutSeconds !== undefined) rules.deadlineRule(who, "jobTimeoutSeconds", inputs.jobTimeoutSeconds);
    const verify = (inputs.verify ?? RESTORE_DEFAULTS.verify) as RestoreSpec["verify"];
    if (verify !== "checksum" && verify !== "size") bad("verify", verify, 'allowed: "checksum" (download and compare sha256) or "size"');
    const triggers = inputs.triggers ?? {};
    if (typeof triggers !== "object" || triggers === null || Array.isArray(triggers) || Object.values(triggers).some((v) => typeof v !== "string")) {
        bad("triggers", triggers, "allowed: a map of strings");
    }
    if (inputs.kubeconfig !== undefined && (typeof inputs.kubeconfig !== "string" || inputs.kubeconfig.trim() === "")) {
        bad("kubeconfig", "[secret]", "allowed: the content of a kubeconfig file, or unset for the ambient one");
    }

    return {
        name,
        namespace: inputs.namespace,
        backupId: inputs.backupId,
        selector: selector!,
        storage: { bucket: st.bucketName as string, prefix, region, endpoint, credentialsSecret },
        components,
        postgres,
        redis,
        kots,
        fetchImage,
        stagingSize,
        jobTimeoutSeconds,
        verify,
        triggers: { ...triggers },
    };
}
