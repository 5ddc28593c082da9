/**
 * The KOTS part of the restore: the encryption-key Secrets of the set (cleaned for a new
 * cluster), the `kots install` and `kots upload` command lines, the database-host rewrite of the
 * saved ConfigValues, and running kots (execa, timeouts, stderr kept for the error). kots runs
 * on the machine running `pulumi up`, with the kubeconfig of the restore.
 *
 * Never `-o json`: it makes kots exit 0 on failure.
 */
import type { V1Secret } from "@kubernetes/client-node";
import * as fs from "node:fs";
import * as path from "node:path";
import { KOTSADM_ENCRYPTION } from "./env";
import { DATABASE_HOST_ITEMS, type KotsRestoreSpec } from "./restore";
import type { TarEntry } from "../../restore/tar";

/** The environment variable kots reads the admin console password from (viper: prefix KOTS, `-` to `_`). */
export const KOTS_SHARED_PASSWORD_ENV = "KOTS_SHARED_PASSWORD";

/** Metadata a Secret exported from another cluster must lose before it is applied. */
const CLUSTER_FIELDS = ["resourceVersion", "uid", "creationTimestamp", "managedFields", "selfLink", "generation", "ownerReferences", "deletionTimestamp", "deletionGracePeriodSeconds"] as const;
const DROPPED_ANNOTATIONS = ["kubectl.kubernetes.io/last-applied-configuration"];

/** `kots install` argv (the password goes through KOTS_SHARED_PASSWORD, not argv). */
export function kotsInstallArgv(kots: KotsRestoreSpec, namespace: string, licenseFile: string): string[] {
    return [
        "install",
        kots.appSlug,
        "--namespace",
        namespace,
        "--license-file",
        licenseFile,
        "--no-port-forward",
        "--wait-duration",
        kots.install!.waitDuration,
        ...(kots.skipPreflights ? ["--skip-preflights"] : []),
    ];
}

/** `kots upload` argv. */
export function kotsUploadArgv(kots: KotsRestoreSpec, namespace: string, appDir: string): string[] {
    return ["upload", appDir, "--namespace", namespace, "--slug", kots.appSlug, ...(kots.deploy ? ["--deploy"] : []), ...(kots.skipPreflights ? ["--skip-preflights"] : [])];
}

/**
 * The Secrets of a kots-secrets artifact (one `<name>.yaml` per Secret, as `kubectl get -o yaml`
 * writes them), in the order of `names`, ready to apply in `namespace`: cluster-specific
 * metadata stripped. A name without its file is an error (the restore needs every key).
 */
export function secretsFromArtifact(entries: readonly TarEntry[], names: readonly string[], namespace: string, loadYaml: (text: string) => unknown): V1Secret[] {
    const byName = new Map<string, V1Secret>();
    for (const e of entries) {
        if (e.type !== "file" || !e.path.endsWith(".yaml")) continue;
        let obj: V1Secret;
        try {
            obj = loadYaml(e.data.toString("utf8")) as V1Secret;
        } catch (err) {
            throw new Error(`kots-secrets: ${e.path} is not YAML: ${(err as Error).message.split("\n")[0]}`);
        }
        if (!obj || obj.kind !== "Secret" || !obj.metadata?.name) throw new Error(`kots-secrets: ${e.path} is not a Secret`);
        byName.set(obj.metadata.name, obj);
    }
    const missing = names.filter((n) => !byName.has(n));
    if (missing.length) {
        throw new Error(`kots-secrets: the set has no Secret ${missing.join(", ")} (it has ${[...byName.keys()].join(", ") || "none"}); set kots.secrets to the Secrets the backup exported`);
    }
    return names.map((n) => cleanSecret(byName.get(n)!, namespace));
}

/** A Secret exported from another cluster, made applicable here. */
export function cleanSecret(secret: V1Secret, namespace: string): V1Secret {
    const metadata: Record<string, unknown> = { ...(secret.metadata ?? {}) };
    for (const f of CLUSTER_FIELDS) delete metadata[f];
    metadata.namespace = namespace;
    const annotations = { ...((metadata.annotations as Record<string, string> | undefined) ?? {}) };
    for (const a of DROPPED_ANNOTATIONS) delete annotations[a];
    if (Object.keys(annotations).length) metadata.annotations = annotations;
    else delete metadata.annotations;
    const out: V1Secret = { apiVersion: "v1", kind: "Secret", metadata: metadata as V1Secret["metadata"] };
    if (secret.type) out.type = secret.type;
    if (secret.data) out.data = { ...secret.data };
    if (secret.stringData) out.stringData = { ...secret.stringData };
    if (secret.immutable !== undefined) out.immutable = secret.immutable;
    return out;
}

/** kotsadm-encryption first (it must exist before `kots install`), then the others in order. */
export function secretOrder(names: readonly string[]): string[] {
    return [...names.filter((n) => n === KOTSADM_ENCRYPTION), ...names.filter((n) => n !== KOTSADM_ENCRYPTION)];
}

/** The app folder inside an extracted kots-app artifact: `<slug>/` (kots download's layout) or the root. */
export function findAppDir(root: string, appSlug: string): string {
    const candidates = [path.join(root, appSlug), root];
    for (const dir of candidates) {
        if (fs.existsSync(path.join(dir, "upstream", "userdata", "config.yaml"))) return dir;
    }
    const found = fs.existsSync(root) ? fs.readdirSync(root).join(", ") : "nothing";
    throw new Error(`kots-app: no ${appSlug}/upstream/userdata/config.yaml in the set (it has ${found}); is kots.appSlug the slug of the backup?`);
}

/**
 * Rewrites the database host items of a ConfigValues document. Returns the new text and the
 * items changed; none present is an error naming what the file has.
 */
export function rewriteDatabaseHosts(
    text: string,
    host: string,
    items: readonly string[] | undefined,
    yaml: { load: (t: string) => unknown; dump: (o: unknown) => string },
): { text: string; changed: string[] } {
    const doc = yaml.load(text) as { kind?: string; spec?: { values?: Record<string, { value?: string; valuePlaintext?: string }> } };
    if (!doc || doc.kind !== "ConfigValues" || !doc.spec?.values) throw new Error("kots-app: upstream/userdata/config.yaml is not a ConfigValues document");
    const wanted = items ?? DATABASE_HOST_ITEMS;
    const values = doc.spec.values;
    const changed = wanted.filter((item) => values[item] !== undefined);
    if (changed.length === 0) {
        throw new Error(
            `kots.databaseHostOverride: the saved ConfigValues has none of the items ${wanted.join(", ")} (it has ${Object.keys(values).join(", ")}); set kots.databaseHostItems to the items holding the database host`,
        );
    }
    for (const item of changed) {
        const v = values[item];
        delete v.valuePlaintext;
        v.value = host;
    }
    return { text: yaml.dump(doc), changed };
}

export interface KotsRun {
    argv: string[];
    exitCode: number;
    stdout: string;
    stderr: string;
    durationMs: number;
}

/** Runs kots with a timeout; throws with its stderr (redacted by the caller) on failure. */
export async function runKots(command: string, argv: string[], opts: { env: Record<string, string>; timeoutMs: number; cwd: string }): Promise<KotsRun> {
    const { execa } = await import("execa");
    const started = Date.now();
    const r = await execa(command, argv, {
        env: opts.env,
        extendEnv: true,
        cwd: opts.cwd,
        reject: false,
        stdin: "ignore",
        timeout: opts.timeoutMs,
        forceKillAfterDelay: 10_000,
        maxBuffer: 16 * 1024 * 1024,
    });
    const run: KotsRun = { argv, exitCode: r.exitCode ?? -1, stdout: String(r.stdout ?? ""), stderr: String(r.stderr ?? ""), durationMs: Date.now() - started };
    if (r.timedOut) throw new Error(`kots ${argv[0]} did not finish within ${Math.round(opts.timeoutMs / 1000)} s (kots.timeoutSeconds); its output: ${tail(run.stderr || run.stdout)}`);
    if ((r as { code?: string }).code === "ENOENT" || (r.failed && r.exitCode === undefined)) {
        throw new Error(`kots ${argv[0]}: cannot run ${JSON.stringify(command)} (${r.shortMessage ?? "not found"}); install the kots CLI (kubectl-kots) or set kots.kotsCommand`);
    }
    if (run.exitCode !== 0) throw new Error(`kots ${argv[0]} failed (exit ${run.exitCode}): ${tail(run.stderr || run.stdout)}`);
    return run;
}

/** The last lines of a tool's output, on one line. */
export function tail(text: string, lines = 6): string {
    return text.trim().split("\n").filter((l) => l.trim() !== "").slice(-lines).join(" | ") || "(no output)";
}
