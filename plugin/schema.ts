/**
 * The plugin's schema: what @pulumi/pulumi infers from the TypeScript sources (the component
 * GitGuardianBackupPolicy, and plugin/restoreSchema.ts for the restore), with the restore turned
 * into the custom resource it is, its secret inputs marked secret (every SDK then wraps them as
 * secrets, and the engine encrypts them in the state) and the inputs whose change restores again
 * marked replace-on-change.
 */
import { RESTORE_TYPE } from "../core/types";
import { REPLACE_ON } from "../restore/runtime";

/** The class the analyzer reads the restore's inputs and outputs from (plugin/restoreSchema.ts). */
export const RESTORE_SCHEMA_CLASS = "GitGuardianRestoreSchema";

/**
 * Where the restore's secret arguments are, as `<type>.<property>` (`resource` for the
 * resource's own inputs). restoreInputs (restore/restore.ts) makes the same values secret.
 */
export const RESTORE_SECRET_ARGUMENTS = ["resource.kubeconfig", "KotsInstall.license", "KotsInstall.sharedPassword", "RestoreDecryption.identity"] as const;

interface PropertySpec {
    secret?: boolean;
    replaceOnChanges?: boolean;
    [key: string]: unknown;
}
interface ObjectSpec {
    properties?: Record<string, PropertySpec>;
    inputProperties?: Record<string, PropertySpec>;
    isComponent?: boolean;
    [key: string]: unknown;
}
interface PackageSpec {
    name: string;
    resources: Record<string, ObjectSpec>;
    types: Record<string, ObjectSpec>;
    [key: string]: unknown;
}

/** The inferred schema with the restore as a custom resource. */
export function withRestoreResource(inferred: string): string {
    const schema = JSON.parse(inferred) as PackageSpec;
    const inferredToken = `${schema.name}:index:${RESTORE_SCHEMA_CLASS}`;
    const { isComponent: _component, ...restore } = schema.resources[inferredToken] ?? {};
    if (!restore.inputProperties) throw new Error(`the inferred schema has no ${inferredToken}: ${Object.keys(schema.resources).join(", ")}`);
    delete schema.resources[inferredToken];
    schema.resources[RESTORE_TYPE] = restore;
    const property = (where: string, name: string): PropertySpec => {
        const props = where === "resource" ? restore.inputProperties : schema.types[`${schema.name}:index:${where}`]?.properties;
        const p = props?.[name];
        if (!p) throw new Error(`the inferred schema has no ${where}.${name}, which the restore marks secret or replace-on-change`);
        return p;
    };
    for (const at of RESTORE_SECRET_ARGUMENTS) {
        const [where, name] = at.split(".");
        property(where, name).secret = true;
    }
    for (const name of REPLACE_ON) {
        property("resource", name).replaceOnChanges = true;
        if (restore.properties?.[name]) restore.properties[name].replaceOnChanges = true;
    }
    return JSON.stringify(schema);
}
