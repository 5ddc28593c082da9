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
    ["aws-irsa", { "test:oidcProviderArn": "arn:aws:iam::1:oidc-provider/oidc.example/id/A", "test:oidcProviderUrl": "oidc.example/id/A" }, 3],
    ["minio-existing-bucket", {}, 3],
    ["external-databases", {}, 3],
];

describe("examples and the root program (mocks)", function () {
    this.timeout(30_000);
    for (const [name, config, cronJobs] of examples) {
        it(`examples/${name} declares ${cronJobs} backup CronJobs`, async () => {
            const { resources } = await runUnderMocks(() => {
                withConfig(config);
                require(path.join(__dirname, "..", "..", "examples", name, "index.js"));
            });
            assert.equal(resources.filter((r) => r.type === "kubernetes:batch/v1:CronJob").length, cronJobs);
        });
    }

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
