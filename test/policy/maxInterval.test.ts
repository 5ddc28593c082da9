import * as assert from "node:assert/strict";
import { maxIntervalHours } from "../../core/schedule";
import { checkMaxInterval, firesEveryDay, MAX_INTERVAL, worstGap } from "../../policy/maxInterval";
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

    it("bounds frequent schedules without iterating a year, and agrees with the full count", () => {
        assert.equal(firesEveryDay("*/5 * * * *"), true);
        assert.equal(firesEveryDay("@hourly"), true);
        assert.equal(firesEveryDay("0 2 * * 1-5"), false);
        assert.equal(firesEveryDay("@weekly"), false);
        const started = Date.now();
        assert.deepEqual(worstGap("*/5 * * * *", "America/New_York", 24), { hours: 5 / 60, exact: false });
        assert.ok(Date.now() - started < 2000, "a 5-minute schedule is judged from two days, not a year");
        for (const [schedule, tz, limit] of [
            ["0 */6 * * *", "America/New_York", 8],
            ["30 2 * * *", "Europe/Paris", 24],
            ["0 */8 * * *", "Australia/Sydney", 8],
            ["0 1,13 * * *", "Europe/London", 12],
        ] as const) {
            const full = maxIntervalHours(schedule, tz);
            const fast = worstGap(schedule, tz, limit);
            assert.equal(fast.hours <= limit, full <= limit, `${schedule} ${tz} limit ${limit}: full year ${full}, fast ${JSON.stringify(fast)}`);
            if (fast.exact) assert.equal(fast.hours, full);
        }
        assert.deepEqual(checkMaxInterval({ type: "kubernetes:core/v1:ConfigMap", name: "c", urn: "u", props: {} }).notApplicable, "not a backup CronJob");
    });
});
