/** Step: a fresh KOTS admin console, when kots.install is given (the license and password are Pulumi secrets). */
import * as fs from "node:fs";
import * as path from "node:path";
import type { AccessCheck } from "../../restore/executor";
import { describeAccess } from "../../restore/permissions";
import { restoreSection, RestoreStep, StepContext } from "../../restore/step";
import { KOTS_SHARED_PASSWORD_ENV, kotsInstallArgv, runKots } from "./cli";
import type { KotsRestoreSpec } from "./restore";

/** What `kots install` creates beyond the namespace: the admin console's cluster RBAC. */
export const KOTS_INSTALL_CLUSTER_ACCESS: readonly AccessCheck[] = [
    { verb: "create", group: "rbac.authorization.k8s.io", resource: "clusterroles" },
    { verb: "create", group: "rbac.authorization.k8s.io", resource: "clusterrolebindings" },
];

/** Found by the plan step: an install the identity cannot do would stop the run after the data steps. */
export async function kotsInstallPreflight(ctx: StepContext): Promise<string[]> {
    if (!restoreSection<KotsRestoreSpec>(ctx.spec, "kots").install) return [];
    const denied = await ctx.executor.deniedAccess(KOTS_INSTALL_CLUSTER_ACCESS);
    if (!denied.length) return [];
    return [
        `kots.install runs \`kots install\`, which creates the admin console's cluster RBAC, and the identity running the restore may not ${denied.map(describeAccess).join(", ")}; ` +
            `nothing was changed: run the restore with an administrator's kubeconfig, or install KOTS beforehand and omit kots.install`,
    ];
}

/** Step: a fresh admin console. */
export const kotsInstallStep: RestoreStep = {
    name: "kots-install",
    title: "install a fresh KOTS admin console (kots install --no-port-forward)",
    component: "kots",
    // Needs the key Secrets only, and fails on cluster rights, the registry or the license:
    // better before the database is replaced than after.
    phase: "prepare",
    applies: (spec) => spec.components.includes("kots") && (spec.parts.kots as KotsRestoreSpec | undefined)?.install !== undefined,
    async run(ctx) {
        const k = restoreSection<KotsRestoreSpec>(ctx.spec, "kots");
        const licenseFile = path.join(ctx.workDir, "license.yaml");
        fs.writeFileSync(licenseFile, ctx.kotsLicense ?? "", { mode: 0o600 });
        try {
            const argv = kotsInstallArgv(k, ctx.spec.namespace, licenseFile);
            ctx.progress(`running ${k.kotsCommand} install ${k.appSlug} --namespace ${ctx.spec.namespace}`);
            const run = await runKots(k.kotsCommand, argv, {
                env: { ...ctx.kotsEnv, [KOTS_SHARED_PASSWORD_ENV]: ctx.kotsSharedPassword ?? "" },
                timeoutMs: k.timeoutMs,
                cwd: ctx.workDir,
            });
            return { bytes: 0, detail: `admin console installed for app ${k.appSlug} in ${Math.round(run.durationMs / 1000)} s` };
        } finally {
            fs.rmSync(licenseFile, { force: true });
        }
    },
};
