/**
 * Step: the set's encryption-key Secrets, applied before any kots install (the console needs them
 * to read ConfigValues). A live Secret with other data holds the keys the running installation's
 * data is encrypted with: it is replaced only when kots.overwrite names this set, and then kept
 * beside as `<name>.before-restore-<time>`; without it the step refuses before changing any.
 */
import { LABELS, PART_OF } from "../../core/pod";
import { overwriteAllowed, restoreSection, RestoreStep, setOf, StepContext, verifiedTar, whenRestored } from "../../restore/step";
import { sameSecretData, secretData } from "../../restore/executor";
import { secretsFromArtifact } from "./cli";
import type { KotsRestoreSpec } from "./restore";

/** `<name>.before-restore-<UTC time>`: a Secret name (lower case), sortable by time. */
export function beforeRestoreName(name: string, at: Date): string {
    return `${name}.before-restore-${at.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "z").toLowerCase()}`;
}

/** The set's Secrets beside the live ones, and the refusal when live keys would be replaced unasked. */
async function compare(ctx: StepContext) {
    const k = restoreSection<KotsRestoreSpec>(ctx.spec, "kots");
    const ns = ctx.spec.namespace;
    const set = setOf(ctx, "kots");
    const { artifact, entries } = await verifiedTar(ctx, "kots", "kots-secrets.tar");
    const secrets = secretsFromArtifact(entries, k.secrets, ns, ctx.yaml.load);
    const live = await Promise.all(secrets.map((s) => ctx.executor.readSecretData(ns, s.metadata!.name!)));
    const unchanged = secrets.map((s, i) => live[i] !== undefined && sameSecretData(live[i]!, secretData(s)));
    const differing = secrets.filter((_s, i) => live[i] !== undefined && !unchanged[i]).map((s) => s.metadata!.name!);
    const refusal =
        differing.length && !overwriteAllowed(ctx.spec, "kots", set.backupId)
            ? `live Secret${differing.length > 1 ? "s" : ""} ${differing.map((n) => `${ns}/${n}`).join(", ")} hold${differing.length > 1 ? "" : "s"} other keys than kots set ${set.backupId}: ` +
              `the running installation's data is encrypted with them, so they are not replaced unasked; nothing was changed. ` +
              `To replace them (each is kept as <name>.before-restore-<time>), set kots.overwrite to "${set.backupId}"`
            : undefined;
    return { ns, set, artifact, secrets, live, unchanged, refusal };
}

/** Found by the plan step, before PostgreSQL or Redis is touched. */
export async function kotsSecretsPreflight(ctx: StepContext): Promise<string[]> {
    const { refusal } = await compare(ctx);
    return refusal ? [refusal] : [];
}

/** Step: the encryption keys. */
export const kotsSecretsStep: RestoreStep = {
    name: "kots-secrets",
    title: "apply the set's encryption-key Secrets, kotsadm-encryption first (a live one that differs only with kots.overwrite, kept aside)",
    component: "kots",
    // Before the install, which reads kotsadm-encryption; a differing live Secret is refused by
    // the plan step and replaced ones are kept aside, so nothing is lost if a data step fails.
    phase: "prepare",
    applies: whenRestored("kots"),
    async run(ctx) {
        // Checked again: the live Secrets may have changed since the plan step (a resumed run).
        const { ns, set, artifact, secrets, live, unchanged, refusal } = await compare(ctx);
        if (refusal) throw new Error(refusal);
        const at = new Date();
        const done: string[] = [];
        for (const [i, s] of secrets.entries()) {
            const name = s.metadata!.name!;
            if (unchanged[i]) {
                done.push(`${name} (unchanged)`);
                continue;
            }
            if (live[i] !== undefined) {
                const aside = beforeRestoreName(name, at);
                ctx.progress(`keeping the live Secret ${ns}/${name} as ${aside}`);
                await ctx.executor.createSecret(ns, {
                    apiVersion: "v1",
                    kind: "Secret",
                    metadata: { name: aside, namespace: ns, labels: { [LABELS.partOf]: PART_OF }, annotations: { "gitguardian-backup/replaced-by-set": set.backupId } },
                    ...(s.type ? { type: s.type } : {}),
                    data: live[i],
                });
                done.push(`${name} (the live one kept as ${aside})`);
            } else done.push(name);
            ctx.progress(`applying Secret ${ns}/${name}`);
            await ctx.executor.applySecret(ns, s);
        }
        return { bytes: artifact.size, detail: `Secrets ${done.join(", ")} applied` };
    },
};
