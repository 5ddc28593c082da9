import * as assert from "node:assert/strict";
import * as k8s from "@pulumi/kubernetes";
import { checkJobHygiene, JOB_HYGIENE } from "../../policy/jobHygiene";
import { checkNoInlineSecrets, isSecretName, NO_INLINE_SECRETS, NO_INLINE_SECRETS_DEFAULTS } from "../../policy/noInlineSecrets";
import { evaluate, runProgram } from "./harness";
import { component, editCronJob, gitGuardianWorkloads, goodArgs, NS, rawBackups, rawCronJob } from "./programs";

describe(NO_INLINE_SECRETS, () => {
    it("passes the component (its secrets are secretKeyRefs; GGB_KOTS_SECRETS is a list of names, not a secret)", async () => {
        for (const mode of ["createBucket", "existingBucket"] as const) {
            assert.deepEqual((await evaluate(await runProgram(component(goodArgs(mode))))).of(NO_INLINE_SECRETS), []);
        }
        assert.equal(isSecretName("GGB_KOTS_SECRETS", NO_INLINE_SECRETS_DEFAULTS), false);
        for (const name of ["PGPASSWORD", "REDISCLI_AUTH", "AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "GITHUB_TOKEN"]) {
            assert.equal(isSecretName(name, NO_INLINE_SECRETS_DEFAULTS), true, name);
        }
    });

    it("fails an inline PGPASSWORD in a hand-written pg_dumpall CronJob, without echoing the value", async () => {
        const resources = await runProgram(() =>
            rawCronJob({ name: "pg-backup", schedule: "0 2 * * *", command: ["sh", "-c", "pg_dumpall -h postgresql"], env: [{ name: "PGPASSWORD", value: "hunter2" }] }),
        );
        const msgs = (await evaluate(resources)).of(NO_INLINE_SECRETS);
        assert.equal(msgs.length, 1, msgs.join("\n"));
        assert.match(
            msgs[0],
            /^CronJob "gitguardian\/pg-backup" container "backup" \(containers\[0\]\) sets PGPASSWORD to a literal value: anyone who can read the CronJob or the stack state reads it\. Store it in a Kubernetes Secret and use `valueFrom: \{ secretKeyRef: \{ name, key \} \}`/,
        );
        assert.doesNotMatch(msgs[0], /hunter2/);
    });

    it("fails a literal injected into the component's CronJob, and a secret taken from a ConfigMap", async () => {
        const opts = {
            transformations: [
                editCronJob("redis", (spec) => {
                    const pod = spec.jobTemplate.spec.template.spec;
                    pod.containers[0].env = [...pod.containers[0].env, { name: "REDISCLI_AUTH", value: "s3cret" }];
                    pod.containers[1].env = [...pod.containers[1].env, { name: "AWS_SECRET_ACCESS_KEY", valueFrom: { configMapKeyRef: { name: "cm", key: "k" } } }];
                    return spec;
                }),
            ],
        };
        const msgs = (await evaluate(await runProgram(component(goodArgs("existingBucket"), opts)))).of(NO_INLINE_SECRETS);
        assert.equal(msgs.length, 2, msgs.join("\n"));
        assert.match(msgs[0], /^CronJob "gitguardian\/gg-backup-redis" container "dump-redis" \(containers\[0\]\) sets REDISCLI_AUTH to a literal value/);
        assert.match(msgs[1], /^CronJob "gitguardian\/gg-backup-redis" container "upload" \(containers\[1\]\) takes AWS_SECRET_ACCESS_KEY from configMapKeyRef, not from a Secret/);
    });

    it("covers Jobs running /scripts/*.sh, leaves other workloads alone; allowNames exempts a name", async () => {
        const resources = await runProgram(() => {
            new k8s.batch.v1.Job("restore", {
                metadata: { namespace: NS },
                spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "restore", image: "postgres:16", command: ["sh", "/scripts/restore-postgres.sh"], env: [{ name: "PGPASSWORD", value: "x" }] }] } } },
            });
            new k8s.apps.v1.Deployment("app", {
                metadata: { namespace: NS },
                spec: { selector: { matchLabels: { app: "a" } }, template: { metadata: { labels: { app: "a" } }, spec: { containers: [{ name: "a", image: "a", env: [{ name: "API_TOKEN", value: "x" }] }] } } },
            });
        });
        const msgs = (await evaluate(resources)).of(NO_INLINE_SECRETS);
        assert.equal(msgs.length, 1, msgs.join("\n"));
        assert.match(msgs[0], /^Job "restore" container "restore" \(containers\[0\]\) sets PGPASSWORD to a literal value/);
        const job = resources.find((r) => r.type === "kubernetes:batch/v1:Job")!;
        assert.deepEqual(checkNoInlineSecrets(job, { allowNames: ["PGPASSWORD"] }).violations, []);
        assert.match(checkNoInlineSecrets(resources.find((r) => r.name === "app")!).notApplicable ?? "", /no backup or restore container/);
    });
});

describe(JOB_HYGIENE, () => {
    it("passes the component's CronJobs and well-kept hand-written ones", async () => {
        assert.deepEqual((await evaluate(await runProgram(component(goodArgs("createBucket"))))).of(JOB_HYGIENE), []);
        const kept = await runProgram(() => {
            gitGuardianWorkloads();
            rawBackups();
        });
        assert.deepEqual((await evaluate(kept)).of(JOB_HYGIENE), []);
    });

    it("fails a hand-written backup CronJob with defaults: Allow, no deadline", async () => {
        const resources = await runProgram(() => rawCronJob({ name: "pg-backup", schedule: "0 2 * * *", command: ["pg_dumpall"] }));
        const msgs = (await evaluate(resources)).of(JOB_HYGIENE);
        assert.deepEqual(msgs, [
            'CronJob "gitguardian/pg-backup" (backup of postgres) has concurrencyPolicy "Allow (default)": two runs could dump and upload at once. Set `concurrencyPolicy: "Forbid"`.',
            'CronJob "gitguardian/pg-backup" (backup of postgres) has no jobTemplate.spec.activeDeadlineSeconds: a hung dump or upload would hold the next runs back for ever. Set it, e.g. `activeDeadlineSeconds: 14400` (4 hours).',
        ]);
        // Kubernetes' default backoffLimit is 6: fine by default, too many for maxBackoffLimit 3.
        const strict = checkJobHygiene(resources.find((r) => r.name === "pg-backup")!, { maxBackoffLimit: 3 }).violations.map((v) => v.message);
        assert.match(strict[2], /has jobTemplate\.spec\.backoffLimit unset \(Kubernetes default 6\), more than maxBackoffLimit 3/);
    });

    it("backoffLimit above maxBackoffLimit fails; maxBackoffLimit 10 lets it pass", async () => {
        const opts = { transformations: [editCronJob("kots", (spec) => ({ ...spec, jobTemplate: { ...spec.jobTemplate, spec: { ...spec.jobTemplate.spec, backoffLimit: 8 } } }))] };
        const resources = await runProgram(component(goodArgs("existingBucket"), opts));
        const msgs = (await evaluate(resources)).of(JOB_HYGIENE);
        assert.equal(msgs.length, 1, msgs.join("\n"));
        assert.match(msgs[0], /^CronJob "gitguardian\/gg-backup-kots" \(backup of kots\) has jobTemplate\.spec\.backoffLimit 8, more than maxBackoffLimit 6: .* Set `backoffLimit: 2` in GitGuardianBackupPolicy args\.$/);
        assert.deepEqual((await evaluate(resources, { [JOB_HYGIENE]: { maxBackoffLimit: 10 } })).of(JOB_HYGIENE), []);
    });
});
