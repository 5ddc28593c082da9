/** The kots backup: its validated section, the env of its dump container, and the rights it needs. */
import type { BackupEnvContext, BackupResolveContext, PartBackupSpec } from "../part";
import { envValue, PolicyRule } from "../../core/pod";
import { KOTS_ENV, KOTS_KEY_SECRETS, KOTSADM_ENCRYPTION } from "./env";

export const KOTS_DEFAULTS = { appSlug: "gitguardian", secrets: KOTS_KEY_SECRETS, drillKeys: [`${KOTSADM_ENCRYPTION}/encryptionKey`] } as const;

/** `kots download --current`, which the backup runs, came with KOTS v1.121.0 (November 2024). */
export const MIN_KOTS_VERSION = [1, 121, 0] as const;

/**
 * The KOTS version of a kotsadm image reference, from its tag (`kotsadm/kotsadm:v1.124.0`,
 * `…:1.124.0@sha256:…`); undefined when the tag says none (a digest alone, `latest`): such an
 * image cannot be checked at preview.
 */
export function kotsImageVersion(image: string): [number, number, number] | undefined {
    const m = /:v?([0-9]+)\.([0-9]+)\.([0-9]+)(?:[-+][A-Za-z0-9.-]*)?(?:@sha256:[0-9a-f]+)?$/.exec(image);
    return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function olderThan(v: readonly number[], min: readonly number[]): boolean {
    for (let i = 0; i < 3; i++) if (v[i] !== min[i]) return v[i] < min[i];
    return false;
}

export interface KotsSpec extends PartBackupSpec {
    component: "kots";
    appSlug: string;
    secrets: string[];
    /** SECRET/KEY pairs a restore drill requires. */
    drillKeys: string[];
}

export function resolveKotsBackup(k: Record<string, unknown>, { f, schedule }: BackupResolveContext): KotsSpec {
    const secrets = k.secrets ?? [...KOTS_DEFAULTS.secrets];
    if (!Array.isArray(secrets)) f.bad("kots.secrets", secrets, "allowed: a list of Secret names");
    const names = (secrets as unknown[]).map((s, i) => f.k8sName(`kots.secrets[${i}]`, s));
    // The default asks only for the keys of Secrets this backup exports (a program that exports
    // others has nothing to fix); keys given explicitly must name one of them.
    const drillKeys = k.drillKeys ?? KOTS_DEFAULTS.drillKeys.filter((pair) => names.includes(pair.split("/")[0]));
    if (!Array.isArray(drillKeys)) f.bad("kots.drillKeys", drillKeys, "allowed: a list of SECRET/KEY");
    const pairs = (drillKeys as unknown[]).map((pair, i) => {
        const m = typeof pair === "string" ? /^([^/]+)\/([-._A-Za-z0-9]+)$/.exec(pair) : null;
        if (!m || !names.includes(m[1])) f.bad(`kots.drillKeys[${i}]`, pair, `allowed: SECRET/KEY, SECRET one of kots.secrets (${names.join(", ")}) and KEY a Secret key (letters, digits, '-', '_', '.')`);
        return pair as string;
    });
    return {
        component: "kots",
        schedule: schedule("kots.schedule", k.schedule),
        image: kotsImage(f, k.image),
        appSlug: f.appSlug("kots.appSlug", k.appSlug ?? KOTS_DEFAULTS.appSlug),
        secrets: names,
        drillKeys: pairs,
    };
}

/** The kotsadm image, refused at preview when its tag names a KOTS too old for `kots download --current`. */
function kotsImage(f: BackupResolveContext["f"], value: unknown): string {
    const image = f.image("kots.image", value);
    const version = kotsImageVersion(image);
    if (version && olderThan(version, MIN_KOTS_VERSION)) {
        f.bad("kots.image", image, `KOTS ${version.join(".")} has no \`kots download --current\`, which the backup runs (it came with v${MIN_KOTS_VERSION.join(".")}, November 2024), so every nightly run would fail with an unknown flag; allowed: the kotsadm image of KOTS ${MIN_KOTS_VERSION.join(".")} or later, e.g. kotsadm/kotsadm:v1.124.0`);
    }
    return image;
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

/** Env of its drill step: the keys the exported Secrets must hold. */
export function kotsDrillEnv(c: KotsSpec) {
    return [envValue(KOTS_ENV.drillKeys.name, c.drillKeys.join(","))];
}
