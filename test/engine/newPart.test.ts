/**
 * A fourth, test-only part ("sample", test/fixtures/samplePart: a descriptor and a trivial dump
 * script) registered and nothing else written for it: through the real engine the component
 * creates its CronJob, the CronJob as Kubernetes stores it runs and commits a set, the policy
 * pack counts it as a backup (and requires it only when its descriptor says so), and the
 * restore plans its step and runs it on that set. The whole path derives from the registry.
 */
import * as k8s from "@kubernetes/client-node";
import * as kubernetes from "@pulumi/kubernetes";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { GitGuardianBackupPolicyArgs } from "../../backup/args";
import { GitGuardianBackupPolicy } from "../../backup/backupPolicy";
import { listSets, readManifest } from "../../core/catalog";
import { s3Store } from "../../core/objectStore";
import { makeRuntime } from "../../restore/runtime";
import { restorePlan } from "../../restore/sequence";
import { resolveRestore, RestoreInputs } from "../../restore/validate";
import { registerPart, unregisterPart } from "../../sources/registry";
import { restoredSamples, samplePart } from "../fixtures/samplePart";
import { KubeCluster, startKube } from "../../harness/kube";
import { MinioServer, startMinio } from "../../harness/minio";
import { runPod } from "../../harness/podRunner";
import { Engine, startEngine } from "../../harness/pulumi";
import { LocalExecutor } from "../restore/localExecutor";
import { minioArgs } from "../unit/fixtures";

const NS = "gitguardian";
const PACK_DIR = path.resolve(__dirname, "..", "..", "..", "policy");
const PRELOAD = path.resolve(__dirname, "..", "fixtures", "samplePart", "register.js");
const TEXT = "hello from a part added by registration";

describe("a fourth part, registered: the whole path derives from the registry", function () {
    this.timeout(900_000);
    let kube: KubeCluster;
    let engine: Engine;
    let minio: MinioServer;

    /** The policy's args with the sample part beside the built-in ones (its section is not in the typed Args). */
    const withSample = (base: GitGuardianBackupPolicyArgs, sample: Record<string, unknown>) => ({ ...base, sample }) as unknown as GitGuardianBackupPolicyArgs;
    const realArgs = (): GitGuardianBackupPolicyArgs => ({
        namespace: NS,
        schedule: "0 2 * * *",
        retentionDays: 14,
        storage: { existingBucket: { name: minio.bucket, endpoint: minio.endpoint, region: "us-east-1", credentialsSecret: { name: "minio-backup-credentials" } } },
    }) as GitGuardianBackupPolicyArgs;

    before(async () => {
        registerPart(samplePart(false));
        [kube, minio] = await Promise.all([startKube(), startMinio({ bucket: "gitguardian-backups" })]);
        engine = startEngine();
        await kube.createNamespace(NS);
        const core = kube.admin().makeApiClient(k8s.CoreV1Api);
        await core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: "minio-backup-credentials" }, stringData: { AWS_ACCESS_KEY_ID: minio.accessKey, AWS_SECRET_ACCESS_KEY: minio.secretKey } } });
    });
    after(async () => {
        unregisterPart("sample");
        engine?.stop();
        await Promise.all([kube?.stop(), minio?.destroy()]);
    });

    it("pulumi up creates its CronJob, and the CronJob as stored runs and commits a set", async () => {
        const stack = await engine.stack("gitguardian-sample", "up", async () => {
            const provider = new kubernetes.Provider("kube", { kubeconfig: kube.kubeconfig });
            const backups = new GitGuardianBackupPolicy("gitguardian", withSample(realArgs(), { text: TEXT }), { providers: { kubernetes: provider } });
            return { cronJobNames: backups.cronJobNames };
        });
        const up = await stack.up({ onOutput: () => undefined });
        assert.deepEqual(up.outputs.cronJobNames.value, { sample: "gitguardian-backup-sample" });

        const kc = kube.admin();
        const batch = kc.makeApiClient(k8s.BatchV1Api);
        const core = kc.makeApiClient(k8s.CoreV1Api);
        const stored = await batch.readNamespacedCronJob({ name: "gitguardian-backup-sample", namespace: NS });
        assert.equal(stored.metadata!.labels!["app.kubernetes.io/component"], "backup-sample");
        const pod = stored.spec!.jobTemplate.spec!.template.spec!;
        assert.deepEqual(pod.containers.map((c) => [c.name, c.command]), [["dump-sample", ["sh", "/scripts/dump-sample.sh"]], ["upload", ["sh", "/scripts/upload.sh"]]]);
        assert.equal(pod.automountServiceAccountToken, false, "a part without Kubernetes rights gets no token");

        const runs = await runPod(pod, { namespace: NS, core });
        for (const r of runs) assert.equal(r.exitCode, 0, `${r.name}: ${r.stderr}`);
        const store = s3Store({ bucket: minio.bucket, region: "us-east-1", endpoint: minio.endpoint }, { accessKeyId: minio.accessKey, secretAccessKey: minio.secretKey });
        const sets = await listSets(store, "gitguardian", "sample");
        assert.equal(sets.filter((s) => s.complete).length, 1);
        const manifest = await readManifest(store, "gitguardian", "sample", sets[0].backupId);
        assert.deepEqual(manifest.artifacts.map((a) => [a.name, a.compression]), [["sample.txt.gz", "gzip"]]);
        assert.equal(manifest.format, "sample");
    });

    it("the restore plans its step after the built-in ones and runs it on that set", async () => {
        const inputs = {
            restoreName: "restore-sample",
            namespace: NS,
            storage: { bucketName: minio.bucket, prefix: "gitguardian", region: "us-east-1", endpoint: minio.endpoint, credentialsSecret: { name: "minio-backup-credentials" } },
            backupId: "latest",
            sample: {},
        } as unknown as RestoreInputs;
        assert.deepEqual(restorePlan(resolveRestore(inputs)).map((s) => s.name), ["plan", "sample"]);
        const withRedis = { ...inputs, redis: { statefulSet: "redis-master" } } as unknown as RestoreInputs;
        assert.deepEqual(restorePlan(resolveRestore(withRedis)).map((s) => s.name), ["plan", "redis", "sample"], "in registry order");

        const executor = new LocalExecutor({ secrets: { [`${NS}/minio-backup-credentials`]: { AWS_ACCESS_KEY_ID: minio.accessKey, AWS_SECRET_ACCESS_KEY: minio.secretKey } } });
        restoredSamples.length = 0;
        const out = await makeRuntime({ executor: () => executor, log: { info: () => undefined, warn: () => undefined } }).create(inputs as unknown as Record<string, unknown>);
        assert.deepEqual(restoredSamples, [`${TEXT}\n`]);
        assert.equal((out.outs as { restored: Record<string, { backupId: string }> }).restored.sample.backupId.length, 16);
    });

    describe("the policy pack, with the part registered in its process", () => {
        /** A preview under the pack; `required` undefined: the part is not registered in the pack's process at all. */
        const preview = async (stackName: string, args: GitGuardianBackupPolicyArgs, required: boolean | undefined) => {
            const pack =
                required === undefined
                    ? engine.policyPackExecutable(PACK_DIR, { name: "sample-unregistered" })
                    : engine.policyPackExecutable(PACK_DIR, { preload: [PRELOAD], env: { GGB_TEST_SAMPLE_REQUIRED: String(required) }, name: `sample-${required}` });
            const stack = await engine.stack("gitguardian-sample-policy", stackName, async () => {
                new GitGuardianBackupPolicy("gitguardian", args);
            });
            await stack.setConfig("kubernetes:kubeconfig", { value: kube.kubeconfig, secret: true });
            try {
                const r = await stack.preview({ policyPacks: [pack], onOutput: () => undefined });
                return { ok: true, output: r.stdout };
            } catch (e) {
                return { ok: false, output: String((e as Error).message) };
            } finally {
                await stack.workspace.removeStack(stackName).catch(() => undefined);
            }
        };

        it("counts its CronJob as a backup: a weekly schedule fails max-interval, naming it", async () => {
            const r = await preview("weekly", withSample(minioArgs(), { text: TEXT, schedule: "0 3 * * 0" }), false);
            assert.equal(r.ok, false, r.output);
            assert.match(r.output, /gitguardian-backup-max-interval/);
            assert.match(r.output, /gitguardian-backup-sample/);
        });

        it("counts it by its label even where the pack's process has never heard of the part", async () => {
            const r = await preview("weekly-unregistered", withSample(minioArgs(), { text: TEXT, schedule: "0 3 * * 0" }), undefined);
            assert.equal(r.ok, false, r.output);
            assert.match(r.output, /gitguardian-backup-max-interval/);
            assert.match(r.output, /gitguardian-backup-sample \(backup of sample\)|backup of sample/);
        });

        it("does not require it while its descriptor says so; requires it when the descriptor does", async () => {
            const without = minioArgs();
            const notRequired = await preview("not-required", without, false);
            assert.ok(notRequired.ok, notRequired.output);
            const required = await preview("required", without, true);
            assert.equal(required.ok, false, required.output);
            assert.match(required.output, /no scheduled backup of sample/);
            assert.match(required.output, /sample: \{ text \}/, "the message names the descriptor's argument");
        });
    });
});
