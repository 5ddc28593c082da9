/**
 * The manifest contract between TypeScript and the scripts, from both sides: the scripts' reader
 * (restore-fetch.sh, with jq) on manifests written by TypeScript (core/manifest.ts manifestJson)
 * in several field orders and with fields it does not know, and the TypeScript reader
 * (parseManifest) on a manifest written by jobs/upload.sh, in the same orders. The codec is read
 * from the manifest, not from the file name: an artifact named like gzip but recorded as `none`
 * is restored as stored.
 */
import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { Component } from "../../core/contract";
import { Manifest, manifestJson, manifestKey, parseManifest } from "../../core/manifest";
import { explain, runJob } from "../../harness/jobRunner";
import { MinioServer, startMinio } from "../../harness/minio";
import { makeTempDir, removeTempDir } from "../../harness/proc";
import { startRedis, RedisServer } from "../../harness/redis";
import { assertFailed, backupOk, fetchSet, nextBackupId, uniquePrefix } from "./support";

const FIELD_ORDERS: readonly (keyof Manifest)[][] = [
    ["formatVersion", "component", "backupId", "startedAt", "finishedAt", "format", "tool", "server", "details", "artifacts"],
    ["artifacts", "details", "server", "tool", "format", "finishedAt", "startedAt", "backupId", "component", "formatVersion"],
    ["backupId", "artifacts", "formatVersion", "format", "component", "tool", "startedAt", "details", "server", "finishedAt"],
];

/** The manifest's JSON with its fields and every artifact's fields in a given order, plus fields no reader knows. */
function reordered(m: Manifest, order: readonly (keyof Manifest)[], i: number): string {
    const artifactOrders = [["name", "key", "size", "sha256", "codecs", "recipients"], ["sha256", "recipients", "codecs", "size", "key", "name"], ["key", "name", "codecs", "sha256", "size", "recipients"]];
    const obj = JSON.parse(manifestJson(m, order)) as Record<string, unknown> & { artifacts: Record<string, unknown>[] };
    obj.artifacts = obj.artifacts.map((a) => ({
        ...Object.fromEntries(artifactOrders[i % 3].map((f) => [f, a[f]])),
        // A later manifest version adds fields (row counts, say): readers ignore them.
        [`futureField${i}`]: { rows: [1, 2] },
    }));
    return JSON.stringify({ ...obj, [`unknownTopLevel${i}`]: [1, 2, 3] }, null, i % 2 ? 0 : 4);
}

/** A manifest as version 1 wrote it (one "compression" per artifact, no codecs or recipients): sets made before encryption. */
function versionOne(m: Manifest): string {
    const obj = JSON.parse(manifestJson(m)) as Record<string, unknown> & { artifacts: Record<string, unknown>[] };
    obj.formatVersion = 1;
    obj.artifacts = m.artifacts.map((a) => ({ name: a.name, key: a.key, size: a.size, sha256: a.sha256, compression: a.compression }));
    return JSON.stringify(obj, null, 2);
}

describe("manifest contract: the TypeScript and the sh readers on each other's manifests", function () {
    let minio: MinioServer;
    let redis: RedisServer;

    before(async function () {
        this.timeout(900_000);
        [minio, redis] = await Promise.all([startMinio(), startRedis({ password: "contract-pw" })]);
    });
    after(async () => {
        await Promise.all([minio?.destroy(), redis?.destroy()]);
    });

    /** Puts a set written by TypeScript: artifacts and a manifest naming them. */
    async function putSet(prefix: string, component: Component, files: { name: string; data: Buffer; compression: "gzip" | "none" }[], text: (m: Manifest) => string) {
        const backupId = nextBackupId();
        const artifacts = [];
        for (const f of files) {
            const key = `${prefix}/${component}/${backupId}/run0/${f.name}`;
            await minio.put(key, f.data);
            artifacts.push({ name: f.name, key, size: f.data.length, sha256: createHash("sha256").update(f.data).digest("hex"), compression: f.compression, encryption: "none" as const, recipients: [] });
        }
        const m: Manifest = {
            formatVersion: 2,
            component,
            backupId,
            startedAt: "2026-11-27T02:00:00Z",
            finishedAt: "2026-11-27T02:00:09Z",
            format: "rdb",
            tool: { name: "redis-cli", version: "7.0" },
            server: { version: "7.0" },
            // A part's facts for its restore (postgres records rolePasswords): the sh reader
            // keeps those named as upload.sh names them, folded onto one line each.
            details: { rolePasswords: "excluded", twoLines: "first\nsecond", "Not-a-name": "dropped" },
            artifacts,
        };
        await minio.put(manifestKey(prefix, component, backupId), text(m));
        return { backupId, manifest: m };
    }

    for (const [i, order] of FIELD_ORDERS.entries()) {
        it(`restore-fetch.sh reads a manifest written by TypeScript, fields in order #${i + 1}, unknown fields present`, async () => {
            const prefix = uniquePrefix("contract-sh");
            const rdb = Buffer.from("REDIS0011-not-a-real-snapshot");
            const { backupId, manifest } = await putSet(prefix, "redis", [{ name: "dump.rdb.gz", data: gzipSync(rdb), compression: "gzip" }, { name: "notes.txt", data: Buffer.from("x"), compression: "none" }], (m) => reordered(m, order, i));
            for (const shell of ["bash", "dash"] as const) {
                const { result, staging } = await fetchSet({ component: "redis", minio, prefix, backupId, shell });
                try {
                    assert.equal(result.exitCode, 0, explain(result));
                    const lines = fs.readFileSync(path.join(staging, ".artifacts"), "utf8").trim().split("\n");
                    assert.deepEqual(lines, manifest.artifacts.map((a) => `${a.name} ${a.key} ${a.size} ${a.sha256} ${a.compression} none -`));
                    assert.equal(fs.readFileSync(path.join(staging, ".set"), "utf8"), `component=redis\nbackupId=${backupId}\nformat=rdb\ndetail.rolePasswords=excluded\ndetail.twoLines=first second\n`);
                } finally {
                    removeTempDir(staging);
                }
            }
        });
    }

    it("restore-fetch.sh and parseManifest read a version 1 manifest (a set made before encryption)", async () => {
        const prefix = uniquePrefix("contract-v1");
        const rdb = Buffer.from("REDIS0011-not-a-real-snapshot");
        const { backupId, manifest } = await putSet(prefix, "redis", [{ name: "dump.rdb.gz", data: gzipSync(rdb), compression: "gzip" }], versionOne);
        const { result, staging } = await fetchSet({ component: "redis", minio, prefix, backupId, shell: "bash" });
        try {
            assert.equal(result.exitCode, 0, explain(result));
            const [a] = manifest.artifacts;
            assert.equal(fs.readFileSync(path.join(staging, ".artifacts"), "utf8"), `${a.name} ${a.key} ${a.size} ${a.sha256} gzip none -\n`);
            assert.deepEqual(fs.readFileSync(path.join(staging, a.name)), gzipSync(rdb));
        } finally {
            removeTempDir(staging);
        }
        const read = parseManifest(versionOne(manifest), ["redis"]);
        assert.equal(read.formatVersion, 1);
        assert.deepEqual(read.artifacts.map((x) => [x.compression, x.encryption, x.recipients]), [["gzip", "none", []]]);
    });

    it("restore-fetch.sh refuses a manifest whose artifact names the upload step would refuse (leading '.', twice the same)", async () => {
        const prefix = uniquePrefix("contract-names");
        const data = Buffer.from("abc");
        for (const [files, reason] of [
            [[{ name: ".fetch-complete", data, compression: "none" as const }], /artifact name in the manifest of .* '\.fetch-complete' is not a plain file name/],
            [[{ name: "a.bin", data, compression: "none" as const }, { name: "a.bin", data, compression: "none" as const }], /lists artifact a\.bin twice/],
        ] as const) {
            const { backupId } = await putSet(prefix, "redis", [...files], (m) => manifestJson(m));
            const { result, staging } = await fetchSet({ component: "redis", minio, prefix, backupId, shell: "bash" });
            removeTempDir(staging);
            assertFailed(result, "restore-fetch", reason);
        }
    });

    it("parseManifest reads a manifest written by upload.sh, in every field order, with unknown fields", async () => {
        const prefix = uniquePrefix("contract-ts");
        const run = await backupOk({ component: "redis", minio, dumpEnv: { ...redis.env(), GGB_COMPRESSION: "zstd" }, dumpShell: "busybox", uploadShell: "bash", prefix });
        const written = parseManifest(run.manifestText, ["redis"]);
        // The codec comes from the dump step over the channel, recorded per artifact.
        assert.deepEqual(written.artifacts.map((a) => [a.name, a.compression]), [["dump.rdb.zst", "zstd"]]);
        // The snapshot's facts as redis-check-rdb read them (an empty server: no key, no database;
        // test/engine/drill.test.ts has them per database).
        assert.match(run.manifestText, /^  "details": \{"keys": "0", "databases": ""\},$/m);
        assert.deepEqual(written.details, { keys: "0", databases: "" });
        for (const [i, order] of FIELD_ORDERS.entries()) {
            assert.deepEqual(parseManifest(reordered(written, order, i), ["redis"]), written, `order #${i + 1}`);
        }
    });

    it("the restore decodes an artifact with the codec its manifest records, not the one its name suggests", async () => {
        const prefix = uniquePrefix("contract-codec");
        // Named .gz but stored as is: a reader that guessed from the suffix would try to gunzip it.
        const { backupId } = await putSet(prefix, "redis", [{ name: "dump.rdb.gz", data: Buffer.from("REDIS0011 stored as is"), compression: "none" }], (m) => manifestJson(m));
        const { result, staging } = await fetchSet({ component: "redis", minio, prefix, backupId, shell: "dash" });
        assert.equal(result.exitCode, 0, explain(result));
        const data = makeTempDir("contract-redis-data");
        try {
            const apply = await runJob("restore-redis.sh", { shell: "busybox", env: { GGB_STAGING_DIR: staging, GGB_REDIS_DATA_DIR: data } });
            assert.equal(apply.exitCode, 0, explain(apply));
            assert.equal(fs.readFileSync(path.join(data, "dump.rdb"), "utf8"), "REDIS0011 stored as is");
        } finally {
            removeTempDir(staging);
            removeTempDir(data);
        }
    });
});
