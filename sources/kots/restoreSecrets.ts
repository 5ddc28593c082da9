/** Step: the set's encryption-key Secrets, applied before any kots install (the console needs them to read ConfigValues). */
import { restoreSection, RestoreStep, verifiedTar, whenRestored } from "../../restore/step";
import { secretsFromArtifact } from "./cli";
import type { KotsRestoreSpec } from "./restore";

/** Step: the encryption keys. */
export const kotsSecretsStep: RestoreStep = {
    name: "kots-secrets",
    title: "apply the set's encryption-key Secrets, kotsadm-encryption first",
    component: "kots",
    applies: whenRestored("kots"),
    async run(ctx) {
        const k = restoreSection<KotsRestoreSpec>(ctx.spec, "kots");
        const { artifact, entries } = await verifiedTar(ctx, "kots", "kots-secrets.tar");
        const secrets = secretsFromArtifact(entries, k.secrets, ctx.spec.namespace, ctx.yaml.load);
        for (const s of secrets) {
            ctx.progress(`applying Secret ${ctx.spec.namespace}/${s.metadata!.name}`);
            await ctx.executor.applySecret(ctx.spec.namespace, s);
        }
        return { bytes: artifact.size, detail: `Secrets ${secrets.map((s) => s.metadata!.name).join(", ")} applied` };
    },
};
