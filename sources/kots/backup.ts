/** The kots backup: its validated section, the env of its dump container, and the rights it needs. */
import type { BackupEnvContext, BackupResolveContext, PartBackupSpec } from "../part";
import { envValue, PolicyRule } from "../../core/pod";
import { KOTS_ENV, KOTS_KEY_SECRETS } from "./env";

export const KOTS_DEFAULTS = { appSlug: "gitguardian", secrets: KOTS_KEY_SECRETS } as const;

export interface KotsSpec extends PartBackupSpec {
    component: "kots";
    appSlug: string;
    secrets: string[];
}

export function resolveKotsBackup(k: Record<string, unknown>, { f, schedule }: BackupResolveContext): KotsSpec {
    const secrets = k.secrets ?? [...KOTS_DEFAULTS.secrets];
    if (!Array.isArray(secrets)) f.bad("kots.secrets", secrets, "allowed: a list of Secret names");
    return {
        component: "kots",
        schedule: schedule("kots.schedule", k.schedule),
        image: f.image("kots.image", k.image),
        appSlug: f.appSlug("kots.appSlug", k.appSlug ?? KOTS_DEFAULTS.appSlug),
        secrets: (secrets as unknown[]).map((s, i) => f.k8sName(`kots.secrets[${i}]`, s)),
    };
}

export function kotsDumpEnv(c: KotsSpec, ctx: BackupEnvContext) {
    return [
        envValue(KOTS_ENV.namespace.name, ctx.namespace),
        envValue(KOTS_ENV.appSlug.name, c.appSlug),
        envValue(KOTS_ENV.secrets.name, c.secrets.join(",")),
        envValue(KOTS_ENV.kotsBin.name, "/kots"),
    ];
}

/**
 * The Role of the kots job: only what `kots download` and the Secret export need (find the
 * kotsadm pod, port-forward to it, read its auth string and the key Secrets).
 */
export function kotsRoleRules(c: KotsSpec): PolicyRule[] {
    return [
        { apiGroups: [""], resources: ["pods"], verbs: ["get", "list"] },
        { apiGroups: [""], resources: ["pods/portforward"], verbs: ["create"] },
        { apiGroups: [""], resources: ["secrets"], verbs: ["get"], resourceNames: ["kotsadm-authstring", ...c.secrets] },
    ];
}
