/** gitguardian-backup-drills and gitguardian-backup-alerts: advisory, on the component's children. */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import * as kubernetes from "@pulumi/kubernetes";
import { ALERTS_DECLARED } from "../../policy/alertsDeclared";
import { DRILLS_DECLARED } from "../../policy/drillsDeclared";
import { evaluate, runProgram } from "./harness";
import { component, goodArgs, NS } from "./programs";

describe("gitguardian-backup-drills and gitguardian-backup-alerts", () => {
    it("a stack with backups and neither drill nor alert rules: one advisory finding each, saying what to declare", async () => {
        const resources = await runProgram(component(goodArgs("existingBucket")));
        const e = await evaluate(resources);
        assert.deepEqual(e.of(DRILLS_DECLARED), [
            'The stack backs GitGuardian up (3 backup CronJobs) but never restores a set to see that it works. Declare `drill: { schedule: "0 5 * * *" }` in GitGuardianBackupPolicy args: a CronJob that restores the latest sets into scratch servers, checks them and writes its result next to them.',
        ]);
        assert.equal(e.of(ALERTS_DECLARED).length, 1);
        assert.match(e.of(ALERTS_DECLARED)[0], /declares no alert for when they stop\. Declare `alerts: \{\}`/);
    });

    it("the component's drill and alerts satisfy both", async () => {
        const resources = await runProgram(component(goodArgs("existingBucket", { drill: { schedule: "0 5 * * *" }, alerts: {} })));
        const e = await evaluate(resources);
        assert.deepEqual(e.of(DRILLS_DECLARED), []);
        assert.deepEqual(e.of(ALERTS_DECLARED), []);
    });

    it("a PrometheusRule of the user's own counts when it watches the backup CronJobs' last success", async () => {
        const own = (expr: string) => () => {
            component(goodArgs("existingBucket", { drill: { schedule: "0 5 * * *" } }))();
            new kubernetes.apiextensions.CustomResource("own-rules", {
                apiVersion: "monitoring.coreos.com/v1",
                kind: "PrometheusRule",
                metadata: { name: "own", namespace: NS },
                spec: { groups: [{ name: "own", rules: [{ alert: "X", expr }] }] },
            });
            return pulumi.output(undefined);
        };
        assert.deepEqual((await evaluate(await runProgram(own('time() - kube_cronjob_status_last_successful_time{cronjob=~"gg-backup-.*"} > 86400')))).of(ALERTS_DECLARED), []);
        assert.equal((await evaluate(await runProgram(own("up == 0")))).of(ALERTS_DECLARED).length, 1, "a rule on something else does not");
    });

    it("a stack without backups: not applicable", async () => {
        const resources = await runProgram(() => {
            new kubernetes.core.v1.ConfigMap("x", { metadata: { namespace: NS }, data: {} });
        });
        const e = await evaluate(resources);
        assert.deepEqual(e.of(DRILLS_DECLARED), []);
        assert.deepEqual(e.of(ALERTS_DECLARED), []);
    });
});
