/**
 * A Go program through the real engine: the Go SDK generated from the plugin's schema (as the CLI
 * retrieves it) by plugin/gosdk, compiled with the program of test/fixtures/goProgram, run with
 * the Go Automation API (inline programs need no pulumi-language-go, which is not served here).
 * The program deploys GitGuardianBackupPolicy (through the plugin's Construct, onto a real API
 * server); the CronJobs it stored back up real PostgreSQL and Redis servers and the KOTS
 * configuration, run as stored; then the same program's GitGuardianRestore (the plugin's
 * custom resource) restores those sets into an empty PostgreSQL and the Redis data PVC. No
 * secret in plain text in the state or the program's output, a second up does nothing, and a bad
 * restore argument fails the preview with the TypeScript message.
 */
import * as k8s from "@kubernetes/client-node";
import * as assert from "node:assert/strict";
import { listSets } from "../../core/catalog";
import { s3Store } from "../../core/objectStore";
import { FakeKots, makeFakeKots } from "../../harness/fakeKots";
import { GoProgram, buildGoProgram } from "../../harness/goProgram";
import { JobPodKubelet, runJobPods } from "../../harness/jobPods";
import { KubeCluster, startKube } from "../../harness/kube";
import { MinioServer, startMinio } from "../../harness/minio";
import { PostgresServer, startPostgres } from "../../harness/postgres";
import { makeTempDir, removeTempDir } from "../../harness/proc";
import { Engine, startEngine } from "../../harness/pulumi";
import { readmeExample } from "../../harness/readme";
import { RedisServer, startRedis } from "../../harness/redis";
import { runStoredCronJob } from "../../harness/storedPods";
import { kubectlDir } from "../../harness/tools";
import { APP_SLUG, assertSeedRestored, KOTS_SECRETS, prepareNamespace, seed, TEST_LICENSE, TEST_SHARED_PASSWORD } from "../restore/support";

const NS = "gitguardian";
const PREFIX = "gitguardian-go";
/** The source and the target PostgreSQL share it: one Secret serves the backup and the restore. */
const PG_PASSWORD = "go-engine-pg-password-in-a-secret";
const PARTS = ["postgres", "redis", "kots"] as const;

describe("a Go program deploys the backups and restores them through the real engine", function () {
    this.timeout(900_000);
    let kube: KubeCluster;
    let engine: Engine;
    let minio: MinioServer;
    let pg: PostgresServer;
    let redis: RedisServer;
    let target: PostgresServer;
    let redisData: string;
    let work: string;
    let kubelet: JobPodKubelet;
    let kots: FakeKots;
    let goProgram: GoProgram;

    before(async () => {
        kots = makeFakeKots({ appSlug: APP_SLUG, namespace: NS });
        work = makeTempDir("go-program");
        engine = startEngine({ kubernetes: true });
        // The SDK and the program compile while the servers start.
        const built = buildGoProgram(engine, work);
        built.catch(() => undefined); // awaited below; a failure is reported there
        [kube, minio, pg, redis, target] = await Promise.all([startKube({ runJobsInNamespaces: [NS] }), startMinio(), startPostgres({ password: PG_PASSWORD }), startRedis(), startPostgres({ password: PG_PASSWORD })]);
        await seed(pg, redis);
        redisData = makeTempDir("redis-pvc");
        await prepareNamespace(kube, minio, NS, { replicas: 2, pgPassword: PG_PASSWORD });
        const core = kube.admin().makeApiClient(k8s.CoreV1Api);
        await core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: "redis" }, stringData: { "redis-password": redis.password } } });
        for (const [name, data] of Object.entries(KOTS_SECRETS)) await core.createNamespacedSecret({ namespace: NS, body: { metadata: { name }, stringData: data } });
        kubelet = runJobPods(kube.admin(), { namespaces: [NS], claims: { [`${NS}/redis-data-redis-master-0`]: redisData } });
        goProgram = await built;
    });
    after(async () => {
        await kubelet?.stop();
        engine?.stop();
        for (const s of [pg, redis, minio, target]) await s?.destroy().catch(() => undefined);
        for (const d of [redisData, work]) if (d) removeTempDir(d);
        await kube?.stop();
    });

    const config = (extra: Record<string, string> = {}) => ({
        "kubernetes:kubeconfig": { value: kube.kubeconfig, secret: true },
        kubeconfig: { value: kube.kubeconfig, secret: true },
        kotsLicense: { value: TEST_LICENSE, secret: true },
        kotsPassword: { value: TEST_SHARED_PASSWORD, secret: true },
        namespace: { value: NS },
        bucket: { value: minio.bucket },
        endpoint: { value: minio.endpoint },
        prefix: { value: PREFIX },
        postgresHost: { value: "127.0.0.1" },
        postgresPort: { value: String(pg.port) },
        redisHost: { value: "127.0.0.1" },
        redisPort: { value: String(redis.port) },
        targetHost: { value: "127.0.0.1" },
        targetPort: { value: String(target.port) },
        appSlug: { value: APP_SLUG },
        kotsCommand: { value: kots.bin },
        ...Object.fromEntries(Object.entries(extra).map(([k, value]) => [k, { value }])),
    });
    const secrets = () => [kube.adminToken, TEST_SHARED_PASSWORD, TEST_LICENSE.split("\n").find((l) => l.includes("signature")) ?? TEST_LICENSE, minio.secretKey, PG_PASSWORD, redis.password, ...Object.values(KOTS_SECRETS).flatMap((s) => Object.values(s))];
    const assertNoSecret = (text: string, where: string) => {
        for (const s of secrets()) assert.ok(!text.includes(s), `${where} holds a secret in plain text: ${s.slice(0, 12)}…`);
    };
    const ok = (r: Awaited<ReturnType<GoProgram["run"]>>) => {
        assert.equal(r.exitCode, 0, r.stderr.split("\n").slice(-20).join("\n"));
        return r.report!;
    };

    it("up deploys the CronJobs; the sets they make are restored by the program's GitGuardianRestore; no secret in plain text; a second up does nothing", async () => {
        const deployed = ok(await goProgram.run("up", "go", config()));
        assert.equal(deployed.result, "succeeded");
        assert.deepEqual(deployed.outputs!.cronJobNames, { postgres: "gitguardian-backup-postgres", redis: "gitguardian-backup-redis", kots: "gitguardian-backup-kots" });

        // The CronJobs the Go program stored, run as stored against the real servers.
        for (const part of PARTS) {
            const runs = await runStoredCronJob(kube, NS, `gitguardian-backup-${part}`, {
                binds: [
                    { source: kots.bin, target: "/kots" },
                    { source: kots.stateDir, target: kots.stateDir, writable: true },
                ],
                pathPrefix: [await kubectlDir()],
            });
            for (const r of runs) assert.equal(r.exitCode, 0, `${part}/${r.name}: ${r.stderr}`);
        }
        const store = s3Store({ bucket: minio.bucket, region: "us-east-1", endpoint: minio.endpoint }, { accessKeyId: minio.accessKey, secretAccessKey: minio.secretKey });
        const ids: Record<string, string> = {};
        for (const part of PARTS) {
            const complete = (await listSets(store, PREFIX, part)).filter((s) => s.complete);
            assert.equal(complete.length, 1, `one complete ${part} set`);
            ids[part] = complete[0].backupId;
        }

        // The KOTS encryption keys are still in the namespace: the restore replaces them only by name of the set.
        kots.reset();
        const runsBefore = kubelet.runs.length;
        const restored = ok(await goProgram.run("up", "go", config({ restore: "true", kotsOverwrite: ids.kots })));
        assert.equal(restored.result, "succeeded");
        assert.equal(restored.outputs!.status, "complete");
        const components = restored.outputs!.restored as Record<string, { backupId: string }>;
        assert.deepEqual(Object.fromEntries(PARTS.map((p) => [p, components[p].backupId])), ids);
        assert.ok((restored.outputs!.checksumsVerified as number) >= 3);
        assert.deepEqual(kots.calls().map((c) => c.argv[0]), ["install", "upload"]);
        assert.deepEqual(kubelet.runs.slice(runsBefore).map((r) => r.containers.map((c) => `${c.name}=${c.exitCode}`).join(" ")), ["fetch=0 restore-postgres=0", "fetch=0 restore-redis=0"]);
        await assertSeedRestored(target, redisData);
        assert.match((restored.diagnostics ?? []).join("\n"), /GitGuardianRestore "restore-go": /, "the plugin's restore logs to the engine");
        assertNoSecret(engine.backendText(), "the state and history");
        assertNoSecret(deployed.stdout + restored.stdout, "the program's output");

        const again = ok(await goProgram.run("up", "go", config({ restore: "true", kotsOverwrite: ids.kots })));
        assert.deepEqual(Object.keys(again.changes ?? {}), ["same"]);
        assert.equal(kots.calls().length, 2, "no second restore");
        assert.equal(ok(await goProgram.run("destroy", "go", config({ restore: "true", kotsOverwrite: ids.kots }))).result, "succeeded");
    });

    it("the README's Go main.go compiles against the generated SDK", async () => {
        await goProgram.compile(readmeExample("go", "// Go: main.go"));
    });

    it("a bad restore argument fails the preview with the TypeScript message", async () => {
        const r = await goProgram.run("preview", "go-bad", config({ restore: "true", verify: "sha1" }));
        assert.notEqual(r.exitCode, 0);
        assert.match(r.stderr, /GitGuardianRestore "restore-go": argument verify = "sha1" is invalid; allowed: "checksum" \(download and compare sha256\) or "size"/);
    });
});
