/**
 * Validation and defaults of GitGuardianRestore, run at construction (for the values known then)
 * and again by the provider's check on the resolved inputs. Every error names the argument, the
 * bad value and what is allowed, in the words of GitGuardianBackupPolicy for the shared
 * arguments (see sharedRules.ts).
 */
import type { RestoreDecryption } from "../encryption/args";
import { AGE_SECRET_KEY, DecryptionSpec, resolveDecryption } from "../encryption/validate";
import { BackupSelector, parseSelector } from "../core/backupSet";
import { andList, ArgumentError, FieldRules } from "../core/fields";
import { RESTORE_TYPE } from "../core/types";
import { SHARED_DEFAULTS as DEFAULTS } from "../core/defaults";
import { backupParts } from "../sources/registry";
import { KotsInstall, KotsRestore, PostgresRestore, RedisRestore, RestoreStorage } from "./args";

export { RESTORE_TYPE };
export { KOTSADM_ENCRYPTION } from "../sources/kots/env";
export { DATABASE_HOST_ITEMS } from "../sources/kots/restore";

export const RESTORE_DEFAULTS = { verify: "checksum", setWindowHours: 12 } as const;

/** The props of the dynamic resource: the args, resolved, with the secrets as top-level fields. */
export interface RestoreInputs {
    restoreName: string;
    namespace: string;
    storage: RestoreStorage;
    backupId: string;
    /** The args' sections without `enabled` (a disabled component is left out). */
    postgres?: Omit<PostgresRestore, "enabled">;
    redis?: Omit<RedisRestore, "enabled">;
    /** kots.install keeps only its plain settings: the license and password are top-level secrets. */
    kots?: Omit<KotsRestore, "enabled" | "install"> & { install?: Pick<KotsInstall, "waitDuration"> };
    /** License YAML (secret), with kots.install. */
    kotsLicense?: string;
    /** Admin console password (secret), with kots.install. */
    kotsSharedPassword?: string;
    /** Kubeconfig content (secret). */
    kubeconfig?: string;
    triggers?: { [key: string]: string };
    setWindowHours?: number;
    allowSetsApart?: boolean;
    fetchImage?: string;
    stagingSize?: string;
    jobTimeoutSeconds?: number;
    verify?: string;
    /** The decryption's plain settings; the identity value is the top-level secret ageIdentity. */
    decryption?: Omit<RestoreDecryption, "identity">;
    /** age identity (secret), from decryption.identity. */
    ageIdentity?: string;
}

export interface StorageSpec {
    bucket: string;
    prefix: string;
    region: string;
    endpoint?: string;
    credentialsSecret?: { name: string; accessKeyIdKey: string; secretAccessKeyKey: string };
    /** ServiceAccount of the restore Jobs (IRSA, pod identity). */
    serviceAccountName?: string;
}

/** Everything the restore runs from, validated and defaulted. */
export interface RestoreSpec {
    name: string;
    namespace: string;
    backupId: string;
    selector: BackupSelector;
    storage: StorageSpec;
    /** The parts restored, in restore order. */
    components: string[];
    /** Each restored part's validated section (its descriptor's restore.resolve made it). */
    parts: { [part: string]: unknown };
    /** Per part, the one set its `overwrite` allows to replace a target that holds data. */
    overwrite: { [part: string]: string };
    fetchImage: string;
    stagingSize: string;
    jobTimeoutSeconds: number;
    verify: "checksum" | "size";
    /** The chosen sets must have started within this many hours of each other, unless allowSetsApart. */
    setWindowHours: number;
    allowSetsApart: boolean;
    triggers: { [key: string]: string };
    /** How encrypted sets are decrypted, when given (checked against the sets at the plan step). */
    decryption?: DecryptionSpec;
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

/** Validates and defaults the inputs of the restore named `name`; throws ArgumentError. */
export function resolveRestore(inputs: RestoreInputs): RestoreSpec {
    const name = inputs?.restoreName;
    const who = `GitGuardianRestore "${name}"`;
    const f = new FieldRules(who);
    const bad = f.bad.bind(f);
    if (!inputs || typeof inputs !== "object") bad("args", inputs, "allowed: an object with namespace, storage, backupId and at least one of postgres, redis, kots");
    f.namespace("namespace", inputs.namespace);

    // backupId: the selector grammar of core/backupSet.ts.
    let selector: BackupSelector;
    try {
        selector = parseSelector(inputs.backupId as string, "backupId");
    } catch (e) {
        const text = (e as Error).message;
        bad("backupId", inputs.backupId, text.slice(text.indexOf("allowed:")));
    }

    // storage: the BackupStorageLocation a policy outputs.
    const st = f.object("storage", inputs.storage, "allowed: { bucketName, prefix, region, endpoint?, credentialsSecret?, serviceAccountName?, ambientIdentity? } (what GitGuardianBackupPolicy.storage outputs)");
    const bucket = f.bucket("storage.bucketName", st.bucketName);
    const prefix = f.prefix("storage.prefix", st.prefix ?? DEFAULTS.prefix);
    const region = f.region("storage.region", st.region ?? DEFAULTS.region);
    const endpoint = st.endpoint === undefined || st.endpoint === "" ? undefined : f.endpoint("storage.endpoint", st.endpoint);
    let credentialsSecret: StorageSpec["credentialsSecret"];
    if (st.credentialsSecret !== undefined) {
        const cs = f.object("storage.credentialsSecret", st.credentialsSecret, "allowed: { name, accessKeyIdKey?, secretAccessKeyKey? } of a Secret in the namespace");
        credentialsSecret = f.credentialsSecret("storage.credentialsSecret", cs);
    }
    // The restore Jobs need an identity that reaches the bucket: static keys, or a ServiceAccount's
    // (IRSA). Without either they would fall back to the node's identity: only when asked.
    const serviceAccountName = st.serviceAccountName === undefined || st.serviceAccountName === "" ? undefined : f.k8sName("storage.serviceAccountName", st.serviceAccountName);
    const ambientIdentity = f.bool("storage.ambientIdentity", st.ambientIdentity, false);
    if (!credentialsSecret && !serviceAccountName && !ambientIdentity) {
        bad(
            "storage",
            { bucketName: st.bucketName },
            "the restore Jobs have no identity for the bucket: give storage.credentialsSecret (a Secret with static keys) or storage.serviceAccountName (the ServiceAccount of an IRSA role or another pod identity; GitGuardianBackupPolicy.storage names it), or set storage.ambientIdentity: true if the node's own identity is really meant",
        );
    }

    // Parts: the registry says which exist and in which order they are restored; each
    // descriptor checks its own section.
    const components: string[] = [];
    const parts: RestoreSpec["parts"] = {};
    const overwrite: RestoreSpec["overwrite"] = {};
    const sections = inputs as unknown as Record<string, unknown>;
    for (const part of backupParts()) {
        if (!part.restore || sections[part.name] === undefined) continue;
        const section = f.object(part.name, sections[part.name], `allowed: an object (the ${part.name} restore's settings)`);
        parts[part.name] = part.restore.resolve(section, { f, inputs: sections });
        const ov = f.overwriteFor(`${part.name}.overwrite`, section.overwrite);
        if (ov) overwrite[part.name] = ov;
        components.push(part.name);
    }
    const restorable = backupParts().filter((p) => p.restore).map((p) => p.name);
    if (components.length === 0) bad(restorable.join("/"), "none given", `give at least one of ${andList(restorable)}`);

    const fetchImage = inputs.fetchImage ?? DEFAULTS.uploaderImage;
    f.image("fetchImage", fetchImage);
    const stagingSize = inputs.stagingSize ?? DEFAULTS.stagingSize;
    f.quantity("stagingSize", stagingSize);
    const jobTimeoutSeconds = inputs.jobTimeoutSeconds ?? DEFAULTS.activeDeadlineSeconds;
    f.int("jobTimeoutSeconds", inputs.jobTimeoutSeconds, 0, 60, 7 * 86_400);
    const verify = (inputs.verify ?? RESTORE_DEFAULTS.verify) as RestoreSpec["verify"];
    if (verify !== "checksum" && verify !== "size") bad("verify", verify, 'allowed: "checksum" (download and compare sha256) or "size"');
    const setWindowHours = f.int("setWindowHours", inputs.setWindowHours, RESTORE_DEFAULTS.setWindowHours, 1, 24 * 31);
    const allowSetsApart = f.bool("allowSetsApart", inputs.allowSetsApart, false);
    const triggers = inputs.triggers ?? {};
    if (typeof triggers !== "object" || triggers === null || Array.isArray(triggers) || Object.values(triggers).some((v) => typeof v !== "string")) {
        bad("triggers", triggers, "allowed: a map of strings");
    }
    if (inputs.ageIdentity !== undefined && (typeof inputs.ageIdentity !== "string" || !AGE_SECRET_KEY.test(inputs.ageIdentity))) {
        bad("decryption.identity", "[secret]", "allowed: an age identity (AGE-SECRET-KEY-1…, as age-keygen writes it)");
    }
    const decryption = resolveDecryption(inputs.decryption, inputs.ageIdentity !== undefined, f);
    if (inputs.kubeconfig !== undefined && (typeof inputs.kubeconfig !== "string" || inputs.kubeconfig.trim() === "")) {
        bad("kubeconfig", "[secret]", "allowed: the content of a kubeconfig file, or unset for the ambient one");
    }

    return {
        name,
        namespace: inputs.namespace,
        backupId: inputs.backupId,
        selector: selector!,
        storage: { bucket, prefix, region, endpoint, credentialsSecret, serviceAccountName },
        components,
        parts,
        overwrite,
        fetchImage,
        stagingSize,
        jobTimeoutSeconds,
        verify,
        setWindowHours,
        allowSetsApart,
        triggers: { ...triggers },
        decryption,
    };
}
