/**
 * The part size of the streamed uploads reaches the aws CLI: a real multipart upload to MinIO,
 * whose parts are read back from the object itself (HeadObject with partNumber gives a part's
 * length and the number of parts). The CLI's own 8 MiB parts would cap an artifact at 78 GiB.
 */
import * as assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Component } from "../../core/contract";
import { explain } from "../../harness/jobRunner";
import { MinioServer, startMinio } from "../../harness/minio";
import { RedisServer, startRedis } from "../../harness/redis";
import { DEFAULTS, S3_MAX_PARTS } from "../../backup/validate";
import { assertFailed, backup, backupOk, uniquePrefix } from "./support";

const MiB = 2 ** 20;

describe("streamed uploads: the multipart part size", function () {
    this.timeout(600_000);
    let minio: MinioServer;
    let redis: RedisServer;

    before(async function () {
        this.timeout(900_000); // on a fresh machine, startMinio() first builds MinIO (minutes)
        [minio, redis] = await Promise.all([startMinio(), startRedis()]);
        // Incompressible, and larger than one default part: the RDB is about 140 MiB.
        const r = await redis.command("SET", "blob", randomBytes(140 * MiB));
        assert.equal(String(r), "OK");
    });
    after(async () => {
        await Promise.all([minio?.destroy(), redis?.destroy()]);
    });

    /** Length of part 1 and the number of parts of a stored object. */
    async function parts(key: string): Promise<{ first: number; count: number; size: number }> {
        const r = await minio.aws(["s3api", "head-object", "--bucket", minio.bucket, "--key", key, "--part-number", "1", "--output", "json"]);
        const head = JSON.parse(r.stdout.toString()) as { ContentLength: number; PartsCount?: number };
        const whole = JSON.parse((await minio.aws(["s3api", "head-object", "--bucket", minio.bucket, "--key", key, "--output", "json"])).stdout.toString()) as { ContentLength: number };
        return { first: head.ContentLength, count: head.PartsCount ?? 1, size: whole.ContentLength };
    }

    const cases: { label: string; env: Record<string, string>; partMiB: number }[] = [
        { label: "by default, TypeScript's default", env: {}, partMiB: DEFAULTS.uploadPartSizeMiB },
        { label: "GGB_S3_PART_SIZE_MIB=9", env: { GGB_S3_PART_SIZE_MIB: "9" }, partMiB: 9 },
    ];
    for (const c of cases) {
        it(`${c.label}: parts of ${c.partMiB} MiB`, async function () {
            const prefix = uniquePrefix("multipart");
            const run = await backupOk({ component: Component.Redis, minio, prefix, dumpShell: "dash", uploadShell: "bash", dumpEnv: { ...redis.env(), GGB_COMPRESSION: "gzip" }, uploadEnv: c.env });
            const [artifact] = run.manifest.artifacts;
            const p = await parts(artifact.key);
            assert.equal(p.size, artifact.size);
            assert.ok(p.size > DEFAULTS.uploadPartSizeMiB * MiB, `the artifact (${p.size} bytes) spans more than one default part`);
            assert.equal(p.first, c.partMiB * MiB, `part 1 of ${artifact.key}`);
            assert.equal(p.count, Math.ceil(p.size / (c.partMiB * MiB)), explain(run.upload));
        });
    }

    it(`a part size outside 8 to 5120 MiB is refused before anything is uploaded (ceiling: ${S3_MAX_PARTS} parts)`, async function () {
        const prefix = uniquePrefix("multipart-bad");
        const run = await backup({ component: Component.Redis, minio, prefix, dumpShell: "dash", uploadShell: "bash", dumpEnv: { ...redis.env(), GGB_COMPRESSION: "gzip", GGB_CONNECT_TIMEOUT: "5" }, uploadEnv: { GGB_S3_PART_SIZE_MIB: "5" } });
        assertFailed(run.upload, "upload", /^upload: GGB_S3_PART_SIZE_MIB '5' is not a part size in MiB \(8 to 5120\)$/);
        assert.deepEqual(await minio.list(prefix + "/"), []);
    });
});
