/**
 * The provider's side of encryption, with typage (npm age-encryption, the age format's
 * TypeScript implementation, interoperable with the age CLI the jobs run): the plan step checks
 * the restore's identity against each chosen set's recipients before anything is changed, and
 * the artifacts the provider reads itself (KOTS) are decrypted here, once their stored bytes
 * matched the manifest.
 */
import { Decrypter, identityToRecipient } from "age-encryption";
import type { Artifact } from "../core/manifest";
import { setRecipients } from "../core/manifest";
import { partNamed } from "../sources/registry";
import type { ResolvedSet } from "../restore/resolve";
import type { StepContext } from "../restore/step";
import type { DecryptionSpec } from "./validate";
import { AGE_SECRET_KEY } from "./validate";

/** The identity line of an age key file (age-keygen writes comments around it). */
export function identityLine(text: string): string | undefined {
    return text.match(AGE_SECRET_KEY)?.[0];
}

/** The identity the restore was given: the value, else the Secret's (read through the executor). */
async function identityOf(ctx: StepContext): Promise<{ identity?: string; from: string }> {
    if (ctx.ageIdentity) return { identity: identityLine(ctx.ageIdentity), from: "decryption.identity" };
    const ref = ctx.spec.decryption?.identitySecret;
    if (!ref) return { from: "none" };
    const text = await ctx.executor.readSecretKey(ctx.spec.namespace, ref.name, ref.key);
    const from = `Secret ${ctx.spec.namespace}/${ref.name} key ${ref.key}`;
    return { identity: text === undefined ? undefined : identityLine(text), from };
}

/**
 * What keeps the restore's identity from decrypting the chosen sets, one reason each (empty: it
 * can): no identity for an encrypted set, an identity that is none of a set's recipients (the
 * reason names them), a Job-restored part without identitySecret or toolImage for its fetch step.
 */
export async function decryptionProblems(ctx: StepContext, sets: Map<string, ResolvedSet>): Promise<string[]> {
    const problems: string[] = [];
    const d: DecryptionSpec | undefined = ctx.spec.decryption;
    const encrypted = [...sets].map(([part, set]) => ({ part, set, recipients: setRecipients(set.manifest) })).filter((e) => e.recipients.length > 0);
    if (encrypted.length === 0) return problems;
    if (!d) {
        return encrypted.map((e) => `${e.part} set ${e.set.backupId} is encrypted to ${e.recipients.join(", ")}: give decryption (identitySecret, or identity) with the age identity of one of them; nothing was changed`);
    }
    const { identity, from } = await identityOf(ctx);
    if (!identity) return [`decryption: no age identity (AGE-SECRET-KEY-1…) in ${from}; the sets need one of ${[...new Set(encrypted.flatMap((e) => e.recipients))].join(", ")}; nothing was changed`];
    let recipient: string;
    try {
        recipient = await identityToRecipient(identity);
    } catch (e) {
        return [`decryption: the age identity in ${from} is not a valid X25519 identity (${(e as Error).message}); nothing was changed`];
    }
    for (const e of encrypted) {
        if (!e.recipients.includes(recipient)) {
            problems.push(`${e.part} set ${e.set.backupId} is encrypted to ${e.recipients.join(", ")}; the identity in ${from} is for ${recipient}, not one of them: nothing was changed`);
        }
        // The part's restore Job decrypts in its fetch step: it needs the key as a Secret, and age.
        if (partNamed(e.part)?.restoreScripts.length) {
            if (!d.identitySecret) problems.push(`${e.part} set ${e.set.backupId} is encrypted and restored by a Job, whose fetch step reads the key from decryption.identitySecret (decryption.identity reaches the provider only)`);
            if (!d.toolImage) problems.push(`${e.part} set ${e.set.backupId} is encrypted and restored by a Job: set decryption.toolImage to an image with cp and a statically linked age`);
        }
    }
    return problems;
}

/** An artifact the provider reads (already checked against its manifest), decrypted when it is encrypted. */
export async function decryptedInProvider(ctx: StepContext, part: string, artifact: Artifact, data: Buffer): Promise<Buffer> {
    if (artifact.encryption === "none") return data;
    const { identity, from } = await identityOf(ctx);
    if (!identity) throw new Error(`artifact ${artifact.name} of the ${part} set is encrypted to ${artifact.recipients.join(", ")} and there is no age identity in ${from}`);
    const decrypter = new Decrypter();
    decrypter.addIdentity(identity);
    try {
        return Buffer.from(await decrypter.decrypt(new Uint8Array(data)));
    } catch (e) {
        throw new Error(`artifact ${artifact.name} of the ${part} set does not decrypt (${(e as Error).message}): it is encrypted to ${artifact.recipients.join(", ")}; refusing to restore it`);
    }
}
