/**
 * Process and temp-dir plumbing shared by the server modules: temp folders that are removed
 * on stop (and at process exit, whatever happened), long-running servers stopped with a polite
 * signal then SIGKILL, and the unprivileged user PostgreSQL needs when the tests run as root.
 */
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** Everything still to clean at exit: servers to kill, folders to remove, mounts to undo. */
const liveChildren = new Set<ChildProcess>();
const liveDirs = new Set<string>();
const liveMounts = new Set<string>();

process.on("exit", () => {
    for (const child of liveChildren) {
        try {
            child.kill("SIGKILL");
        } catch {
            /* already gone */
        }
    }
    for (const mount of liveMounts) {
        try {
            execFileSync("umount", ["-l", mount], { stdio: "ignore" });
        } catch {
            /* best effort */
        }
    }
    for (const dir of liveDirs) fs.rmSync(dir, { recursive: true, force: true });
});

export function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A fresh folder under the system temp dir, removed by `removeTempDir` or at exit. */
export function makeTempDir(label: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ggb-${label}-`));
    liveDirs.add(dir);
    return dir;
}

export function removeTempDir(dir: string): void {
    fs.rmSync(dir, { recursive: true, force: true });
    liveDirs.delete(dir);
}

/** Runs `umount` for a mount made by a test (tracked so an aborted run still unmounts). */
export function trackMount(mountPoint: string): void {
    liveMounts.add(mountPoint);
}
export function untrackMount(mountPoint: string): void {
    liveMounts.delete(mountPoint);
}

export const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

/** The account servers that refuse root (PostgreSQL) run as: `ggbtest`, created when missing. */
export const SERVER_USER = "ggbtest";

let serverIds: { uid: number; gid: number } | undefined;

/**
 * uid/gid to run servers as. As root: the `ggbtest` system user (created on a fresh machine);
 * otherwise the current user.
 */
export function serverAccount(): { uid: number; gid: number } {
    if (serverIds) return serverIds;
    if (!isRoot) {
        serverIds = { uid: process.getuid!(), gid: process.getgid!() };
        return serverIds;
    }
    const lookup = (): { uid: number; gid: number } | undefined => {
        try {
            const uid = Number(execFileSync("id", ["-u", SERVER_USER], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim());
            const gid = Number(execFileSync("id", ["-g", SERVER_USER], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim());
            return { uid, gid };
        } catch {
            return undefined;
        }
    };
    let ids = lookup();
    if (!ids) {
        try {
            execFileSync("useradd", ["--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", SERVER_USER], { stdio: "pipe" });
        } catch (e) {
            // A parallel run may have created it meanwhile; otherwise report why.
            if (!lookup()) throw new Error(`cannot create the test user ${SERVER_USER}: ${(e as Error).message}`);
        }
        ids = lookup();
    }
    if (!ids) throw new Error(`test user ${SERVER_USER} is missing`);
    serverIds = ids;
    return ids;
}

/** Gives a folder (recursively) to the server account. */
export function chownToServer(dir: string): void {
    const { uid, gid } = serverAccount();
    if (!isRoot) return;
    execFileSync("chown", ["-R", `${uid}:${gid}`, dir]);
}

/**
 * The argv that runs `cmd` as the server account: `setpriv` (it execs, so the pid we hold is
 * the server's own and signals reach it directly, unlike runuser/su which fork).
 */
export function asServerUser(cmd: string, args: readonly string[]): [string, string[]] {
    if (!isRoot) return [cmd, [...args]];
    const { uid, gid } = serverAccount();
    return ["setpriv", [`--reuid=${uid}`, `--regid=${gid}`, "--clear-groups", "--", cmd, ...args]];
}

export interface ServerProcess {
    readonly child: ChildProcess;
    readonly logFile: string;
    /** Resolves when the process has exited. */
    readonly exited: Promise<void>;
    isRunning(): boolean;
    /** `signal` (SIGTERM by default), then SIGKILL when still alive after `timeoutMs`. */
    stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<void>;
    /** The last lines of the server's log, for error messages. */
    logTail(lines?: number): string;
}

/** Starts a long-running server with stdout/stderr appended to `logFile`. */
export function spawnServer(cmd: string, args: readonly string[], opts: { logFile: string; env?: NodeJS.ProcessEnv; cwd?: string; asServerUser?: boolean }): ServerProcess {
    const [file, argv] = opts.asServerUser ? asServerUser(cmd, args) : [cmd, [...args]];
    const fd = fs.openSync(opts.logFile, "a");
    const child = spawn(file, argv, { stdio: ["ignore", fd, fd], env: opts.env ?? minimalEnv(), cwd: opts.cwd });
    fs.closeSync(fd);
    liveChildren.add(child);
    let running = true;
    const exited = new Promise<void>((resolve) => {
        child.once("exit", () => {
            running = false;
            liveChildren.delete(child);
            resolve();
        });
        child.once("error", () => {
            running = false;
            liveChildren.delete(child);
            resolve();
        });
    });
    const logTail = (lines = 15): string => {
        try {
            return fs.readFileSync(opts.logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
        } catch {
            return "";
        }
    };
    return {
        child,
        logFile: opts.logFile,
        exited,
        isRunning: () => running,
        logTail,
        async stop(signal: NodeJS.Signals = "SIGTERM", timeoutMs = 10_000) {
            if (!running) return;
            child.kill(signal);
            let timer: NodeJS.Timeout | undefined;
            const timedOut = new Promise<"timeout">((resolve) => {
                timer = setTimeout(() => resolve("timeout"), timeoutMs);
            });
            const outcome = await Promise.race([exited.then(() => "exited" as const), timedOut]);
            clearTimeout(timer);
            if (outcome === "timeout" && running) {
                child.kill("SIGKILL");
                await exited;
            }
        },
    };
}

/** PATH without the pyenv shims (whose `aws` is not the one the tests mean). */
export const SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export function minimalEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return { PATH: SYSTEM_PATH, HOME: os.tmpdir(), LANG: "C.UTF-8", ...extra };
}

/** Polls `check` until it returns true or `timeoutMs` passes; throws `what` with `detail()`. */
export async function waitFor(what: string, check: () => Promise<boolean>, opts: { timeoutMs?: number; intervalMs?: number; detail?: () => string; alive?: () => boolean } = {}): Promise<void> {
    const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
    for (;;) {
        if (await check().catch(() => false)) return;
        if (opts.alive && !opts.alive()) throw new Error(`${what}: the process exited\n${opts.detail?.() ?? ""}`);
        if (Date.now() > deadline) throw new Error(`${what}: timed out\n${opts.detail?.() ?? ""}`);
        await sleep(opts.intervalMs ?? 100);
    }
}

/** A short random token (for passwords, marker names, bucket names). */
export function randomToken(bytes = 6): string {
    return [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
}
