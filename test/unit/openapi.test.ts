/** Every Kubernetes object the component declares, validated against the Kubernetes OpenAPI schema (unknown fields fail). */
import * as assert from "node:assert/strict";
import { GitGuardianBackupPolicy } from "../../backup/backupPolicy";
import { GitGuardianBackupPolicyArgs } from "../../backup/args";
import { KubernetesSchema, KUBERNETES_VERSION } from "../../harness/k8sSchema";
import { runUnderMocks } from "../../harness/mocks";
import { awsArgs, minioArgs } from "./fixtures";

const cases: [string, GitGuardianBackupPolicyArgs][] = [
    ["existing MinIO bucket", minioArgs({ timeZone: "Europe/Paris", tolerations: [{ key: "ops", operator: "Exists", effect: "NoSchedule" }], nodeSelector: { pool: "ops" } })],
    ["AWS bucket with an IAM user", awsArgs({}, { staging: { size: "50Gi", storageClassName: "gp3" } })],
    ["AWS bucket with IRSA", awsArgs({ irsa: { oidcProviderArn: "arn:aws:iam::1:oidc-provider/x", oidcProviderUrl: "x" } }, { postgres: { host: "db.example.com", port: 5433, passwordSecret: { name: "pg", key: "pw" }, format: "directory", parallelJobs: 4 } })],
];

describe(`Kubernetes objects against the OpenAPI schema of ${KUBERNETES_VERSION}`, function () {
    this.timeout(120_000);
    let schema: KubernetesSchema;
    before(() => {
        schema = new KubernetesSchema();
    });

    it("the checker refuses an unknown field and a wrong type", () => {
        assert.deepEqual(schema.errors({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" }, data: { a: "b" } } as never), []);
        assert.match(schema.errors({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" }, dataa: {} } as never).join(), /dataa/);
        assert.match(schema.errors({ apiVersion: "batch/v1", kind: "CronJob", spec: { schedule: 5 } } as never).join(), /must be string/);
    });

    for (const [title, args] of cases) {
        it(`accepts every object of the ${title} policy`, async () => {
            const { resources } = await runUnderMocks(() => new GitGuardianBackupPolicy("gitguardian", args));
            const objects = resources.filter((r) => r.type.startsWith("kubernetes:"));
            assert.ok(objects.length >= 5);
            for (const r of objects) {
                const object = JSON.parse(JSON.stringify(r.inputs));
                // stringData arrives as a Pulumi secret on the wire: validate its plain value.
                if (object.stringData?.value) object.stringData = object.stringData.value;
                assert.deepEqual(schema.errors(object), [], `${r.type} ${r.name}`);
            }
        });
    }
});
