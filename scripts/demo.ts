/**
 * `npm run demo`: the main job on an embedded default. Starts a local PostgreSQL, Redis and
 * MinIO (the test harness's servers, on random loopback ports), loads a small GitGuardian-like
 * dataset, runs one backup cycle with the jobs/ scripts exactly as the CronJob containers run
 * them, lists the sets in the bucket, restores them into fresh servers, verifies, and reports.
 * Everything it started is stopped and removed at the end.
 */
import * as k8s from "@kubernetes/client-node";
import { PART_SCRIPT } from "../sources";
import * as kubernetes from "@pulumi/kubernetes";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { listSets, readManifest } from "../core/catalog";
import { s3Store } from "../core/objectStore";
import { Component, SCRIPT } from "../core/contract";
import { manifestBytes } from "../core/manifest";
import { GitGuardianBackupPolicy } from "../backup/backupPolicy";
import { resolvePolicy } from "../backup/validate";
import { drillCronJobSpec } from "../drill/drillJob";
import { runPod } from "../harness/podRunner";
import { scriptBundle } from "../sources/registry";
import { makeFakeKots, makeFakeKubectl } from "../harness/fakeKots";
import { startKube } from "../harness/kube";
import { startEngine } from "../harness/pulumi";
import { JobResult, runJob } from "../harness/jobRunner";
import { MinioServer, startMinio } from "../harness/minio";
import { PostgresServer, startPostgres } from "../harness/postgres";
import { makeTempDir, removeTempDir } from "../harness/proc";
import { RedisServer, startRedis } from "../harness/redis";

const PREFIX = "gitguardian";
const started = Date.now();
const step = (text: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${text}`);

/** A small dataset shaped like GitGuardian's: sources, detectors, incidents with occurrences. */
const DATASET_SQL = `
CREATE ROLE gitguardian LOGIN PASSWORD 'app-password';
CREATE DATABASE gitguardian OWNER gitguardian;
\\connect gitguardian
SET ROLE gitguardian;
CREATE TYPE incident_status AS ENUM ('triggered', 'assigned', 'resolved', 'ignored');
CREATE TABLE sources (id bigserial PRIMARY KEY, kind text NOT NULL, url text NOT NULL UNIQUE, metadata jsonb NOT NULL DEFAULT '{}');
CREATE TABLE detectors (id serial PRIMARY KEY, name text NOT NULL UNIQUE, family text NOT NULL);
CREATE TABLE incidents (
  id bigserial PRIMARY KEY, detector_id int NOT NULL REFERENCES detectors(id), status incident_status NOT NULL,
  secret_hash bytea NOT NULL, tags text[] NOT NULL DEFAULT '{}', created_at timestamptz NOT NULL, severity numeric(4,2));
CREATE TABLE occurrences (id bigserial PRIMARY KEY, incident_id bigint NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
  source_id bigint NOT NULL REFERENCES sources(id), filepath text NOT NULL, line int NOT NULL, author text);
CREATE INDEX occurrences_incident ON occurrences(incident_id);
INSERT INTO sources (kind, url, metadata) SELECT 'github', 'https://github.example/acme/repo-' || g, jsonb_build_object('stars', g * 7, 'visibility', CASE WHEN g % 3 = 0 THEN 'public' ELSE 'private' END) FROM generate_series(1, 200) g;
INSERT INTO detectors (name, family) VALUES ('AWS Keys', 'cloud'), ('GitHub Token', 'vcs'), ('Slack Webhook', 'messaging'), ('Generic Password', 'generic'), ('Stripe Key', 'payment');
INSERT INTO incidents (detector_id, status, secret_hash, tags, created_at, severity)
  SELECT 1 + g % 5, (ARRAY['triggered','assigned','resolved','ignored']::incident_status[])[1 + g % 4], sha256(('secret-' || g)::bytea),
         ARRAY['prod', 'team-' || g % 7], timestamptz '2026-01-01 00:00:00+00' + g * interval '37 minutes', (g % 1000) / 100.0
  FROM generate_series(1, 5000) g;
INSERT INTO occurrences (incident_id, source_id, filepath, line, author)
  SELECT 1 + g % 5000, 1 + g % 200, 'src/config/settings-' || g % 97 || '.py', 1 + g % 400, 'dévelopeur-' || g % 31 FROM generate_series(1, 20000) g;
`;

interface Check {
    what: string;
    ok: boolean;
    detail: string;
}

async function checksums(pg: PostgresServer): Promise<string> {
    return pg.psql(
        "SELECT string_agg(t || '=' || c, ' ' ORDER BY t) FROM (" +
            ["sources", "detectors", "incidents", "occurrences"].map((t) => `SELECT '${t}' AS t, md5(string_agg(x::text, ',' ORDER BY x::text)) AS c FROM ${t} x`).join(" UNION ALL ") +
            ") s",
        { db: "gitguardian" },
    );
}

/** Every key of databases 0 and 1 with its DUMP payload: identical text means identical data. */
async function redisSnapshot(redis: RedisServer): Promise<string> {
    const client = await redis.connect();
    try {
        const lines: string[] = [];
        for (const db of [0, 1]) {
            await client.call("SELECT", String(db));
            const keys = ((await client.call("KEYS", "*")) as Buffer[]).map((k) => k.toString()).sort();
            for (const key of keys) lines.push(`${db}:${key}:${((await client.call("DUMP", key)) as Buffer).toString("base64")}`);
        }
        return lines.join("\n");
    } finally {
        client.close();
    }
}

function must(r: JobResult): JobResult {
    if (r.exitCode !== 0) throw new Error(`${r.script} failed (exit ${r.exitCode}): ${r.stderrLines.at(-1) ?? ""}`);
    for (const line of r.stderrLines) console.log(`         | ${line}`);
    return r;
}

async function main(): Promise<void> {
    const cleanup: (() => Promise<void> | void)[] = [];
    const checks: Check[] = [];
    try {
        step("starting PostgreSQL, Redis and MinIO on random loopback ports");
        const [source, redis, minio] = await Promise.all([startPostgres(), startRedis({ appendonly: false }), startMinio({ bucket: "gitguardian-backups" })]);
        cleanup.push(() => source.destroy(), () => redis.destroy(), () => minio.destroy());
        step(`PostgreSQL 127.0.0.1:${source.port}, Redis 127.0.0.1:${redis.port}, MinIO ${minio.endpoint} (bucket ${minio.bucket})`);

        step("loading a GitGuardian-like dataset (200 sources, 5 000 incidents, 20 000 occurrences; Celery queues and caches in Redis)");
        await source.psql(DATASET_SQL);
        const client = await redis.connect();
        try {
            for (let i = 0; i < 300; i++) await client.call("RPUSH", "celery", JSON.stringify({ task: "scan_commit", id: i }));
            for (let i = 0; i < 200; i++) await client.call("SET", `cache:incident:${i}`, `{"id":${i},"status":"triggered"}`, "EX", "86400");
            await client.call("HSET", "settings:workspace:1", "name", "ACME", "plan", "business", "seats", "250");
            await client.call("SELECT", "1");
            await client.call("ZADD", "rate-limits", "10", "api:token:1", "25", "api:token:2");
        } finally {
            client.close();
        }

        step("running one backup cycle, as the CronJobs' containers run it (busybox sh for dumps, bash for uploads)");
        const kots = makeFakeKots({ appSlug: "gitguardian", namespace: "gitguardian" });
        const kubectl = makeFakeKubectl({
            namespace: "gitguardian",
            secrets: { "gim-secrets": { DJANGO_SECRET_KEY: "demo-django-key" }, "kotsadm-encryption": { encryptionKey: "demo-kots-key" } },
        });
        cleanup.push(() => removeTempDir(path.dirname(path.dirname(kots.bin))), () => removeTempDir(path.dirname(path.dirname(kubectl.bin))));
        const dumpEnv: Record<Component, Record<string, string>> = {
            postgres: { ...source.env(), GGB_PG_FORMAT: "sql", GGB_COMPRESSION: "gzip" },
            redis: { ...redis.env(), GGB_COMPRESSION: "gzip" },
            kots: { GGB_KOTS_NAMESPACE: "gitguardian", GGB_KOTS_APP_SLUG: "gitguardian", GGB_KOTS_SECRETS: "gim-secrets,kotsadm-encryption", GGB_KOTS: kots.bin, GGB_KUBECTL: kubectl.bin, GGB_COMPRESSION: "gzip" },
        };
        for (const component of ["postgres", "redis", "kots"] as Component[]) {
            const staging = makeTempDir(`demo-staging-${component}`);
            cleanup.push(() => removeTempDir(staging));
            const label = component === "kots" ? "kots (kots test double: the kots binary is not obtainable here)" : component;
            step(`backup ${label}: ${PART_SCRIPT.dump[component]} streaming to ${SCRIPT.upload}, side by side`);
            const [dumped, uploaded] = await Promise.all([
                runJob(PART_SCRIPT.dump[component], { shell: "busybox", env: { ...dumpEnv[component], GGB_COMPONENT: component, GGB_STAGING_DIR: staging } }),
                runJob(SCRIPT.upload, { shell: "bash", env: { ...minio.env(), GGB_S3_PREFIX: PREFIX, GGB_COMPONENT: component, GGB_STAGING_DIR: staging } }),
            ]);
            must(dumped);
            must(uploaded);
        }

        step("backup sets in the bucket (only sets with a manifest are restorable)");
        const store = s3Store({ bucket: minio.bucket, region: "us-east-1", endpoint: minio.endpoint }, { accessKeyId: minio.accessKey, secretAccessKey: minio.secretKey });
        const chosen: Record<string, string> = {};
        for (const component of ["postgres", "redis", "kots"] as Component[]) {
            for (const set of await listSets(store, PREFIX, component)) {
                const manifest = await readManifest(store, PREFIX, component, set.backupId);
                const age = Math.round((Date.now() - set.time.getTime()) / 1000);
                console.log(`         ${component.padEnd(8)} ${set.backupId}  ${String(manifestBytes(manifest)).padStart(9)} bytes  age ${age} s  ${set.complete ? "complete" : "INCOMPLETE"}`);
                for (const a of manifest.artifacts) console.log(`                  ${a.name.padEnd(22)} ${String(a.size).padStart(9)} bytes  sha256 ${a.sha256}`);
                chosen[component] = set.backupId;
            }
        }

        step("restoring into fresh servers: restore-fetch.sh verifies every sha256 before anything is touched");
        const target = await startPostgres({ password: source.password });
        cleanup.push(() => target.destroy());
        const fetchTo = async (component: Component) => {
            const dir = makeTempDir(`demo-restore-${component}`);
            cleanup.push(() => removeTempDir(dir));
            must(await runJob(SCRIPT.fetch, { shell: "bash", env: { ...minio.env(), GGB_S3_PREFIX: PREFIX, GGB_COMPONENT: component, GGB_STAGING_DIR: dir, GGB_BACKUP_ID: chosen[component] } }));
            return dir;
        };
        const pgDir = await fetchTo("postgres");
        must(await runJob(PART_SCRIPT.restorePostgres, { shell: "busybox", env: { ...target.env(), GGB_STAGING_DIR: pgDir } }));
        const redisDir = await fetchTo("redis");
        const restoredRedis = await startRedis({ appendonly: true, startNow: false });
        cleanup.push(() => restoredRedis.destroy());
        must(await runJob(PART_SCRIPT.restoreRedis, { shell: "busybox", env: { GGB_STAGING_DIR: redisDir, GGB_REDIS_DATA_DIR: restoredRedis.dir } }));
        await restoredRedis.start();
        const kotsDir = await fetchTo("kots");

        step("verifying");
        const [a, b] = [await checksums(source), await checksums(target)];
        checks.push({ what: "PostgreSQL: row checksums of every table", ok: a === b, detail: a === b ? b.replace(/=\w{26}/g, "=…") : `source ${a} / restored ${b}` });
        const roles = await target.psql("SELECT rolname FROM pg_roles WHERE rolname = 'gitguardian'");
        checks.push({ what: "PostgreSQL: application role restored", ok: roles.trim() === "gitguardian", detail: roles.trim() || "missing" });
        const [ra, rb] = [await redisSnapshot(redis), await redisSnapshot(restoredRedis)];
        checks.push({ what: "Redis: every key identical (DUMP), AOF on the target", ok: ra === rb && ra.length > 0, detail: `${ra.split("\n").length} keys` });
        const kotsFiles = fs.readdirSync(kotsDir).filter((f) => !f.startsWith("."));
        checks.push({ what: "KOTS (test double): configuration and key Secrets fetched and verified", ok: kotsFiles.includes("kots-app.tar.gz") && kotsFiles.includes("kots-secrets.tar.gz"), detail: kotsFiles.join(", ") });

        await drill(minio, source, redis, checks);

        await pulumiUp(minio, source, redis, checks, cleanup);

        console.log("\nreport");
        for (const c of checks) console.log(`  ${c.ok ? "PASS" : "FAIL"}  ${c.what}: ${c.detail}`);
        const failed = checks.filter((c) => !c.ok).length;
        console.log(`\n${checks.length - failed} passed, ${failed} failed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        if (failed) process.exitCode = 1;
    } finally {
        step("stopping the servers and removing their files");
        for (const undo of cleanup.reverse()) await Promise.resolve(undo()).catch((e) => console.error(`cleanup: ${(e as Error).message}`));
    }
}

/**
 * One restore drill: the drill pod exactly as GitGuardianBackupPolicy declares it (its CronJob's
 * pod spec), run by the tests' kubelet with its Secret and scripts ConfigMap, each container as
 * its image's user: it picks the sets above, restores them into scratch servers of its own,
 * checks them against what the backup recorded and writes its result to the bucket.
 */
async function drill(minio: MinioServer, pg: PostgresServer, redis: RedisServer, checks: Check[]): Promise<void> {
    step("restore drill: the drill pod as GitGuardianBackupPolicy declares it (drill: { schedule: \"0 5 * * *\" }), into scratch servers of its own");
    const spec = resolvePolicy("gitguardian", {
        namespace: "gitguardian",
        schedule: "0 2 * * *",
        retentionDays: 14,
        storage: { prefix: PREFIX, existingBucket: { name: minio.bucket, endpoint: minio.endpoint, credentialsSecret: { name: "minio-backup-credentials" } } },
        postgres: { host: "127.0.0.1", port: pg.port, passwordSecret: { name: "postgresql", key: "postgres-password" } },
        redis: { host: "127.0.0.1", port: redis.port, passwordSecret: { name: "redis", key: "redis-password" } },
        kots: { image: "kotsadm/kotsadm:v1.124.0", drillKeys: ["kotsadm-encryption/encryptionKey", "gim-secrets/DJANGO_SECRET_KEY"] },
        drill: { schedule: "0 5 * * *", deadlineSeconds: 900 },
    });
    const pod = drillCronJobSpec(spec, spec.drill!, minio.bucket).spec.jobTemplate.spec.template.spec as unknown as k8s.V1PodSpec;
    const secrets: Record<string, Record<string, string>> = { "minio-backup-credentials": { AWS_ACCESS_KEY_ID: minio.accessKey, AWS_SECRET_ACCESS_KEY: minio.secretKey } };
    const runs = await runPod(pod, {
        namespace: "gitguardian",
        runAsUsers: true,
        sources: {
            secretValue: async (_ns, name, key) => secrets[name]?.[key],
            configMapData: async (_ns, name) => (name === spec.names.scripts ? scriptBundle() : undefined),
        },
    });
    const report = runs.find((r) => r.name === "report");
    if (!report) {
        const failed = runs.find((r) => r.exitCode !== 0);
        checks.push({ what: "restore drill", ok: false, detail: `${failed?.name}: ${failed?.stderr.trim().split("\n").pop()}` });
        return;
    }
    const result = JSON.parse(report.stdout) as { drillId: string; status: string; reason: string; recoverySeconds: number; totalSeconds: number; checks: { part: string; check: string; verdict: string; detail: string }[] };
    console.log(`         drill ${result.drillId}: ${result.status}, recovery ${result.recoverySeconds} s of ${result.totalSeconds} s, result at s3://${minio.bucket}/${PREFIX}/drills/${result.drillId}.json`);
    for (const c of result.checks) console.log(`           ${c.verdict.padEnd(8)} ${`${c.part} ${c.check}`.padEnd(22)} ${c.detail}`);
    checks.push({ what: "restore drill: sets restored into scratch servers and checked against the backup's record", ok: result.status === "SUCCESSFUL", detail: `${result.status}${result.reason ? `: ${result.reason}` : ""}, recovery ${result.recoverySeconds} s` });
}

/** The Go-built binaries `pulumi up` needs here, when they are cached (scripts/tools/build.sh). */
function enginePresent(): boolean {
    try {
        execFileSync(path.join(__dirname, "..", "..", "scripts", "tools", "build.sh"), ["--print", "pulumi", "pulumi-resource-kubernetes", "kube", "kwok"], { stdio: "ignore" });
        return true;
    } catch {
        return false;
    }
}

/**
 * What a user's `pulumi up` does: the real engine declares the backup policy (existing bucket on
 * the demo's MinIO) on a local Kubernetes API server, and its output is shown as a user sees it.
 */
async function pulumiUp(minio: MinioServer, pg: PostgresServer, redis: RedisServer, checks: Check[], cleanup: (() => Promise<void> | void)[]): Promise<void> {
    if (!enginePresent()) {
        step("pulumi up: skipped — the Pulumi CLI, the Kubernetes provider and kube-apiserver are built once from their Go modules by `scripts/tools/build.sh all` (about 30 minutes on 2 cores); `npm test` builds them, the next demo then shows the up");
        return;
    }
    step("pulumi up of a GitGuardianBackupPolicy on a local Kubernetes API server (etcd, kube-apiserver, kube-controller-manager, kwok)");
    const kube = await startKube();
    cleanup.push(() => kube.stop());
    const engine = startEngine();
    cleanup.push(() => engine.stop());
    await kube.createNamespace("gitguardian");
    const core = kube.admin().makeApiClient(k8s.CoreV1Api);
    for (const [name, data] of [
        ["postgresql", { "postgres-password": pg.password }],
        ["redis", { "redis-password": redis.password }],
        ["minio-backup-credentials", { AWS_ACCESS_KEY_ID: minio.accessKey, AWS_SECRET_ACCESS_KEY: minio.secretKey }],
    ] as const) {
        await core.createNamespacedSecret({ namespace: "gitguardian", body: { metadata: { name }, stringData: data } });
    }
    const stack = await engine.stack("gitguardian-backup", "demo", async () => {
        const provider = new kubernetes.Provider("local-cluster", { kubeconfig: kube.kubeconfig });
        const backups = new GitGuardianBackupPolicy(
            "gitguardian",
            {
                namespace: "gitguardian",
                schedule: "0 2 * * *",
                retentionDays: 14,
                storage: { existingBucket: { name: minio.bucket, endpoint: minio.endpoint, credentialsSecret: { name: "minio-backup-credentials" } } },
                postgres: { host: "127.0.0.1", port: pg.port, passwordSecret: { name: "postgresql", key: "postgres-password" } },
                redis: { host: "127.0.0.1", port: redis.port, passwordSecret: { name: "redis", key: "redis-password" } },
                kots: { image: "kotsadm/kotsadm:v1.124.0" },
            },
            { providers: { kubernetes: provider } },
        );
        return { bucketName: backups.bucketName, cronJobNames: backups.cronJobNames };
    });
    const up = await stack.up({ onOutput: (text) => process.stdout.write(text) });
    const stored = (await kube.admin().makeApiClient(k8s.BatchV1Api).listNamespacedCronJob({ namespace: "gitguardian" })).items.map((j) => `${j.metadata!.name} (${j.spec!.schedule})`);
    checks.push({ what: "pulumi up: the CronJobs on the API server", ok: up.summary.result === "succeeded" && stored.length === 3, detail: stored.join(", ") });
    await stack.destroy({ onOutput: () => undefined });
}

main().catch((e) => {
    console.error(`demo failed: ${(e as Error).message}`);
    process.exitCode = 1;
});
