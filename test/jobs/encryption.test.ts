/**
 * Client-side encryption through the job scripts on real servers (PostgreSQL 15, Redis 7.0,
 * MinIO) and the real age (v1.3.2, built statically as an encryption tool image must hold it):
 * the upload step encrypts each artifact to the recipients as it streams by, the bucket then
 * holds no plaintext (checked against an unencrypted set of the same data, which does), and the
 * fetch step decrypts with one recipient's identity. A wrong key, a missing key, a set made for
 * other recipients and a changed ciphertext whose manifest was changed to match all fail in the
 * fetch step, which runs before any step touches the target, and leave nothing to apply.
 */
import * as assert from "node:assert/strict";
import { execa } from "execa";
import * as fs from "node:fs";
import * as path from "node:path";
import { createHash } from "node:crypto";
import { Component } from "../../core/contract";
import { manifestKey, parseManifest } from "../../core/manifest";
import { explain, runJob } from "../../harness/jobRunner";
import { PART_SCRIPT } from "../../sources";
import { MinioServer, startMinio } from "../../harness/minio";
import { PostgresServer, startPostgres } from "../../harness/postgres";
import { makeTempDir, removeTempDir } from "../../harness/proc";
import { RedisServer, startRedis } from "../../harness/redis";
import { ageDir } from "../../harness/tools";
import { populateSource, rowChecksums } from "./pgFixture";
import { assertFailed, assertNoManifest, backup, backupOk, fetchSet, uniquePrefix } from "./support";

/** An age identity made by the real age-keygen: its file and its recipient. */
interface Identity {
    file: string;
    recipient: string;
    secret: string;
}

/** Strings of the fixture that a reader of the bucket must not find: rows, role names and password hashes, a Redis value. */
const PLAINTEXT = ["eu-west-3", "SCRAM-SHA-256$", "app_owner", "CREATE ROLE", "ghp_live_token_of_the_fixture"];

describe("encryption: age in the upload and fetch steps, on real servers", function () {
    let minio: MinioServer;
    let source: PostgresServer;
    let redis: RedisServer;
    let age: string;
    let keys: string;
    let alice: Identity, bob: Identity, mallory: Identity;

    async function identity(name: string): Promise<Identity> {
        const file = path.join(keys, `${name}.txt`);
        await execa(path.join(path.dirname(age), "age-keygen"), ["-o", file]);
        const recipient = (await execa(path.join(path.dirname(age), "age-keygen"), ["-y", file])).stdout.trim();
        const secret = fs.readFileSync(file, "utf8").split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-1"))!;
        return { file, recipient, secret };
    }

    before(async function () {
        this.timeout(900_000);
        let dir: string;
        [minio, source, redis, dir] = await Promise.all([startMinio(), startPostgres({ password: "enc-source-pw" }), startRedis({ password: "enc-redis-pw" }), ageDir()]);
        age = path.join(dir, "age");
        keys = makeTempDir("age-keys");
        [alice, bob, mallory] = await Promise.all([identity("alice"), identity("bob"), identity("mallory")]);
        await populateSource(source);
        await redis.command("SET", "github:token", "ghp_live_token_of_the_fixture");
        for (let i = 0; i < 50; i++) await redis.command("SET", `incident:${i}`, `secret value ${i}`);
    });
    after(async () => {
        await Promise.all([minio?.destroy(), source?.destroy(), redis?.destroy()]);
        if (keys) removeTempDir(keys);
    });

    const encrypted = (...to: Identity[]) => ({ GGB_ENCRYPTION_RECIPIENTS: to.map((i) => i.recipient).join("\n"), GGB_AGE: age });

    /** Every stored object of a set, concatenated. */
    async function storedBytes(prefix: string): Promise<Buffer> {
        const objects = await minio.list(`${prefix}/`);
        assert.ok(objects.length >= 2, objects.join(", "));
        return Buffer.concat(await Promise.all(objects.map((k) => minio.get(k))));
    }

    async function postgresSet(prefix: string, uploadEnv: Record<string, string>) {
        return backupOk({ component: Component.Postgres, minio, prefix, dumpShell: "busybox", uploadShell: "bash", dumpEnv: { ...source.env(), GGB_PG_FORMAT: "sql", GGB_COMPRESSION: "none" }, uploadEnv });
    }

    it("postgres, uncompressed so that the plaintext would show: the bucket holds none of it, and either recipient's key restores the same rows", async () => {
        // The control: the same data unencrypted shows every string the check looks for.
        const plainPrefix = uniquePrefix("enc-control");
        await postgresSet(plainPrefix, {});
        const plain = await storedBytes(plainPrefix);
        for (const s of PLAINTEXT.slice(0, 4)) assert.ok(plain.includes(s), `the unencrypted control lacks ${s}`);

        const prefix = uniquePrefix("enc-pg");
        const run = await postgresSet(prefix, encrypted(alice, bob));
        for (const a of run.manifest.artifacts) {
            assert.deepEqual([a.compression, a.encryption, a.recipients], ["none", "age", [alice.recipient, bob.recipient]], a.name);
            // What the manifest vouches for is the ciphertext as stored.
            const stored = await minio.get(a.key);
            assert.equal(a.size, stored.length);
            assert.equal(a.sha256, createHash("sha256").update(stored).digest("hex"));
            assert.ok(stored.subarray(0, 22).toString().startsWith("age-encryption.org/v1"), a.name);
        }
        assert.match(run.manifestText, /"formatVersion": 2,/);
        const stored = await storedBytes(prefix);
        for (const s of [...PLAINTEXT.slice(0, 4), alice.secret, bob.secret]) assert.ok(!stored.includes(s), `the bucket holds ${s.slice(0, 20)}…`);

        // Bob's key (the second recipient) restores into a fresh server: the same rows.
        const target = await startPostgres({ password: "enc-target-pw" });
        try {
            const fetched = await fetchSet({ component: Component.Postgres, minio, prefix, backupId: run.backupId, shell: "bash", env: { GGB_AGE: age, GGB_AGE_IDENTITY_FILE: bob.file } });
            assert.equal(fetched.result.exitCode, 0, explain(fetched.result));
            assert.match(fetched.result.stderr, /decrypted dumpall\.sql/);
            const restore = await runJob(PART_SCRIPT.restorePostgres, { shell: "busybox", env: { ...target.env(), GGB_STAGING_DIR: fetched.staging } });
            assert.equal(restore.exitCode, 0, explain(restore));
            assert.deepEqual(await rowChecksums(target), await rowChecksums(source));
            removeTempDir(fetched.staging);
        } finally {
            await target.destroy();
        }
    });

    it("redis: the snapshot leaves the pod encrypted; alice's key gives back the very RDB (its values readable again)", async () => {
        const prefix = uniquePrefix("enc-redis");
        const run = await backupOk({ component: Component.Redis, minio, prefix, dumpShell: "busybox", uploadShell: "bash", dumpEnv: { ...redis.env(), GGB_COMPRESSION: "none" }, uploadEnv: encrypted(alice) });
        const [rdb] = run.manifest.artifacts;
        assert.deepEqual([rdb.encryption, rdb.recipients], ["age", [alice.recipient]]);
        assert.ok(!(await storedBytes(prefix)).includes("ghp_live_token_of_the_fixture"));
        const fetched = await fetchSet({ component: Component.Redis, minio, prefix, backupId: run.backupId, shell: "dash", env: { GGB_AGE: age, GGB_AGE_IDENTITY_FILE: alice.file } });
        try {
            assert.equal(fetched.result.exitCode, 0, explain(fetched.result));
            const restored = fs.readFileSync(path.join(fetched.staging, rdb.name));
            assert.equal(restored.subarray(0, 5).toString(), "REDIS");
            assert.ok(restored.includes("ghp_live_token_of_the_fixture"));
            assert.equal(run.manifest.details.keys, "51");
        } finally {
            removeTempDir(fetched.staging);
        }
    });

    it("key rotation: a recipient removed reads the sets made for it, not the newer ones; the one kept reads both", async () => {
        const prefix = uniquePrefix("enc-rotation");
        const before = await postgresSet(prefix, encrypted(alice, bob));
        const after = await postgresSet(prefix, encrypted(bob));
        const fetchWith = (id: string, who: Identity) => fetchSet({ component: Component.Postgres, minio, prefix, backupId: id, shell: "bash", env: { GGB_AGE: age, GGB_AGE_IDENTITY_FILE: who.file } });
        for (const [id, who, ok] of [[before.backupId, alice, true], [after.backupId, alice, false], [before.backupId, bob, true], [after.backupId, bob, true]] as const) {
            const { result, staging } = await fetchWith(id, who);
            removeTempDir(staging);
            if (ok) assert.equal(result.exitCode, 0, explain(result));
            else assertFailed(result, "restore-fetch", new RegExp(`does not decrypt .*: it is encrypted to ${bob.recipient}; refusing to restore`));
        }
    });

    describe("what fails in the fetch step, before the target is touched", () => {
        let prefix: string;
        let backupId: string;
        before(async function () {
            this.timeout(300_000);
            prefix = uniquePrefix("enc-refusals");
            backupId = (await postgresSet(prefix, encrypted(alice, bob))).backupId;
        });

        /** The fetch step failed and left nothing the apply step could take for a set. */
        async function refused(env: Record<string, string>, reason: RegExp, p = prefix, id = backupId) {
            const fetched = await fetchSet({ component: Component.Postgres, minio, prefix: p, backupId: id, shell: "bash", env });
            try {
                assertFailed(fetched.result, "restore-fetch", reason);
                const left = fs.readdirSync(fetched.staging).filter((f) => f !== "manifest.json" && f !== ".artifacts");
                assert.deepEqual(left, [], "the fetch step left files to apply");
            } finally {
                removeTempDir(fetched.staging);
            }
        }

        it("a key that is not one of the recipients, naming the ones the set needs", async () => {
            await refused({ GGB_AGE: age, GGB_AGE_IDENTITY_FILE: mallory.file }, new RegExp(`does not decrypt \\(.*no identity matched.*\\): it is encrypted to ${alice.recipient},${bob.recipient}; refusing to restore`));
        });
        it("no key at all, before the first download", async () => {
            await refused({ GGB_AGE: age }, new RegExp(`is encrypted to ${alice.recipient},${bob.recipient}: give the restore \\(or the drill\\) the age identity of one of them`));
        });
        it("a set made for other recipients", async () => {
            const other = uniquePrefix("enc-other");
            const id = (await postgresSet(other, encrypted(mallory))).backupId;
            await refused({ GGB_AGE: age, GGB_AGE_IDENTITY_FILE: alice.file }, new RegExp(`encrypted to ${mallory.recipient}; refusing`), other, id);
        });
        it("a changed byte of the ciphertext, the manifest changed to match (so only age's authentication can tell)", async () => {
            const forged = uniquePrefix("enc-forged");
            const run = await postgresSet(forged, encrypted(alice));
            const artifact = run.manifest.artifacts.find((a) => a.name.startsWith("dumpall"))!;
            const data = await minio.get(artifact.key);
            data[Math.floor(data.length / 2)] ^= 0x01;
            await minio.put(artifact.key, data);
            const text = run.manifestText.replace(artifact.sha256, createHash("sha256").update(data).digest("hex"));
            assert.notEqual(text, run.manifestText);
            await minio.put(manifestKey(forged, Component.Postgres, run.backupId), text);
            assert.equal(parseManifest(text).artifacts.find((a) => a.name === artifact.name)!.size, data.length);
            await refused({ GGB_AGE: age, GGB_AGE_IDENTITY_FILE: alice.file }, /artifact dumpall\.sql does not decrypt \(.*\): it is encrypted to/, forged, run.backupId);
        });
    });

    describe("what the upload step refuses", () => {
        it("a recipient that is not one (a private key pasted instead), before anything is uploaded", async () => {
            const prefix = uniquePrefix("enc-bad-recipient");
            const run = await backup({ component: Component.Redis, minio, prefix, dumpShell: "busybox", uploadShell: "bash", dumpEnv: { ...redis.env(), GGB_COMPRESSION: "none" }, uploadEnv: { GGB_ENCRYPTION_RECIPIENTS: `${alice.recipient}\n${alice.secret}`, GGB_AGE: age } });
            assertFailed(run.upload, "upload", /a recipient of GGB_ENCRYPTION_RECIPIENTS 'AGE-SECRET-KEY-1[^']*' is not an age X25519 recipient/);
            await assertNoManifest(minio, prefix);
            removeTempDir(run.staging);
        });
        it("an age that does not run in the upload image (a dynamically linked one, its loader missing), saying it must be static", async () => {
            const prefix = uniquePrefix("enc-dynamic-age");
            const fake = path.join(keys, "age-dynamic");
            // What exec of a binary linked against a loader the image lacks gives: "not found".
            fs.writeFileSync(fake, "#!/lib/ld-musl-x86_64.so.1\n", { mode: 0o755 });
            const run = await backup({ component: Component.Redis, minio, prefix, dumpShell: "busybox", uploadShell: "bash", dumpEnv: { ...redis.env(), GGB_COMPRESSION: "none" }, uploadEnv: { GGB_ENCRYPTION_RECIPIENTS: alice.recipient, GGB_AGE: fake } });
            assertFailed(run.upload, "upload", /age-dynamic does not run in this image \(.*\): the age of encryption\.toolImage must be statically linked/);
            await assertNoManifest(minio, prefix);
            removeTempDir(run.staging);
        });
        it("an image without age, saying where it should have come from", async () => {
            const prefix = uniquePrefix("enc-no-age");
            const run = await backup({ component: Component.Redis, minio, prefix, dumpShell: "busybox", uploadShell: "bash", dumpEnv: { ...redis.env(), GGB_COMPRESSION: "none" }, uploadEnv: { GGB_ENCRYPTION_RECIPIENTS: alice.recipient } });
            assertFailed(run.upload, "upload", /age is not at \/ggb-tools\/age: the init container that copies it from encryption\.toolImage did not run/);
            await assertNoManifest(minio, prefix);
            removeTempDir(run.staging);
        });
    });
});
