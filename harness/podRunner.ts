/**
 * THE pod runner of the tests: runs a pod spec as Kubernetes stored it (a backup CronJob's pod,
 * a restore Job's pod), without a container runtime. Each init container in order, then the
 * containers side by side (as the kubelet does), each under bubblewrap with its volumes at their
 * mountPaths (a configMap volume materialised from its source, an emptyDir a temp folder, a PVC
 * the folder a test gives for it), its env resolved the way the kubelet does (values, and
 * secretKeyRefs) and nothing else. The images are not pulled: IMAGE_STAND_INS says what stands
 * in for each (its shell and userland), so what is proven is that the stored manifests and the
 * scripts agree — the commands, paths, mounts and env — on real servers.
 */
import * as k8s from "@kubernetes/client-node";
import { execa } from "execa";
import * as fs from "node:fs";
import * as path from "node:path";
import { GNU_PATH, imagePath, Shell } from "./jobRunner";
import { makeTempDir, removeTempDir } from "./proc";

/** Where a pod's Secrets, ConfigMaps and PVCs come from: the API server, or a test's own maps. */
export interface PodSources {
    secretValue(namespace: string, name: string, key: string): Promise<string | undefined>;
    configMapData(namespace: string, name: string): Promise<{ [file: string]: string } | undefined>;
    /** The host folder standing for a PersistentVolumeClaim; none: the claim does not exist. */
    claimDir?(namespace: string, claim: string): string | undefined;
    /** A token of a ServiceAccount, as the kubelet asks for a projected one (TokenRequest). */
    serviceAccountToken?(namespace: string, serviceAccount: string, audience: string | undefined, expirationSeconds: number): Promise<string>;
}

/** The API server's Secrets and ConfigMaps. */
export function apiServerSources(core: k8s.CoreV1Api): PodSources {
    return {
        async secretValue(namespace, name, key) {
            const secret = await core.readNamespacedSecret({ name, namespace });
            const data = secret.data?.[key];
            return data === undefined ? undefined : Buffer.from(data, "base64").toString("utf8");
        },
        async configMapData(namespace, name) {
            return (await core.readNamespacedConfigMap({ name, namespace })).data ?? {};
        },
        async serviceAccountToken(namespace, name, audience, expirationSeconds) {
            const review = await core.createNamespacedServiceAccountToken({ name, namespace, body: { spec: { audiences: audience ? [audience] : [], expirationSeconds } } });
            if (!review.status?.token) throw new Error("the TokenRequest came back without a token");
            return review.status.token;
        },
    };
}

/**
 * What stands in here for each image: the shell its `sh` is and the userland around it. Written
 * down as data, first match wins: the aws-cli image is amazonlinux (sh is bash, GNU tools), the
 * alpine and busybox images have busybox ash and applets, the others (kotsadm) are Debian-based.
 */
export const IMAGE_STAND_INS: readonly { image: RegExp; shell: Shell }[] = [
    { image: /^(docker\.io\/)?amazon\/aws-cli[:@]/, shell: "bash" },
    { image: /-alpine([:@]|$)|^(docker\.io\/)?busybox[:@]/, shell: "busybox" },
    { image: /./, shell: "dash" },
];

export function standInShell(image: string | undefined): Shell {
    return IMAGE_STAND_INS.find((s) => s.image.test(image ?? ""))!.shell;
}

export interface ContainerRun {
    name: string;
    image: string;
    /** The shell standing in for the image's `sh`. */
    shell: Shell;
    /** The script of `sh /scripts/<script>`, when that is the command. */
    script?: string;
    exitCode: number;
    stdout: string;
    stderr: string;
    /** The env as the container got it. */
    env: Record<string, string>;
}

export interface PodRunOptions {
    namespace: string;
    /** Where Secrets, ConfigMaps and PVCs come from; default the API server of `core`. */
    sources?: PodSources;
    core?: k8s.CoreV1Api;
    /** Extra binds, e.g. a test double at /kots (read-only) and the folder where it records its calls (writable). */
    binds?: { source: string; target: string; writable?: boolean }[];
    /** Folders put first on every container's PATH (test doubles of kubectl, ...). */
    pathPrefix?: string[];
    /**
     * The API server the kubelet would point the pod at: KUBERNETES_SERVICE_HOST/PORT in every
     * container (what kubectl's and kots's in-cluster config read, with the projected token).
     */
    apiServer?: { host: string; port: number };
    timeoutMs?: number;
    /**
     * Run each container as its securityContext.runAsUser and runAsGroup, with the pod's fsGroup
     * as a supplementary group (setpriv inside the sandbox, as root drops to that user), and the
     * pod's emptyDirs owned by the fsGroup with the setgid bit, as the kubelet makes them: the
     * permissions between the containers are then a node's. The image's account is added to
     * /etc/passwd (initdb looks it up). Off by default: containers run as this process's user.
     */
    runAsUsers?: boolean;
    /** Told of each container as it starts. */
    onStart?: (container: k8s.V1Container, shell: Shell) => void;
}

/** A container that cannot start, as the kubelet would report it (CreateContainerConfigError, FailedMount). */
export class PodStartError extends Error {
    constructor(
        readonly reason: string,
        message: string,
    ) {
        super(message);
        this.name = "PodStartError";
    }
}

function sourcesOf(opts: PodRunOptions): PodSources {
    if (opts.sources) return opts.sources;
    if (!opts.core) throw new Error("runPod: give sources or core");
    return apiServerSources(opts.core);
}

async function resolveEnv(container: k8s.V1Container, namespace: string, sources: PodSources): Promise<Record<string, string>> {
    const env: Record<string, string> = {};
    for (const e of container.env ?? []) {
        if (e.value !== undefined) {
            env[e.name] = e.value;
        } else if (e.valueFrom?.secretKeyRef) {
            const ref = e.valueFrom.secretKeyRef;
            const value = await sources.secretValue(namespace, ref.name!, ref.key).catch(() => undefined);
            if (value === undefined) throw new PodStartError("CreateContainerConfigError", `container ${container.name} cannot start: secret "${ref.name}" key "${ref.key}" not found`);
            env[e.name] = value;
        } else {
            throw new Error(`container ${container.name}: env ${e.name} has a source this runner does not resolve`);
        }
    }
    return env;
}

/** Materialises the pod's volumes; returns their host folders by volume name. */
async function materialise(spec: k8s.V1PodSpec, namespace: string, sources: PodSources, root: string, fsGroup?: number): Promise<Map<string, string>> {
    const dirs = new Map<string, string>();
    for (const v of spec.volumes ?? []) {
        if (v.persistentVolumeClaim) {
            const dir = sources.claimDir?.(namespace, v.persistentVolumeClaim.claimName);
            if (!dir) throw new PodStartError("FailedMount", `persistentvolumeclaim "${v.persistentVolumeClaim.claimName}" not found`);
            dirs.set(v.name, dir);
            continue;
        }
        const dir = path.join(root, "volumes", v.name);
        fs.mkdirSync(dir, { recursive: true });
        // As the kubelet makes an emptyDir: 0777, and with an fsGroup, owned by it, setgid.
        fs.chmodSync(dir, 0o777);
        if (fsGroup !== undefined && (v.emptyDir || v.ephemeral)) {
            fs.chownSync(dir, 0, fsGroup);
            fs.chmodSync(dir, 0o2777);
        }
        if (v.configMap) {
            await writeConfigMap("", v.configMap, v.configMap.defaultMode ?? 0o644, namespace, sources, dir);
        } else if (v.secret) {
            // As the kubelet writes a secret volume: each item a file of defaultMode, owned by the fsGroup.
            for (const item of v.secret.items ?? []) {
                const value = await sources.secretValue(namespace, v.secret.secretName!, item.key).catch(() => undefined);
                if (value === undefined) throw new PodStartError("FailedMount", `secret "${v.secret.secretName}" key "${item.key}" not found`);
                const file = path.join(dir, item.path);
                fs.writeFileSync(file, value, { mode: item.mode ?? v.secret.defaultMode ?? 0o644 });
                if (fsGroup !== undefined) fs.chownSync(file, 0, fsGroup);
            }
        } else if (v.projected) {
            await project(v.name, v.projected, spec.serviceAccountName ?? "default", namespace, sources, dir);
        } else if (!v.emptyDir && !v.ephemeral) {
            throw new Error(`volume ${v.name}: only configMap, secret (with items), projected, emptyDir, ephemeral and persistentVolumeClaim volumes are run here`);
        }
        dirs.set(v.name, dir);
    }
    return dirs;
}

/**
 * A ConfigMap's keys (those of `items`, else all) as files in `dir`, as the kubelet writes a
 * configMap volume or projection; `where` starts the reason when it cannot.
 */
async function writeConfigMap(where: string, ref: { name?: string; items?: k8s.V1KeyToPath[] }, mode: number, namespace: string, sources: PodSources, dir: string): Promise<void> {
    const data = await sources.configMapData(namespace, ref.name!);
    if (!data) throw new PodStartError("FailedMount", `${where}configmap "${ref.name}" not found`);
    for (const item of ref.items ?? Object.keys(data).map((key): k8s.V1KeyToPath => ({ key, path: key }))) {
        if (data[item.key] === undefined) throw new PodStartError("FailedMount", `${where}configmap "${ref.name}" has no key ${item.key}`);
        fs.writeFileSync(path.join(dir, item.path), data[item.key], { mode: item.mode ?? mode });
    }
}

/**
 * A projected volume as the kubelet fills it: a ServiceAccount token asked of the API server for
 * the pod's ServiceAccount, ConfigMap keys, and the downward API's namespace.
 */
async function project(volume: string, projected: k8s.V1ProjectedVolumeSource, serviceAccount: string, namespace: string, sources: PodSources, dir: string): Promise<void> {
    const mode = projected.defaultMode ?? 0o644;
    for (const s of projected.sources ?? []) {
        if (s.serviceAccountToken) {
            if (!sources.serviceAccountToken) throw new Error(`volume ${volume}: a projected token needs sources that issue tokens (the API server's)`);
            const token = await sources.serviceAccountToken(namespace, serviceAccount, s.serviceAccountToken.audience, s.serviceAccountToken.expirationSeconds ?? 3600).catch((e: unknown) => {
                throw new PodStartError("FailedMount", `volume ${volume}: cannot get a token of serviceaccount "${serviceAccount}": ${(e as Error).message}`);
            });
            fs.writeFileSync(path.join(dir, s.serviceAccountToken.path), token, { mode });
        } else if (s.configMap) {
            await writeConfigMap(`volume ${volume}: `, s.configMap, mode, namespace, sources, dir);
        } else if (s.downwardAPI) {
            for (const item of s.downwardAPI.items ?? []) {
                if (item.fieldRef?.fieldPath !== "metadata.namespace") throw new Error(`volume ${volume}: only the downward API's metadata.namespace is run here`);
                fs.writeFileSync(path.join(dir, item.path), namespace, { mode });
            }
        } else {
            throw new Error(`volume ${volume}: only serviceAccountToken, configMap and downwardAPI projections are run here`);
        }
    }
}

const passwdFiles = new Map<string, string>();
/** The host's /etc/passwd with an account for uid (the image's own user, as the postgres image has `postgres`), when it has none. */
function imagePasswd(uid: number, gid: number): string {
    const key = `${uid}:${gid}`;
    let file = passwdFiles.get(key);
    if (!file) {
        const host = fs.readFileSync("/etc/passwd", "utf8");
        const has = host.split("\n").some((l) => l.split(":")[2] === String(uid));
        const dir = makeTempDir("passwd");
        fs.chmodSync(dir, 0o755);
        file = path.join(dir, "passwd");
        fs.writeFileSync(file, has ? host : `${host.replace(/\n?$/, "\n")}image-user-${uid}:x:${uid}:${gid}::/tmp:/bin/sh\n`);
        passwdFiles.set(key, file);
    }
    return file;
}

let bashSh: string | undefined;
/** A folder whose `sh` is bash (the aws-cli image's /bin/sh). */
function bashShDir(): string {
    if (!bashSh) {
        bashSh = makeTempDir("sh-is-bash");
        fs.chmodSync(bashSh, 0o755);
        fs.symlinkSync("/usr/bin/bash", path.join(bashSh, "sh"));
    }
    return bashSh;
}

/** PATH of a stand-in image. */
function standInPath(shell: Shell): string {
    if (shell === "busybox") return imagePath("busybox");
    if (shell === "bash") return `${bashShDir()}:${GNU_PATH}`;
    return GNU_PATH;
}

/**
 * Runs the init containers in order (stopping at the first failure, like the kubelet), then the
 * containers at once; results in spec order. A container that cannot start throws PodStartError.
 */
export async function runPod(spec: k8s.V1PodSpec, opts: PodRunOptions): Promise<ContainerRun[]> {
    const sources = sourcesOf(opts);
    const root = makeTempDir("pod");
    try {
        const fsGroup = opts.runAsUsers ? spec.securityContext?.fsGroup : undefined;
        // The pod's folder must be reachable by the users its containers run as.
        if (opts.runAsUsers) fs.chmodSync(root, 0o755);
        const volumes = await materialise(spec, opts.namespace, sources, root, fsGroup);
        const runs: ContainerRun[] = [];
        for (const c of spec.initContainers ?? []) {
            const run = await runContainer(c, volumes, sources, opts, fsGroup);
            runs.push(run);
            if (run.exitCode !== 0) return runs;
        }
        runs.push(...(await Promise.all(spec.containers.map((c) => runContainer(c, volumes, sources, opts, fsGroup)))));
        return runs;
    } finally {
        removeTempDir(root);
    }
}

async function runContainer(c: k8s.V1Container, volumes: Map<string, string>, sources: PodSources, opts: PodRunOptions, fsGroup?: number): Promise<ContainerRun> {
    const shell = standInShell(c.image);
    const env = await resolveEnv(c, opts.namespace, sources);
    const PATH = [...(opts.pathPrefix ?? []), standInPath(shell)].join(":");
    const args = ["--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/sbin", "/sbin"];
    args.push("--ro-bind", "/etc", "/etc", "--dev", "/dev", "--proc", "/proc", "--die-with-parent", "--clearenv");
    const uid = opts.runAsUsers ? c.securityContext?.runAsUser : undefined;
    const gid = c.securityContext?.runAsGroup ?? uid;
    if (uid !== undefined) args.push("--ro-bind", imagePasswd(uid, gid!), "/etc/passwd");
    for (const m of c.volumeMounts ?? []) {
        const dir = volumes.get(m.name);
        if (!dir) throw new Error(`container ${c.name}: no volume ${m.name}`);
        args.push(m.readOnly ? "--ro-bind" : "--bind", dir, m.mountPath);
    }
    // The folders bwrap makes on the way to a bind are 0700 (inside a volume mounted at /tmp, say):
    // made here first as 0755, so a container's non-root user reaches what is bound there.
    const reachable = (target: string) => {
        const parts = target.split("/").filter(Boolean).slice(0, -1);
        for (let i = 1; i <= parts.length; i++) args.push("--perms", "0755", "--dir", `/${parts.slice(0, i).join("/")}`);
    };
    for (const b of opts.binds ?? []) {
        reachable(b.target);
        args.push(b.writable ? "--bind" : "--ro-bind", b.source, b.target);
    }
    const service = opts.apiServer ? { KUBERNETES_SERVICE_HOST: opts.apiServer.host, KUBERNETES_SERVICE_PORT: String(opts.apiServer.port) } : {};
    for (const [name, value] of Object.entries({ ...service, ...env })) args.push("--setenv", name, value);
    args.push("--setenv", "PATH", PATH);
    if (c.workingDir) args.push("--chdir", c.workingDir);
    // The PATH folders outside /usr (test doubles, the stand-ins' applet folders) are bound where they are.
    for (const p of PATH.split(":")) {
        if (p.startsWith("/usr/") || !fs.existsSync(p)) continue;
        reachable(p);
        args.push("--ro-bind", p, p);
    }
    // As the kubelet starts it: that user and group, the pod's fsGroup beside (capabilities go with root).
    const asUser = uid === undefined ? [] : ["/usr/bin/setpriv", `--reuid=${uid}`, `--regid=${gid}`, fsGroup === undefined ? "--clear-groups" : `--groups=${fsGroup}`, "--"];
    args.push("--", ...asUser, ...(c.command ?? []), ...(c.args ?? []));
    opts.onStart?.(c, shell);
    const r = await execa("bwrap", args, { reject: false, stdin: "ignore", timeout: opts.timeoutMs ?? 600_000 });
    const [sh, scriptPath] = c.command ?? [];
    const script = sh === "sh" && scriptPath?.startsWith("/scripts/") ? path.basename(scriptPath) : undefined;
    return { name: c.name, image: c.image ?? "", shell, script, exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr, env };
}
