/**
 * Runs a jobs/*.sh script the way its container does: `<shell> /path/to/jobs/<script>`, with only
 * the contract's variables (sources/registry.ts contractEnv) plus PATH and HOME in its environment.
 *
 * Shells, and the userland each stands for:
 * - `busybox`: `busybox sh` with busybox applets first on PATH (the alpine postgres/redis images),
 *   the image's own tools (psql, pg_dump, redis-cli, zstd, ...) beside them, and no pigz.
 * - `dash`: dash with the host's GNU userland (Debian-based images).
 * - `bash`: bash with the GNU userland (the aws-cli image's sh is bash).
 */
import { execa } from "execa";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { createHash } from "node:crypto";
import { contractEnv, scriptBundle } from "../sources/registry";
import { PG_BIN } from "./postgres";
import { makeTempDir } from "./proc";

export type Shell = "busybox" | "dash" | "bash";
export const SHELLS: readonly Shell[] = ["busybox", "dash", "bash"];
/** The shells of the alpine-based dump/restore images' tests: busybox sh and dash. */
export const POSIX_SHELLS: readonly Shell[] = ["busybox", "dash"];

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

const bundles = new Map<string, string>();

/**
 * The scripts as a container sees them under /scripts: the scripts ConfigMap's data (jobs/, every
 * registered part's scripts, the generated rules.sh), flat in one folder. Written once per
 * content, so a part registered by a test has its scripts there too.
 */
export function scriptsDir(): string {
    const bundle = scriptBundle();
    const key = createHash("sha256").update(JSON.stringify(bundle)).digest("hex");
    let dir = bundles.get(key);
    if (!dir) {
        dir = makeTempDir("scripts");
        for (const [file, text] of Object.entries(bundle)) fs.writeFileSync(path.join(dir, file), text, { mode: 0o444 });
        bundles.set(key, dir);
    }
    return dir;
}

/** Names a job may be given: the contract's, nothing else. */
export function contractNames(): ReadonlySet<string> {
    return new Set(contractEnv().map((e) => e.name));
}

/** Tools the images carry besides their shell userland (linked for the busybox "image"). */
const IMAGE_TOOLS: Record<string, string> = {
    psql: path.join(PG_BIN, "psql"),
    pg_dump: path.join(PG_BIN, "pg_dump"),
    pg_dumpall: path.join(PG_BIN, "pg_dumpall"),
    pg_restore: path.join(PG_BIN, "pg_restore"),
    // The server, which the drills' scratch PostgreSQL runs (the postgres image has it on PATH).
    initdb: path.join(PG_BIN, "initdb"),
    pg_ctl: path.join(PG_BIN, "pg_ctl"),
    "redis-cli": "/usr/bin/redis-cli",
    "redis-server": "/usr/bin/redis-server",
    "redis-check-rdb": "/usr/bin/redis-check-rdb",
    zstd: "/usr/bin/zstd",
};

let busyboxPath: string | undefined;

/** PATH of the busybox "image": a folder of applet links, then a folder of the image's tools. */
function busyboxImagePath(): string {
    if (busyboxPath) return busyboxPath;
    const root = makeTempDir("busybox-image");
    // Reachable by whatever user a container runs as (podRunner's runAsUsers).
    fs.chmodSync(root, 0o755);
    const applets = path.join(root, "applets");
    const tools = path.join(root, "tools");
    fs.mkdirSync(applets);
    fs.mkdirSync(tools);
    const list = execaSyncList();
    for (const applet of list) {
        if (applet.includes("/")) continue;
        fs.symlinkSync("/usr/bin/busybox", path.join(applets, applet));
    }
    for (const [name, target] of Object.entries(IMAGE_TOOLS)) fs.symlinkSync(target, path.join(tools, name));
    busyboxPath = `${applets}:${tools}`;
    return busyboxPath;
}

function execaSyncList(): string[] {
    // `busybox --list`: one applet name per line.
    return execFileSync("/usr/bin/busybox", ["--list"], { encoding: "utf8" })
        .split("\n")
        .filter((l) => l.trim() !== "");
}

/** PATH of the GNU "images" (dash, bash): the host's, PostgreSQL 15 first, no pyenv shims. */
export const GNU_PATH = `${PG_BIN}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;

export function imagePath(shell: Shell): string {
    return shell === "busybox" ? busyboxImagePath() : GNU_PATH;
}

export interface JobOptions {
    shell: Shell;
    /** Contract variables only (an unknown name throws); undefined values are left out. */
    env: Record<string, string | undefined>;
    /** Folders put before the image's PATH (e.g. a test double's). */
    pathPrefix?: string[];
    /** Working directory (default: a fresh empty folder). */
    cwd?: string;
    /** HOME (default: an empty folder, as in a container), e.g. one holding ~/.aws/credentials. */
    home?: string;
    timeoutMs?: number;
    /** Told the pid of the script's shell once it is spawned (the benchmark samples its process tree). */
    onSpawn?: (pid: number) => void;
}

export interface JobResult {
    script: string;
    shell: Shell;
    exitCode: number;
    stdout: string;
    stderr: string;
    /** The stderr lines, without empty ones. */
    stderrLines: string[];
    durationMs: number;
}

let defaultCwd: string | undefined;

/** Runs a script of the bundle (scriptsDir) under the shell; never throws for a non-zero exit. */
export async function runJob(script: string, opts: JobOptions): Promise<JobResult> {
    const env: Record<string, string> = {};
    const contract = contractNames();
    for (const [name, value] of Object.entries(opts.env)) {
        if (!contract.has(name)) throw new Error(`runJob(${script}): ${name} is not a variable of the env contract`);
        if (value !== undefined) env[name] = value;
    }
    env.HOME = opts.home ?? makeHome();
    env.PATH = [...(opts.pathPrefix ?? []), imagePath(opts.shell)].join(":");
    const scriptPath = path.join(scriptsDir(), script);
    if (!fs.existsSync(scriptPath)) throw new Error(`runJob: no script ${scriptPath}`);
    const [file, args] = opts.shell === "busybox" ? ["/usr/bin/busybox", ["sh", scriptPath]] : [`/usr/bin/${opts.shell}`, [scriptPath]];
    defaultCwd ??= makeTempDir("job-cwd");
    const started = Date.now();
    const child = execa(file, args, {
        env,
        extendEnv: false,
        cwd: opts.cwd ?? defaultCwd,
        reject: false,
        stdin: "ignore",
        timeout: opts.timeoutMs ?? 180_000,
        maxBuffer: 64 * 1024 * 1024,
    });
    if (child.pid !== undefined) opts.onSpawn?.(child.pid);
    const r = await child;
    if (r.timedOut) throw new Error(`${script} under ${opts.shell} timed out after ${opts.timeoutMs ?? 180_000} ms; stderr:\n${r.stderr}`);
    return {
        script,
        shell: opts.shell,
        exitCode: r.exitCode ?? -1,
        stdout: r.stdout,
        stderr: r.stderr,
        stderrLines: r.stderr.split("\n").filter((l) => l.trim() !== ""),
        durationMs: Date.now() - started,
    };
}

let homeDir: string | undefined;
/** An empty HOME, as in a container (so no ~/.aws or ~/.pgpass of the host is read). */
function makeHome(): string {
    homeDir ??= makeTempDir("job-home");
    return homeDir;
}

/** A readable summary of a run, for assertion messages. */
export function explain(r: JobResult): string {
    return `${r.script} under ${r.shell}: exit ${r.exitCode} in ${r.durationMs} ms\n--- stderr ---\n${r.stderr}\n--- stdout ---\n${r.stdout.slice(0, 2000)}`;
}
