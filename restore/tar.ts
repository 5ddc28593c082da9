/**
 * The KOTS artifacts are tar files (kots-app.tar, kots-secrets.tar; gzip or zstd compressed)
 * written by jobs/dump-kots.sh with GNU or busybox tar. This reads them without a tar binary:
 * ustar headers, GNU long names and pax path records, regular files and folders only. Paths are
 * confined to the destination (no absolute paths, no '..').
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import type { Compression } from "../core/manifest";

export interface TarEntry {
    /** Normalised relative path, without a leading './'. */
    path: string;
    type: "file" | "directory";
    data: Buffer;
    mode: number;
}

/**
 * The largest a decoded artifact read in the provider may be (the KOTS configuration and keys are
 * kilobytes to a few megabytes): a corrupted or hostile artifact cannot exhaust the memory of the
 * machine running `pulumi up`.
 */
export const MAX_DECODED_BYTES = 512 * 1024 * 1024;

/** An artifact's bytes, decoded with the codec its manifest records (the codec seam's TypeScript side). */
export function decodeArtifact(artifact: { name: string; compression: Compression }, data: Buffer, maxBytes = MAX_DECODED_BYTES): Buffer {
    const bounded = <T>(decode: () => T): T => {
        try {
            return decode();
        } catch (e) {
            if ((e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") throw new Error(`${artifact.name} decodes to more than ${maxBytes} bytes; refusing to read it`);
            throw new Error(`${artifact.name} is not valid ${artifact.compression} data: ${(e as Error).message}`);
        }
    };
    switch (artifact.compression) {
        case "gzip":
            return bounded(() => zlib.gunzipSync(data, { maxOutputLength: maxBytes }));
        case "zstd": {
            const z = zlib as unknown as { zstdDecompressSync?: (b: Buffer, o?: { maxOutputLength?: number }) => Buffer };
            if (!z.zstdDecompressSync) throw new Error(`${artifact.name} is zstd-compressed and this Node.js (${process.version}) cannot decompress zstd; use Node.js 22.15 or later`);
            return bounded(() => z.zstdDecompressSync!(data, { maxOutputLength: maxBytes }));
        }
        case "none":
            return data;
    }
}

function cstring(b: Buffer): string {
    const end = b.indexOf(0);
    return b.subarray(0, end === -1 ? b.length : end).toString("utf8");
}

function octal(b: Buffer): number {
    const text = cstring(b).trim();
    return text === "" ? 0 : parseInt(text, 8);
}

function normalise(p: string): string {
    const parts = p.split("/").filter((x) => x !== "" && x !== ".");
    if (p.startsWith("/") || parts.includes("..")) throw new Error(`tar entry ${JSON.stringify(p)} leaves the archive's folder; refusing it`);
    return parts.join("/");
}

/** Every entry of a tar archive (uncompressed bytes). */
export function readTar(data: Buffer): TarEntry[] {
    const entries: TarEntry[] = [];
    let offset = 0;
    let longName: string | undefined;
    let paxPath: string | undefined;
    while (offset + 512 <= data.length) {
        const header = data.subarray(offset, offset + 512);
        if (header.every((x) => x === 0)) break;
        const size = octal(header.subarray(124, 136));
        const type = String.fromCharCode(header[156] || 0x30);
        const magic = header.subarray(257, 263).toString("latin1");
        const prefix = magic.startsWith("ustar") ? cstring(header.subarray(345, 500)) : "";
        let name = cstring(header.subarray(0, 100));
        if (prefix) name = `${prefix}/${name}`;
        const body = data.subarray(offset + 512, offset + 512 + size);
        if (body.length < size) throw new Error("tar archive is truncated");
        offset += 512 + Math.ceil(size / 512) * 512;
        if (type === "L") {
            longName = cstring(body);
            continue;
        }
        if (type === "x") {
            for (const record of body.toString("utf8").split("\n")) {
                const m = /^\d+ path=(.*)$/.exec(record);
                if (m) paxPath = m[1];
            }
            continue;
        }
        if (type === "g") continue;
        const fullName = paxPath ?? longName ?? name;
        longName = undefined;
        paxPath = undefined;
        const rel = normalise(fullName);
        if (rel === "") continue;
        const mode = octal(header.subarray(100, 108));
        if (type === "0" || type === "\0" || type === "7") entries.push({ path: rel, type: "file", data: Buffer.from(body), mode });
        else if (type === "5") entries.push({ path: rel, type: "directory", data: Buffer.alloc(0), mode });
        else throw new Error(`tar entry ${JSON.stringify(rel)} has type '${type}' (links and devices are not expected in a KOTS artifact); refusing it`);
    }
    return entries;
}

/** Writes the entries under `dest` (created); files are private to the user. */
export function extractTo(entries: readonly TarEntry[], dest: string): void {
    fs.mkdirSync(dest, { recursive: true, mode: 0o700 });
    for (const e of entries) {
        const target = path.join(dest, e.path);
        if (e.type === "directory") fs.mkdirSync(target, { recursive: true, mode: 0o700 });
        else {
            fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
            fs.writeFileSync(target, e.data, { mode: 0o600 });
        }
    }
}
