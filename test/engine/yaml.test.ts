/**
 * Every Pulumi language: a YAML program constructs GitGuardianBackupPolicy through the engine
 * (the YAML language host built from its Go module, this package's component provider found on
 * PATH as pulumi-resource-gitguardian-backup), onto a real API server. The same objects appear
 * as from TypeScript, a second up changes nothing, destroy removes them, the policy pack judges
 * the stack the same way, and bad input gets the TypeScript validation message.
 */
import * as k8s from "@kubernetes/client-node";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { KubeCluster, startKube } from "../../harness/kube";
import { makeTempDir, removeTempDir } from "../../harness/proc";
import { Engine, startEngine } from "../../harness/pulumi";
import { readmeExample } from "../../harness/readme";
import { TEST_LICENSE } from "../restore/support";

const NS = "gitguardian";
const PACK_DIR = path.resolve(__dirname, "..", "..", "..", "policy");

function yamlProgram(dir: string, properties: string): void {
    fs.writeFileSync(
        path.join(dir, "Pulumi.yaml"),
        `name: gitguardian-backup-yaml
runtime: yaml
resources:
  gitguardian:
    type: gitguardian-backup:index:GitGuardianBackupPolicy
    properties:
${properties
    .trim()
    .split("\n")
    .map((l) => `      ${l}`)
    .join("\n")}
outputs:
  bucketName: \${gitguardian.bucketName}
  cronJobNames: \${gitguardian.cronJobNames}
`,
    );
}

const GOOD = `
namespace: ${NS}
schedule: "0 2 * * *"
retentionDays: 14
storage:
  existingBucket:
    name: gitguardian-backups
    endpoint: http://minio.storage.svc:9000
    credentialsSecret:
      name: minio-backup-credentials
postgres:
  host: postgresql
  passwordSecret: { name: postgresql, key: postgres-password }
redis:
  host: redis-master
  passwordSecret: { name: redis, key: redis-password }
kots:
  appSlug: gitguardian
  image: kotsadm/kotsadm:v1.124.0
`;

describe("a YAML program deploys the component through the real engine", function () {
    this.timeout(900_000);
    let kube: KubeCluster;
    let engine: Engine;
    let dir: string;
    let batch: k8s.BatchV1Api;

    before(async () => {
        kube = await startKube();
        engine = startEngine({ yaml: true });
        dir = makeTempDir("yaml-program");
        await kube.createNamespace(NS);
        batch = kube.admin().makeApiClient(k8s.BatchV1Api);
    });
    after(async () => {
        engine?.stop();
        if (dir) removeTempDir(dir);
        await kube?.stop();
    });

    const stackFor = async (name: string) => {
        const stack = await engine.stackOfFolder(dir, name);
        await stack.setConfig("kubernetes:kubeconfig", { value: kube.kubeconfig, secret: true });
        return stack;
    };

    it("up creates the same CronJobs as TypeScript; a second up changes nothing; destroy removes them", async () => {
        yamlProgram(dir, GOOD);
        const stack = await stackFor("yaml");
        const up = await stack.up({ onOutput: () => undefined });
        assert.equal(up.outputs.bucketName.value, "gitguardian-backups");
        assert.deepEqual(up.outputs.cronJobNames.value, { postgres: "gitguardian-backup-postgres", redis: "gitguardian-backup-redis", kots: "gitguardian-backup-kots" });
        const jobs = (await batch.listNamespacedCronJob({ namespace: NS })).items;
        assert.deepEqual(jobs.map((j) => j.metadata!.name).sort(), ["gitguardian-backup-kots", "gitguardian-backup-postgres", "gitguardian-backup-redis"]);
        const pg = jobs.find((j) => j.metadata!.name === "gitguardian-backup-postgres")!;
        const env = pg.spec!.jobTemplate.spec!.template.spec!.containers[0].env!;
        assert.deepEqual({ ...env.find((e) => e.name === "PGPASSWORD")!.valueFrom!.secretKeyRef }, { name: "postgresql", key: "postgres-password" });

        const again = await stack.up({ onOutput: () => undefined });
        assert.deepEqual(Object.keys(again.summary.resourceChanges ?? {}), ["same"]);

        const preview = await stack.preview({ policyPacks: [engine.policyPackExecutable(PACK_DIR)], onOutput: () => undefined });
        assert.ok(!/mandatory/.test(preview.stdout), preview.stdout);

        await stack.destroy({ onOutput: () => undefined });
        assert.deepEqual((await batch.listNamespacedCronJob({ namespace: NS })).items, []);
        await stack.workspace.removeStack("yaml");
    });

    it("the policy pack blocks a YAML stack whose redis backup is disabled", async () => {
        yamlProgram(dir, GOOD.replace("redis:\n  host: redis-master", "redis:\n  enabled: false\n  host: redis-master"));
        const stack = await stackFor("yaml-no-redis");
        await assert.rejects(stack.preview({ policyPacks: [engine.policyPackExecutable(PACK_DIR)], onOutput: () => undefined }), /gitguardian-backup-schedule-required[\s\S]*no scheduled backup of redis/);
        await stack.workspace.removeStack("yaml-no-redis");
    });

    it("the README's YAML program (backups and a restore) previews through the real engine: the plugin checks every argument", async () => {
        const readmeDir = makeTempDir("yaml-readme");
        try {
            fs.writeFileSync(path.join(readmeDir, "Pulumi.yaml"), readmeExample("yaml", "# YAML: Pulumi.yaml"));
            const stack = await engine.stackOfFolder(readmeDir, "yaml-readme");
            await stack.setAllConfig({
                "kubernetes:kubeconfig": { value: kube.kubeconfig, secret: true },
                kotsLicense: { value: TEST_LICENSE, secret: true },
                kotsPassword: { value: "a password", secret: true },
            });
            const preview = await stack.preview({ onOutput: () => undefined });
            assert.match(preview.stdout, /gitguardian-backup:index:GitGuardianRestore restore create/);
            // The stack, the restore, the component and its 8 objects (2 ServiceAccounts, the scripts' ConfigMap, the kots Role and RoleBinding, 3 CronJobs).
            assert.equal(preview.changeSummary.create, 11, preview.stdout);
            await stack.workspace.removeStack("yaml-readme");
        } finally {
            removeTempDir(readmeDir);
        }
    });

    it("bad input gets the same clear error as in TypeScript", async () => {
        yamlProgram(dir, GOOD.replace('schedule: "0 2 * * *"', 'schedule: "0 2 * *"'));
        const stack = await stackFor("yaml-bad");
        await assert.rejects(stack.preview({ onOutput: () => undefined }), /GitGuardianBackupPolicy "gitguardian": argument schedule = "0 2 \* \*" is invalid; it has 4 fields, Kubernetes takes 5/);
        await stack.workspace.removeStack("yaml-bad");
    });
});
