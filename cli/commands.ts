/**
 * What the operator's CLI (cli/main.ts) does, on an ObjectStore: list the sets, verify one set's
 * every artifact against its manifest (a full download, with progress), show the drill history.
 * Each writes its report to `out` and returns the exit status: 0, or 1 when something is wrong.
 */
import { listSets, readManifest } from "../core/catalog";
import { manifestBytes } from "../core/manifest";
import type { ObjectStore } from "../core/objectStore";
import { DRILL_RESULTS_FOLDER } from "../backup/credentials";

export interface Output {
    /** The report (stdout). */
    line(text: string): void;
    /** Progress (stderr): replaced in place on a terminal, a line at a time otherwise. */
    progress(text: string): void;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const age = (from: Date, now: Date) => {
    const h = (now.getTime() - from.getTime()) / 3_600_000;
    return h < 48 ? `${h.toFixed(1)} h` : `${(h / 24).toFixed(1)} d`;
};

/** Every set of each part, newest first: id, complete or not, stored bytes, age. */
export async function setsCommand(store: ObjectStore, prefix: string, parts: readonly string[], out: Output, now = new Date()): Promise<number> {
    for (const part of parts) {
        const sets = (await listSets(store, prefix, part)).reverse();
        out.line(`${part}: ${sets.filter((s) => s.complete).length} complete sets${sets.length ? "" : " (none)"}`);
        for (const set of sets) {
            const size = set.complete ? mib(manifestBytes(await readManifest(store, prefix, part, set.backupId))) : "-";
            out.line(`  ${set.backupId}  ${(set.complete ? "complete" : "INCOMPLETE (no manifest: never restored)").padEnd(10)}  ${size.padStart(12)}  ${age(set.time, now)} old`);
        }
    }
    return 0;
}

/** Downloads every artifact of one set and checks its size and sha256 against the manifest. */
export async function verifyCommand(store: ObjectStore, prefix: string, part: string, backupId: string, out: Output): Promise<number> {
    const manifest = await readManifest(store, prefix, part, backupId);
    const total = manifestBytes(manifest);
    let done = 0;
    let bad = 0;
    for (const a of manifest.artifacts) {
        let last = 0;
        const got = await store.hash(a.key, (bytes) => {
            const now = Date.now();
            if (now - last < 1000) return;
            last = now;
            out.progress(`${a.name}: ${mib(bytes)} of ${mib(a.size)}; set ${Math.floor(((done + bytes) / Math.max(total, 1)) * 100)}%`);
        });
        done += a.size;
        const ok = got.size === a.size && got.sha256 === a.sha256;
        if (!ok) bad++;
        out.line(
            ok
                ? `  ok       ${a.name} (${got.size} bytes, sha256 ${got.sha256})`
                : `  CORRUPT  ${a.name}: ${got.size} bytes, sha256 ${got.sha256}; the manifest says ${a.size} bytes, sha256 ${a.sha256}`,
        );
    }
    out.line(bad ? `${part}/${backupId}: ${bad} of ${manifest.artifacts.length} artifacts do not match the manifest: do not restore this set` : `${part}/${backupId}: ${manifest.artifacts.length} artifacts, ${total} bytes, each as the manifest says`);
    return bad ? 1 : 0;
}

interface DrillSummary {
    drillId: string;
    status: string;
    reason: string;
    recoverySeconds: number;
    sets: Record<string, string>;
}

/** The newest `last` drill results, newest first: status, recovery time, the sets, the reason. Exit 1 when the newest is not SUCCESSFUL. */
export async function drillsCommand(store: ObjectStore, prefix: string, last: number, out: Output): Promise<number> {
    const keys = (await store.list(`${prefix}/${DRILL_RESULTS_FOLDER}/`)).map((o) => o.key).filter((k) => /\/\d{8}T\d{6}Z\.json$/.test(k)).sort().reverse().slice(0, last);
    if (keys.length === 0) {
        out.line(`no drill result under ${prefix}/${DRILL_RESULTS_FOLDER}/`);
        return 1;
    }
    let newest: string | undefined;
    for (const key of keys) {
        const r = JSON.parse((await store.get(key)).toString("utf8")) as DrillSummary;
        newest ??= r.status;
        const sets = Object.entries(r.sets ?? {}).map(([p, id]) => `${p} ${id}`).join(", ");
        out.line(`${r.drillId}  ${r.status.padEnd(10)}  recovery ${String(r.recoverySeconds).padStart(5)} s  ${sets}${r.reason ? `\n    ${r.reason}` : ""}`);
    }
    return newest === "SUCCESSFUL" ? 0 : 1;
}
