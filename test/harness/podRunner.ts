/**
 * Runs a pod spec as Kubernetes stored it, without a container runtime: each init container in
 * order, then the containers side by side (as the kubelet does), each under bubblewrap with its
 * volumes at their mountPaths (a configMap volume is materialised from the ConfigMap on the API server, an emptyDir is a temp
 * dir), its env resolved the way the kubelet does (values, and secretKeyRef from the Secrets on
 * the API server) and nothing else. The images are not pulled: the host's tools stand in for
 * them (listed in `image` below), so what is proven is that the stored manifests and the
 * scripts agree — the commands, paths, mounts and env — on real servers.
 */
import * as k8s from "@kubernetes/client-node";
import { execa } from "execa";
import * as fs from "node:fs";
import * as path from "node:path";
import { PG_BIN } from "./postgres";
import { makeTempDir, removeTempDir } from "./proc";

export interface ContainerRun {
    name: string;
    exitCode: number;
    stdout: string;
    stderr: string;
}

export interface PodRunOptions {
    namespace: string;
    core: k8s.CoreV1Api;
    /** Extra binds, e.g. a test double at /kots (read-only) and the folder where it records its calls (writable). */
    binds?: { source: string; target: string; writable?: boolean }[];
    /** Folders put first on every container's PATH (test doubles of kubectl, ...). */
    pathPrefix?: string[];
}

/** PATH of the stand-in for every image: busybox's and Debian's tools, PostgreSQL's client, the aws CLI. */
const IMAGE_PATH = `${PG_BIN}:/usr/local/bin:/usr/bin:/bin`;

async function resolveEnv(container: k8s.V1Container, opts: PodRunOptions): Promise<[string, string][]> {
    const env: [string, string][] = [];
    for (const e of container.env ?? []) {
        if (e.value !== undefined) {
            env.push([e.name, e.value]);
        } else if (e.valueFrom?.secretKeyRef) {
            const ref = e.valueFrom.secretKeyRef;
            const secret = await opts.core.readNamespacedSecret({ name: ref.name!, namespace: opts.namespace });
            const data = secret.data?.[ref.key];
            if (data === undefined) throw new Error(`container ${container.name}: Secret ${ref.name} has no key ${ref.key}`);
            env.push([e.name, Buffer.from(data, "base64").toString("utf8")]);
        } else {
            throw new Error(`container ${container.name}: env ${e.name} has a source this runner does not resolve`);
        }
    }
    return env;
}

/** Materialises the pod's volumes; returns their host folders by volume name. */
async function materialise(spec: k8s.V1PodSpec, opts: PodRunOptions, root: string): Promise<Map<string, string>> {
    const dirs = new Map<string, string>();
    for (const v of spec.volumes ?? []) {
        const dir = path.join(root, "volumes", v.name);
        fs.mkdirSync(dir, { recursive: true, mode: 0o777 });
        if (v.configMap) {
            const cm = await opts.core.readNamespacedConfigMap({ name: v.configMap.name!, namespace: opts.namespace });
            for (const [file, text] of Object.entries(cm.data ?? {})) fs.writeFileSync(path.join(dir, file), text, { mode: v.configMap.defaultMode ?? 0o644 });
        } else if (!v.emptyDir && !v.ephemeral) {
            throw new Error(`volume ${v.name}: only configMap, emptyDir and ephemeral volumes are run here`);
        }
        dirs.set(v.name, dir);
    }
    return dirs;
}

/**
 * Runs the init containers in order (stopping at the first failure, like the kubelet), then the
 * containers at once; results in spec order.
 */
export async function runPod(spec: k8s.V1PodSpec, opts: PodRunOptions): Promise<ContainerRun[]> {
    const root = makeTempDir("pod");
    try {
        const volumes = await materialise(spec, opts, root);
        const runs: ContainerRun[] = [];
        for (const c of spec.initContainers ?? []) {
            const run = await runContainer(c, volumes, opts);
            runs.push(run);
            if (run.exitCode !== 0) return runs;
        }
        runs.push(...(await Promise.all(spec.containers.map((c) => runContainer(c, volumes, opts)))));
        return runs;
    } finally {
        removeTempDir(root);
    }
}

async function runContainer(c: k8s.V1Container, volumes: Map<string, string>, opts: PodRunOptions): Promise<ContainerRun> {
    const args = ["--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/sbin", "/sbin"];
    args.push("--ro-bind", "/etc", "/etc", "--dev", "/dev", "--proc", "/proc", "--die-with-parent", "--clearenv");
    for (const m of c.volumeMounts ?? []) {
        const dir = volumes.get(m.name);
        if (!dir) throw new Error(`container ${c.name}: no volume ${m.name}`);
        args.push(m.readOnly ? "--ro-bind" : "--bind", dir, m.mountPath);
    }
    for (const b of opts.binds ?? []) args.push(b.writable ? "--bind" : "--ro-bind", b.source, b.target);
    for (const [name, value] of await resolveEnv(c, opts)) args.push("--setenv", name, value);
    args.push("--setenv", "PATH", [...(opts.pathPrefix ?? []), IMAGE_PATH].join(":"));
    if (c.workingDir) args.push("--chdir", c.workingDir);
    for (const p of opts.pathPrefix ?? []) args.push("--ro-bind", p, p);
    args.push("--", ...(c.command ?? []), ...(c.args ?? []));
    const r = await execa("bwrap", args, { reject: false, stdin: "ignore", timeout: 600_000 });
    return { name: c.name, exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
}
