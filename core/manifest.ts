/**
 * The backup-set manifest: `manifest.json`, written last by jobs/upload.sh. It is the commit
 * marker of a set: a set without one is incomplete and is never chosen for a restore.
 *
 * jobs/upload.sh writes it line-oriented (one artifact object per line) so that the restore's
 * fetch step, in an image without a JSON tool, can read the artifacts with sed; this module is
 * the reader for TypeScript and the reference for the format.
 */
import { BACKUP_ID_PATTERN, Component } from "./contract";
import { passesRule, VALUE_RULES } from "./valueRules";

/** The version jobs/upload.sh writes: 2 has the codec chain and the recipients of each artifact. */
export const MANIFEST_FORMAT_VERSION = 2;
/** The versions this package reads: sets written before encryption stay restorable. */
export const MANIFEST_READ_VERSIONS: readonly number[] = [1, 2];
export const MANIFEST_FILE = "manifest.json";

export const Compression = { Gzip: "gzip", Zstd: "zstd", None: "none" } as const;
export type Compression = (typeof Compression)[keyof typeof Compression];

/** The codec after compression: age (to X25519 recipients), or none. */
export const Encryption = { Age: "age", None: "none" } as const;
export type Encryption = (typeof Encryption)[keyof typeof Encryption];

/** One file of a set. */
export interface Artifact {
    /** File name inside the set. */
    name: string;
    /** Full object key in the bucket. */
    key: string;
    /** Size in bytes of the object as stored. */
    size: number;
    /** Hex sha256 of the object as stored. */
    sha256: string;
    /** The first codec applied (the dump step's). */
    compression: Compression;
    /** The codec applied after it, in the upload step. */
    encryption: Encryption;
    /** The age recipients (public keys, their own fingerprints) it is encrypted to; empty when not encrypted. */
    recipients: string[];
}

export interface Manifest {
    formatVersion: number;
    component: Component;
    backupId: string;
    /** ISO-8601 UTC. */
    startedAt: string;
    finishedAt: string;
    /** sql | directory for postgres, rdb for redis, kots for kots. */
    format: string;
    tool: { name: string; version: string };
    server: { version: string };
    /**
     * Facts of the part's dump that its restore or an operator needs, by name (postgres:
     * `rolePasswords`, `included` or `excluded`). Empty for parts that record none, and when
     * read from a manifest written before the field existed.
     */
    details: Record<string, string>;
    artifacts: Artifact[];
}

/** `<prefix>/<component>/<backupId>/` */
export function setKeyPrefix(prefix: string, component: Component, backupId: string): string {
    return `${prefix ? prefix + "/" : ""}${component}/${backupId}/`;
}

export function manifestKey(prefix: string, component: Component, backupId: string): string {
    return setKeyPrefix(prefix, component, backupId) + MANIFEST_FILE;
}

function fail(what: string): never {
    throw new Error(`invalid manifest: ${what}`);
}

function str(o: Record<string, unknown>, field: string, where: string): string {
    const value = o[field];
    if (typeof value !== "string" || value === "") fail(`${where}.${field} must be a non-empty string, got ${JSON.stringify(value)}`);
    return value;
}

function isoTime(o: Record<string, unknown>, field: string): string {
    const value = str(o, field, "manifest");
    if (Number.isNaN(Date.parse(value))) fail(`manifest.${field} must be an ISO-8601 time, got ${JSON.stringify(value)}`);
    return value;
}

function obj(value: unknown, where: string): Record<string, unknown> {
    if (typeof value !== "object" || value === null || Array.isArray(value)) fail(`${where} must be an object`);
    return value as Record<string, unknown>;
}

/**
 * Parses and validates a manifest; throws an Error naming the bad field. Fields may come in any
 * order and fields this version does not know are ignored (a later version adds some). With
 * `parts` (the registry's names), a manifest of another part is refused too.
 */
export function parseManifest(text: string, parts?: readonly string[]): Manifest {
    let raw: unknown;
    try {
        raw = JSON.parse(text);
    } catch (e) {
        fail(`not JSON (${(e as Error).message})`);
    }
    const m = obj(raw, "manifest");
    if (typeof m.formatVersion !== "number" || !MANIFEST_READ_VERSIONS.includes(m.formatVersion)) {
        fail(`formatVersion ${JSON.stringify(m.formatVersion)} is not supported (this package reads ${MANIFEST_READ_VERSIONS.join(" and ")})`);
    }
    const version = m.formatVersion;
    const component = str(m, "component", "manifest") as Component;
    if (!passesRule("partName", component)) fail(`component ${JSON.stringify(component)} is not a part name; ${VALUE_RULES.partName.allowed}`);
    if (parts && !parts.includes(component)) fail(`component ${JSON.stringify(component)} is not one of ${parts.join(", ")}`);
    const backupId = str(m, "backupId", "manifest");
    if (!BACKUP_ID_PATTERN.test(backupId)) fail(`backupId ${JSON.stringify(backupId)} is not a UTC id like 20261127T020000Z`);
    const tool = obj(m.tool, "manifest.tool");
    const server = obj(m.server, "manifest.server");
    const details = m.details === undefined ? {} : obj(m.details, "manifest.details");
    for (const [name, value] of Object.entries(details)) {
        if (typeof value !== "string") fail(`details.${name} must be a string, got ${JSON.stringify(value)}`);
    }
    if (!Array.isArray(m.artifacts) || m.artifacts.length === 0) fail("artifacts must be a non-empty array");
    const artifacts = m.artifacts.map((a: unknown, i: number): Artifact => {
        const where = `artifacts[${i}]`;
        const o = obj(a, where);
        const size = o.size;
        if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) fail(`${where}.size must be a byte count, got ${JSON.stringify(size)}`);
        const sha256 = str(o, "sha256", where);
        if (!/^[0-9a-f]{64}$/.test(sha256)) fail(`${where}.sha256 must be 64 hex digits, got ${JSON.stringify(sha256)}`);
        const { compression, encryption, recipients } = version === 1 ? { compression: str(o, "compression", where), encryption: Encryption.None, recipients: [] } : codecChain(o, where);
        if (!Object.values(Compression).includes(compression as Compression)) fail(`${where}.compression ${JSON.stringify(compression)} is not gzip, zstd or none`);
        return { name: str(o, "name", where), key: str(o, "key", where), size, sha256, compression: compression as Compression, encryption, recipients };
    });
    return {
        formatVersion: version,
        component,
        backupId,
        startedAt: isoTime(m, "startedAt"),
        finishedAt: isoTime(m, "finishedAt"),
        format: str(m, "format", "manifest"),
        tool: { name: str(tool, "name", "manifest.tool"), version: typeof tool.version === "string" ? tool.version : "" },
        server: { version: typeof server.version === "string" ? server.version : "" },
        details: details as Record<string, string>,
        artifacts,
    };
}

/** Version 2's codecs (compression, then encryption or nothing) and recipients of an artifact. */
function codecChain(o: Record<string, unknown>, where: string): { compression: string; encryption: Encryption; recipients: string[] } {
    const codecs = o.codecs;
    if (!Array.isArray(codecs) || codecs.length < 1 || codecs.length > 2 || !codecs.every((c) => typeof c === "string")) {
        fail(`${where}.codecs must be [compression] or [compression, encryption], got ${JSON.stringify(codecs)}`);
    }
    const encryption = (codecs[1] ?? Encryption.None) as Encryption;
    if (codecs.length === 2 && encryption !== Encryption.Age) fail(`${where}.codecs ${JSON.stringify(codecs)}: the encryption is not age`);
    const recipients = o.recipients ?? [];
    if (!Array.isArray(recipients) || !recipients.every((r) => passesRule("ageRecipient", r))) fail(`${where}.recipients must be age recipients, got ${JSON.stringify(recipients)}`);
    if ((encryption === Encryption.Age) !== (recipients.length > 0)) fail(`${where}: an artifact is encrypted exactly when it names recipients (codecs ${JSON.stringify(codecs)}, ${recipients.length} recipients)`);
    return { compression: codecs[0], encryption, recipients: recipients as string[] };
}

/** Whether any artifact of the set is encrypted, and to which recipients (each once). */
export function setRecipients(m: Manifest): string[] {
    return [...new Set(m.artifacts.flatMap((a) => a.recipients))];
}

/**
 * A manifest as JSON, fields in the order given (default: the order jobs/upload.sh writes). The
 * reference writer of the format: the readers of both languages are tested on its output in
 * several field orders.
 */
export function manifestJson(m: Manifest, order?: readonly (keyof Manifest)[]): string {
    const fields = order ?? (["formatVersion", "component", "backupId", "startedAt", "finishedAt", "format", "tool", "server", "details", "artifacts"] as const);
    const stored = (f: keyof Manifest) => (f !== "artifacts" ? m[f] : m.artifacts.map((a) => ({ name: a.name, key: a.key, size: a.size, sha256: a.sha256, codecs: a.encryption === Encryption.None ? [a.compression] : [a.compression, a.encryption], recipients: a.recipients })));
    return JSON.stringify(Object.fromEntries(fields.map((f) => [f, f === "formatVersion" ? MANIFEST_FORMAT_VERSION : stored(f)])), null, 2) + "\n";
}

/** Total stored bytes of a set. */
export function manifestBytes(m: Manifest): number {
    return m.artifacts.reduce((n, a) => n + a.size, 0);
}
