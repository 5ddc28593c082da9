/**
 * BackupSet: the objects under `<prefix>/<component>/<backupId>/`. A set is complete only when
 * its manifest.json exists (the upload step writes it last); incomplete sets are listed for
 * diagnosis but never chosen for a restore.
 */
import { BACKUP_ID_PATTERN, Component } from "./contract";
import { MANIFEST_FILE } from "./manifest";

export interface BackupSet {
    component: Component;
    backupId: string;
    /** The time encoded in the id. */
    time: Date;
    complete: boolean;
    /** Object keys in the set, manifest included. */
    keys: string[];
}

/** Converts an id such as 20261127T020000Z to its time. */
export function backupIdTime(backupId: string): Date {
    if (!BACKUP_ID_PATTERN.test(backupId)) throw new Error(`backupId ${JSON.stringify(backupId)} is not a UTC id like 20261127T020000Z`);
    const iso = `${backupId.slice(0, 4)}-${backupId.slice(4, 6)}-${backupId.slice(6, 8)}T${backupId.slice(9, 11)}:${backupId.slice(11, 13)}:${backupId.slice(13, 15)}Z`;
    const time = new Date(iso);
    if (Number.isNaN(time.getTime())) throw new Error(`backupId ${JSON.stringify(backupId)} is not a valid time`);
    return time;
}

/** The id a set started at `time` gets (what jobs/lib.sh computes with `date -u`). */
export function backupIdFor(time: Date): string {
    return time.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

/** Groups a listing of keys under `<prefix>/<component>/` into sets, oldest first. */
export function groupSets(prefix: string, component: Component, keys: readonly string[]): BackupSet[] {
    const base = `${prefix ? prefix + "/" : ""}${component}/`;
    const byId = new Map<string, string[]>();
    for (const key of keys) {
        if (!key.startsWith(base)) continue;
        const [id, ...rest] = key.slice(base.length).split("/");
        if (!BACKUP_ID_PATTERN.test(id) || rest.length === 0) continue;
        byId.set(id, [...(byId.get(id) ?? []), key]);
    }
    return [...byId.entries()]
        .map(([backupId, setKeys]) => ({
            component,
            backupId,
            time: backupIdTime(backupId),
            complete: setKeys.includes(`${base}${backupId}/${MANIFEST_FILE}`),
            keys: setKeys.sort(),
        }))
        .sort((a, b) => a.backupId.localeCompare(b.backupId));
}

/** How a restore names the set it wants. */
export type BackupSelector = { kind: "latest" } | { kind: "exact"; backupId: string } | { kind: "atOrBefore"; time: Date };

export const AT_OR_BEFORE = "at-or-before:";

/**
 * Parses `latest`, an exact id (`20261127T020000Z`) or `at-or-before:<ISO-8601 time>`.
 * Errors name the value and what is allowed.
 */
export function parseSelector(value: string, argName = "backupId"): BackupSelector {
    const allowed = `allowed: "latest", an id like "20261127T020000Z", or "${AT_OR_BEFORE}2026-11-20T12:00:00Z"`;
    if (value === "latest") return { kind: "latest" };
    if (BACKUP_ID_PATTERN.test(value)) {
        backupIdTime(value);
        return { kind: "exact", backupId: value };
    }
    if (value.startsWith(AT_OR_BEFORE)) {
        const text = value.slice(AT_OR_BEFORE.length);
        const time = new Date(text);
        if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(time.getTime())) {
            throw new Error(`${argName} ${JSON.stringify(value)}: the time after "${AT_OR_BEFORE}" is not ISO-8601; ${allowed}`);
        }
        return { kind: "atOrBefore", time };
    }
    throw new Error(`${argName} ${JSON.stringify(value)} is not a backup selector; ${allowed}`);
}

/**
 * Chooses the set for a selector among complete sets only. Throws a message that says what
 * exists when nothing matches, so the administrator can pick another id.
 */
export function selectSet(sets: readonly BackupSet[], selector: BackupSelector, component: Component): BackupSet {
    const complete = sets.filter((s) => s.complete);
    const incomplete = sets.filter((s) => !s.complete).map((s) => s.backupId);
    let chosen: BackupSet | undefined;
    switch (selector.kind) {
        case "latest":
            chosen = complete[complete.length - 1];
            break;
        case "exact":
            chosen = complete.find((s) => s.backupId === selector.backupId);
            if (!chosen && incomplete.includes(selector.backupId)) {
                throw new Error(`${component}: backup set ${selector.backupId} has no manifest (incomplete: its upload never finished); it cannot be restored`);
            }
            break;
        case "atOrBefore":
            chosen = complete.filter((s) => s.time.getTime() <= selector.time.getTime()).pop();
            break;
    }
    if (!chosen) {
        const have = complete.length ? `complete sets: ${complete.map((s) => s.backupId).join(", ")}` : "there is no complete set";
        const what = selector.kind === "latest" ? "any" : selector.kind === "exact" ? selector.backupId : `at or before ${selector.time.toISOString()}`;
        throw new Error(`${component}: no complete backup set matches ${what}; ${have}${incomplete.length ? ` (incomplete, ignored: ${incomplete.join(", ")})` : ""}`);
    }
    return chosen;
}
