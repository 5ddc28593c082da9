import * as assert from "node:assert/strict";
import * as k8s from "@pulumi/kubernetes";
import { checkScheduleRequired, isRestore, SCHEDULE_REQUIRED } from "../../policy/scheduleRequired";
import { evaluate, runProgram } from "./harness";
import { component, editCronJob, gitGuardianWorkloads, goodArgs, rawBackups, rawCronJob, OBSERVED } from "./programs";

describe(SCHEDULE_REQUIRED, () => {
    for (const mode of ["createBucket", "existingBucket"] as const) {
        it(`passes the component with good args (${mode}), and the whole pack passes too`, async () => {
            const resources = await runProgram(component(goodArgs(mode, OBSERVED)));
            assert.deepEqual(checkScheduleRequired(resources).violations, []);
            const all = await evaluate(resources);
            assert.deepEqual(all.violations, []);
            assert.deepEqual(all.deferred, []);
        });
    }

    it("fails when a component is disabled, naming it and how to enable it", async () => {
        const args = goodArgs("existingBucket", { redis: { enabled: false, host: "redis-master" } });
        const msgs = (await evaluate(await runProgram(component(args)))).of(SCHEDULE_REQUIRED);
        assert.equal(msgs.length, 1, msgs.join("\n"));
        assert.match(msgs[0], /^no scheduled backup of redis: GitGuardianBackupPolicy "gg" has no redis backup/);
        assert.match(msgs[0], /Enable `redis`: add `redis: \{ host: "\.\.\." \}` to its args/);
        assert.match(msgs[0], /`schedule`, e\.g\. "0 2 \* \* \*"/);
    });

    it("examples/external-databases (Redis left to ElastiCache's snapshots) passes with the policy config its comment gives, and only with it", async () => {
        const file = require.resolve("../../examples/external-databases/index.js");
        const load = () => {
            delete require.cache[file];
            require(file);
        };
        const resources = await runProgram(load);
        delete require.cache[file];
        assert.deepEqual((await evaluate(resources, { [SCHEDULE_REQUIRED]: { requiredComponents: ["postgres", "kots"] } })).of(SCHEDULE_REQUIRED), []);
        const unconfigured = (await evaluate(resources)).of(SCHEDULE_REQUIRED);
        assert.equal(unconfigured.length, 1, unconfigured.join("\n"));
        assert.match(unconfigured[0], /^no scheduled backup of redis/);
    });

    it("fails when a transformation suspends the component's CronJob", async () => {
        const opts = { transformations: [editCronJob("postgres", (spec) => ({ ...spec, suspend: true }))] };
        const msgs = (await evaluate(await runProgram(component(goodArgs("createBucket"), opts)))).of(SCHEDULE_REQUIRED);
        assert.equal(msgs.length, 1, msgs.join("\n"));
        assert.match(msgs[0], /^no scheduled backup of postgres: CronJob "gitguardian\/gg-backup-postgres" is suspended \(spec\.suspend: true\)\. Set `suspend: false`/);
    });

    it("sees a CronJobPatch that suspends the component's CronJob", async () => {
        const resources = await runProgram(() => {
            component(goodArgs("existingBucket"))();
            new k8s.batch.v1.CronJobPatch("pause-redis-backup", { metadata: { name: "gg-backup-redis", namespace: "gitguardian" }, spec: { suspend: true } });
        });
        const msgs = (await evaluate(resources)).of(SCHEDULE_REQUIRED);
        assert.equal(msgs.length, 1, msgs.join("\n"));
        assert.match(msgs[0], /^no scheduled backup of redis: CronJob "gitguardian\/gg-backup-redis" is suspended \(spec\.suspend: true\) once CronJobPatch "pause-redis-backup" is applied\./);
    });

    it("fails when a transformation empties the component's schedule, saying where to add one", async () => {
        const opts = { transformations: [editCronJob("kots", (spec) => ({ ...spec, schedule: "" }))] };
        const msgs = (await evaluate(await runProgram(component(goodArgs("createBucket"), opts)))).of(SCHEDULE_REQUIRED);
        assert.equal(msgs.length, 1, msgs.join("\n"));
        assert.match(msgs[0], /kots: CronJob "gitguardian\/gg-backup-kots" has no schedule\. Add `schedule: "0 2 \* \* \*"` to GitGuardianBackupPolicy args \(or `kots\.schedule`\)/);
    });

    it("catches a hand-written pg_dumpall CronJob without a schedule (and the components nothing backs up)", async () => {
        const resources = await runProgram(() => {
            gitGuardianWorkloads();
            rawCronJob({ name: "pg-backup", command: ["sh", "-c", "pg_dumpall -h postgresql > /backup/all.sql"] });
        });
        const msgs = (await evaluate(resources)).of(SCHEDULE_REQUIRED);
        assert.equal(msgs.length, 3, msgs.join("\n"));
        assert.match(msgs[0], /^no scheduled backup of postgres: CronJob "gitguardian\/pg-backup" has no schedule\. Add `schedule: "0 2 \* \* \*"` to its spec\./);
        assert.match(msgs[1], /^no scheduled backup of redis: the stack runs GitGuardian \(StatefulSet "gitguardian\/postgresql", Deployment "gitguardian\/webapp", backup CronJob "gitguardian\/pg-backup"\) but no CronJob backs up redis\./);
        assert.match(msgs[1], /Add a GitGuardianBackupPolicy with `schedule: "0 2 \* \* \*"` in its args and `redis: \{ host: "\.\.\." \}` enabled, or a CronJob that runs redis-cli --rdb/);
        assert.match(msgs[2], /^no scheduled backup of kots:/);
    });

    it("catches suspended and invalid hand-written schedules", async () => {
        const resources = await runProgram(() => {
            gitGuardianWorkloads();
            rawBackups({ postgres: { suspend: true }, redis: { schedule: "0 2 * * * *" }, kots: { schedule: "0 2 * * *", timeZone: "Mars/Olympus" } });
        });
        const msgs = (await evaluate(resources)).of(SCHEDULE_REQUIRED);
        assert.equal(msgs.length, 3, msgs.join("\n"));
        assert.match(msgs[0], /postgres: CronJob "gitguardian\/pg-backup" is suspended \(spec\.suspend: true\)\. Set `spec\.suspend: false`/);
        assert.match(msgs[1], /redis: CronJob "gitguardian\/redis-backup" has schedule "0 2 \* \* \* \*", which Kubernetes will not run: it has 6 fields, Kubernetes takes 5/);
        assert.match(msgs[2], /kots: CronJob "gitguardian\/kots-backup" has timeZone "Mars\/Olympus", which is not an IANA time zone/);
    });

    it("passes well-kept hand-written backups, and a stack that runs no GitGuardian is not its business", async () => {
        const kept = await runProgram(() => {
            gitGuardianWorkloads();
            rawBackups();
        });
        // Only the advisory ones: hand-written backups have no drill of this package, nor its alert rules.
        // Advisory only: no drill, no alert rules, and each hand-written CronJob writes in clear.
        assert.deepEqual((await evaluate(kept)).violations.map((v) => v.policy), ["gitguardian-backup-drills", "gitguardian-backup-alerts", ...Array(3).fill("gitguardian-backup-encryption")]);
        const other = await runProgram(() => gitGuardianWorkloads("payments"));
        const verdict = checkScheduleRequired(other);
        assert.deepEqual(verdict.violations, []);
        assert.match(verdict.notApplicable ?? "", /runs no GitGuardian/);
    });

    it("config: namespaces, workloadLabels and requiredComponents change what is required", async () => {
        const resources = await runProgram(() => {
            gitGuardianWorkloads("gg-prod");
            rawBackups({ kots: { command: ["sleep", "1"] } }); // postgres and redis only
        });
        // The backups sit in "gitguardian", the workloads in "gg-prod": by default nothing says GitGuardian runs here.
        assert.equal(checkScheduleRequired(resources, { namespaces: [] }).notApplicable !== undefined, true);
        const watched = checkScheduleRequired(resources, { namespaces: ["gg-prod"] });
        assert.deepEqual(
            watched.violations.map((v) => v.message.split(":")[0]),
            ["no scheduled backup of kots"],
        );
        assert.deepEqual(checkScheduleRequired(resources, { namespaces: ["gg-prod"], requiredComponents: ["postgres", "redis"] }).violations, []);
        const labelled = await runProgram(() => rawCronJob({ name: "x", schedule: "0 2 * * *", command: ["true"], labels: { "app.kubernetes.io/part-of": "gitguardian" } }));
        assert.equal(checkScheduleRequired(labelled, { namespaces: [], workloadKinds: ["CronJob"] }).violations.length, 3);
        assert.equal(checkScheduleRequired(labelled, { namespaces: [], workloadKinds: ["CronJob"], workloadLabels: {} }).notApplicable !== undefined, true);
        assert.throws(() => checkScheduleRequired(resources, { namespaces: "gitguardian" as never }), /config namespaces = "gitguardian" is invalid/);
    });

    it("a GitGuardianRestore requires backups: by type token, or a dynamic resource with kind GitGuardianRestore", async () => {
        const restoreOf = (type: string, props: Record<string, unknown>) => [{ type, name: "restore", urn: `urn:pulumi:test::ggb::${type}::restore`, props }];
        assert.equal(isRestore(restoreOf("gitguardian-backup:index:GitGuardianRestore", {})[0]), true);
        assert.equal(isRestore(restoreOf("pulumi-nodejs:dynamic:GitGuardianRestore", {})[0]), true);
        assert.equal(isRestore(restoreOf("pulumi-nodejs:dynamic:Resource", { __provider: "exports.handler = ...", kind: "GitGuardianRestore" })[0]), true);
        assert.equal(isRestore(restoreOf("pulumi-nodejs:dynamic:Resource", { __provider: "exports.handler = ..." })[0]), false);
        const verdict = checkScheduleRequired(restoreOf("pulumi-nodejs:dynamic:Resource", { __provider: "x", kind: "GitGuardianRestore" }));
        assert.equal(verdict.violations.length, 3);
        assert.match(verdict.violations[0].message, /the stack runs GitGuardian \(GitGuardianRestore "restore"\)/);
    });
});
