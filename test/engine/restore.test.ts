/**
 * GitGuardianRestore through the real engine: the dynamic provider serialized by the program,
 * loaded by the engine's Node.js dynamic-provider host, runs its create step against a real
 * control plane: the Jobs and the StatefulSet handled by the controllers, the restore Jobs' pods
 * read back from the API server and run as stored by the pod runner (harness/jobPods.ts) against
 * a real PostgreSQL and the folder of Redis's data PVC, kwok as the kubelet of the other pods.
 * The data is back, its outputs land in state, no password, key, kubeconfig token or license
 * appears in plain text in the state or the engine's event log, a second up does nothing, a new
 * backupId replaces and runs again (an overwrite named for the set), and destroy touches nothing.
 */
import * as k8s from "@kubernetes/client-node";
import * as pulumi from "@pulumi/pulumi";
import { EngineEvent } from "@pulumi/pulumi/automation";
import * as assert from "node:assert/strict";
import { GitGuardianRestore } from "../../restore/restore";
import { generateIdentity, identityToRecipient } from "age-encryption";
import * as fs from "node:fs";
import * as path from "node:path";
import { ageDir } from "../../harness/tools";
import { JobPodKubelet, runJobPods } from "../../harness/jobPods";
import { KubeCluster, startKube } from "../../harness/kube";
import { MinioServer, startMinio } from "../../harness/minio";
import { PostgresServer, startPostgres } from "../../harness/postgres";
import { FakeKots, makeFakeKots } from "../../harness/fakeKots";
import { Engine, startEngine } from "../../harness/pulumi";
import { makeTempDir, removeTempDir } from "../../harness/proc";
import { RedisServer, startRedis } from "../../harness/redis";
import { APP_SLUG, assertSeedRestored, BackupSets, KOTS_SECRETS, makeBackupSets, prepareNamespace, seed, TEST_LICENSE, TEST_SHARED_PASSWORD } from "../restore/support";

const NS = "gitguardian";
const PG_PASSWORD = "engine-pg-password-in-a-secret";

describe("GitGuardianRestore through pulumi up", function () {
    this.timeout(900_000);
    let kube: KubeCluster;
    let engine: Engine;
    let minio: MinioServer;
    let pg: PostgresServer;
    let redis: RedisServer;
    /** The restore's targets: an empty PostgreSQL, and the folder standing for Redis's data PVC. */
    let target: PostgresServer;
    let redisData: string;
    let kubelet: JobPodKubelet;
    let sets: BackupSets;
    let apps: k8s.AppsV1Api;
    let core: k8s.CoreV1Api;
    let kots: FakeKots;

    before(async () => {
        kots = makeFakeKots({ appSlug: APP_SLUG, namespace: NS });
        [kube, minio, pg, redis, target] = await Promise.all([startKube({ runJobsInNamespaces: [NS] }), startMinio(), startPostgres(), startRedis(), startPostgres({ password: PG_PASSWORD })]);
        await seed(pg, redis);
        redisData = makeTempDir("redis-pvc");
        sets = await makeBackupSets({ minio, pg, redis, kots: true, namespace: NS });
        await prepareNamespace(kube, minio, NS, { replicas: 2, pgPassword: PG_PASSWORD });
        engine = startEngine({ kubernetes: false, yaml: true });
        apps = kube.admin().makeApiClient(k8s.AppsV1Api);
        core = kube.admin().makeApiClient(k8s.CoreV1Api);
        kubelet = runJobPods(kube.admin(), { namespaces: [NS], claims: { [`${NS}/redis-data-redis-master-0`]: redisData } });
    });
    after(async () => {
        await kubelet?.stop();
        engine?.stop();
        for (const s of [pg, redis, minio, target]) await s?.destroy().catch(() => undefined);
        if (redisData) removeTempDir(redisData);
        await kube?.stop();
    });

    /** `overwrite`: the targets hold an earlier restore, replaced by name of the set (as a person re-running it would). */
    const program = (backupId: string, overwrite = false) => async () => {
        const restore = new GitGuardianRestore("restore-2026-11", {
            namespace: NS,
            storage: { bucketName: minio.bucket, prefix: sets.prefix, endpoint: minio.endpoint, credentialsSecret: { name: "backup-s3" } },
            backupId,
            postgres: { host: "127.0.0.1", port: target.port, passwordSecret: { name: "postgresql", key: "postgres-password" }, ...(overwrite ? { overwrite: sets.ids.postgres } : {}) },
            redis: { statefulSet: "redis-master", readyTimeoutSeconds: 120, ...(overwrite ? { overwrite: sets.ids.redis } : {}) },
            kots: {
                appSlug: APP_SLUG,
                install: { license: pulumi.secret(TEST_LICENSE), sharedPassword: pulumi.secret(TEST_SHARED_PASSWORD) },
                deploy: true,
                databaseHostOverride: "postgresql.gitguardian.svc",
                kotsCommand: kots.bin,
                timeoutSeconds: 120,
            },
            kubeconfig: pulumi.secret(kube.kubeconfig),
        });
        return { restored: restore.restored, status: restore.status, checksumsVerified: restore.checksumsVerified, completedAt: restore.completedAt };
    };

    /** The seeded data, in the target PostgreSQL and in a Redis started on the PVC's folder. */
    const assertDataBack = () => assertSeedRestored(target, redisData);

    /** Texts that must never be stored or logged in plain text. */
    const secrets = () => [kube.adminToken, TEST_SHARED_PASSWORD, TEST_LICENSE.split("\n").find((l) => l.includes("signature")) ?? TEST_LICENSE, minio.secretKey, PG_PASSWORD, ...Object.values(KOTS_SECRETS).flatMap((s) => Object.values(s))];
    const assertNoSecret = (text: string, where: string) => {
        for (const s of secrets()) assert.ok(!text.includes(s), `${where} holds a secret in plain text: ${s.slice(0, 12)}…`);
    };

    it("up runs the restore; outputs land in state; no secret in state or events; a second up does nothing", async () => {
        const stack = await engine.stack("gitguardian-restore", "engine", program("latest"));
        const events: EngineEvent[] = [];
        const up = await stack.up({ onEvent: (e) => void events.push(e), onOutput: () => undefined });
        assert.equal(up.summary.result, "succeeded");
        assert.equal(up.outputs.status.value, "complete");
        assert.equal(up.outputs.restored.value.postgres.backupId, sets.ids.postgres);
        assert.equal(up.outputs.restored.value.redis.backupId, sets.ids.redis);
        assert.equal(up.outputs.restored.value.kots.backupId, sets.ids.kots);
        assert.ok(up.outputs.checksumsVerified.value >= 3);
        assert.ok(!Number.isNaN(Date.parse(up.outputs.completedAt.value)));
        // The engine drove the real sequence: kots ran install then upload (kots test double), Redis is back to 2 replicas.
        assert.deepEqual(kots.calls().map((c) => c.argv[0]), ["install", "upload"]);
        assert.equal((await apps.readNamespacedStatefulSet({ name: "redis-master", namespace: NS })).spec!.replicas, 2);
        // The restore Jobs' pods ran as the API server stores them, and the data is back.
        assert.deepEqual(
            kubelet.runs.map((r) => [r.job.split("-").slice(0, 4).join("-"), r.containers.map((c) => `${c.name}=${c.exitCode}`).join(" "), r.startError]),
            [
                ["ggb-restore-postgres-" + sets.ids.postgres!.toLowerCase(), "fetch=0 restore-postgres=0", undefined],
                ["ggb-restore-redis-" + sets.ids.redis!.toLowerCase(), "fetch=0 restore-redis=0", undefined],
            ],
        );
        await assertDataBack();
        assertNoSecret(engine.backendText(), "the state and history");
        assertNoSecret(JSON.stringify(events), "the engine's event log");
        assertNoSecret(up.stdout, "the up output");

        const again = await stack.up({ onOutput: () => undefined });
        assert.deepEqual(Object.keys(again.summary.resourceChanges ?? {}), ["same"]);
        assert.equal(kots.calls().length, 2, "no second restore");
    });

    it("a new backupId replaces the resource; its run refuses the restored targets (the script's exit code, through the Job) until the overwrite names the set", async () => {
        // Each component's set has its own id (the CronJobs start seconds apart): select by time.
        const selector = `at-or-before:${new Date().toISOString()}`;
        const stack = await engine.stack("gitguardian-restore", "engine", program(selector));
        await assert.rejects(
            stack.up({ onOutput: () => undefined }),
            new RegExp(`step 4/6 "postgres" failed: Job ${NS}/ggb-restore-postgres-\\S+ failed \\(BackoffLimitExceeded\\): [^;]*; container restore-postgres exited 1 \\(Error\\): restore-postgres: target PostgreSQL at 127\\.0\\.0\\.1:${target.port} is not empty`),
        );
        assert.deepEqual(await target.rows("SELECT count(*) FROM incidents", "gg"), [["500"]], "refused: the target untouched");
        // Changed since the first restore; the overwrite of the set brings back the set's data.
        await target.psql("INSERT INTO incidents (title) VALUES ('written after the restore')", { db: "gg" });
        const runsBefore = kubelet.runs.length;
        const stack2 = await engine.stack("gitguardian-restore", "engine", program(selector, true));
        const up = await stack2.up({ onOutput: () => undefined });
        assert.equal(up.summary.result, "succeeded");
        assert.equal(up.outputs.status.value, "complete");
        assert.ok(kots.calls().length > 2, "the kots steps ran again");
        assert.deepEqual(kubelet.runs.slice(runsBefore).map((r) => r.containers.map((c) => `${c.name}=${c.exitCode}`).join(" ")), ["fetch=0 restore-postgres=0", "fetch=0 restore-redis=0"], "both Jobs ran again");
        await assertDataBack();
    });

    it("a failed restore, fixed, restores on the next up; refresh and destroy of a failed one work", async () => {
        // The state of a failed create holds the failure's properties as outputs: the engine's
        // dynamic-provider host reads the serialized provider from them on refresh and delete,
        // and the update that resumes needs it too ("code must be a string, not undefined").
        // The targets hold the earlier restores: this one overwrites them, named for the sets.
        const stack = await engine.stack("gitguardian-restore", "engine-resume", program("latest", true));
        kots.reset();
        kots.fail("Error: failed to install: admin console unreachable", 1, "install");
        try {
            await assert.rejects(stack.up({ onOutput: () => undefined }), /failed to install: admin console unreachable/);
            const failed = await stack.exportStack();
            const restore = (failed.deployment.resources as { type: string; outputs?: Record<string, unknown> }[]).find((r) => r.type.endsWith(":GitGuardianRestore"));
            assert.equal(restore?.outputs?.status, "failed");
            assert.equal(restore?.outputs?.failedStep, "kots-install");
            const refreshed = await stack.refresh({ onOutput: () => undefined });
            assert.equal(refreshed.summary.result, "succeeded");
        } finally {
            kots.succeed();
        }
        const up = await stack.up({ onOutput: () => undefined });
        assert.equal(up.summary.result, "succeeded");
        assert.equal(up.outputs.status.value, "complete");
        assert.deepEqual(kots.calls().map((c) => c.argv[0]), ["install", "install", "upload"], "the resumed run installs again, then uploads");
        await stack.destroy({ onOutput: () => undefined });
        kots.fail("Error: failed to install: admin console unreachable", 1, "install");
        try {
            await assert.rejects(stack.up({ onOutput: () => undefined }), /admin console unreachable/);
        } finally {
            kots.succeed();
        }
        const destroyed = await stack.destroy({ onOutput: () => undefined });
        assert.equal(destroyed.summary.result, "succeeded");
        await stack.workspace.removeStack("engine-resume");
    });

    it("encrypted sets: an identity that is none of their recipients is refused at the plan step; the recipient's restores them, the KOTS artifacts decrypted in the provider", async () => {
        const [alice, mallory] = await Promise.all([generateIdentity(), generateIdentity()]);
        const age = path.join(await ageDir(), "age");
        const encrypted = await makeBackupSets({ minio, pg, redis, kots: true, namespace: NS, uploadEnv: { GGB_ENCRYPTION_RECIPIENTS: await identityToRecipient(alice), GGB_AGE: age } });
        for (const [name, key] of [["restore-age", alice], ["wrong-age", mallory]]) {
            await core.createNamespacedSecret({ namespace: NS, body: { metadata: { name }, stringData: { "key.txt": `# created by age-keygen\n${key}\n` } } });
        }
        // The Jobs' pods get age from the tool image: here the statically built one, bound where it is.
        const ageKubelet = runJobPods(kube.admin(), { namespaces: [NS], claims: { [`${NS}/redis-data-redis-master-0`]: redisData }, pathPrefix: [path.dirname(age)] });
        await kubelet.stop();
        const program = (identitySecret: string, identity?: string) => async () => {
            const restore = new GitGuardianRestore("restore-encrypted", {
                namespace: NS,
                storage: { bucketName: minio.bucket, prefix: encrypted.prefix, endpoint: minio.endpoint, credentialsSecret: { name: "backup-s3" } },
                backupId: `at-or-before:${new Date().toISOString()}`,
                postgres: { host: "127.0.0.1", port: target.port, passwordSecret: { name: "postgresql", key: "postgres-password" }, overwrite: encrypted.ids.postgres },
                redis: { statefulSet: "redis-master", readyTimeoutSeconds: 120, overwrite: encrypted.ids.redis },
                kots: { appSlug: APP_SLUG, deploy: false, kotsCommand: kots.bin, timeoutSeconds: 120, overwrite: encrypted.ids.kots },
                kubeconfig: pulumi.secret(kube.kubeconfig),
                decryption: { identitySecret: { name: identitySecret, key: "key.txt" }, toolImage: "registry.example/age:1.3.2", agePath: age, ...(identity ? { identity: pulumi.secret(identity) } : {}) },
            });
            return { status: restore.status };
        };
        try {
            await target.psql("INSERT INTO incidents (title) VALUES ('written after the restores')", { db: "gg" });
            const runsBefore = ageKubelet.runs.length;
            const wrong = await engine.stack("gitguardian-restore", "engine-encrypted", program("wrong-age"));
            await assert.rejects(wrong.up({ onOutput: () => undefined }), new RegExp(`step 1/\\d "plan" failed: .*postgres set ${encrypted.ids.postgres} is encrypted to ${await identityToRecipient(alice)}; the identity in Secret ${NS}/wrong-age key key\\.txt is for ${await identityToRecipient(mallory)}, not one of them: nothing was changed`));
            assert.equal(ageKubelet.runs.length, runsBefore, "no Job ran");
            assert.deepEqual(await target.rows("SELECT count(*) FROM incidents", "gg"), [["501"]], "the target untouched");
            await wrong.destroy({ onOutput: () => undefined });
            await wrong.workspace.removeStack("engine-encrypted");

            const stack = await engine.stack("gitguardian-restore", "engine-encrypted", program("restore-age", alice));
            const up = await stack.up({ onOutput: () => undefined });
            assert.equal(up.outputs.status.value, "complete");
            assert.deepEqual(ageKubelet.runs.slice(runsBefore).map((r) => r.containers.map((c) => `${c.name}=${c.exitCode}`).join(" ")), ["encryption-tool=0 fetch=0 restore-postgres=0", "encryption-tool=0 fetch=0 restore-redis=0"]);
            await assertDataBack();
            assert.ok(kots.calls().some((c) => c.argv[0] === "upload"), "the decrypted KOTS archive was uploaded");
            for (const key of [alice, mallory]) assert.ok(!engine.backendText().includes(key), "no age identity in the state");
            await stack.destroy({ onOutput: () => undefined });
            await stack.workspace.removeStack("engine-encrypted");
        } finally {
            await ageKubelet.stop();
            kubelet = runJobPods(kube.admin(), { namespaces: [NS], claims: { [`${NS}/redis-data-redis-master-0`]: redisData } });
        }
    });

    /**
     * The same restore as a YAML program: GitGuardianRestore is served by this package's plugin
     * (pulumi-resource-gitguardian-backup on PATH) as a custom resource, not by a dynamic provider.
     */
    const yamlRestore = (dir: string, extra = "") => {
        fs.writeFileSync(
            path.join(dir, "Pulumi.yaml"),
            `name: gitguardian-restore-yaml
runtime: yaml
config:
  kubeconfig: { type: string, secret: true }
  kotsLicense: { type: string, secret: true }
  kotsPassword: { type: string, secret: true }
resources:
  restore-yaml:
    type: gitguardian-backup:index:GitGuardianRestore
    properties:
      namespace: ${NS}
      storage:
        bucketName: ${minio.bucket}
        prefix: ${sets.prefix}
        endpoint: ${minio.endpoint}
        credentialsSecret: { name: backup-s3 }
      backupId: latest
      postgres:
        host: 127.0.0.1
        port: ${target.port}
        passwordSecret: { name: postgresql, key: postgres-password }
        overwrite: "${sets.ids.postgres}"
      redis: { statefulSet: redis-master, readyTimeoutSeconds: 120, overwrite: "${sets.ids.redis}" }
      kots:
        appSlug: ${APP_SLUG}
        install: { license: "\${kotsLicense}", sharedPassword: "\${kotsPassword}" }
        deploy: true
        databaseHostOverride: postgresql.gitguardian.svc
        kotsCommand: ${kots.bin}
        timeoutSeconds: 120
        overwrite: "${sets.ids.kots}"
      kubeconfig: \${kubeconfig}
${extra}
outputs:
  status: \${restore-yaml.status}
  restored: \${restore-yaml.restored}
  checksumsVerified: \${restore-yaml.checksumsVerified}
`,
        );
    };
    const yamlStack = async (dir: string, name: string) => {
        const stack = await engine.stackOfFolder(dir, name);
        await stack.setAllConfig({
            kubeconfig: { value: kube.kubeconfig, secret: true },
            kotsLicense: { value: TEST_LICENSE, secret: true },
            kotsPassword: { value: TEST_SHARED_PASSWORD, secret: true },
        });
        return stack;
    };

    it("a YAML program restores through the plugin's GitGuardianRestore: the data is back, no secret in plain text in state or events, a second up does nothing", async () => {
        const dir = makeTempDir("yaml-restore");
        try {
            yamlRestore(dir);
            const stack = await yamlStack(dir, "yaml-restore");
            await target.psql("INSERT INTO incidents (title) VALUES ('written before the YAML restore')", { db: "gg" });
            kots.reset();
            const runsBefore = kubelet.runs.length;
            const events: EngineEvent[] = [];
            const up = await stack.up({ onEvent: (e) => void events.push(e), onOutput: () => undefined });
            assert.equal(up.summary.result, "succeeded");
            assert.equal(up.outputs.status.value, "complete");
            assert.equal(up.outputs.restored.value.postgres.backupId, sets.ids.postgres);
            assert.equal(up.outputs.restored.value.kots.backupId, sets.ids.kots);
            assert.ok(up.outputs.checksumsVerified.value >= 3);
            assert.deepEqual(kots.calls().map((c) => c.argv[0]), ["install", "upload"]);
            assert.deepEqual(kubelet.runs.slice(runsBefore).map((r) => r.containers.map((c) => `${c.name}=${c.exitCode}`).join(" ")), ["fetch=0 restore-postgres=0", "fetch=0 restore-redis=0"]);
            await assertDataBack();
            // The restore's progress reaches the update's output, as from the dynamic resource.
            const said = events.flatMap((e) => (e.diagnosticEvent ? [e.diagnosticEvent.message] : [])).join("\n");
            assert.match(said, /GitGuardianRestore "restore-yaml": /, "the plugin's restore logs to the engine");
            // The plugin's resource, not the dynamic provider's.
            const state = await stack.exportStack();
            const resource = (state.deployment.resources as { type: string; provider?: string }[]).find((r) => r.type === "gitguardian-backup:index:GitGuardianRestore");
            assert.ok(resource, "a gitguardian-backup:index:GitGuardianRestore in the state");
            assert.match(resource.provider ?? "", /pulumi:providers:gitguardian-backup::/);
            assertNoSecret(engine.backendText(), "the state and history");
            assertNoSecret(JSON.stringify(events), "the engine's event log");
            assertNoSecret(up.stdout, "the up output");

            const again = await stack.up({ onOutput: () => undefined });
            assert.deepEqual(Object.keys(again.summary.resourceChanges ?? {}), ["same"]);
            assert.equal(kots.calls().length, 2, "no second restore");
            await stack.destroy({ onOutput: () => undefined });
            await stack.workspace.removeStack("yaml-restore");
        } finally {
            removeTempDir(dir);
        }
    });

    it("a bad restore argument fails the preview with the same message in TypeScript and in YAML", async () => {
        const message = /GitGuardianRestore "restore-yaml": argument verify = "sha1" is invalid; allowed: "checksum" \(download and compare sha256\) or "size"/;
        const ts = await engine.stack("gitguardian-restore", "engine-bad", async () => {
            new GitGuardianRestore("restore-yaml", { namespace: NS, storage: { bucketName: minio.bucket, ambientIdentity: true }, backupId: "latest", postgres: { host: "postgresql", passwordSecret: { name: "postgresql", key: "postgres-password" } }, verify: "sha1" });
        });
        await assert.rejects(ts.preview({ onOutput: () => undefined }), message);
        await ts.workspace.removeStack("engine-bad");
        const dir = makeTempDir("yaml-restore-bad");
        try {
            yamlRestore(dir, "      verify: sha1");
            const stack = await yamlStack(dir, "yaml-bad");
            await assert.rejects(stack.preview({ onOutput: () => undefined }), message);
            await stack.workspace.removeStack("yaml-bad");
        } finally {
            removeTempDir(dir);
        }
    });

    it("destroy touches nothing in the cluster", async () => {
        const before = await Promise.all([apps.readNamespacedStatefulSet({ name: "redis-master", namespace: NS }), core.listNamespacedSecret({ namespace: NS })]);
        const stack = await engine.stack("gitguardian-restore", "engine", program("latest"));
        await stack.destroy({ onOutput: () => undefined });
        const after = await Promise.all([apps.readNamespacedStatefulSet({ name: "redis-master", namespace: NS }), core.listNamespacedSecret({ namespace: NS })]);
        assert.equal(after[0].spec!.replicas, before[0].spec!.replicas);
        assert.deepEqual(after[1].items.map((s) => s.metadata!.name).sort(), before[1].items.map((s) => s.metadata!.name).sort());
        await stack.workspace.removeStack("engine");
    });
});
