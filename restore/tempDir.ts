/**
 * The provider's private temp folders (the kubeconfig kots reads, the license, the KOTS
 * configuration): `<tmp>/ggb-<what>-<pid>-XXXXXX`, mode 0700. A `pulumi up` killed with SIGKILL
 * runs no cleanup, so each new folder is made after removing those of processes that are gone:
 * the secrets they hold do not outlive the next run.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const OURS = /^ggb-(?:kubeconfig|restore)-(\d+)-[A-Za-z0-9]+$/;

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (e) {
        // EPERM: it exists, under another user.
        return (e as NodeJS.ErrnoException).code === "EPERM";
    }
}

/** Removes the folders of processes that no longer run; returns their names. */
export function sweepStaleTempDirs(root: string = os.tmpdir()): string[] {
    const removed: string[] = [];
    let entries: string[];
    try {
        entries = fs.readdirSync(root);
    } catch {
        return removed;
    }
    for (const name of entries) {
        const m = OURS.exec(name);
        if (!m || Number(m[1]) === process.pid || alive(Number(m[1]))) continue;
        try {
            fs.rmSync(path.join(root, name), { recursive: true, force: true });
            removed.push(name);
        } catch {
            // Not ours to remove (another user's): left alone.
        }
    }
    return removed;
}

/** A new private folder for `what` (kubeconfig, restore). */
export function privateTempDir(what: "kubeconfig" | "restore", root: string = os.tmpdir()): string {
    sweepStaleTempDirs(root);
    return fs.mkdtempSync(path.join(root, `ggb-${what}-${process.pid}-`));
}
