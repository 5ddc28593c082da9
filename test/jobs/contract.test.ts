/**
 * The env contract (core/contract.ts and each part's env, joined by the registry) matches what the scripts read: every variable a
 * script reads is declared, and every declared variable is read by some script.
 */
import * as assert from "node:assert/strict";
import { PART_SCRIPT } from "../../sources";
import { SCRIPT } from "../../core/contract";
import { contractEnv, scriptLibraries } from "../../sources/registry";
import { contractNames, runJob } from "../../harness/jobRunner";
import { SCRIPTS, code, internalNames, mentioned, reads } from "./scriptEnv";

describe("env contract: jobs/*.sh and the env contract", function () {
    it("the scripts of the contract are the scripts in jobs/", function () {
        const declared = [SCRIPT.upload, SCRIPT.fetch, SCRIPT.prune, SCRIPT.drillFetch, SCRIPT.drillReport, PART_SCRIPT.restorePostgres, PART_SCRIPT.restoreRedis, ...Object.values(PART_SCRIPT.dump), ...Object.values(PART_SCRIPT.drill)].sort();
        assert.deepEqual([...SCRIPTS], declared);
    });

    it("variables the scripts assign themselves are internal, none of them a contract variable", function () {
        const internal = [...internalNames()].sort();
        assert.deepEqual(internal, ["AWS_CONFIG_FILE", "GGB_STEP", "PGCONNECT_TIMEOUT"]);
        for (const n of internal) assert.ok(!contractNames().has(n), `${n} is declared in the contract but assigned by a script`);
        // An internal name must not take a default from the environment (NAME=${NAME:-x}): that
        // would be an undeclared input.
        for (const file of [...SCRIPTS, ...scriptLibraries()]) {
            for (const m of code(file).matchAll(/^\s*(?:export\s+)?([A-Z][A-Z0-9_]*)=(.*)$/gm)) {
                assert.ok(!new RegExp(`\\$\\{?${m[1]}\\b`).test(m[2]), `${file}: ${m[0].trim()} reads ${m[1]} from the environment`);
            }
        }
        // Every script sets its step name before lib.sh's die/log can read it.
        for (const script of SCRIPTS) assert.match(code(script), /^GGB_STEP=[a-z-]+$/m, script);
    });

    it("every GGB_*, PG*, REDISCLI_AUTH, AWS_* name in the scripts' code is declared (plain grep)", function () {
        const internal = internalNames();
        for (const file of [...SCRIPTS, ...scriptLibraries()]) {
            const undeclared = [...mentioned(code(file))].filter((n) => !contractNames().has(n) && !internal.has(n));
            assert.deepEqual(undeclared, [], `${file} mentions variables missing from the env contract`);
        }
    });

    it("every variable each script reads (itself, through lib.sh, or through its tools) is declared", function () {
        for (const script of SCRIPTS) {
            const undeclared = [...reads(script)].filter((n) => !contractNames().has(n));
            assert.deepEqual(undeclared, [], `${script} reads variables missing from the env contract`);
        }
    });

    it("every declared variable is read by some script", function () {
        const read = new Set(SCRIPTS.flatMap((s) => [...reads(s)]));
        const unused = contractEnv().map((e) => e.name).filter((n) => !read.has(n));
        assert.deepEqual(unused, [], "declared in the env contract but read by no script");
    });

    it("the analysis sees what it must (sanity checks on known reads)", function () {
        const r = (s: string): string[] => [...reads(s)].sort();
        assert.ok(r(PART_SCRIPT.dump.postgres).includes("PGPASSWORD"), "libpq reads PGPASSWORD for dump-postgres");
        assert.ok(r(PART_SCRIPT.dump.redis).includes("REDISCLI_AUTH"), "redis-cli reads REDISCLI_AUTH");
        assert.ok(r(SCRIPT.upload).includes("AWS_SECRET_ACCESS_KEY"), "aws reads the credentials for upload");
        assert.ok(r(SCRIPT.upload).includes("GGB_S3_ENDPOINT"), "upload reads the endpoint through lib.sh s3()");
        assert.ok(r(PART_SCRIPT.dump.kots).includes("GGB_COMPRESSION_LEVEL"), "dump-kots reads the level through lib.sh compress()");
        assert.deepEqual(r(PART_SCRIPT.restoreRedis), ["GGB_OVERWRITE", "GGB_REDIS_AOF_DIR", "GGB_REDIS_DATA_DIR", "GGB_REDIS_RDB_NAME", "GGB_STAGING_DIR"]);
        assert.ok(!r(PART_SCRIPT.restoreRedis).some((n) => n.startsWith("AWS_") || n.startsWith("PG")));
    });

    it("the job runner refuses a variable outside the contract", async function () {
        await assert.rejects(runJob(SCRIPT.upload, { shell: "dash", env: { GGB_NOT_DECLARED: "x" } }), /GGB_NOT_DECLARED is not a variable of the env contract/);
    });
});
