/**
 * The package as a Pulumi provider plugin (`pulumi-resource-gitguardian-backup`): serves
 * GitGuardianBackupPolicy to every Pulumi language through Construct, and GitGuardianRestore as a
 * custom resource (plugin/provider.ts), with a schema that @pulumi/pulumi infers from the
 * TypeScript Args interfaces (backup/args.ts, sources/<part>/args.ts, restore/args.ts).
 * Dynamic providers cannot cross languages (pulumi/pulumi#5455); a plugin's resources can.
 */
import { ComponentProvider } from "@pulumi/pulumi/provider/experimental/provider";
import { main } from "@pulumi/pulumi/provider";
import { GitGuardianBackupPolicy } from "../backup/backupPolicy";
import { packageRoot } from "../core/paths";
import { PluginProvider } from "./provider";
import { GitGuardianRestoreSchema } from "./restoreSchema";

/** The package name of the schema: types are `gitguardian-backup:index:<Class>`. */
export const PLUGIN_NAME = "gitguardian-backup";

export const COMPONENTS = [GitGuardianBackupPolicy, GitGuardianRestoreSchema];

/** The provider, for tests that read its schema without an engine. */
export function pluginProvider(): PluginProvider {
    return new PluginProvider({ component: new ComponentProvider({ name: PLUGIN_NAME, components: COMPONENTS, dirname: packageRoot() }) });
}

/** Serves the plugin over gRPC to the engine that started this process. */
export function serve(args: string[] = process.argv.slice(2)): Promise<void> {
    // main() also connects pulumi.log to the engine: the restore's progress shows with the update
    // (test/engine/go.test.ts and restore.test.ts read it back).
    return main(pluginProvider(), args);
}

if (require.main === module) {
    serve().catch((e) => {
        console.error(e);
        process.exit(1);
    });
}
