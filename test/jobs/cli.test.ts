/**
 * ggb-backups, the operator's CLI, as installed (bin/ggb-backups) against a real MinIO: the sets
 * of each part (an upload that never committed shown as such), a set verified by a full download
 * and refused once an artifact is corrupted, the drill history with its exit status.
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { execa } from "execa";
import { Component } from "../../core/contract";
import { MinioServer, startMinio } from "../../harness/minio";
import { RedisServer, startRedis } from "../../harness/redis";
import { REPO_ROOT } from "../../harness/jobRunner";
import { backupOk, uniquePrefix } from "./support";

describe("ggb-backups: sets, verify, drills from a terminal", function () {
    this.timeout(300_000);
    let minio: MinioServer;
    let redis: RedisServer;
    const prefix = uniquePrefix("cli");
    let backupId: string;

    const cli = (...args: string[]) =>
        execa(process.execPath, [path.join(REPO_ROOT, "bin", "ggb-backups"), ...args, "--bucket", minio.bucket, "--prefix", prefix, "--endpoint", minio.endpoint], {
            reject: false,
            env: { AWS_ACCESS_KEY_ID: minio.accessKey, AWS_SECRET_ACCESS_KEY: minio.secretKey, AWS_REGION: "us-east-1" },
        });

    before(async function () {
        this.timeout(900_000);
        [minio, redis] = await Promise.all([startMinio(), startRedis()]);
        await redis.command("SET", "k", "v");
        backupId = (await backupOk({ component: Component.Redis, minio, prefix, dumpShell: "busybox", uploadShell: "bash", dumpEnv: { ...redis.env(), GGB_COMPRESSION: "gzip" } })).backupId;
        await minio.put(`${prefix}/redis/20991231T000000Z/abcdef012345/dump.rdb.gz`, "never committed");
    });
    after(async () => {
        await Promise.all([minio?.destroy(), redis?.destroy()]);
    });

    it("sets: each part's sets, newest first, an uncommitted one marked", async () => {
        const r = await cli("sets", "--part", "redis", "--part", "postgres");
        assert.equal(r.exitCode, 0, r.stderr);
        const lines = r.stdout.split("\n");
        assert.equal(lines[0], "redis: 1 complete sets");
        assert.match(lines[1], /^  20991231T000000Z  INCOMPLETE \(no manifest: never restored\)\s+-  /);
        assert.match(lines[2], new RegExp(`^  ${backupId}  complete\\s+0\\.0 MiB  \\d`));
        assert.equal(lines[3], "postgres: 0 complete sets (none)");
    });

    it("verify: every artifact downloaded and checked; a corrupted one makes it exit 1, naming it", async () => {
        const ok = await cli("verify", "--part", "redis", "--backup-id", backupId);
        assert.equal(ok.exitCode, 0, ok.stderr);
        assert.match(ok.stdout, /^  ok       dump\.rdb\.gz \(\d+ bytes, sha256 [0-9a-f]{64}\)$/m);
        assert.match(ok.stdout, new RegExp(`^redis/${backupId}: 1 artifacts, \\d+ bytes, each as the manifest says$`, "m"));
        const key = (await minio.list(`${prefix}/redis/${backupId}/`)).find((k) => k.endsWith("/dump.rdb.gz"))!;
        const original = await minio.get(key);
        await minio.put(key, Buffer.concat([original, Buffer.from("x")]));
        try {
            const bad = await cli("verify", "--part", "redis", "--backup-id", backupId);
            assert.equal(bad.exitCode, 1);
            assert.match(bad.stdout, /^  CORRUPT  dump\.rdb\.gz: \d+ bytes, sha256 [0-9a-f]{64}; the manifest says \d+ bytes, sha256 [0-9a-f]{64}$/m);
            assert.match(bad.stdout, /1 of 1 artifacts do not match the manifest: do not restore this set$/m);
        } finally {
            await minio.put(key, original);
        }
    });

    it("drills: the history newest first; exit 1 while the newest drill is not SUCCESSFUL", async () => {
        const none = await cli("drills");
        assert.equal(none.exitCode, 1);
        assert.equal(none.stdout.trim(), `no drill result under ${prefix}/drills/`);
        const result = (drillId: string, status: string, reason: string) => JSON.stringify({ formatVersion: 1, drillId, status, reason, recoverySeconds: 12, sets: { redis: backupId } });
        await minio.put(`${prefix}/drills/20261201T050000Z.json`, result("20261201T050000Z", "SUCCESSFUL", ""));
        await minio.put(`${prefix}/drills/20261202T050000Z.json`, result("20261202T050000Z", "FAILED", "redis keys: the scratch server loaded 0 keys"));
        const r = await cli("drills", "--last", "5");
        assert.equal(r.exitCode, 1);
        assert.deepEqual(r.stdout.trim().split("\n"), [
            `20261202T050000Z  FAILED      recovery    12 s  redis ${backupId}`,
            "    redis keys: the scratch server loaded 0 keys",
            `20261201T050000Z  SUCCESSFUL  recovery    12 s  redis ${backupId}`,
        ]);
        await minio.delete(`${prefix}/drills/20261202T050000Z.json`);
        assert.equal((await cli("drills")).exitCode, 0);
    });

    it("usage: without a bucket or a command it says how to call it", async () => {
        const r = await execa(process.execPath, [path.join(REPO_ROOT, "bin", "ggb-backups")], { reject: false });
        assert.equal(r.exitCode, 2);
        assert.match(r.stdout, /^usage: ggb-backups <sets\|verify\|drills> --bucket NAME/);
    });
});
