/**
 * The retention job (jobs/prune.sh) on a real MinIO, under temporary credentials limited to
 * exactly its policy document (list the prefix, delete under it): sets older than the retention
 * go, except the newest keepLast complete ones of each part whatever their age, so that backups
 * that fail for longer than the retention never leave a part without a set; a set without a
 * manifest goes once old and stays while recent; keys outside the layout are not touched; more
 * than 1000 keys go in several requests. The identity cannot read what it prunes.
 */
import { DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import * as assert from "node:assert/strict";
import { prunePolicyDocument } from "../../backup/credentials";
import { backupIdFor } from "../../core/backupSet";
import { SCRIPT } from "../../core/contract";
import { explain, JobResult, runJob } from "../../harness/jobRunner";
import { MinioServer, startMinio } from "../../harness/minio";
import { awsAs as awsAsIn, restrictedHome, uniquePrefix } from "./support";

const DAY = 86_400_000;

describe("retention job: prune.sh keeps the newest complete sets whatever their age", function () {
    this.timeout(300_000);
    let minio: MinioServer;
    let s3: S3Client;
    const prefix = uniquePrefix("retention");
    let pruneHome: string;

    const idDaysAgo = (days: number) => backupIdFor(new Date(Date.now() - days * DAY));
    /** A set: its artifact(s), and the manifest when complete. */
    async function seed(part: string, id: string, complete: boolean, artifacts = 1): Promise<string[]> {
        const keys = Array.from({ length: artifacts }, (_, i) => `${prefix}/${part}/${id}/artifact-${i}.gz`);
        if (complete) keys.push(`${prefix}/${part}/${id}/manifest.json`);
        for (let i = 0; i < keys.length; i += 50) {
            await Promise.all(keys.slice(i, i + 50).map((Key) => s3.send(new PutObjectCommand({ Bucket: minio.bucket, Key, Body: "x" }))));
        }
        return keys;
    }
    async function keysUnder(p: string): Promise<string[]> {
        const keys: string[] = [];
        let token: string | undefined;
        do {
            const r = await s3.send(new ListObjectsV2Command({ Bucket: minio.bucket, Prefix: p, ContinuationToken: token }));
            keys.push(...(r.Contents ?? []).map((o) => o.Key!));
            token = r.NextContinuationToken;
        } while (token);
        return keys.sort();
    }
    const setsOf = async (part: string) => [...new Set((await keysUnder(`${prefix}/${part}/`)).map((k) => k.slice(`${prefix}/${part}/`.length).split("/")[0]))].sort();
    /** prune.sh as the retention job's identity only (root keys left out). */
    const prune = (shell: "bash" | "dash", over: Record<string, string> = {}): Promise<JobResult> =>
        runJob(SCRIPT.prune, {
            shell,
            home: pruneHome,
            env: { ...minio.env(), AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, GGB_S3_PREFIX: prefix, GGB_RETENTION_DAYS: "7", GGB_KEEP_LAST: "2", GGB_PARTS: "postgres,redis", ...over },
        });

    before(async function () {
        this.timeout(900_000); // on a fresh machine, startMinio() first builds MinIO
        minio = await startMinio();
        const env = minio.env();
        s3 = new S3Client({ region: "us-east-1", endpoint: minio.endpoint, forcePathStyle: true, credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! } });
        // Temporary credentials restricted to exactly the retention job's document (MinIO STS).
        pruneHome = await restrictedHome(minio, prunePolicyDocument(`arn:aws:s3:::${minio.bucket}`, prefix), "ggb-prune");
    });
    after(async () => {
        s3?.destroy();
        await minio?.destroy();
    });
    afterEach(async () => {
        const keys = await keysUnder(`${prefix}/`);
        for (let i = 0; i < keys.length; i += 1000) await s3.send(new DeleteObjectsCommand({ Bucket: minio.bucket, Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })) } }));
    });

    for (const shell of ["bash", "dash"] as const) {
        it(`${shell}: old sets go, the newest two complete ones stay although old, recent incomplete ones stay, foreign keys stay`, async function () {
            const ids = { d40: idDaysAgo(40), d30: idDaysAgo(30), d20: idDaysAgo(20), d12: idDaysAgo(12), d3: idDaysAgo(3), d1: idDaysAgo(1) };
            await seed("postgres", ids.d40, true, 1005); // more keys than one delete request takes
            await seed("postgres", ids.d30, true);
            await seed("postgres", ids.d20, false);
            await seed("postgres", ids.d12, true);
            await seed("postgres", ids.d3, false);
            await seed("postgres", ids.d1, true);
            // Not sets of the layout: left alone whatever their age.
            for (const k of ["notes.txt", "20200101T000000Z", "not-an-id/manifest.json"]) await s3.send(new PutObjectCommand({ Bucket: minio.bucket, Key: `${prefix}/postgres/${k}`, Body: "x" }));
            const run = await prune(shell);
            assert.equal(run.exitCode, 0, explain(run));
            assert.deepEqual(await setsOf("postgres"), ["20200101T000000Z", ids.d12, ids.d3, ids.d1, "not-an-id", "notes.txt"].sort());
            assert.match(run.stderr, new RegExp(`postgres/${ids.d12}: kept although older than the retention \\(one of the newest 2 complete sets\\)`));
            assert.match(run.stderr, new RegExp(`postgres/${ids.d20}: deleted \\(incomplete, older than the retention\\)`));
            assert.match(run.stderr, new RegExp(`postgres/${ids.d40}: deleted \\(complete, older than the retention\\)`));
            assert.equal((await keysUnder(`${prefix}/postgres/${ids.d12}/`)).length, 2, "a kept set keeps all its keys");
        });
    }

    it("backups that failed for longer than the retention: the part keeps its newest complete sets, an older incomplete one goes", async function () {
        const ids = [idDaysAgo(60), idDaysAgo(50), idDaysAgo(45), idDaysAgo(40)];
        await seed("redis", ids[0], true);
        await seed("redis", ids[1], true);
        await seed("redis", ids[2], true);
        await seed("redis", ids[3], false);
        const run = await prune("bash", { GGB_KEEP_LAST: "1" });
        assert.equal(run.exitCode, 0, explain(run));
        assert.deepEqual(await setsOf("redis"), [ids[2]]);
        // Run again: nothing more goes.
        const again = await prune("dash", { GGB_KEEP_LAST: "1" });
        assert.equal(again.exitCode, 0, explain(again));
        assert.deepEqual(await setsOf("redis"), [ids[2]]);
    });

    it("its identity cannot read a set, nor delete outside the prefix; a bad rule value is refused before any call", async function () {
        const id = idDaysAgo(1);
        const [artifact] = await seed("postgres", id, true);
        const awsAs = (args: string[]) => awsAsIn(minio, pruneHome, args);
        const read = await awsAs(["s3", "cp", `s3://${minio.bucket}/${artifact}`, "-"]);
        assert.notEqual(read.exitCode, 0, "the retention identity cannot read a set");
        assert.match(read.stderr, /403|Forbidden|AccessDenied/);
        await s3.send(new PutObjectCommand({ Bucket: minio.bucket, Key: "elsewhere/keep.txt", Body: "x" }));
        const outside = await awsAs(["s3api", "delete-object", "--bucket", minio.bucket, "--key", "elsewhere/keep.txt"]);
        assert.notEqual(outside.exitCode, 0, "nor delete outside the prefix");
        assert.deepEqual(await keysUnder("elsewhere/"), ["elsewhere/keep.txt"]);

        for (const [name, value, what] of [
            ["GGB_RETENTION_DAYS", "0", "a number of days"],
            ["GGB_KEEP_LAST", "0", "a number of sets"],
            ["GGB_PARTS", "postgres,../x", "a part name"],
        ] as const) {
            const bad = await prune("dash", { [name]: value });
            assert.notEqual(bad.exitCode, 0);
            assert.match(bad.stderr, new RegExp(`is not ${what}`), explain(bad));
        }
        assert.equal((await keysUnder(`${prefix}/postgres/${id}/`)).length, 2, "nothing deleted");
    });
});
