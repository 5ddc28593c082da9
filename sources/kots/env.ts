/** The variables the kots dump script reads. */
import { v } from "../../core/contract";

export const KOTS_ENV = {
    namespace: v("GGB_KOTS_NAMESPACE", "namespace of the KOTS admin console and app (value rule namespace)"),
    appSlug: v("GGB_KOTS_APP_SLUG", "KOTS app slug, gitguardian (older installs gitguardian-seal) (value rule appSlug)"),
    secrets: v("GGB_KOTS_SECRETS", "comma-separated names of the encryption-key Secrets to export (value rule k8sName each)"),
    kotsBin: v("GGB_KOTS", "kots command (the kotsadm image carries /kots)", { optional: true }),
    kubectlBin: v("GGB_KUBECTL", "kubectl command", { optional: true }),
    drillKeys: v("GGB_DRILL_KOTS_KEYS", "the keys a restore drill requires in the exported Secrets, SECRET/KEY comma-separated", { optional: true }),
} as const;

/** The KOTS Secret that must exist before any `kots install` (the ConfigValues cipher key). */
export const KOTSADM_ENCRYPTION = "kotsadm-encryption";
/** The Secrets a restore needs beside the configuration: the Django key and the KOTS config key. */
export const KOTS_KEY_SECRETS = ["gim-secrets", KOTSADM_ENCRYPTION] as const;
