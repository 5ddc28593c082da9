/**
 * Step 1 of the restore, as pure-ish functions over an ObjectStore: choose the set of each
 * component (complete sets only, the selector semantics of core/backupSet.ts), read its
 * manifest, and check every artifact against it (listed size always; sha256 when verifying by
 * checksum). Nothing in the cluster is touched.
 */
import { BackupSelector, backupIdTime, groupSets, selectSet } from "../core/backupSet";
import { Component } from "../core/contract";
import { Manifest, manifestBytes, manifestKey, parseManifest, setKeyPrefix } from "../core/manifest";
import { ObjectStore } from "../core/objectStore";

export interface ResolvedSet {
    component: Component;
    backupId: string;
    manifest: Manifest;
    /** Stored bytes of the set's artifacts. */
    bytes: number;
    /** Artifacts whose sha256 was compared with the manifest (0 when verifying sizes only). */
    checksumsVerified: number;
}

/** Chooses and reads the set of one component; throws a message naming the component and what exists. */
export async function resolveSet(store: ObjectStore, prefix: string, component: Component, selector: BackupSelector): Promise<{ set: ResolvedSet; sizes: Map<string, number> }> {
    const base = `${prefix ? prefix + "/" : ""}${component}/`;
    const listed = await store.list(base);
    const sizes = new Map(listed.map((o) => [o.key, o.size]));
    const sets = groupSets(prefix, component, listed.map((o) => o.key));
    const chosen = selectSet(sets, selector, component);
    const key = manifestKey(prefix, component, chosen.backupId);
    let manifest: Manifest;
    try {
        manifest = parseManifest((await store.get(key)).toString("utf8"), [component]);
    } catch (e) {
        throw new Error(`${component}: the manifest of set ${chosen.backupId} is unreadable: ${(e as Error).message}`);
    }
    if (manifest.component !== component || manifest.backupId !== chosen.backupId) {
        throw new Error(`${component}: the manifest at ${key} describes ${manifest.component} set ${manifest.backupId}; refusing to restore it`);
    }
    const setPrefix = setKeyPrefix(prefix, component, chosen.backupId);
    for (const a of manifest.artifacts) {
        if (!artifactInSet(a.key, a.name, setPrefix)) {
            throw new Error(`${component}: the manifest of set ${chosen.backupId} lists ${a.key} outside the set; refusing to restore it`);
        }
        const size = sizes.get(a.key);
        if (size === undefined) throw new Error(`${component}: artifact ${a.name} of set ${chosen.backupId} is missing from the bucket; refusing to restore it`);
        if (size !== a.size) {
            throw new Error(`${component}: artifact ${a.name} of set ${chosen.backupId} is ${size} bytes in the bucket, the manifest says ${a.size}: corrupted or truncated; refusing to restore it`);
        }
    }
    return { set: { component, backupId: chosen.backupId, manifest, bytes: manifestBytes(manifest), checksumsVerified: 0 }, sizes };
}

/** Streams every artifact of the set and compares size and sha256 with the manifest. */
export async function verifyChecksums(store: ObjectStore, set: ResolvedSet, progress: (m: string) => void): Promise<number> {
    let verified = 0;
    for (const a of set.manifest.artifacts) {
        progress(`verifying ${set.component} ${set.backupId}/${a.name} (${a.size} bytes)`);
        const got = await store.hash(a.key);
        if (got.size !== a.size) {
            throw new Error(`${set.component}: artifact ${a.name} of set ${set.backupId} read back ${got.size} bytes, the manifest says ${a.size}: corrupted or truncated; refusing to restore it`);
        }
        if (got.sha256 !== a.sha256) {
            throw new Error(`${set.component}: artifact ${a.name} of set ${set.backupId} has sha256 ${got.sha256}, the manifest says ${a.sha256}: corrupted; refusing to restore it`);
        }
        verified += 1;
    }
    return verified;
}

/**
 * Resolves every requested component; all problems are reported together, so one `pulumi up`
 * names every component without a complete set.
 */
export async function resolveSets(store: ObjectStore, prefix: string, components: readonly Component[], selector: BackupSelector): Promise<Map<Component, ResolvedSet>> {
    const out = new Map<Component, ResolvedSet>();
    const problems: string[] = [];
    for (const c of components) {
        try {
            out.set(c, (await resolveSet(store, prefix, c, selector)).set);
        } catch (e) {
            problems.push((e as Error).message);
        }
    }
    if (problems.length) throw new Error(problems.join("; "));
    return out;
}

/**
 * An artifact's key lies in its set: `<set>/<run>/<name>` (jobs/upload.sh puts each upload's
 * objects under a random run folder) or `<set>/<name>`, with no `.` or `..` part.
 */
export function artifactInSet(key: string, name: string, setPrefix: string): boolean {
    if (!key.startsWith(setPrefix)) return false;
    const parts = key.slice(setPrefix.length).split("/");
    if (parts[parts.length - 1] !== name || parts.length > 2) return false;
    return parts.every((p) => p !== "" && p !== "." && p !== "..");
}

/** The chosen sets side by side, one `<part> <id> (<artifacts>, <bytes>)` each, in restore order. */
export function describeSets(sets: Iterable<ResolvedSet>): string {
    return [...sets].map((s) => `${s.component} ${s.backupId} (${s.manifest.artifacts.length} artifacts, ${s.bytes} bytes)`).join(" | ");
}

/** Hours between the earliest and the latest start of the chosen sets (their ids are their start times). */
export function setSpreadHours(sets: Iterable<ResolvedSet>): number {
    const times = [...sets].map((s) => backupIdTime(s.backupId).getTime());
    return times.length < 2 ? 0 : (Math.max(...times) - Math.min(...times)) / 3_600_000;
}

/**
 * Why the chosen sets must not be restored together, if they must not: `latest` is chosen per
 * part, so a night whose redis or kots backup failed would pair tonight's database with an
 * older configuration. Sets started more than `windowHours` apart are from different runs.
 */
export function setsApartProblem(sets: readonly ResolvedSet[], windowHours: number): string | undefined {
    const spread = setSpreadHours(sets);
    if (spread <= windowHours) return undefined;
    const oldest = [...sets].sort((a, b) => a.backupId.localeCompare(b.backupId))[0];
    return (
        `the chosen sets started ${spread.toFixed(1)} h apart (${describeSets(sets)}), more than setWindowHours ${windowHours}: ` +
        `restoring them together would pair data of different backup runs; nothing was changed. ` +
        `Choose sets of one run (for example backupId "at-or-before:${backupIdTime(oldest.backupId).toISOString()}" picks the newest sets up to the oldest of these), widen setWindowHours, or set allowSetsApart: true if they are meant together`
    );
}
