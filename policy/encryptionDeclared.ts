/**
 * gitguardian-backup-encryption: every backup CronJob encrypts its artifacts on the client side
 * (GitGuardianBackupPolicy's `encryption`: its upload step has age recipients): the sets hold
 * every secret GitGuardian ever detected, and the bucket's own encryption protects nothing from
 * whoever can read the bucket. Advisory by default; make it mandatory in the pack's config.
 */
import type { StackValidationPolicy } from "@pulumi/policy";
import { ENCRYPTION_ENV } from "../core/contract";
import { at, backupCronJobs, containersOf, describe, Findings, isUnknown, notApplicable, PackResource, stackValidation, Verdict } from "./model";

export const ENCRYPTION_DECLARED = "gitguardian-backup-encryption";

/** The recipients a container's env gives the upload step: a value, or a secretKeyRef. */
function encrypts(container: unknown): boolean | "unknown" {
    const env = at(container, "env");
    if (isUnknown(env)) return "unknown";
    if (!Array.isArray(env)) return false;
    const e = env.find((x) => at(x, "name") === ENCRYPTION_ENV.recipients.name);
    if (!e) return false;
    const value = at(e, "value");
    if (isUnknown(value)) return "unknown";
    return (typeof value === "string" && value.trim() !== "") || at(e, "valueFrom", "secretKeyRef") !== undefined;
}

export function checkEncryptionDeclared(resources: PackResource[]): Verdict {
    const backups = backupCronJobs(resources);
    if (backups.length === 0) return notApplicable("the stack declares no backup");
    const f = new Findings();
    for (const b of backups) {
        const verdicts = containersOf(b).map((c) => encrypts(c.container));
        if (verdicts.includes(true)) continue;
        if (verdicts.includes("unknown")) continue; // known at the update, checked then
        f.report(
            `${describe(b)} writes its sets in clear: anyone who can read the bucket reads every secret GitGuardian detected and the keys that decrypt the rest. Declare \`encryption: { recipients: ["age1…"], toolImage: "<an image with cp and a static age>" }\` in GitGuardianBackupPolicy args (the private key stays off the cluster).`,
            b.resource.urn,
        );
    }
    return f.verdict();
}

export const encryptionDeclaredPolicy: StackValidationPolicy = {
    name: ENCRYPTION_DECLARED,
    description: "Every backup CronJob encrypts its artifacts to public keys before they leave the pod.",
    enforcementLevel: "advisory",
    severity: "high",
    configSchema: { properties: {} },
    validateStack: stackValidation(checkEncryptionDeclared),
};
