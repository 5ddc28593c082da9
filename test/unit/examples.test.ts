/** The examples and the root program are type-checked by the build and construct under mocks. */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { rootProgram } from "../../program/program";
import { runUnderMocks, valueOf } from "../../harness/mocks";

function withConfig(config: { [key: string]: unknown }) {
    for (const [k, v] of Object.entries(config)) pulumi.runtime.setConfig(k, typeof v === "string" ? v : JSON.stringify(v));
}

const examples: [string, { [key: string]: unknown }, number][] = [
    // A created bucket: the parts' CronJobs and the retention job.
    ["aws-irsa", { "test:oidcProviderArn": "arn:aws:iam::1:oidc-provider/oidc.example/id/A", "test:oidcProviderUrl": "oidc.example/id/A" }, 4],
    ["minio-existing-bucket", {}, 3],
    // Redis is ElastiCache's, which serves no SYNC: left to its own snapshots.
    ["external-databases", {}, 3],
];

describe("examples and the root program (mocks)", function () {
    this.timeout(30_000);
    for (const [name, config, cronJobs] of examples) {
        it(`examples/${name} declares ${cronJobs} backup CronJobs`, async () => {
            const file = path.join(__dirname, "..", "..", "examples", name, "index.js");
            // Loaded afresh: another suite (the policy pack's) may have left it in require's cache, where it would not run.
            delete require.cache[require.resolve(file)];
            const { resources } = await runUnderMocks(() => {
                withConfig(config);
                require(file);
            });
            assert.equal(resources.filter((r) => r.type === "kubernetes:batch/v1:CronJob").length, cronJobs);
        });
    }

    it("examples/external-databases backs up its managed PostgreSQL without the role passwords its admin cannot read", async () => {
        const file = path.join(__dirname, "..", "..", "examples", "external-databases", "index.js");
        // Loaded again: the test above left it in require's cache, where it would not run.
        delete require.cache[require.resolve(file)];
        const { resources } = await runUnderMocks(() => {
            require(file);
        });
        const cronJob = resources.find((r) => r.type === "kubernetes:batch/v1:CronJob" && r.name.endsWith("postgres"))!;
        const dump = cronJob.inputs.spec.jobTemplate.spec.template.spec.containers.find((c: { name: string }) => c.name === "dump-postgres");
        assert.deepEqual(dump.env.find((e: { name: string }) => e.name === "GGB_PG_ROLE_PASSWORDS"), { name: "GGB_PG_ROLE_PASSWORDS", value: "exclude" });
    });

    it("the root program builds the policy from stack config", async () => {
        const { resources, result } = await runUnderMocks(() => {
            withConfig({
                "gitguardian-backup:schedule": "0 3 * * *",
                "gitguardian-backup:retentionDays": "14",
                "gitguardian-backup:storage": { existingBucket: { name: "ggbackups", endpoint: "http://127.0.0.1:9000" } },
                "gitguardian-backup:postgres": { host: "postgresql", passwordSecret: { name: "postgresql", key: "postgres-password" } },
                "gitguardian-backup:redis": { host: "redis-master" },
            });
            return rootProgram();
        });
        const cronJobs = resources.filter((r) => r.type === "kubernetes:batch/v1:CronJob");
        assert.deepEqual(cronJobs.map((r) => r.inputs.spec.schedule), ["0 3 * * *", "0 3 * * *"]);
        assert.equal(await valueOf(result.bucketName), "ggbackups");
    });
});
