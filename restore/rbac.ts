/**
 * The Kubernetes permissions the restore itself needs in the GitGuardian namespace (the identity
 * of the kubeconfig that runs `pulumi up`), as Role rules. The tests run the whole sequence with
 * exactly these and nothing else. `kots install` needs more (it creates the admin console and
 * its cluster RBAC): run it with an administrator's kubeconfig, or install KOTS beforehand and
 * omit kots.install.
 */
import type { PolicyRule } from "../core/pod";
import { KOTSADM_ENCRYPTION } from "../sources/kots/env";
import { RESTORE_NAMES } from "./jobs";

export type { PolicyRule };

export interface RestoreRbacNames {
    /** The S3 credentials Secret the provider reads to list the sets (storage.credentialsSecret.name). */
    credentialsSecret?: string;
    /** The KOTS Secrets restored (kots.secrets). Default kotsadm-encryption, gim-secrets. */
    kotsSecrets?: string[];
}

/** A rule, and the parts whose steps use it (none: every restore does). */
interface NeededRule {
    rule: PolicyRule;
    for?: readonly string[];
}

function neededRules(names: RestoreRbacNames): NeededRule[] {
    const kotsSecrets = names.kotsSecrets ?? [KOTSADM_ENCRYPTION, "gim-secrets"];
    const readable = [...(names.credentialsSecret ? [names.credentialsSecret] : [])];
    const jobs = ["postgres", "redis"];
    return [
        // The restore Jobs: created, watched, and deleted to re-run one that failed.
        { rule: { apiGroups: ["batch"], resources: ["jobs"], verbs: ["get", "create", "delete"] }, for: jobs },
        // Their pods (and the StatefulSet's): why one failed, whether they are gone or ready.
        { rule: { apiGroups: [""], resources: ["pods"], verbs: ["list"] }, for: jobs },
        // The Redis StatefulSet: read, scaled to 0 and back.
        { rule: { apiGroups: ["apps"], resources: ["statefulsets"], verbs: ["get"] }, for: ["redis"] },
        { rule: { apiGroups: ["apps"], resources: ["statefulsets/scale"], verbs: ["patch"] }, for: ["redis"] },
        // The backup CronJobs, suspended while the restore runs (a backup then could commit a
        // half-restored database as the newest set) and resumed after.
        { rule: { apiGroups: ["batch"], resources: ["cronjobs"], verbs: ["list", "patch"] } },
        // Its data PVC must exist.
        { rule: { apiGroups: [""], resources: ["persistentvolumeclaims"], verbs: ["get"] }, for: ["redis"] },
        // The scripts and progress ConfigMaps (server-side apply creates them: create cannot be limited by name).
        { rule: { apiGroups: [""], resources: ["configmaps"], verbs: ["create"] } },
        { rule: { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "patch"], resourceNames: [RESTORE_NAMES.scripts, RESTORE_NAMES.progress] } },
        // The KOTS encryption keys (applied; the live ones kept aside are created), and the S3 credentials (read).
        { rule: { apiGroups: [""], resources: ["secrets"], verbs: ["create"] }, for: ["kots"] },
        { rule: { apiGroups: [""], resources: ["secrets"], verbs: ["get", "patch"], resourceNames: kotsSecrets }, for: ["kots"] },
        ...(readable.length ? [{ rule: { apiGroups: [""], resources: ["secrets"], verbs: ["get"], resourceNames: readable } }] : []),
    ];
}

/** The Role rules of a restore with these Secret names. */
export function restoreRoleRules(names: RestoreRbacNames = {}): PolicyRule[] {
    return neededRules(names).map((n) => n.rule);
}

/** The rules the steps of a restore of these parts use (the plan step checks them before any change). */
export function rulesFor(names: RestoreRbacNames, parts: readonly string[]): PolicyRule[] {
    return neededRules(names)
        .filter((n) => !n.for || n.for.some((p) => parts.includes(p)))
        .map((n) => n.rule);
}

/**
 * The documented permissions, for the default KOTS Secrets and an S3 credentials Secret named
 * `gitguardian-backup-s3` (use restoreRoleRules for other names).
 */
export const RESTORE_ROLE_RULES: readonly PolicyRule[] = restoreRoleRules({ credentialsSecret: "gitguardian-backup-s3" });
