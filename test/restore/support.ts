/**
 * Shared by the restore tests: backup sets made by the real jobs/*.sh scripts (dump step then
 * upload step, as the CronJobs run them) in a real MinIO, from real PostgreSQL and Redis servers
 * and the kots/kubectl test doubles of the dump; the restore's inputs for them; a log recorder.
 */
import * as k8s from "@kubernetes/client-node";
import * as assert from "node:assert/strict";
import { Component } from "../../core/contract";
import { RestoreInputs } from "../../restore/validate";
import { makeFakeKots, makeFakeKubectl } from "../../harness/fakeKots";
import { KubeCluster, NEVER_READY_LABEL } from "../../harness/kube";
import { sleep } from "../../harness/proc";
import { MinioServer } from "../../harness/minio";
import { PostgresServer } from "../../harness/postgres";
import { RedisServer, startRedis } from "../../harness/redis";
import { backupOk, nextBackupId, uniquePrefix } from "../jobs/support";

export const APP_SLUG = "gitguardian";

/** The encryption keys the kots dump exports (plain values, as the kubectl double prints them base64). */
export const KOTS_SECRETS: Record<string, Record<string, string>> = {
    "kotsadm-encryption": { encryptionKey: "c2VjcmV0LWtvdHMtY2lwaGVyLWtleQ-test-value" },
    "gim-secrets": { DJANGO_SECRET_KEY: "django-secret-key-test-value", ENCRYPTION_KEY: "gim-encryption-test-value" },
};

export interface BackupSets {
    prefix: string;
    ids: Partial<Record<Component, string>>;
}

/** Seeds PostgreSQL and Redis with recognisable data. */
export async function seed(pg: PostgresServer, redis: RedisServer): Promise<void> {
    await pg.psql(`
        CREATE ROLE gg_app LOGIN PASSWORD 'app-pass';
        CREATE DATABASE gg OWNER gg_app;
    `);
    await pg.psql(
        `CREATE TABLE incidents (id serial PRIMARY KEY, title text NOT NULL);
         INSERT INTO incidents (title) SELECT 'incident ' || g FROM generate_series(1, 500) g;
         ALTER TABLE incidents OWNER TO gg_app;`,
        { db: "gg" },
    );
    for (let i = 0; i < 50; i++) await redis.command("SET", `gg:key:${i}`, `value-${i}`);
    await redis.command("HSET", "gg:hash", "a", "1", "b", "2");
}

/** One backup set per requested component, made by the jobs scripts, under a fresh prefix. */
/** Sets of the parts given, made by the job scripts; `uploadEnv` reaches their upload steps (encryption's recipients, say). */
export async function makeBackupSets(opts: { minio: MinioServer; pg?: PostgresServer; redis?: RedisServer; kots?: boolean; namespace: string; prefix?: string; uploadEnv?: Record<string, string> }): Promise<BackupSets> {
    const prefix = opts.prefix ?? uniquePrefix("restore");
    const ids: BackupSets["ids"] = {};
    const common = { minio: opts.minio, prefix, uploadShell: "bash" as const, uploadEnv: opts.uploadEnv };
    if (opts.pg) {
        const run = await backupOk({ ...common, component: Component.Postgres, dumpShell: "busybox", dumpEnv: { ...opts.pg.env(), GGB_PG_FORMAT: "sql", GGB_COMPRESSION: "gzip" }, backupId: nextBackupId() });
        ids.postgres = run.backupId;
    }
    if (opts.redis) {
        const run = await backupOk({ ...common, component: Component.Redis, dumpShell: "busybox", dumpEnv: { ...opts.redis.env(), GGB_COMPRESSION: "gzip" }, backupId: nextBackupId() });
        ids.redis = run.backupId;
    }
    if (opts.kots) {
        const kots = makeFakeKots({ appSlug: APP_SLUG, namespace: opts.namespace });
        const kubectl = makeFakeKubectl({ namespace: opts.namespace, secrets: KOTS_SECRETS });
        const run = await backupOk({
            ...common,
            component: Component.Kots,
            dumpShell: "dash",
            dumpEnv: {
                GGB_KOTS_NAMESPACE: opts.namespace,
                GGB_KOTS_APP_SLUG: APP_SLUG,
                GGB_KOTS_SECRETS: Object.keys(KOTS_SECRETS).join(","),
                GGB_KOTS: kots.bin,
                GGB_KUBECTL: kubectl.bin,
                GGB_COMPRESSION: "gzip",
            },
            backupId: nextBackupId(),
        });
        ids.kots = run.backupId;
    }
    return { prefix, ids };
}

/** A license the kots install step accepts (a test value). */
export const TEST_LICENSE = `apiVersion: kots.io/v1beta1
kind: License
metadata:
  name: test-license
spec:
  appSlug: gitguardian
  licenseID: test-license-id-0123456789abcdef
  signature: dGVzdC1zaWduYXR1cmUtbm90LWEtcmVhbC1vbmUtMDEyMzQ1Njc4OQ==
`;
export const TEST_SHARED_PASSWORD = "kots-admin-Password-42";

/** Restore inputs (the dynamic resource's props) for sets in `minio`. */
export function restoreInputs(o: {
    name: string;
    namespace: string;
    minio: MinioServer;
    prefix: string;
    credentialsSecret?: string;
    postgres?: RestoreInputs["postgres"];
    redis?: RestoreInputs["redis"];
    kots?: RestoreInputs["kots"];
    kotsInstall?: boolean;
    kubeconfig?: string;
    backupId?: string;
}): RestoreInputs {
    return {
        restoreName: o.name,
        namespace: o.namespace,
        storage: {
            bucketName: o.minio.bucket,
            prefix: o.prefix,
            region: "us-east-1",
            endpoint: o.minio.endpoint,
            credentialsSecret: { name: o.credentialsSecret ?? "backup-s3", accessKeyIdKey: "AWS_ACCESS_KEY_ID", secretAccessKeyKey: "AWS_SECRET_ACCESS_KEY" },
        },
        backupId: o.backupId ?? "latest",
        postgres: o.postgres,
        redis: o.redis,
        kots: o.kots,
        ...(o.kotsInstall ? { kotsLicense: TEST_LICENSE, kotsSharedPassword: TEST_SHARED_PASSWORD } : {}),
        ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}),
    };
}

/** A logger that keeps every line. */
export function recorder(): { info(m: string): void; warn(m: string): void; lines: string[]; text(): string } {
    const lines: string[] = [];
    return {
        info: (m) => void lines.push(`info: ${m}`),
        warn: (m) => void lines.push(`warn: ${m}`),
        lines,
        text: () => lines.join("\n"),
    };
}

/** No secret value of the inputs anywhere in `text`. */
export function assertNoSecrets(text: string, secrets: string[], where: string): void {
    for (const s of secrets) assert.ok(!text.includes(s), `${where} contains a secret value (${s.slice(0, 4)}…)`);
}

export interface NamespaceOptions {
    replicas?: number;
    neverReady?: boolean;
    redis?: boolean;
    /** Password stored in the `postgresql` Secret. */
    pgPassword?: string;
}

/** Polls `check` until it holds; the error carries the control plane's last log lines. */
export async function waitFor(kube: KubeCluster, what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        if (await check().catch(() => false)) return;
        if (Date.now() > deadline) throw new Error(`${what}: timed out\n${kube.logs(10)}`);
        await sleep(200);
    }
}

/** A namespace as GitGuardian's: the S3 and PostgreSQL Secrets, a Redis StatefulSet with a data PVC. */
export async function prepareNamespace(kube: KubeCluster, minio: MinioServer, ns: string, o: NamespaceOptions = {}): Promise<void> {
    const admin = kube.admin();
    const core = admin.makeApiClient(k8s.CoreV1Api);
    const apps = admin.makeApiClient(k8s.AppsV1Api);
    await kube.createNamespace(ns);
    await core.createNamespacedSecret({
        namespace: ns,
        body: { metadata: { name: "backup-s3" }, stringData: { AWS_ACCESS_KEY_ID: minio.accessKey, AWS_SECRET_ACCESS_KEY: minio.secretKey } },
    });
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: "postgresql" }, stringData: { "postgres-password": o.pgPassword ?? "pg-password-in-a-secret" } } });
    if (o.redis === false) return;
    const labels = { app: "redis", ...(o.neverReady ? { [NEVER_READY_LABEL]: "true" } : {}) };
    const replicas = o.replicas ?? 2;
    await apps.createNamespacedStatefulSet({
        namespace: ns,
        body: {
            metadata: { name: "redis-master" },
            spec: {
                replicas,
                serviceName: "redis-headless",
                selector: { matchLabels: { app: "redis" } },
                template: { metadata: { labels }, spec: { containers: [{ name: "redis", image: "redis:7.2-alpine", volumeMounts: [{ name: "redis-data", mountPath: "/data" }] }] } },
                volumeClaimTemplates: [{ metadata: { name: "redis-data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } }],
            },
        },
    });
    await waitFor(kube, `PVC ${ns}/redis-data-redis-master-0`, async () => {
        await core.readNamespacedPersistentVolumeClaim({ name: "redis-data-redis-master-0", namespace: ns });
        return true;
    });
    if (!o.neverReady) {
        await waitFor(kube, `StatefulSet ${ns}/redis-master ready`, async () => ((await apps.readNamespacedStatefulSet({ name: "redis-master", namespace: ns })).status?.readyReplicas ?? 0) === replicas);
    }
}

/** What seed() wrote is back: in the target PostgreSQL, and in a Redis started on the restored data folder (the PVC's). */
export async function assertSeedRestored(target: PostgresServer, redisDir: string): Promise<void> {
    assert.deepEqual(await target.rows("SELECT count(*), min(title), max(id) FROM incidents", "gg"), [["500", "incident 1", "500"]]);
    const server = await startRedis({ dir: redisDir });
    try {
        assert.equal(Number(await server.command("DBSIZE")), 51);
        assert.equal(String(await server.command("GET", "gg:key:42")), "value-42");
    } finally {
        await server.destroy();
    }
}
