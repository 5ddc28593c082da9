/**
 * Hostile values in every env input of every script: command substitutions, backticks, quotes,
 * newlines and spaces are data, never code. Each script runs with valid values against real
 * servers except for ONE variable set to a hostile value; the marker file the payload would
 * create must never appear, and the script either works or fails with its one-line reason.
 *
 * Each variable gets both payloads, on shells that rotate over the ones the script is tested
 * under (busybox sh and dash, plus bash for the aws-cli steps).
 */
import * as assert from "node:assert/strict";
import { PART_SCRIPT } from "../../sources";
import * as fs from "node:fs";
import * as path from "node:path";
import { Component, SCRIPT } from "../../core/contract";
import { FakeKots, FakeTool, makeFakeKots, makeFakeKubectl } from "../../harness/fakeKots";
import { JobResult, POSIX_SHELLS, SHELLS, Shell, explain, runJob } from "../../harness/jobRunner";
import { MinioServer, startMinio } from "../../harness/minio";
import { PostgresServer, startPostgres } from "../../harness/postgres";
import { makeTempDir, randomToken } from "../../harness/proc";
import { RedisServer, startRedis } from "../../harness/redis";
import { SCRIPTS, reads } from "./scriptEnv";
import { backupOk, fetchSet, nextBackupId, uniquePrefix } from "./support";

const STEP: Record<string, string> = Object.fromEntries(SCRIPTS.map((s) => [s, s.replace(/\.sh$/, "")]));

describe("hostile values in every env input of every script", function () {
    this.timeout(600_000);
    const marker = `pwned-${randomToken()}`;
    /** Absolute marker (payload A) and relative marker in the job's working directory (payload B). */
    const cwd = makeTempDir("hostile-cwd");
    const markers = [path.join("/tmp", marker), path.join(cwd, marker)];
    const PAYLOADS = [
        `x $(touch /tmp/${marker}) \`touch /tmp/${marker}\` 'single' "double" ;touch /tmp/${marker}; $(touch ${marker})\nsecond line\twith  spaces`,
        // No slash, no space, no leading dot: passes the scripts' name checks, so it reaches file names.
        `$(touch${"${IFS}"}${marker})\`touch${"${IFS}"}${marker}\`"'`,
    ];

    let minio: MinioServer;
    let pg: PostgresServer;
    let redis: RedisServer;
    let kots: FakeKots;
    let kubectl: FakeTool;
    const base: Record<string, () => Record<string, string>> = {};

    before(async function () {
        this.timeout(900_000); // on a fresh machine, startMinio() first builds MinIO (scripts/tools/build.sh, minutes)
        [minio, pg, redis] = await Promise.all([startMinio(), startPostgres(), startRedis()]);
        await pg.psql("CREATE DATABASE app; CREATE ROLE app LOGIN PASSWORD 'x';"); // non-empty: restore-postgres refuses without overwrite
        await redis.command("SET", "k", "v");
        kots = makeFakeKots({ appSlug: "gitguardian", namespace: "gg" });
        kubectl = makeFakeKubectl({ namespace: "gg", secrets: { "kotsadm-encryption": { k: "v" } } });

        // Ready-made inputs: committed sets for restore-fetch.sh, verified staging folders for the
        // apply steps. (A dump step and the upload step always run as a pair: see run() below.)
        const setPrefix = uniquePrefix("hostile-sets");
        const redisSet = await backupOk({ component: Component.Redis, minio, prefix: setPrefix, dumpShell: "dash", uploadShell: "bash", dumpEnv: { ...redis.env(), GGB_COMPRESSION: "gzip" } });
        const pgSet = await backupOk({ component: Component.Postgres, minio, prefix: setPrefix, dumpShell: "dash", uploadShell: "bash", dumpEnv: { ...pg.env(), GGB_PG_FORMAT: "sql", GGB_COMPRESSION: "gzip" } });
        const redisFetched = await fetchSet({ component: Component.Redis, minio, prefix: setPrefix, backupId: redisSet.backupId, shell: "dash" });
        const pgFetched = await fetchSet({ component: Component.Postgres, minio, prefix: setPrefix, backupId: pgSet.backupId, shell: "dash" });
        assert.equal(redisFetched.result.exitCode + pgFetched.result.exitCode, 0);

        const dumpCommon = (component: string): Record<string, string> => ({
            GGB_COMPONENT: component,
            GGB_STAGING_DIR: makeTempDir(`hostile-${component}`),
            GGB_BACKUP_ID: nextBackupId(),
            GGB_COMPRESSION: "gzip",
            GGB_COMPRESSION_LEVEL: "1",
        });
        base[PART_SCRIPT.dump.postgres] = () => ({ ...dumpCommon("postgres"), ...pg.env(), GGB_PG_FORMAT: "directory", GGB_PG_JOBS: "2" });
        base[PART_SCRIPT.dump.redis] = () => ({ ...dumpCommon("redis"), ...redis.env(), GGB_REDIS_USER: "default" });
        base[PART_SCRIPT.dump.kots] = () => ({ ...dumpCommon("kots"), GGB_KOTS_NAMESPACE: "gg", GGB_KOTS_APP_SLUG: "gitguardian", GGB_KOTS_SECRETS: "kotsadm-encryption", GGB_KOTS: kots.bin, GGB_KUBECTL: kubectl.bin });
        base[SCRIPT.upload] = () => ({ ...minio.env(), GGB_S3_PREFIX: uniquePrefix("hostile-up"), GGB_COMPONENT: "redis", GGB_STAGING_DIR: makeTempDir("hostile-up") });
        base[SCRIPT.fetch] = () => ({ ...minio.env(), GGB_S3_PREFIX: setPrefix, GGB_COMPONENT: "redis", GGB_BACKUP_ID: redisSet.backupId, GGB_STAGING_DIR: makeTempDir("hostile-fetch") });
        base[PART_SCRIPT.restorePostgres] = () => ({ ...pg.env(), GGB_STAGING_DIR: pgFetched.staging, GGB_OVERWRITE: "false", GGB_PG_JOBS: "2" });
        base[PART_SCRIPT.restoreRedis] = () => ({ GGB_STAGING_DIR: redisFetched.staging, GGB_REDIS_DATA_DIR: makeTempDir("hostile-redis-data"), GGB_REDIS_RDB_NAME: "dump.rdb", GGB_REDIS_AOF_DIR: "appendonlydir" });
    });
    after(async () => {
        await Promise.all([minio?.destroy(), pg?.destroy(), redis?.destroy()]);
    });
    afterEach(() => {
        for (const m of markers) fs.rmSync(m, { force: true });
    });

    /** The step beside a dump step is the upload step, and the one beside the upload step a redis dump. */
    function partnerOf(script: string, env: Record<string, string>): { script: string; env: Record<string, string> } | undefined {
        const shared = { GGB_COMPONENT: env.GGB_COMPONENT, GGB_STAGING_DIR: env.GGB_STAGING_DIR };
        if (script === SCRIPT.upload) return { script: PART_SCRIPT.dump.redis, env: { ...base[PART_SCRIPT.dump.redis](), ...shared } };
        if (Object.values(PART_SCRIPT.dump).includes(script)) return { script: SCRIPT.upload, env: { ...base[SCRIPT.upload](), ...shared } };
        return undefined;
    }

    /**
     * Runs `script` with one variable made hostile, beside its partner step with the baseline
     * values (so a dump and an upload always talk to each other); both give up waiting for the
     * other after 5 s when the hostile value stops one before it connects.
     */
    async function run(script: string, shell: Shell, name?: string, payload?: string): Promise<JobResult> {
        const baseline = base[script]();
        const partner = partnerOf(script, baseline);
        const wait = partner ? { GGB_CONNECT_TIMEOUT: "5" } : {};
        const env = { ...baseline, ...wait, ...(name ? { [name]: payload! } : {}) };
        const [r] = await Promise.all([
            runJob(script, { shell, env, cwd }),
            partner ? runJob(partner.script, { shell: "dash", env: { ...partner.env, ...wait }, cwd }) : undefined,
        ]);
        return r;
    }

    function checkRun(r: JobResult, script: string, name: string): void {
        for (const m of markers) assert.ok(!fs.existsSync(m), `${name} with a hostile value EXECUTED code in ${script} under ${r.shell}: ${m} exists\n${explain(r)}`);
        if (r.exitCode !== 0) {
            const last = r.stderrLines[r.stderrLines.length - 1] ?? "";
            assert.ok(last.startsWith(`${STEP[script]}: `), `${script} with hostile ${name} under ${r.shell} did not fail cleanly (last stderr line is not "${STEP[script]}: <reason>")\n${explain(r)}`);
        }
    }

    it("the baseline of every script works (so each hostile run changes one thing only)", async function () {
        for (const script of SCRIPTS) {
            const r = await run(script, "dash");
            if (script === PART_SCRIPT.restorePostgres) {
                // Its target is not empty and overwrite is false: it refuses, which is the safe outcome here.
                assert.match(r.stderrLines[r.stderrLines.length - 1] ?? "", /is not empty .* target untouched$/, explain(r));
            } else {
                assert.equal(r.exitCode, 0, explain(r));
            }
        }
    });

    for (const script of SCRIPTS) {
        const shells: readonly Shell[] = script === SCRIPT.upload || script === SCRIPT.fetch ? SHELLS : POSIX_SHELLS;
        const names = [...reads(script)].sort();
        it(`${script}: ${names.length} variables × 2 payloads (${shells.join(", ")})`, async function () {
            const outcomes: string[] = [];
            for (const [i, name] of names.entries()) {
                // Both payloads for every variable, on shells that rotate from one variable to the next.
                for (const [j, payload] of PAYLOADS.entries()) {
                    const shell = shells[(i + j) % shells.length];
                    const r = await run(script, shell, name, payload);
                    checkRun(r, script, name);
                    outcomes.push(`${name} [${shell}] ${r.exitCode === 0 ? "worked" : `refused: ${r.stderrLines[r.stderrLines.length - 1]}`}`);
                }
            }
            if (process.env.GGB_TEST_SHOW_REASONS) console.log(outcomes.map((o) => `      ${o}`).join("\n"));
        });
    }
});
