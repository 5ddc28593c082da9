/** Step: the saved KOTS configuration (database hosts rewritten when asked), uploaded, deployed when asked. */
import * as fs from "node:fs";
import * as path from "node:path";
import { extractTo } from "../../restore/tar";
import { restoreSection, RestoreStep, setOf, verifiedTar, whenRestored } from "../../restore/step";
import { findAppDir, kotsUploadArgv, rewriteDatabaseHosts, runKots } from "./cli";
import type { KotsRestoreSpec } from "./restore";

/** Step: the saved configuration. */
export const kotsUploadStep: RestoreStep = {
    name: "kots-upload",
    title: "upload the saved KOTS configuration (database hosts rewritten when asked), deploy when asked",
    component: "kots",
    // A deploy starts GitGuardian on the databases: only once they are restored.
    phase: "finish",
    applies: whenRestored("kots"),
    async run(ctx) {
        const k = restoreSection<KotsRestoreSpec>(ctx.spec, "kots");
        const { artifact, entries } = await verifiedTar(ctx, "kots", "kots-app.tar");
        const root = path.join(ctx.workDir, "app");
        fs.rmSync(root, { recursive: true, force: true });
        extractTo(entries, root);
        const appDir = findAppDir(root, k.appSlug);
        let rewritten = "";
        if (k.databaseHostOverride) {
            const config = path.join(appDir, "upstream", "userdata", "config.yaml");
            const out = rewriteDatabaseHosts(fs.readFileSync(config, "utf8"), k.databaseHostOverride, k.databaseHostItems, ctx.yaml);
            fs.writeFileSync(config, out.text, { mode: 0o600 });
            rewritten = `; ${out.changed.join(", ")} set to ${k.databaseHostOverride}`;
            ctx.progress(`ConfigValues: ${out.changed.join(", ")} set to ${k.databaseHostOverride}`);
        }
        const argv = kotsUploadArgv(k, ctx.spec.namespace, appDir);
        ctx.progress(`running ${k.kotsCommand} upload --namespace ${ctx.spec.namespace} --slug ${k.appSlug}${k.deploy ? " --deploy" : ""}`);
        await runKots(k.kotsCommand, argv, { env: ctx.kotsEnv, timeoutMs: k.timeoutMs, cwd: ctx.workDir });
        return { bytes: artifact.size, detail: `configuration of set ${setOf(ctx, "kots").backupId} uploaded${k.deploy ? " and deployed" : ""}${rewritten}` };
    },
};
