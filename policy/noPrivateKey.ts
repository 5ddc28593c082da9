/**
 * gitguardian-backup-no-private-key: a program that backs GitGuardian up holds no age private key
 * (AGE-SECRET-KEY-1…) in any resource's inputs: not as a recipient, not in a ConfigMap, a
 * CronJob's env or a component's arguments. The backup side needs only public keys; the key
 * that decrypts every set belongs to whoever restores, in a program (or a Secret made by hand)
 * of their own. A Kubernetes Secret's data is the one place it may be (a drill's identity).
 * Mandatory by default. Stack config the program reads is not visible to a policy: what it
 * reaches a resource with is.
 */
import type { StackValidationPolicy } from "@pulumi/policy";
import { AGE_SECRET_KEY } from "../encryption/validate";
import { backupCronJobs, Findings, k8sKind, notApplicable, PackResource, stackValidation, Verdict } from "./model";

export const NO_PRIVATE_KEY = "gitguardian-backup-no-private-key";

/** The inputs a resource may hold a private key in: all but a Kubernetes Secret's data. */
function searched(r: PackResource): unknown {
    if (k8sKind(r.type) !== "Secret") return r.props;
    const { data: _data, stringData: _stringData, ...rest } = r.props ?? {};
    return rest;
}

export function checkNoPrivateKey(resources: PackResource[]): Verdict {
    if (backupCronJobs(resources).length === 0) return notApplicable("the stack declares no backup");
    const f = new Findings();
    for (const r of resources) {
        let text: string;
        try {
            text = JSON.stringify(searched(r)) ?? "";
        } catch {
            continue;
        }
        if (AGE_SECRET_KEY.test(text)) {
            f.report(`${r.type} ${r.name} holds an age private key (AGE-SECRET-KEY-1…) in its inputs, in a program that backs GitGuardian up: the backup side needs only the recipient (age-keygen -y prints it). Keep the key with whoever restores: a restore program of its own, or a Secret made outside this stack.`, r.urn);
        }
    }
    return f.verdict();
}

export const noPrivateKeyPolicy: StackValidationPolicy = {
    name: NO_PRIVATE_KEY,
    description: "A program that backs GitGuardian up holds no age private key outside a Kubernetes Secret's data.",
    enforcementLevel: "mandatory",
    severity: "critical",
    configSchema: { properties: {} },
    validateStack: stackValidation(checkNoPrivateKey),
};
