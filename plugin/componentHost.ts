/**
 * The package as a Pulumi provider plugin (`pulumi-resource-gitguardian-backup`): serves
 * GitGuardianBackupPolicy to every Pulumi language through Construct, with a schema that
 * @pulumi/pulumi infers from the TypeScript Args interfaces (backup/args.ts, sources/<part>/args.ts).
 * Dynamic providers cannot cross languages (pulumi/pulumi#5455); components can.
 */
import { ComponentProvider, componentProviderHost } from "@pulumi/pulumi/provider/experimental/provider";
import { GitGuardianBackupPolicy } from "../backup/backupPolicy";
import { packageRoot } from "../core/paths";

/** The package name of the schema: types are `gitguardian-backup:index:<Class>`. */
export const PLUGIN_NAME = "gitguardian-backup";

export const COMPONENTS = [GitGuardianBackupPolicy];

/** The provider, for tests that read its schema without an engine. */
export function componentProvider(): ComponentProvider {
    return new ComponentProvider({ name: PLUGIN_NAME, components: COMPONENTS, dirname: packageRoot() });
}

/** Serves the plugin over gRPC to the engine that started this process. */
export function serve(): Promise<void> {
    return componentProviderHost({ name: PLUGIN_NAME, components: COMPONENTS, dirname: packageRoot() });
}

if (require.main === module) {
    serve().catch((e) => {
        console.error(e);
        process.exit(1);
    });
}
