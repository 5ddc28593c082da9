/**
 * The jobs' S3 client needs nothing beyond the IAM policy the component grants them
 * (components/credentials.ts jobPolicyDocument). A backup (a multipart upload and the manifest's
 * single PUT) and a fetch run with temporary credentials restricted to exactly that policy (MinIO
 * STS AssumeRole with it as the session policy), which the aws CLI finds through its default
 * chain (~/.aws/credentials with a session token), as it finds IRSA's. The same credentials are
 * refused outside the prefix, so the policy is really enforced.
 */
import * as assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { jobPolicyDocument } from "../../backup/credentials";
import { Component } from "../../core/contract";
import { explain } from "../../harness/jobRunner";
import { MinioServer, startMinio } from "../../harness/minio";
import { makeTempDir } from "../../harness/proc";
import { RedisServer, startRedis } from "../../harness/redis";
import { assertFailed, backup, backupOk, fetchSet, uniquePrefix } from "./support";

describe("least privilege: the upload and fetch steps under the component's IAM policy", function () {
    this.timeout(300_000);
    let minio: MinioServer;
    let redis: RedisServer;
    const prefix = uniquePrefix("least-privilege");
    /** A HOME whose ~/.aws/credentials holds the restricted temporary credentials. */
    const home = makeTempDir("least-privilege-home");
    /** The root credentials of minio.env() left out: only the restricted ones remain. */
    const noRootKeys = { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined };

    before(async function () {
        this.timeout(900_000); // on a fresh machine, startMinio() first builds MinIO (scripts/tools/build.sh, minutes)
        [minio, redis] = await Promise.all([startMinio(), startRedis()]);
        // Random hex compresses about 2:1: a snapshot above the aws CLI's 8 MiB multipart
        // threshold, so the artifact goes up as a multipart upload.
        await redis.command("SET", "payload", randomBytes(10_000_000).toString("hex"));
        const policy = jobPolicyDocument(`arn:aws:s3:::${minio.bucket}`, prefix);
        const r = await minio.aws(["sts", "assume-role", "--role-arn", "arn:minio:iam:::role/jobs", "--role-session-name", "ggb-jobs", "--policy", policy, "--output", "json"]);
        const c = (JSON.parse(r.stdout.toString()) as { Credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string } }).Credentials;
        fs.mkdirSync(path.join(home, ".aws"));
        fs.writeFileSync(
            path.join(home, ".aws", "credentials"),
            `[default]\naws_access_key_id = ${c.AccessKeyId}\naws_secret_access_key = ${c.SecretAccessKey}\naws_session_token = ${c.SessionToken}\n`,
        );
    });
    after(async () => {
        await Promise.all([minio?.destroy(), redis?.destroy()]);
    });

    it("backs up Redis (a multipart upload, then the manifest) and fetches the set back, with only those permissions", async function () {
        const run = await backupOk({ component: Component.Redis, minio, prefix, dumpShell: "busybox", uploadShell: "bash", dumpEnv: { ...redis.env(), GGB_COMPRESSION: "gzip" }, uploadEnv: noRootKeys, uploadHome: home });
        const [artifact] = run.manifest.artifacts;
        assert.ok(artifact.size > 8 * 1048576, `the artifact (${artifact.size} bytes) is large enough for a multipart upload`);
        const fetched = await fetchSet({ component: Component.Redis, minio, prefix, backupId: run.backupId, shell: "bash", env: noRootKeys, home });
        assert.equal(fetched.result.exitCode, 0, explain(fetched.result));
        assert.equal(fs.statSync(path.join(fetched.staging, artifact.name)).size, artifact.size);
    });

    it("is refused outside the prefix with the same credentials (the policy is enforced)", async function () {
        const other = uniquePrefix("outside");
        const run = await backup({ component: Component.Redis, minio, prefix: other, dumpShell: "busybox", uploadShell: "bash", dumpEnv: { ...redis.env(), GGB_COMPRESSION: "gzip" }, uploadEnv: noRootKeys, uploadHome: home });
        assertFailed(run.upload, "upload", /^upload: upload of dump\.rdb\.gz to s3:\/\/\S+ failed: .*\(AccessDenied\) when calling the CreateMultipartUpload operation/);
        assert.deepEqual(await minio.list(`${other}/`), []);
    });
});
