import * as assert from "node:assert/strict";
import { checkMaxInterval, MAX_INTERVAL, worstGap } from "../../policy/maxInterval";
import type { PackResource } from "../../policy/model";
import { evaluate, runProgram } from "./harness";
import { component, gitGuardianWorkloads, goodArgs, rawBackups } from "./programs";

const cronJobs = (rs: PackResource[]) => rs.filter((r) => r.type === "kubernetes:batch/v1:CronJob");

describe(MAX_INTERVAL, () => {
    it("passes the component's daily schedule", async () => {
        const resources = await runProgram(component(goodArgs("existingBucket")));
        assert.equal(cronJobs(resources).length, 3);
        assert.deepEqual((await evaluate(resources)).of(MAX_INTERVAL), []);
    });

    it("fails a weekly schedule, and maxIntervalHours 168 lets it pass", async () => {
        const resources = await runProgram(component(goodArgs("existingBucket", { schedule: "@weekly" })));
        const msgs = (await evaluate(resources)).of(MAX_INTERVAL);
        assert.equal(msgs.length, 3, msgs.join("\n"));
        assert.match(
            msgs.find((m) => m.includes("gg-backup-postgres")) ?? "",
            /^CronJob "gitguardian\/gg-backup-postgres" \(backup of postgres\) runs on "@weekly" \(Etc\/UTC\): up to 168 hours between two runs, more than maxIntervalHours 24\. Run it at least every 24 hours \(e\.g\. schedule "0 2 \* \* \*" for daily\), or raise maxIntervalHours in the policy config\.$/,
        );
        assert.deepEqual((await evaluate(resources, { [MAX_INTERVAL]: { maxIntervalHours: 168 } })).of(MAX_INTERVAL), []);
    });

    it("counts the CronJob's time zone: a daily run in Europe/Paris has a 25-hour gap once a year", async () => {
        const resources = await runProgram(component(goodArgs("existingBucket", { timeZone: "Europe/Paris" })));
        const msgs = (await evaluate(resources)).of(MAX_INTERVAL);
        assert.equal(msgs.length, 3, msgs.join("\n"));
        assert.match(msgs[0], /\(Europe\/Paris\): up to 25 hours between two runs, more than maxIntervalHours 24\./);
        assert.match(msgs[0], /The longest gap falls on a daylight-saving change in Europe\/Paris: use timeZone Etc\/UTC, or allow 25 hours\.$/);
        assert.deepEqual((await evaluate(resources, { [MAX_INTERVAL]: { maxIntervalHours: 25 } })).of(MAX_INTERVAL), []);
    });

    it("judges hand-written backup CronJobs too (business days only leaves a weekend gap)", async () => {
        const resources = await runProgram(() => {
            gitGuardianWorkloads();
            rawBackups({ redis: { schedule: "0 3 * * 1-5" } });
        });
        const msgs = (await evaluate(resources)).of(MAX_INTERVAL);
        assert.equal(msgs.length, 1, msgs.join("\n"));
        assert.match(msgs[0], /^CronJob "gitguardian\/redis-backup" \(backup of redis\) runs on "0 3 \* \* 1-5" \(Etc\/UTC\): up to 72 hours/);
        // Unsuspended, valid schedules only: a suspended one is schedule-required's business.
        const suspended = await runProgram(() => rawBackups({ redis: { schedule: "@monthly", suspend: true } }));
        assert.deepEqual((await evaluate(suspended)).of(MAX_INTERVAL), []);
    });

    it("judges frequent schedules exactly, daylight-saving changes included", () => {
        assert.equal(worstGap("*/5 * * * *", "America/New_York"), 5 / 60);
        // By hand (test/unit/core.test.ts, "counts daylight-saving changes"): 02:30 happens twice
        // on 25 October in Paris and runs at its first occurrence, 00:30Z; the next run is
        // 26 October 02:30 CET, 01:30Z: 25 h.
        assert.equal(worstGap("30 2 * * *", "Europe/Paris"), 25);
        assert.deepEqual(checkMaxInterval({ type: "kubernetes:core/v1:ConfigMap", name: "c", urn: "u", props: {} }).notApplicable, "not a backup CronJob");
    });
});
