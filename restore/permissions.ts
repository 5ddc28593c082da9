/**
 * The permissions a restore's steps need, asked of the API server (SelfSubjectAccessReview) by
 * the plan step before anything changes: a missing one found halfway would leave the parts
 * restored before it changed and the rest not.
 */
import type { AccessCheck } from "./executor";
import type { PolicyRule } from "./rbac";
import { rulesFor } from "./rbac";
import type { RestoreSpec } from "./validate";

/** Every (verb, resource, name) of the rules, in the namespace. */
export function accessChecks(namespace: string, rules: readonly PolicyRule[]): AccessCheck[] {
    const checks: AccessCheck[] = [];
    for (const r of rules) {
        for (const group of r.apiGroups ?? [""]) {
            for (const full of r.resources) {
                const [resource, subresource] = full.split("/");
                for (const verb of r.verbs) {
                    for (const name of r.resourceNames?.length ? r.resourceNames : [undefined]) {
                        checks.push({ namespace, verb, group, resource, ...(subresource ? { subresource } : {}), ...(name ? { name } : {}) });
                    }
                }
            }
        }
    }
    return checks;
}

/** `patch statefulsets/scale redis-master in gitguardian`, as a person would ask for it. */
export function describeAccess(c: AccessCheck): string {
    const what = `${c.verb} ${c.resource}${c.subresource ? `/${c.subresource}` : ""}${c.group ? `.${c.group}` : ""}${c.name ? ` ${c.name}` : ""}`;
    return c.namespace ? `${what} in ${c.namespace}` : `${what} (cluster-wide)`;
}

/** The namespaced checks of the restore's steps, from the documented Role (restore/rbac.ts). */
export function restoreAccessChecks(spec: RestoreSpec): AccessCheck[] {
    const kots = spec.parts.kots as { secrets?: string[] } | undefined;
    return accessChecks(spec.namespace, rulesFor({ credentialsSecret: spec.storage.credentialsSecret?.name, kotsSecrets: kots?.secrets }, spec.components));
}

/** The reason to refuse, when the identity lacks any of `checks`. */
export function missingAccessReason(denied: readonly AccessCheck[]): string[] {
    if (!denied.length) return [];
    return [`the identity running the restore lacks ${denied.length} permission${denied.length > 1 ? "s" : ""} its steps need: ${denied.map(describeAccess).join(", ")}; nothing was changed (restore/README.md lists the Role)`];
}
