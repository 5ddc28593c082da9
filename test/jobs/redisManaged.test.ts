/**
 * dump-redis.sh against servers as managed services run them, on real redis-server 7.0:
 * TLS only (a tls-port, no plain port: ElastiCache with in-transit encryption), and servers that
 * do not serve SYNC (ElastiCache blocks it; here renamed away) or an ACL user without it. The
 * snapshot over TLS is checked in the set; each refusal must say why and what to do instead.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { gunzipSync } from "node:zlib";
import { Component } from "../../core/contract";
import { explain } from "../../harness/jobRunner";
import { MinioServer, startMinio } from "../../harness/minio";
import { RedisServer, startRedis } from "../../harness/redis";
import { makeCa, serverCert, TlsCa } from "../../harness/tlsCerts";
import { assertDumpFailed, assertNoManifest, backup, backupOk, uniquePrefix } from "./support";

describe("redis: TLS, and servers that will not serve SYNC", function () {
    this.timeout(300_000);
    let minio: MinioServer;
    let ca: TlsCa;
    let tlsRedis: RedisServer;

    before(async function () {
        this.timeout(900_000); // on a fresh machine, startMinio() first builds MinIO
        ca = await makeCa("ggb redis test CA");
        const cert = await serverCert(ca, ["redis.gitguardian.svc", "127.0.0.1"]);
        [minio, tlsRedis] = await Promise.all([startMinio(), startRedis({ password: "tls-redis-pw", tls: { ...cert, ca: ca.cert } })]);
        await tlsRedis.command("SET", "tls:proof", "came over TLS");
    });
    after(async () => {
        await Promise.all([minio?.destroy(), tlsRedis?.destroy()]);
    });

    const tlsEnv = (over: Record<string, string> = {}) => ({ ...tlsRedis.env(), GGB_REDIS_TLS: "1", GGB_REDIS_TLS_CA: ca.cert, GGB_COMPRESSION: "gzip", ...over });

    for (const shell of ["busybox", "dash"] as const) {
        it(`${shell}: a TLS-only server is backed up over TLS, its certificate verified against the CA from the Secret`, async function () {
            const prefix = uniquePrefix(`redis-tls-${shell}`);
            // The CA file written for redis-cli (in /tmp, the container's emptyDir) does not outlive the step.
            const caFiles = () => fs.readdirSync("/tmp").filter((f) => f.startsWith("redis-ca."));
            const before = caFiles();
            const run = await backupOk({ component: Component.Redis, minio, prefix, dumpShell: shell, uploadShell: "bash", dumpEnv: tlsEnv({ GGB_REDIS_TLS_SERVER_NAME: "redis.gitguardian.svc" }) });
            assert.deepEqual(caFiles(), before);
            assert.equal(run.manifest.format, "rdb");
            const artifact = run.manifest.artifacts[0];
            const rdb = gunzipSync(await minio.get(artifact.key));
            assert.equal(rdb.subarray(0, 5).toString(), "REDIS");
            assert.ok(rdb.includes(Buffer.from("tls:proof")) && rdb.includes(Buffer.from("came over TLS")), "the snapshot holds the server's key");
        });
    }

    it("without GGB_REDIS_TLS the TLS-only server is not reached, and says so; a CA that did not sign its certificate is refused", async function () {
        const plain = await backup({ component: Component.Redis, minio, prefix: uniquePrefix("redis-tls-plain"), dumpShell: "dash", uploadShell: "bash", dumpEnv: { ...tlsRedis.env(), GGB_COMPRESSION: "gzip" } });
        assertDumpFailed(plain, "dump-redis", /^dump-redis: cannot reach Redis at 127\.0\.0\.1:\d+: /);

        const other = await makeCa("some other CA");
        const prefix = uniquePrefix("redis-tls-wrong-ca");
        const wrong = await backup({ component: Component.Redis, minio, prefix, dumpShell: "dash", uploadShell: "bash", dumpEnv: tlsEnv({ GGB_REDIS_TLS_CA: other.cert }) });
        assertDumpFailed(wrong, "dump-redis", /^dump-redis: cannot reach Redis at 127\.0\.0\.1:\d+: .*certificate verify failed/);
        await assertNoManifest(minio, prefix);
    });

    it("a server that does not serve SYNC (as ElastiCache) is refused with the reason and the managed service's snapshots as the way", async function () {
        const managed = await startRedis({ password: "managed-pw", extraArgs: ["--rename-command", "SYNC", "", "--rename-command", "PSYNC", ""] });
        try {
            const prefix = uniquePrefix("redis-no-sync");
            const run = await backup({ component: Component.Redis, minio, prefix, dumpShell: "busybox", uploadShell: "bash", dumpEnv: { ...managed.env(), GGB_COMPRESSION: "gzip" } });
            assertDumpFailed(run, "dump-redis", /^dump-redis: Redis at 127\.0\.0\.1:\d+ does not serve SYNC, which the snapshot \(redis-cli --rdb\) is taken with: managed services block it \(ElastiCache, MemoryDB, Azure Cache for Redis, Memorystore\); back such a Redis up with the service's own snapshots .* and set redis\.enabled: false here/);
            await assertNoManifest(minio, prefix);
        } finally {
            await managed.destroy();
        }
    });

    it("an ACL user without +sync is refused with the grant it needs", async function () {
        const server = await startRedis({ password: "acl-pw" });
        try {
            await server.command("ACL", "SETUSER", "backup", "on", ">backup-pw", "+info");
            const prefix = uniquePrefix("redis-acl");
            const run = await backup({ component: Component.Redis, minio, prefix, dumpShell: "dash", uploadShell: "bash", dumpEnv: { ...server.env(), REDISCLI_AUTH: "backup-pw", GGB_REDIS_USER: "backup", GGB_COMPRESSION: "gzip" } });
            assertDumpFailed(run, "dump-redis", /^dump-redis: Redis user 'backup' may not run SYNC, which the snapshot \(redis-cli --rdb\) is taken with: grant it, e\.g\. ACL SETUSER backup \+sync \+replconf \+info$/);
            assert.ok(run.dump.durationMs < 60_000, explain(run.dump));
            await assertNoManifest(minio, prefix);
        } finally {
            await server.destroy();
        }
    });
});
