/**
 * GitGuardianRestore through the real engine: the dynamic provider serialized by the program,
 * loaded by the engine's Node.js dynamic-provider host, runs its create step against a real
 * control plane (Jobs and the StatefulSet handled by the controllers, kwok as the kubelet; the
 * data steps themselves are proven with the local executor in test/restore/). Its outputs land
 * in state, no password, key, kubeconfig token or license appears in plain text in the state or
 * the engine's event log, a second up does nothing, a new backupId replaces and runs again, and
 * destroy touches nothing in the cluster.
 */
import * as k8s from "@kubernetes/client-node";
import * as pulumi from "@pulumi/pulumi";
import { EngineEvent } from "@pulumi/pulumi/automation";
import * as assert from "node:assert/strict";
import { GitGuardianRestore } from "../../restore/restore";
import { KubeCluster, startKube } from "../../harness/kube";
import { MinioServer, startMinio } from "../../harness/minio";
import { PostgresServer, startPostgres } from "../../harness/postgres";
import { FakeKots, makeFakeKots } from "../../harness/fakeKots";
import { Engine, startEngine } from "../../harness/pulumi";
import { RedisServer, startRedis } from "../../harness/redis";
import { APP_SLUG, BackupSets, KOTS_SECRETS, makeBackupSets, prepareNamespace, seed, TEST_LICENSE, TEST_SHARED_PASSWORD } from "../restore/support";

const NS = "gitguardian";
const PG_PASSWORD = "engine-pg-password-in-a-secret";

describe("GitGuardianRestore through pulumi up", function () {
    this.timeout(900_000);
    let kube: KubeCluster;
    let engine: Engine;
    let minio: MinioServer;
    let pg: PostgresServer;
    let redis: RedisServer;
    let sets: BackupSets;
    let apps: k8s.AppsV1Api;
    let core: k8s.CoreV1Api;
    let kots: FakeKots;

    before(async () => {
        kots = makeFakeKots({ appSlug: APP_SLUG, namespace: NS });
        [kube, minio, pg, redis] = await Promise.all([startKube(), startMinio(), startPostgres(), startRedis()]);
        await seed(pg, redis);
        sets = await makeBackupSets({ minio, pg, redis, kots: true, namespace: NS });
        await prepareNamespace(kube, minio, NS, { replicas: 2, pgPassword: PG_PASSWORD });
        engine = startEngine({ kubernetes: false });
        apps = kube.admin().makeApiClient(k8s.AppsV1Api);
        core = kube.admin().makeApiClient(k8s.CoreV1Api);
    });
    after(async () => {
        engine?.stop();
        for (const s of [pg, redis, minio]) await s?.destroy().catch(() => undefined);
        await kube?.stop();
    });

    const program = (backupId: string) => async () => {
        const restore = new GitGuardianRestore("restore-2026-11", {
            namespace: NS,
            storage: { bucketName: minio.bucket, prefix: sets.prefix, endpoint: minio.endpoint, credentialsSecret: { name: "backup-s3" } },
            backupId,
            postgres: { host: "postgresql", passwordSecret: { name: "postgresql", key: "postgres-password" } },
            redis: { statefulSet: "redis-master", readyTimeoutSeconds: 120 },
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
        assertNoSecret(engine.backendText(), "the state and history");
        assertNoSecret(JSON.stringify(events), "the engine's event log");
        assertNoSecret(up.stdout, "the up output");

        const again = await stack.up({ onOutput: () => undefined });
        assert.deepEqual(Object.keys(again.summary.resourceChanges ?? {}), ["same"]);
        assert.equal(kots.calls().length, 2, "no second restore");
    });

    it("a new backupId replaces the resource and runs the sequence again", async () => {
        // Each component's set has its own id (the CronJobs start seconds apart): select by time.
        const stack = await engine.stack("gitguardian-restore", "engine", program(`at-or-before:${new Date().toISOString()}`));
        const up = await stack.up({ onOutput: () => undefined });
        assert.equal(up.summary.resourceChanges?.replace, 1);
        assert.equal(up.outputs.status.value, "complete");
        assert.ok(kots.calls().length > 2, "the kots steps ran again");
    });

    it("a failed restore, fixed, restores on the next up; refresh and destroy of a failed one work", async () => {
        // The state of a failed create holds the failure's properties as outputs: the engine's
        // dynamic-provider host reads the serialized provider from them on refresh and delete,
        // and the update that resumes needs it too ("code must be a string, not undefined").
        const stack = await engine.stack("gitguardian-restore", "engine-resume", program("latest"));
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
