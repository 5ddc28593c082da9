/**
 * The drill's steps on real servers, as its identity only: jobs/drill-fetch.sh and
 * jobs/drill-report.sh under temporary MinIO credentials limited to exactly the drill's policy
 * document (list and read the prefix, write under <prefix>/drills/), redis's drill step between
 * them. Which set each pick takes, a window with no recent set, and a deadline that passed; the
 * identity can write its result and nothing else. (The whole pod, as stored after `pulumi up`,
 * is test/engine/drill.test.ts.)
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { drillPolicyDocument } from "../../backup/credentials";
import { backupIdFor } from "../../core/backupSet";
import { Component, SCRIPT } from "../../core/contract";
import { PART_SCRIPT } from "../../sources";
import { explain, JobResult, runJob } from "../../harness/jobRunner";
import { MinioServer, startMinio } from "../../harness/minio";
import { makeTempDir } from "../../harness/proc";
import { RedisServer, startRedis } from "../../harness/redis";
import { awsAs, backupOk, restrictedHome, uniquePrefix } from "./support";

const DAY = 86_400_000;

describe("drill steps: pick, fetch, check and report as the drill's identity", function () {
    this.timeout(300_000);
    let minio: MinioServer;
    let redis: RedisServer;
    let drillHome: string;
    const prefix = uniquePrefix("drill");
    const ids = { d5: backupIdFor(new Date(Date.now() - 5 * DAY)), d1: backupIdFor(new Date(Date.now() - DAY)), h1: backupIdFor(new Date(Date.now() - 3_600_000)) };

    /** The drill identity's env: the bucket, no root key (its HOME holds its own). */
    const env = (over: Record<string, string> = {}) => ({
        ...minio.env(),
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
        GGB_S3_PREFIX: prefix,
        GGB_DRILL_PICK: "latest",
        GGB_DRILL_WINDOW_DAYS: "2",
        GGB_DRILL_DEADLINE_SECONDS: "600",
        GGB_DRILL_PARTS: "redis",
        ...over,
    });
    const fetchStep = async (over: Record<string, string> = {}): Promise<{ r: JobResult; stage: string }> => {
        const stage = makeTempDir("drill-stage");
        const r = await runJob(SCRIPT.drillFetch, { shell: "bash", home: drillHome, env: env({ GGB_STAGING_DIR: stage, ...over }) });
        assert.equal(r.exitCode, 0, explain(r));
        return { r, stage };
    };
    const redisStep = async (stage: string) => {
        const r = await runJob(PART_SCRIPT.drill.redis, { shell: "busybox", env: { GGB_STAGING_DIR: stage, GGB_DRILL_DIR: makeTempDir("drill-scratch") } });
        assert.equal(r.exitCode, 0, explain(r));
    };
    const report = (stage: string) => runJob(SCRIPT.drillReport, { shell: "bash", home: drillHome, env: env({ GGB_STAGING_DIR: stage }) });
    const checks = (stage: string) => fs.readFileSync(path.join(stage, "drill", "checks"), "utf8").trim().split("\n").map((l) => l.split("\t"));

    before(async function () {
        this.timeout(900_000);
        [minio, redis] = await Promise.all([startMinio(), startRedis()]);
        await redis.command("SET", "k", "v");
        // Three complete sets of redis, 5 days, 1 day and 1 hour old.
        for (const backupId of [ids.d5, ids.d1, ids.h1]) {
            await backupOk({ component: Component.Redis, minio, prefix, backupId, dumpShell: "busybox", uploadShell: "bash", dumpEnv: { ...redis.env(), GGB_COMPRESSION: "zstd" } });
        }
        drillHome = await restrictedHome(minio, drillPolicyDocument(`arn:aws:s3:::${minio.bucket}`, prefix), "ggb-drill");
    });
    after(async () => {
        await Promise.all([minio?.destroy(), redis?.destroy()]);
    });

    it("latest: the newest complete set; the result goes to <prefix>/drills/ as the drill's identity, which can write nothing else", async () => {
        const { stage } = await fetchStep();
        assert.equal(fs.readFileSync(path.join(stage, "drill", "sets"), "utf8"), `redis\t${ids.h1}\n`);
        await redisStep(stage);
        const r = await report(stage);
        assert.equal(r.exitCode, 0, explain(r));
        const result = JSON.parse(r.stdout);
        assert.equal(result.status, "SUCCESSFUL");
        assert.deepEqual(result.sets, { redis: ids.h1 });
        assert.deepEqual(JSON.parse((await minio.get(`${prefix}/drills/${result.drillId}.json`)).toString()), result);
        // The identity reads the sets and writes its results, nothing more.
        const setKey = `${prefix}/redis/${ids.h1}/manifest.json`;
        assert.equal((await awsAs(minio, drillHome, ["s3", "cp", `s3://${minio.bucket}/${setKey}`, "-"])).exitCode, 0);
        const put = await awsAs(minio, drillHome, ["s3", "cp", "-", `s3://${minio.bucket}/${prefix}/redis/${ids.h1}/forged.json`]);
        assert.notEqual(put.exitCode, 0);
        assert.match(put.stderr, /AccessDenied/);
        const del = await awsAs(minio, drillHome, ["s3", "rm", `s3://${minio.bucket}/${setKey}`]);
        assert.notEqual(del.exitCode, 0);
        assert.match(del.stderr, /AccessDenied/);
        assert.ok((await minio.list(setKey)).includes(setKey), "the manifest is still there");
    });

    it("random: a complete set within the window, never one older", async () => {
        const picked = new Set<string>();
        for (let i = 0; i < 8; i++) {
            const { stage } = await fetchStep({ GGB_DRILL_PICK: "random" });
            picked.add(fs.readFileSync(path.join(stage, "drill", "sets"), "utf8").trim().split("\t")[1]);
        }
        assert.ok([...picked].every((id) => id === ids.d1 || id === ids.h1), [...picked].join(", "));
    });

    it("a window with no complete set in it fails the drill with the newest set's id", async () => {
        // A set without its manifest in the window does not count.
        const orphan = `${prefix}/redis/${backupIdFor(new Date())}/abcdef012345/dump.rdb.zst`;
        await minio.put(orphan, "x");
        try {
            const { stage } = await fetchStep({ GGB_DRILL_WINDOW_DAYS: "1", GGB_DRILL_PARTS: "kots,redis" });
            const byCheck = Object.fromEntries(checks(stage).map((c) => [`${c[0]} ${c[1]}`, c]));
            assert.equal(byCheck["kots set"][2], "failed");
            assert.match(byCheck["kots set"][4], /^no complete set under s3:\/\/.*\/kots\/ \(a set without manifest.json is never picked\)$/);
            assert.equal(byCheck["redis set"][2], "passed", "1 hour old is within a day");
            const { stage: old } = await fetchStep({ GGB_DRILL_WINDOW_DAYS: "1", GGB_DRILL_PARTS: "redis" });
            assert.equal(checks(old)[0][2], "passed");
        } finally {
            await minio.delete(orphan);
        }
        // Every complete set older than the window (backups stopped): the drill fails, naming the newest.
        const stale = `${prefix}-stale`;
        await minio.put(`${stale}/redis/${ids.d5}/manifest.json`, "{}");
        // (Listed with the root key: the drill identity of this test may list `prefix` only.)
        const root = minio.env();
        const { stage } = await fetchStep({ GGB_DRILL_PARTS: "redis", GGB_S3_PREFIX: stale, AWS_ACCESS_KEY_ID: root.AWS_ACCESS_KEY_ID!, AWS_SECRET_ACCESS_KEY: root.AWS_SECRET_ACCESS_KEY! });
        assert.deepEqual(checks(stage)[0].slice(0, 3), ["redis", "set", "failed"]);
        const r = await report(stage);
        assert.equal(r.exitCode, 1);
        assert.equal(r.stderrLines[r.stderrLines.length - 1].replace(/drill \d{8}T\d{6}Z/, "drill ID"), `drill-report: drill ID FAILED: redis set: the newest complete set, ${ids.d5}, is older than the window of 2 days`);
    });

    it("a deadline that passed: the step records TIMED_OUT, the report says so and fails the Job", async () => {
        const { stage } = await fetchStep();
        const record = path.join(stage, "drill", "drill");
        fs.writeFileSync(record, fs.readFileSync(record, "utf8").replace(/^deadline=\d+$/m, `deadline=${Math.floor(Date.now() / 1000) - 1}`));
        await redisStep(stage);
        const r = await report(stage);
        assert.equal(r.exitCode, 1, explain(r));
        const result = JSON.parse(r.stdout);
        assert.equal(result.status, "TIMED_OUT");
        assert.equal(result.reason, "redis restore: the drill's deadline passed before this part's turn");
        assert.match(r.stderrLines[r.stderrLines.length - 1], /^drill-report: drill \d{8}T\d{6}Z TIMED_OUT: redis restore: /);
    });
});
