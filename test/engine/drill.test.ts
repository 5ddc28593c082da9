/**
 * The restore drill through the real engine: `pulumi up` of a GitGuardianBackupPolicy with a
 * drill on a real API server, the backup CronJobs as stored run to sets in MinIO, then the drill
 * CronJob as stored run the way the kubelet would (each container as its image's user, so the
 * scratch PostgreSQL's initdb runs, and the containers share the staging volume through the pod's
 * fsGroup as on a node). A good set gives SUCCESSFUL with its recovery time; a
 * corrupted artifact, a truncated dump, row counts that differ from the backup's record and a
 * missing key in the key Secrets each give FAILED with the reason; a set without a manifest is
 * never picked; and the live servers are never touched.
 */
import * as k8s from "@kubernetes/client-node";
import * as kubernetes from "@pulumi/kubernetes";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { execFileSync } from "node:child_process";
import { GitGuardianBackupPolicyArgs } from "../../backup/args";
import { GitGuardianBackupPolicy } from "../../backup/backupPolicy";
import { listSets, readManifest } from "../../core/catalog";
import { manifestJson, manifestKey } from "../../core/manifest";
import { s3Store } from "../../core/objectStore";
import { makeFakeKots } from "../../harness/fakeKots";
import { KubeCluster, startKube } from "../../harness/kube";
import { MinioServer, startMinio } from "../../harness/minio";
import { ContainerRun } from "../../harness/podRunner";
import { PostgresServer, startPostgres } from "../../harness/postgres";
import { makeTempDir, removeTempDir } from "../../harness/proc";
import { Engine, startEngine } from "../../harness/pulumi";
import { RedisServer, startRedis } from "../../harness/redis";
import { runStoredCronJob } from "../../harness/storedPods";
import { JobPodKubelet, runJobPods } from "../../harness/jobPods";
import { REPO_ROOT } from "../../harness/jobRunner";
import { execa } from "execa";
import { kubectlDir, prometheusRuleCrdFile } from "../../harness/tools";
import { resolvePolicy } from "../../backup/validate";
import { alertRules } from "../../alerts/rules";
import { createHash } from "node:crypto";

const NS = "gitguardian";
const PREFIX = "gitguardian";

interface DrillResult {
    drillId: string;
    status: string;
    reason: string;
    recoverySeconds: number;
    totalSeconds: number;
    sets: Record<string, string>;
    checks: { part: string; check: string; verdict: string; seconds: number; detail: string }[];
    phases: { part: string; phase: string; seconds: number; kind: string }[];
}

describe("restore drills: the stored drill CronJob against sets the stored backup CronJobs made", function () {
    this.timeout(900_000);
    let kube: KubeCluster;
    let engine: Engine;
    let pg: PostgresServer;
    let redis: RedisServer;
    let minio: MinioServer;
    let batch: k8s.BatchV1Api;
    let kubelet: JobPodKubelet;
    let stack: Awaited<ReturnType<Engine["stack"]>>;
    /** What the program adds to args() (the on-change backup's tests set it). */
    let extra: Partial<GitGuardianBackupPolicyArgs> = {};
    const kots = () => makeFakeKots({ appSlug: "gitguardian", namespace: NS });

    const args = (): GitGuardianBackupPolicyArgs => ({
        namespace: NS,
        schedule: "0 2 * * *",
        retentionDays: 14,
        storage: { existingBucket: { name: minio.bucket, endpoint: minio.endpoint, region: "us-east-1", credentialsSecret: { name: "minio-backup-credentials" } } },
        postgres: { host: "127.0.0.1", port: pg.port, user: "postgres", passwordSecret: { name: "postgresql", key: "postgres-password" } },
        redis: { host: "127.0.0.1", port: redis.port, passwordSecret: { name: "redis", key: "redis-password" } },
        kots: { appSlug: "gitguardian", image: "kotsadm/kotsadm:v1.124.0", drillKeys: ["kotsadm-encryption/encryptionKey", "gim-secrets/DJANGO_SECRET_KEY"] },
        drill: { schedule: "0 5 * * *", deadlineSeconds: 900 },
        alerts: { ruleLabels: { release: "prometheus" } },
    });

    const store = () => s3Store({ bucket: minio.bucket, region: "us-east-1", endpoint: minio.endpoint }, { accessKeyId: minio.accessKey, secretAccessKey: minio.secretKey });

    /** Runs the stored drill CronJob; its result as the report printed it, and as written to the bucket. */
    const drill = async (): Promise<{ runs: ContainerRun[]; result: DrillResult }> => {
        const runs = await runStoredCronJob(kube, NS, "gitguardian-backup-drill", { runAsUsers: true });
        const report = runs.find((r) => r.name === "report");
        assert.ok(report, `the report step ran: ${runs.map((r) => `${r.name}=${r.exitCode}: ${r.stderr.split("\n").slice(-3).join(" | ")}`).join("\n")}`);
        for (const r of runs.filter((x) => x.name !== "report")) assert.equal(r.exitCode, 0, `${r.name} records its verdicts and exits 0: ${r.stderr}`);
        const result = JSON.parse(report.stdout) as DrillResult;
        const stored = JSON.parse((await minio.get(`${PREFIX}/drills/${result.drillId}.json`)).toString("utf8"));
        assert.deepEqual(stored, result, "the result in the bucket is the one printed");
        return { runs, result };
    };
    const verdicts = (r: DrillResult) => Object.fromEntries(r.checks.map((c) => [`${c.part} ${c.check}`, c.verdict]));
    const failedJob = (runs: ContainerRun[], reason: RegExp) => {
        const report = runs.find((r) => r.name === "report")!;
        assert.equal(report.exitCode, 1, "a failed drill fails its Job");
        const last = report.stderr.trim().split("\n").pop()!;
        assert.match(last, /^drill-report: drill [0-9T]+Z FAILED: /, "one line that says why");
        assert.match(last, reason);
    };

    /** Replaces artifact `name` of the newest complete set of `part` with `body`, and its manifest's size and sha256 (a set that checks out, whose content is wrong). */
    const rewrite = async (part: string, name: string, edit: (bytes: Buffer) => Buffer): Promise<() => Promise<void>> => {
        const sets = (await listSets(store(), PREFIX, part)).filter((s) => s.complete);
        const manifest = await readManifest(store(), PREFIX, part, sets[0].backupId);
        const artifact = manifest.artifacts.find((a) => a.name === name)!;
        const original = await minio.get(artifact.key);
        const mKey = manifestKey(PREFIX, part, manifest.backupId);
        const originalManifest = await minio.get(mKey);
        const body = edit(original);
        await minio.put(artifact.key, body);
        const changed = { ...manifest, artifacts: manifest.artifacts.map((a) => (a.name === name ? { ...a, size: body.length, sha256: createHash("sha256").update(body).digest("hex") } : a)) };
        await minio.put(mKey, manifestJson(changed));
        return async () => {
            await minio.put(artifact.key, original);
            await minio.put(mKey, originalManifest);
        };
    };

    before(async function () {
        [kube, pg, redis, minio] = await Promise.all([startKube({ runJobsInNamespaces: [NS] }), startPostgres(), startRedis(), startMinio({ bucket: "gitguardian-backups" })]);
        // The Job pods of the namespace (an on-demand backup's) run for real.
        kubelet = runJobPods(kube.admin(), { namespaces: [NS] });
        engine = startEngine();
        const kc = kube.admin();
        const core = kc.makeApiClient(k8s.CoreV1Api);
        batch = kc.makeApiClient(k8s.BatchV1Api);
        await kube.createNamespace(NS);
        const secret = (name: string, data: { [k: string]: string }) => core.createNamespacedSecret({ namespace: NS, body: { metadata: { name }, stringData: data } });
        await secret("postgresql", { "postgres-password": pg.password });
        await secret("redis", { "redis-password": redis.password });
        await secret("minio-backup-credentials", { AWS_ACCESS_KEY_ID: minio.accessKey, AWS_SECRET_ACCESS_KEY: minio.secretKey });
        await secret("gim-secrets", { DJANGO_SECRET_KEY: "django-key ✓", FIELD_ENCRYPTION_KEYS: "k1,k2" });
        await secret("kotsadm-encryption", { encryptionKey: "kotsadm-key" });

        // The Prometheus Operator's PrometheusRule CRD, as its Go module ships it.
        const crd = k8s.loadYaml<k8s.V1CustomResourceDefinition>(fs.readFileSync(await prometheusRuleCrdFile(), "utf8"));
        const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
        await ext.createCustomResourceDefinition({ body: crd });
        for (let i = 0; ; i++) {
            const got = await ext.readCustomResourceDefinition({ name: crd.metadata!.name! });
            if (got.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")) break;
            assert.ok(i < 100, "the PrometheusRule CRD is established");
            await new Promise((r) => setTimeout(r, 100));
        }

        const provider = () => new kubernetes.Provider("kube", { kubeconfig: kube.kubeconfig });
        stack = await engine.stack("gitguardian-drill", "drill", async () => {
            const backups = new GitGuardianBackupPolicy("gitguardian", { ...args(), ...extra }, { providers: { kubernetes: provider() } });
            return { drillCronJobName: backups.drillCronJobName };
        });
        const up = await stack.up({ onOutput: () => undefined });
        assert.equal(up.outputs.drillCronJobName.value, "gitguardian-backup-drill");

        await pg.psql(`CREATE TABLE incidents (id serial PRIMARY KEY, detector text); INSERT INTO incidents (detector) SELECT 'aws-' || g FROM generate_series(1, 500) g;
            CREATE DATABASE "app db"; CREATE ROLE reader LOGIN;`);
        await pg.psql(`CREATE SCHEMA vault; CREATE TABLE vault."Keys" (k text); INSERT INTO vault."Keys" SELECT 'k' || g FROM generate_series(1, 42) g;`, { db: "app db" });
        await redis.command("SET", "celery:heartbeat", "42");
        const c = await redis.connect();
        try {
            await c.call("SELECT", 3);
            for (let i = 0; i < 20; i++) await c.call("SET", `cache:${i}`, String(i));
        } finally {
            c.close();
        }
        const fake = kots();
        for (const cronJob of ["gitguardian-backup-postgres", "gitguardian-backup-redis", "gitguardian-backup-kots"]) {
            const runs = await runStoredCronJob(kube, NS, cronJob, {
                binds: [
                    { source: fake.bin, target: "/kots" },
                    { source: fake.stateDir, target: fake.stateDir, writable: true },
                ],
                pathPrefix: [await kubectlDir()],
            });
            for (const r of runs) assert.equal(r.exitCode, 0, `${cronJob}/${r.name}: ${r.stderr}`);
        }
    });
    after(async () => {
        await kubelet?.stop();
        engine?.stop();
        await Promise.all([kube?.stop(), pg?.destroy(), redis?.destroy(), minio?.destroy()]);
    });

    it("is stored as declared: fetch, one step per part, report; no claim, no token, no server named, not retried", async () => {
        const stored = await batch.readNamespacedCronJob({ name: "gitguardian-backup-drill", namespace: NS });
        assert.equal(stored.spec!.schedule, "0 5 * * *");
        const job = stored.spec!.jobTemplate.spec!;
        assert.equal(job.backoffLimit, 0);
        assert.equal(job.activeDeadlineSeconds, 900 + 300);
        const pod = job.template.spec!;
        assert.deepEqual(pod.initContainers!.map((c) => c.name), ["fetch", "drill-postgres", "drill-redis", "drill-kots"]);
        assert.deepEqual(pod.containers.map((c) => c.name), ["report"]);
        assert.equal(pod.serviceAccountName, "gitguardian-drill");
        assert.equal(pod.automountServiceAccountToken, false);
        assert.deepEqual(pod.volumes!.filter((v) => v.persistentVolumeClaim || v.projected || v.ephemeral), [], "no volume reaches a live server's data");
        for (const c of [...pod.initContainers!, ...pod.containers]) {
            const names = (c.env ?? []).map((e) => e.name);
            for (const n of names) assert.doesNotMatch(n, /^(PG(HOST|PORT|USER|PASSWORD|DATABASE)|GGB_REDIS_(HOST|PORT)|REDISCLI_AUTH|GGB_KOTS_NAMESPACE)$/, `${c.name} names no server: ${n}`);
            assert.equal(c.securityContext!.readOnlyRootFilesystem, true, c.name);
        }
        // The scratch servers' images are the backups' own.
        const images = Object.fromEntries(pod.initContainers!.map((c) => [c.name, c.image]));
        const backupImage = async (part: string) => (await batch.readNamespacedCronJob({ name: `gitguardian-backup-${part}`, namespace: NS })).spec!.jobTemplate.spec!.template.spec!.containers[0].image;
        for (const part of ["postgres", "redis", "kots"]) assert.equal(images[`drill-${part}`], await backupImage(part));
    });

    it("the alert rules: a PrometheusRule the API server took under its CRD's schema, as the rules builder makes them", async () => {
        const custom = kube.admin().makeApiClient(k8s.CustomObjectsApi);
        const stored = (await custom.getNamespacedCustomObject({ group: "monitoring.coreos.com", version: "v1", namespace: NS, plural: "prometheusrules", name: "gitguardian-backup-alerts" })) as { metadata: { labels: Record<string, string> }; spec: unknown };
        const spec = resolvePolicy("gitguardian", args());
        assert.deepEqual(stored.spec, alertRules(spec, spec.alerts!));
        assert.equal(stored.metadata.labels.release, "prometheus");
        assert.deepEqual(
            alertRules(spec, spec.alerts!).groups[0].rules.map((r) => r.alert),
            ["GitGuardianBackupStale", "GitGuardianBackupJobFailed", "GitGuardianRestoreDrillFailed", "GitGuardianRestoreDrillStale"],
        );
    });

    it("a good set: SUCCESSFUL, every check passed, the recovery time measured, the live servers untouched", async () => {
        const liveKeys = await redis.command("DBSIZE");
        const liveRoles = await pg.psql("SELECT count(*) FROM pg_roles");
        const { runs, result } = await drill();
        assert.equal(result.status, "SUCCESSFUL", JSON.stringify(result, null, 2));
        assert.equal(runs.find((r) => r.name === "report")!.exitCode, 0);
        assert.deepEqual(verdicts(result), {
            "postgres set": "passed",
            "postgres fetch": "passed",
            "postgres restore": "passed",
            "postgres inventory": "passed",
            "redis set": "passed",
            "redis fetch": "passed",
            "redis restore": "passed",
            "redis load": "passed",
            "redis keys": "passed",
            "kots set": "passed",
            "kots fetch": "passed",
            "kots configuration": "passed",
            "kots keys": "passed",
        });
        const detail = (part: string, check: string) => result.checks.find((c) => c.part === part && c.check === check)!.detail;
        assert.match(detail("postgres", "inventory"), /databases, \d+ roles, 2 tables and 542 rows, as the backup recorded/);
        assert.equal(detail("redis", "keys"), "21 keys (db0 1, db3 20), as the backup recorded");
        assert.match(detail("redis", "load"), /db0 1, db3 20/);
        assert.equal(detail("kots", "keys"), "2 keys present and decodable in 2 Secrets");
        for (const part of ["postgres", "redis", "kots"]) {
            const sets = (await listSets(store(), PREFIX, part)).filter((s) => s.complete);
            assert.equal(result.sets[part], sets[0].backupId, `${part}: the latest complete set`);
        }
        // Each phase is timed in whole seconds (busybox date has no finer clock): their sum may pass
        // the whole drill's by up to a second a phase.
        const recoveryPhases = result.phases.filter((p) => p.kind === "recovery").length;
        assert.ok(Number.isInteger(result.recoverySeconds) && result.recoverySeconds >= 0 && result.recoverySeconds <= result.totalSeconds + recoveryPhases, `recovery ${result.recoverySeconds} s of ${result.totalSeconds} s`);
        assert.deepEqual([...new Set(result.phases.filter((p) => p.kind === "recovery").map((p) => `${p.part} ${p.phase}`))].sort(), ["kots fetch", "postgres apply", "postgres fetch", "redis apply", "redis fetch", "redis load"]);
        // Nothing of the drill reached the live servers.
        assert.deepEqual(await redis.command("DBSIZE"), liveKeys);
        assert.equal(await pg.psql("SELECT count(*) FROM pg_roles"), liveRoles);
        assert.doesNotMatch(JSON.stringify(result), /django-key|kotsadm-key/, "no secret value in the result");
    });

    it("a corrupted artifact: FAILED at the fetch, with the checksum that differs", async () => {
        const sets = (await listSets(store(), PREFIX, "redis")).filter((s) => s.complete);
        const manifest = await readManifest(store(), PREFIX, "redis", sets[0].backupId);
        const key = manifest.artifacts[0].key;
        const original = await minio.get(key);
        const flipped = Buffer.from(original);
        flipped[flipped.length >> 1] ^= 0xff;
        await minio.put(key, flipped);
        try {
            const { runs, result } = await drill();
            assert.equal(result.status, "FAILED", JSON.stringify(result.checks));
            assert.equal(verdicts(result)["redis fetch"], "failed");
            assert.match(result.reason, /^redis fetch: restore-fetch: artifact dump\.rdb\.gz has sha256 [0-9a-f]{64}, the manifest says [0-9a-f]{64}: corrupted; refusing to restore$/);
            assert.equal(verdicts(result)["postgres inventory"], "passed", "the other parts are still drilled");
            failedJob(runs, /redis fetch: .*corrupted/);
        } finally {
            await minio.put(key, original);
        }
    });

    it("a truncated dump whose checksums agree: FAILED, the restored cluster is not what the backup recorded", async () => {
        const restoreSet = await rewrite("postgres", "dumpall.sql.gz", (gz) => {
            const sql = gunzipSync(gz).toString("utf8");
            // Cut inside the incidents table's rows, as a dump that stopped early but exited 0.
            const at = sql.indexOf("aws-250\n");
            assert.ok(at > 0);
            return gzipSync(Buffer.from(sql.slice(0, at)));
        });
        try {
            const { runs, result } = await drill();
            assert.equal(result.status, "FAILED", JSON.stringify(result.checks));
            const inventory = result.checks.find((c) => c.part === "postgres" && (c.check === "inventory" || c.check === "restore") && c.verdict === "failed");
            assert.ok(inventory, JSON.stringify(result.checks));
            failedJob(runs, /postgres (inventory|restore): /);
        } finally {
            await restoreSet();
        }
    });

    it("row counts that differ from the backup's record: FAILED, naming the table and both counts", async () => {
        const restoreSet = await rewrite("postgres", "inventory.tsv", (tsv) => Buffer.from(tsv.toString("utf8").replace(/("public"\."incidents"\t)500$/m, "$1501")));
        try {
            const { runs, result } = await drill();
            assert.equal(result.status, "FAILED", JSON.stringify(result.checks));
            assert.equal(verdicts(result)["postgres restore"], "passed");
            assert.match(result.reason, /^postgres inventory: 1 of 2 tables differ from the backup's record, first "public"\."incidents" in "postgres": 500 rows, recorded 501$/);
            failedJob(runs, /postgres inventory: 1 of 2 tables differ/);
        } finally {
            await restoreSet();
        }
    });

    it("a Redis snapshot whose keys per database differ from the record: FAILED, naming the database", async () => {
        const sets = (await listSets(store(), PREFIX, "redis")).filter((x) => x.complete);
        const key = manifestKey(PREFIX, "redis", sets[sets.length - 1].backupId);
        const original = await minio.get(key);
        const manifest = JSON.parse(original.toString("utf8"));
        assert.equal(manifest.details.databases, "0:1 3:20", "the backup recorded each database's keys");
        await minio.put(key, JSON.stringify({ ...manifest, details: { ...manifest.details, databases: "0:1 3:19" } }));
        try {
            const { runs, result } = await drill();
            assert.equal(result.status, "FAILED", JSON.stringify(result.checks));
            assert.equal(result.reason, "redis keys: database 3 has 20 keys, the backup recorded 19");
            failedJob(runs, /redis keys: database 3 has 20 keys/);
        } finally {
            await minio.put(key, original);
        }
    });

    it("a key missing from the key Secrets: FAILED, naming the Secret and the key", async () => {
        const restoreSet = await rewrite("kots", "kots-secrets.tar.gz", (gz) => {
            const dir = makeTempDir("kots-secrets");
            try {
                fs.writeFileSync(path.join(dir, "in.tar"), gunzipSync(gz));
                fs.mkdirSync(path.join(dir, "x"));
                execFileSync("tar", ["-xf", path.join(dir, "in.tar"), "-C", path.join(dir, "x")]);
                const file = path.join(dir, "x", "kotsadm-encryption.yaml");
                fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(/^  encryptionKey: /m, "  somethingElse: "));
                execFileSync("tar", ["-cf", path.join(dir, "out.tar"), "-C", path.join(dir, "x"), "."]);
                return gzipSync(fs.readFileSync(path.join(dir, "out.tar")));
            } finally {
                removeTempDir(dir);
            }
        });
        try {
            const { runs, result } = await drill();
            assert.equal(result.status, "FAILED", JSON.stringify(result.checks));
            assert.equal(verdicts(result)["kots configuration"], "passed");
            assert.equal(result.reason, "kots keys: Secret kotsadm-encryption has no key encryptionKey");
            failedJob(runs, /kots keys: Secret kotsadm-encryption has no key encryptionKey/);
        } finally {
            await restoreSet();
        }
    });

    it("a newer set without a manifest is never picked: the drill takes the newest complete one", async () => {
        const complete = (await listSets(store(), PREFIX, "redis")).filter((s) => s.complete)[0];
        const manifest = await readManifest(store(), PREFIX, "redis", complete.backupId);
        // An upload that never committed, a minute later.
        const later = new Date(Date.parse(manifest.finishedAt) + 60_000).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
        const orphan = `${PREFIX}/redis/${later}/a1b2c3d4e5f6/dump.rdb.gz`;
        await minio.put(orphan, Buffer.from("not committed"));
        try {
            const { result } = await drill();
            assert.equal(result.status, "SUCCESSFUL", result.reason);
            assert.equal(result.sets.redis, complete.backupId);
            assert.ok(later > complete.backupId);
        } finally {
            await minio.delete(orphan);
        }
    });

    describe("on demand: ggb-backups backup-now", () => {
        const backupNow = async (cronJob: string) => {
            const dir = makeTempDir("backup-now");
            try {
                fs.writeFileSync(path.join(dir, "config"), kube.kubeconfig, { mode: 0o600 });
                return await execa(process.execPath, [path.join(REPO_ROOT, "bin", "ggb-backups"), "backup-now", "--namespace", NS, "--cronjob", cronJob, "--kubeconfig", path.join(dir, "config"), "--endpoint", minio.endpoint, "--timeout", "300"], {
                    reject: false,
                    env: { AWS_ACCESS_KEY_ID: minio.accessKey, AWS_SECRET_ACCESS_KEY: minio.secretKey, AWS_REGION: "us-east-1", PATH: process.env.PATH },
                    extendEnv: false,
                });
            } finally {
                removeTempDir(dir);
            }
        };

        it("runs one backup from the stored CronJob, waits for it and prints the set it committed", async () => {
            const before = (await listSets(store(), PREFIX, "redis")).filter((s) => s.complete).map((s) => s.backupId);
            const r = await backupNow("gitguardian-backup-redis");
            assert.equal(r.exitCode, 0, r.stderr + r.stdout);
            const m = /^committed redis\/(\d{8}T\d{6}Z) \(Job (gitguardian-backup-redis-manual-\d+), \d+ s\): restorable with backupId \1$/.exec(r.stdout.trim());
            assert.ok(m, r.stdout);
            const after = (await listSets(store(), PREFIX, "redis")).filter((s) => s.complete).map((s) => s.backupId);
            assert.deepEqual(after, [...before, m[1]].sort(), "one new complete set, the one printed");
            // A Job of the CronJob, as `kubectl create job --from` makes one: owned by it, its template's spec.
            const job = await batch.readNamespacedJob({ name: m[2], namespace: NS });
            assert.equal(job.metadata!.ownerReferences![0].name, "gitguardian-backup-redis");
            assert.equal(job.metadata!.annotations!["cronjob.kubernetes.io/instantiate"], "manual");
            assert.deepEqual(kubelet.runs.filter((x) => x.job === m[2]).map((x) => x.containers.map((c) => `${c.name}=${c.exitCode}`).join(" ")), ["dump-redis=0 upload=0"]);
        });

        it("fails, with the dump's reason, when the backup does not commit", async () => {
            const core = kube.admin().makeApiClient(k8s.CoreV1Api);
            await core.patchNamespacedSecret({ name: "redis", namespace: NS, body: { stringData: { "redis-password": "wrong" } } }, k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch));
            try {
                const r = await backupNow("gitguardian-backup-redis");
                assert.equal(r.exitCode, 1, r.stdout);
                assert.match(r.stderr, /^ggb-backups: backup Job gitguardian\/gitguardian-backup-redis-manual-\d+ failed \(BackoffLimitExceeded\): dump-redis: dump-redis: Redis at 127\.0\.0\.1:\d+ refused INFO: AUTH failed: WRONGPASS/m);
            } finally {
                await core.patchNamespacedSecret({ name: "redis", namespace: NS, body: { stringData: { "redis-password": redis.password } } }, k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch));
            }
        });
    });

    describe("on demand: a backup during pulumi up when its triggers change", () => {
        const completeRedisSets = async () => (await listSets(store(), PREFIX, "redis")).filter((x) => x.complete).map((x) => x.backupId);

        it("a new trigger value runs one backup, which the up waits for; the same value again runs none", async () => {
            const before = await completeRedisSets();
            extra = { backupOnChange: { triggers: { gitguardianVersion: "2026.11.0" }, parts: ["redis"] } };
            const up = await stack.up({ onOutput: () => undefined });
            assert.equal(up.summary.resourceChanges?.create, 1, JSON.stringify(up.summary.resourceChanges));
            const after = await completeRedisSets();
            assert.equal(after.length, before.length + 1, "the up returned with the set committed");
            const job = (await batch.listNamespacedJob({ namespace: NS })).items.find((j) => j.metadata!.annotations?.["cronjob.kubernetes.io/instantiate"] === "pulumi-up")!;
            assert.match(job.metadata!.name!, /^gitguardian-backup-redis-[0-9a-f]{8}$/);
            assert.equal(job.status!.succeeded, 1);
            const again = await stack.up({ onOutput: () => undefined });
            assert.deepEqual(Object.keys(again.summary.resourceChanges ?? {}), ["same"]);
            assert.deepEqual(await completeRedisSets(), after, "no backup when the triggers did not change");

            extra = { backupOnChange: { triggers: { gitguardianVersion: "2026.12.0" }, parts: ["redis"] } };
            const upgraded = await stack.up({ onOutput: () => undefined });
            assert.equal(upgraded.summary.resourceChanges?.replace, 1, JSON.stringify(upgraded.summary.resourceChanges));
            assert.equal((await completeRedisSets()).length, after.length + 1, "a new version, a new backup");
        });

        it("the up fails when the backup does not commit", async () => {
            const core = kube.admin().makeApiClient(k8s.CoreV1Api);
            const merge = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);
            await core.patchNamespacedSecret({ name: "redis", namespace: NS, body: { stringData: { "redis-password": "wrong" } } }, merge);
            try {
                extra = { backupOnChange: { triggers: { gitguardianVersion: "2027.1.0" }, parts: ["redis"] } };
                await assert.rejects(stack.up({ onOutput: () => undefined }), (e: Error) => {
                    assert.match(e.message, /gitguardian-backup-redis-[0-9a-f]{8}/);
                    assert.match(e.message, /failed|BackoffLimitExceeded/i);
                    return true;
                });
            } finally {
                await core.patchNamespacedSecret({ name: "redis", namespace: NS, body: { stringData: { "redis-password": redis.password } } }, merge);
                extra = {};
            }
        });
    });
});
