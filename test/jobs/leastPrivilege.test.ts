/**
 * The jobs' S3 client needs nothing beyond the IAM policies the component grants, and each of
 * the two identities can do only its half (backup/credentials.ts): the backup jobs write and
 * cannot read a set back, the restore reads and cannot write. Each runs with temporary
 * credentials restricted to exactly its document (MinIO STS AssumeRole with it as the session
 * policy), which the aws CLI finds through its default chain (~/.aws/credentials with a session
 * token), as it finds IRSA's; the same credentials are refused outside the prefix.
 */
import * as assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { backupPolicyDocument, restorePolicyDocument } from "../../backup/credentials";
import { Component } from "../../core/contract";
import { manifestKey } from "../../core/manifest";
import { explain } from "../../harness/jobRunner";
import { MinioServer, startMinio } from "../../harness/minio";
import { RedisServer, startRedis } from "../../harness/redis";
import { assertFailed, awsAs as awsAsIn, backup, backupOk, fetchSet, restrictedHome, uniquePrefix } from "./support";

describe("least privilege: a write-only backup identity and a read-only restore identity", function () {
    this.timeout(300_000);
    let minio: MinioServer;
    let redis: RedisServer;
    const prefix = uniquePrefix("least-privilege");
    /** HOMEs whose ~/.aws/credentials hold each identity's restricted temporary credentials. */
    let backupHome: string;
    let restoreHome: string;
    /** The root credentials of minio.env() left out: only the restricted ones remain. */
    // 8 MiB parts (the least allowed), so that the snapshot goes up as a multipart upload.
    const noRootKeys = { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, GGB_S3_PART_SIZE_MIB: "8" };

    /** The aws CLI with one identity's credentials only (its ~/.aws/credentials). */
    const awsAs = (home: string, args: string[]) => awsAsIn(minio, home, args);

    before(async function () {
        this.timeout(900_000); // on a fresh machine, startMinio() first builds MinIO (scripts/tools/build.sh, minutes)
        [minio, redis] = await Promise.all([startMinio(), startRedis()]);
        // Random hex compresses about 2:1: a snapshot above the aws CLI's 8 MiB multipart
        // threshold, so the artifact goes up as a multipart upload.
        await redis.command("SET", "payload", randomBytes(10_000_000).toString("hex"));
        const bucketArn = `arn:aws:s3:::${minio.bucket}`;
        backupHome = await restrictedHome(minio, backupPolicyDocument(bucketArn, prefix), "ggb-backup");
        restoreHome = await restrictedHome(minio, restorePolicyDocument(bucketArn, prefix), "ggb-restore");
    });
    after(async () => {
        await Promise.all([minio?.destroy(), redis?.destroy()]);
    });

    it("the backup identity backs up Redis (a multipart upload, then the manifest) and cannot read the set back; the restore identity fetches it and cannot write", async function () {
        const run = await backupOk({ component: Component.Redis, minio, prefix, dumpShell: "busybox", uploadShell: "bash", dumpEnv: { ...redis.env(), GGB_COMPRESSION: "gzip" }, uploadEnv: noRootKeys, uploadHome: backupHome });
        const [artifact] = run.manifest.artifacts;
        assert.ok(artifact.size > 8 * 1048576, `the artifact (${artifact.size} bytes) is large enough for a multipart upload`);

        // A stolen backup key reads nothing: not the manifest, not the artifact, not even the list.
        const manifest = `s3://${minio.bucket}/${manifestKey(prefix, Component.Redis, run.backupId)}`;
        const read = await awsAs(backupHome, ["s3", "cp", manifest, "-"]);
        assert.notEqual(read.exitCode, 0, "the backup identity cannot read a manifest");
        assert.match(read.stderr, /403|Forbidden|AccessDenied/);
        const fetchedByBackup = await fetchSet({ component: Component.Redis, minio, prefix, backupId: run.backupId, shell: "bash", env: noRootKeys, home: backupHome });
        assertFailed(fetchedByBackup.result, "restore-fetch", /has no readable manifest .*(403|Forbidden|AccessDenied)/);

        const fetched = await fetchSet({ component: Component.Redis, minio, prefix, backupId: run.backupId, shell: "bash", env: noRootKeys, home: restoreHome });
        assert.equal(fetched.result.exitCode, 0, explain(fetched.result));
        assert.equal(fs.statSync(path.join(fetched.staging, artifact.name)).size, artifact.size);
        // A stolen restore key writes nothing: a backup under it is refused, no object replaced.
        const write = await awsAs(restoreHome, ["s3", "cp", "-", manifest]);
        assert.notEqual(write.exitCode, 0, "the restore identity cannot write");
        const asRestore = await backup({ component: Component.Redis, minio, prefix, dumpShell: "busybox", uploadShell: "bash", dumpEnv: { ...redis.env(), GGB_COMPRESSION: "gzip" }, uploadEnv: noRootKeys, uploadHome: restoreHome });
        assertFailed(asRestore.upload, "upload", /AccessDenied/);
    });

    it("is refused outside the prefix with the same credentials (the policy is enforced)", async function () {
        const other = uniquePrefix("outside");
        const run = await backup({ component: Component.Redis, minio, prefix: other, dumpShell: "busybox", uploadShell: "bash", dumpEnv: { ...redis.env(), GGB_COMPRESSION: "gzip" }, uploadEnv: noRootKeys, uploadHome: backupHome });
        assertFailed(run.upload, "upload", /^upload: upload of dump\.rdb\.gz to s3:\/\/\S+ failed: .*\(AccessDenied\) when calling the CreateMultipartUpload operation/);
        assert.deepEqual(await minio.list(`${other}/`), []);
    });
});
