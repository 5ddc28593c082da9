/** Validation and defaults of the encryption arguments, at construction like the rest. */
import { FieldRules } from "../core/fields";
import { passesRule, VALUE_RULES } from "../core/valueRules";
import type { BackupEncryption, DrillDecryption, RestoreDecryption } from "./args";

export const DEFAULT_AGE_PATH = "/usr/local/bin/age";
/** What a private age key looks like: refused wherever a public one is asked for. */
export const AGE_SECRET_KEY = /AGE-SECRET-KEY-1[0-9A-Z]+/;

export interface EncryptionSpec {
    /** Recipients given as values (else recipientsSecret). */
    recipients?: string[];
    recipientsSecret?: { name: string; key: string };
    toolImage: string;
    agePath: string;
}

export interface DecryptionSpec {
    identitySecret?: { name: string; key: string };
    /** True when the identity is given as a value (the provider's input `ageIdentity`, never in the spec). */
    identityValue: boolean;
    toolImage?: string;
    agePath: string;
}

const PATH = /^\/[A-Za-z0-9._/-]+$/;

function agePath(f: FieldRules, argument: string, value: unknown): string {
    if (value === undefined) return DEFAULT_AGE_PATH;
    return f.text(argument, value, PATH, "allowed: an absolute path in the tool image such as /usr/local/bin/age", 256);
}

/** The encryption of the backups, or undefined when none is declared. */
export function resolveEncryption(value: BackupEncryption | undefined, f: FieldRules): EncryptionSpec | undefined {
    if (value === undefined) return undefined;
    const e = f.object("encryption", value, "allowed: an object with recipients or recipientsSecret, and toolImage") as unknown as BackupEncryption;
    if ((e.recipients === undefined) === (e.recipientsSecret === undefined)) {
        f.bad("encryption", "recipients and recipientsSecret", "set exactly one of encryption.recipients and encryption.recipientsSecret");
    }
    let recipients: string[] | undefined;
    if (e.recipients !== undefined) {
        if (!Array.isArray(e.recipients) || e.recipients.length === 0) f.bad("encryption.recipients", e.recipients, "allowed: a non-empty list of age recipients");
        recipients = e.recipients.map((r, i) => {
            // A private key pasted here would be written into the CronJob: named as such, never echoed.
            if (typeof r === "string" && AGE_SECRET_KEY.test(r)) f.bad(`encryption.recipients[${i}]`, "AGE-SECRET-KEY-1…", "this is a private key: give its recipient (age-keygen -y KEYFILE prints it); the private key must never reach the backup side");
            if (!passesRule("ageRecipient", r)) f.bad(`encryption.recipients[${i}]`, r, VALUE_RULES.ageRecipient.allowed);
            return r;
        });
        if (new Set(recipients).size !== recipients.length) f.bad("encryption.recipients", recipients, "allowed: each recipient once");
    }
    const recipientsSecret = e.recipientsSecret === undefined ? undefined : f.secretRef("encryption.recipientsSecret", e.recipientsSecret);
    if (e.toolImage === undefined) f.bad("encryption.toolImage", e.toolImage, "required: an image with cp and a statically linked age (none of the stock job images has age; see the README's Encryption section)");
    return { recipients, recipientsSecret, toolImage: f.image("encryption.toolImage", e.toolImage), agePath: agePath(f, "encryption.agePath", e.agePath) };
}

/** A restore's decryption, or undefined. `identityGiven` says whether the identity value input is set (it is a secret, checked by the provider). */
export function resolveDecryption(value: RestoreDecryption | undefined, identityGiven: boolean, f: FieldRules): DecryptionSpec | undefined {
    if (value === undefined) return undefined;
    const d = f.object("decryption", value, "allowed: an object with identitySecret or identity, and toolImage") as unknown as RestoreDecryption;
    if (d.identitySecret === undefined && !identityGiven) f.bad("decryption", "no identity", "set decryption.identitySecret or decryption.identity");
    return {
        identitySecret: d.identitySecret === undefined ? undefined : f.secretRef("decryption.identitySecret", d.identitySecret),
        identityValue: identityGiven,
        toolImage: d.toolImage === undefined ? undefined : f.image("decryption.toolImage", d.toolImage),
        agePath: agePath(f, "decryption.agePath", d.agePath),
    };
}

/** A drill's decryption: required exactly when the backups are encrypted. */
export function resolveDrillDecryption(value: DrillDecryption | undefined, encryption: EncryptionSpec | undefined, f: FieldRules): { identitySecret: { name: string; key: string } } | undefined {
    if (!encryption) {
        if (value !== undefined) f.bad("drill.decryption", value, "allowed: only with encryption (the sets are not encrypted)");
        return undefined;
    }
    if (value === undefined) f.bad("drill.decryption", value, "required with encryption: the drill decrypts the sets it restores (decryption.identitySecret, a Secret holding one recipient's age identity)");
    const d = f.object("drill.decryption", value, "allowed: { identitySecret }") as unknown as DrillDecryption;
    return { identitySecret: f.secretRef("drill.decryption.identitySecret", d.identitySecret) };
}
