/**
 * Encryption through the real engine: `pulumi up` of a GitGuardianBackupPolicy with `encryption`
 * (one age recipient, uncompressed artifacts so that plaintext would show) and a drill with the
 * recipient's identity in a Secret, on a real API server. The backup CronJobs as stored (age
 * copied by their init container from the "tool image", here the statically built age bound
 * where it is) make sets whose stored objects hold none of the data; the drill CronJob as stored,
 * each container as its image's user, decrypts them in its fetch step and restores them into its
 * scratch servers: SUCCESSFUL, the same rows and keys the backups recorded.
 */
import * as k8s from "@kubernetes/client-node";
import * as kubernetes from "@pulumi/kubernetes";
import { generateIdentity, identityToRecipient } from "age-encryption";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { GitGuardianBackupPolicy } from "../../backup/backupPolicy";
import { listSets, readManifest } from "../../core/catalog";
import { s3Store } from "../../core/objectStore";
import { KubeCluster, startKube } from "../../harness/kube";
import { MinioServer, startMinio } from "../../harness/minio";
import { PostgresServer, startPostgres } from "../../harness/postgres";
import { Engine, startEngine } from "../../harness/pulumi";
import { RedisServer, startRedis } from "../../harness/redis";
import { runStoredCronJob } from "../../harness/storedPods";
import { ageDir } from "../../harness/tools";

const NS = "gitguardian";
const PREFIX = "gitguardian";
/** Values of the fixture a reader of the bucket must not find. */
const ROW = "AKIA-fixture-secret-row";
const REDIS_VALUE = "ghp_fixture_token_in_redis";

describe("encryption through the engine: stored backup CronJobs write sets the bucket cannot read; the stored drill reads them with the key", function () {
    this.timeout(900_000);
    let kube: KubeCluster;
    let engine: Engine;
    let pg: PostgresServer;
    let redis: RedisServer;
    let minio: MinioServer;
    let age: string;
    let identity: string;
    let recipient: string;

    before(async () => {
        let dir: string;
        [kube, pg, redis, minio, dir] = await Promise.all([startKube(), startPostgres(), startRedis(), startMinio({ bucket: "gitguardian-backups" }), ageDir()]);
        age = path.join(dir, "age");
        identity = await generateIdentity();
        recipient = await identityToRecipient(identity);
        engine = startEngine();
        const core = kube.admin().makeApiClient(k8s.CoreV1Api);
        await kube.createNamespace(NS);
        const secret = (name: string, data: { [k: string]: string }) => core.createNamespacedSecret({ namespace: NS, body: { metadata: { name }, stringData: data } });
        await secret("postgresql", { "postgres-password": pg.password });
        await secret("redis", { "redis-password": redis.password });
        await secret("minio-backup-credentials", { AWS_ACCESS_KEY_ID: minio.accessKey, AWS_SECRET_ACCESS_KEY: minio.secretKey });
        await secret("drill-age", { identity: `# the drill's own recipient\n${identity}\n` });
        await pg.psql(`CREATE TABLE leaks (id serial PRIMARY KEY, secret text); INSERT INTO leaks (secret) SELECT '${ROW}-' || g FROM generate_series(1, 300) g;`);
        await redis.command("SET", "github:token", REDIS_VALUE);
        for (let i = 0; i < 30; i++) await redis.command("SET", `incident:${i}`, `value ${i}`);

        const stack = await engine.stack("gitguardian-encrypted", "encryption", async () => {
            const backups = new GitGuardianBackupPolicy(
                "gitguardian",
                {
                    namespace: NS,
                    schedule: "0 2 * * *",
                    retentionDays: 14,
                    compression: "none",
                    storage: { existingBucket: { name: minio.bucket, endpoint: minio.endpoint, region: "us-east-1", credentialsSecret: { name: "minio-backup-credentials" } } },
                    postgres: { host: "127.0.0.1", port: pg.port, user: "postgres", passwordSecret: { name: "postgresql", key: "postgres-password" } },
                    redis: { host: "127.0.0.1", port: redis.port, passwordSecret: { name: "redis", key: "redis-password" } },
                    encryption: { recipients: [recipient], toolImage: "registry.example/age:1.3.2", agePath: age },
                    drill: { schedule: "0 5 * * *", deadlineSeconds: 900, decryption: { identitySecret: { name: "drill-age", key: "identity" } } },
                },
                { providers: { kubernetes: new kubernetes.Provider("kube", { kubeconfig: kube.kubeconfig }) } },
            );
            return { drillCronJobName: backups.drillCronJobName };
        });
        await stack.up({ onOutput: () => undefined });
        for (const cronJob of ["gitguardian-backup-postgres", "gitguardian-backup-redis"]) {
            const runs = await runStoredCronJob(kube, NS, cronJob, { pathPrefix: [path.dirname(age)] });
            assert.deepEqual(runs.map((r) => `${r.name}=${r.exitCode}`), ["encryption-tool=0", `dump-${cronJob.split("-").pop()}=0`, "upload=0"], runs.map((r) => r.stderr).join("\n"));
        }
    });
    after(async () => {
        engine?.stop();
        await Promise.all([kube?.stop(), pg?.destroy(), redis?.destroy(), minio?.destroy()]);
    });

    it("the sets are age ciphertext to the recipient, and the bucket holds none of the data, nor the identity", async () => {
        const store = s3Store({ bucket: minio.bucket, region: "us-east-1", endpoint: minio.endpoint }, { accessKeyId: minio.accessKey, secretAccessKey: minio.secretKey });
        for (const part of ["postgres", "redis"]) {
            const [set] = (await listSets(store, PREFIX, part)).filter((s) => s.complete);
            const m = await readManifest(store, PREFIX, part, set.backupId);
            assert.equal(m.formatVersion, 2);
            for (const a of m.artifacts) assert.deepEqual([a.compression, a.encryption, a.recipients], ["none", "age", [recipient]], `${part} ${a.name}`);
        }
        const objects = (await minio.list(`${PREFIX}/`)).filter((k) => !k.endsWith("manifest.json"));
        assert.ok(objects.length >= 3, objects.join(", "));
        const stored = Buffer.concat(await Promise.all(objects.map((k) => minio.get(k))));
        for (const text of [ROW, REDIS_VALUE, "CREATE TABLE", identity]) assert.ok(!stored.includes(text), `the bucket holds ${text.slice(0, 16)}…`);
    });

    it("the stored drill decrypts with the Secret's identity and restores both parts: SUCCESSFUL", async () => {
        const runs = await runStoredCronJob(kube, NS, "gitguardian-backup-drill", { runAsUsers: true, pathPrefix: [path.dirname(age)] });
        const report = runs.find((r) => r.name === "report");
        assert.ok(report, runs.map((r) => `${r.name}=${r.exitCode}: ${r.stderr.split("\n").slice(-3).join(" | ")}`).join("\n"));
        const result = JSON.parse(report.stdout) as { status: string; reason: string; checks: { part: string; check: string; verdict: string }[] };
        assert.equal(result.status, "SUCCESSFUL", `${result.reason}\n${runs.map((r) => `${r.name}: ${r.stderr.split("\n").slice(-4).join(" | ")}`).join("\n")}`);
        // Every check passed, those on what the backups recorded included (rows, keys per database).
        assert.deepEqual(result.checks.filter((c) => c.verdict !== "passed"), []);
        assert.ok(result.checks.filter((c) => c.part === "postgres").length >= 3 && result.checks.some((c) => c.part === "redis"), JSON.stringify(result.checks));
        assert.match(runs.find((r) => r.name === "fetch")!.stderr, /postgres fetch: passed: 2 artifacts, each size and sha256 as the manifest says, 2 decrypted/);
    });
});
