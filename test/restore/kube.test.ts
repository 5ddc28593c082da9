/**
 * GitGuardianRestore on a real Kubernetes control plane (etcd, kube-apiserver,
 * kube-controller-manager, kwok; harness/kube.ts), no mock of the API: the Jobs are created
 * with the spec the provider builds and run by the Job controller, the StatefulSet controller
 * scales Redis, RBAC is enforced. The restore Jobs' pods are read back from the API server and
 * run as stored (harness/jobPods.ts) against real PostgreSQL targets and a folder per Redis
 * PVC, so a Job completes or fails from the scripts' exit codes; kwok plays the kubelet of the
 * other pods, and of the Jobs of the IRSA case (its pods would need a web identity) and of the
 * hanging case. The sets come from the jobs scripts into a real MinIO; kots is a test double.
 */
import * as k8s from "@kubernetes/client-node";
import { PART_SCRIPT } from "../../sources";
import { execa } from "execa";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { GitGuardianBackupPolicy } from "../../backup/backupPolicy";
import { Component, MOUNT, SCRIPT } from "../../core/contract";
import { BACKUP_APP_NAME, LABELS, PART_OF } from "../../core/pod";
import { scriptBundle } from "../../sources/registry";
import { RESTORE_NAMES, restoreJobName } from "../../restore/jobs";
import { FIELD_MANAGER, KubernetesExecutor, loadKubeConfig } from "../../restore/kubernetes";
import { s3Store } from "../../core/objectStore";
import { restoreRoleRules } from "../../restore/rbac";
import { restoreProvider } from "../../restore/restore";
import { makeRuntime } from "../../restore/runtime";
import { RestoreInputs, resolveRestore } from "../../restore/validate";
import { makeFakeKots } from "../../harness/fakeKots";
import { KOTS_INSTALL_CLUSTER_ACCESS } from "../../sources/kots/restoreInstall";
import { JobPodKubelet, runJobPods } from "../../harness/jobPods";
import { KubeCluster, NEVER_READY_LABEL, kubeUnavailable, startKube } from "../../harness/kube";
import { MinioServer, startMinio } from "../../harness/minio";
import { runUnderMocks } from "../../harness/mocks";
import { PostgresServer, startPostgres } from "../../harness/postgres";
import { RedisServer, startRedis } from "../../harness/redis";
import { makeTempDir, removeTempDir, sleep } from "../../harness/proc";
import { awsArgs, minioArgs } from "../unit/fixtures";
import { APP_SLUG, BackupSets, KOTS_SECRETS, NamespaceOptions, TEST_LICENSE, TEST_SHARED_PASSWORD, assertNoSecrets, makeBackupSets, prepareNamespace, recorder, restoreInputs, seed, waitFor } from "./support";

const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
const PG_PASSWORD = "pg-password-in-a-secret";
const FAIL_NS = "restore-fail";
const HANG_NS = "restore-hang";
/** The namespaces whose Job pods run for real; FAIL_NS restores into the seeded (non-empty) source server. */
const RUN_NS = ["gitguardian", FAIL_NS, "restore-stuck", "restore-resume"];

describe("GitGuardianRestore on a real control plane (kube-apiserver, kube-controller-manager, kwok)", function () {
    this.timeout(300_000);
    let kube: KubeCluster;
    let minio: MinioServer;
    let pg: PostgresServer;
    let redis: RedisServer;
    let sets: BackupSets;
    let admin: k8s.KubeConfig;
    let core: k8s.CoreV1Api;
    let apps: k8s.AppsV1Api;
    let batch: k8s.BatchV1Api;
    let kubelet: JobPodKubelet;
    /** Each namespace's restore targets: an empty PostgreSQL (FAIL_NS: the seeded source), a folder per Redis PVC. */
    const targets = new Map<string, PostgresServer>();
    const claims: Record<string, string> = {};

    before(async function () {
        this.timeout(1_200_000);
        if (await kubeUnavailable()) {
            // Cached by version: instant once built (scripts/tools/build.sh kube kwok).
            await execa("bash", [path.join(REPO_ROOT, "scripts/tools/build.sh"), "kube", "kwok"], { stdout: "ignore", stderr: "inherit" });
        }
        const missing = await kubeUnavailable();
        if (missing) throw new Error(missing);
        [kube, minio, pg, redis] = await Promise.all([startKube({ hangJobsInNamespaces: [HANG_NS], runJobsInNamespaces: RUN_NS }), startMinio(), startPostgres({ password: PG_PASSWORD }), startRedis()]);
        await seed(pg, redis);
        sets = await makeBackupSets({ minio, pg, redis, kots: true, namespace: "gitguardian" });
        admin = kube.admin();
        core = admin.makeApiClient(k8s.CoreV1Api);
        apps = admin.makeApiClient(k8s.AppsV1Api);
        batch = admin.makeApiClient(k8s.BatchV1Api);
        kubelet = runJobPods(admin, { namespaces: RUN_NS, claims });
    });
    after(async () => {
        await kubelet?.stop();
        for (const s of new Set([pg, redis, minio, ...targets.values()])) await s?.destroy().catch(() => undefined);
        for (const dir of Object.values(claims)) removeTempDir(dir);
        await kube?.stop();
    });

    async function gitguardianNamespace(ns: string, o: NamespaceOptions = {}): Promise<void> {
        targets.set(ns, ns === FAIL_NS ? pg : await startPostgres({ password: PG_PASSWORD }));
        claims[`${ns}/redis-data-redis-master-0`] = makeTempDir(`pvc-${ns}`);
        await prepareNamespace(kube, minio, ns, { pgPassword: PG_PASSWORD, ...o });
    }
    const waitUntil = (what: string, check: () => Promise<boolean>, timeoutMs?: number) => waitFor(kube, what, check, timeoutMs);

    /** Records every value `read` gives (as it changes) while `during` runs. */
    async function valueHistory<T, V>(read: () => Promise<V | undefined>, during: () => Promise<T>): Promise<{ result?: T; error?: unknown; history: V[] }> {
        const history: V[] = [];
        let stop = false;
        const watcher = (async () => {
            while (!stop) {
                const r = await read().catch(() => undefined);
                if (r !== undefined && history[history.length - 1] !== r) history.push(r);
                await sleep(50);
            }
        })();
        try {
            return { result: await during(), history };
        } catch (error) {
            return { error, history };
        } finally {
            stop = true;
            await watcher;
            // And the state it was left in: the watcher may have slept through the last change.
            const last = await read().catch(() => undefined);
            if (last !== undefined && history[history.length - 1] !== last) history.push(last);
        }
    }

    /** Records every spec.replicas value the StatefulSet takes while `during` runs. */
    const replicaHistory = <T>(ns: string, during: () => Promise<T>) =>
        valueHistory(async () => (await apps.readNamespacedStatefulSet({ name: "redis-master", namespace: ns })).spec?.replicas, during);

    function inputs(name: string, ns: string, extra: Partial<RestoreInputs> & { kotsBin?: string; kubeconfig?: string; components?: Component[] } = {}): RestoreInputs {
        const components = extra.components ?? [Component.Postgres, Component.Redis, Component.Kots];
        return {
            ...restoreInputs({
                name,
                namespace: ns,
                minio,
                prefix: sets.prefix,
                postgres: components.includes(Component.Postgres) ? { host: "127.0.0.1", port: targets.get(ns)!.port, passwordSecret: { name: "postgresql", key: "postgres-password" } } : undefined,
                redis: components.includes(Component.Redis) ? { statefulSet: "redis-master", readyTimeoutSeconds: 60 } : undefined,
                kots: components.includes(Component.Kots)
                    ? { appSlug: APP_SLUG, install: {}, deploy: true, databaseHostOverride: "postgresql.gitguardian.svc", kotsCommand: extra.kotsBin, timeoutSeconds: 60 }
                    : undefined,
                kotsInstall: components.includes(Component.Kots),
                kubeconfig: extra.kubeconfig ?? kube.kubeconfig,
            }),
            ...Object.fromEntries(Object.entries(extra).filter(([k]) => !["kotsBin", "kubeconfig", "components"].includes(k))),
        };
    }

    it("runs the whole sequence with only the documented permissions: Jobs with the right spec, Redis scaled to 0 and back, KOTS restored", async () => {
        const ns = "gitguardian";
        await gitguardianNamespace(ns, { replicas: 2 });
        const rbac = await kube.tokenForRole(ns, restoreRoleRules({ credentialsSecret: "backup-s3" }));
        // kots install also creates the console's cluster RBAC: the plan step asks for exactly that.
        const clusterRbac = admin.makeApiClient(k8s.RbacAuthorizationV1Api);
        await clusterRbac.createClusterRole({ body: { metadata: { name: rbac.serviceAccount }, rules: KOTS_INSTALL_CLUSTER_ACCESS.map((c) => ({ apiGroups: [c.group], resources: [c.resource], verbs: [c.verb] })) } });
        await clusterRbac.createClusterRoleBinding({
            body: { metadata: { name: rbac.serviceAccount }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: rbac.serviceAccount }, subjects: [{ kind: "ServiceAccount", name: rbac.serviceAccount, namespace: ns }] },
        });
        const kots = makeFakeKots({ appSlug: APP_SLUG, namespace: ns });
        const log = recorder();
        const runtime = makeRuntime({ log });
        const refusedProps = inputs("restore-2026-11", ns, { kotsBin: kots.bin, kubeconfig: rbac.kubeconfig });
        // Before the run: kotsadm-encryption holds another key (as a console installed before
        // the restore would have); gim-secrets does not exist.
        const stale = await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: "kotsadm-encryption" }, stringData: { encryptionKey: "the key of the console installed before" } } });
        await assert.rejects(core.readNamespacedSecret({ name: "gim-secrets", namespace: ns }), (e: any) => e.code === 404);

        // Without kots.overwrite the live key is not replaced, and the plan step says so before
        // PostgreSQL or Redis is touched: no Job, Redis left at 2, the Secret as it was.
        const refused = await replicaHistory(ns, () => runtime.create(refusedProps as unknown as Record<string, unknown>));
        assert.match(String(refused.error), new RegExp(`step 1/6 "plan" failed: live Secret ${ns}/kotsadm-encryption holds other keys than kots set ${sets.ids.kots}: .*nothing was changed\\. To replace them \\(each is kept as <name>\\.before-restore-<time>\\), set kots\\.overwrite to "${sets.ids.kots}"`));
        assert.deepEqual(refused.history, [2]);
        assert.deepEqual((await batch.listNamespacedJob({ namespace: ns })).items.map((j) => j.metadata?.name), []);
        assert.equal((await core.readNamespacedSecret({ name: "kotsadm-encryption", namespace: ns })).metadata?.resourceVersion, stale.metadata?.resourceVersion);
        // An overwrite for another set is refused too (a later restore cannot reuse it).
        const other = inputs("restore-2026-11", ns, { kotsBin: kots.bin, kubeconfig: rbac.kubeconfig });
        other.kots = { ...other.kots, overwrite: "20200101T000000Z" };
        assert.match(String((await replicaHistory(ns, () => runtime.create(other as unknown as Record<string, unknown>))).error), new RegExp(`kots\\.overwrite is for set 20200101T000000Z, but this restore chose kots set ${sets.ids.kots}: nothing was changed`));

        const props = inputs("restore-2026-11", ns, { kotsBin: kots.bin, kubeconfig: rbac.kubeconfig });
        props.kots = { ...props.kots, overwrite: sets.ids.kots };
        const { result, error, history } = await replicaHistory(ns, () => runtime.create(props as unknown as Record<string, unknown>));
        if (error) throw error;
        const outs = result!.outs as Record<string, any>;

        assert.equal(outs.status, "complete");
        assert.deepEqual(outs.steps.map((s: any) => `${s.name}:${s.status}`), ["plan:done", "kots-secrets:done", "kots-install:done", "postgres:done", "redis:done", "kots-upload:done"]);
        for (const c of [Component.Postgres, Component.Redis, Component.Kots]) assert.equal(outs.restored[c].backupId, sets.ids[c]);
        assert.ok(outs.checksumsVerified >= 4);

        // Redis: scaled from 2 to 0, the restore ran, back to 2 and ready.
        assert.deepEqual(history, [2, 0, 2], `spec.replicas over the run: ${history.join(" → ")}`);
        const sts = await apps.readNamespacedStatefulSet({ name: "redis-master", namespace: ns });
        assert.equal(sts.status?.readyReplicas, 2);

        // The Jobs, as the API server stored them, succeeded and have the documented shape.
        const spec = resolveRestore(props);
        const pgJob = await batch.readNamespacedJob({ name: restoreJobName(spec, Component.Postgres, sets.ids.postgres!, outs.runId), namespace: ns });
        const redisJob = await batch.readNamespacedJob({ name: restoreJobName(spec, Component.Redis, sets.ids.redis!, outs.runId), namespace: ns });
        for (const job of [pgJob, redisJob]) {
            assert.ok(job.status?.conditions?.some((c) => c.type === "Complete" && c.status === "True"), `${job.metadata?.name} complete`);
            assert.equal(job.spec?.backoffLimit, 0);
            const pod = job.spec!.template.spec!;
            assert.equal(pod.automountServiceAccountToken, false);
            assert.equal(pod.restartPolicy, "Never");
            const fetch = pod.initContainers![0];
            assert.deepEqual(fetch.command, ["sh", `${MOUNT.scripts}/${SCRIPT.fetch}`]);
            assert.equal(fetch.image, "amazon/aws-cli:2.22.35");
            const env = Object.fromEntries(fetch.env!.map((e) => [e.name, e.value ?? JSON.parse(JSON.stringify(e.valueFrom))]));
            assert.equal(env.GGB_S3_BUCKET, minio.bucket);
            assert.equal(env.GGB_S3_PREFIX, sets.prefix);
            assert.equal(env.GGB_S3_ENDPOINT, minio.endpoint);
            assert.deepEqual(env.AWS_SECRET_ACCESS_KEY, { secretKeyRef: { name: "backup-s3", key: "AWS_SECRET_ACCESS_KEY" } });
            assert.ok(pod.volumes!.some((v) => v.name === "scripts" && v.configMap?.name === RESTORE_NAMES.scripts));
            assert.equal(pod.containers[0].terminationMessagePolicy, "FallbackToLogsOnError");
            const text = JSON.stringify(job.spec);
            assertNoSecrets(text, [PG_PASSWORD, minio.secretKey, TEST_SHARED_PASSWORD], `Job ${job.metadata?.name}`);
        }
        const pgMain = pgJob.spec!.template.spec!.containers[0];
        assert.deepEqual(pgMain.command, ["sh", `${MOUNT.scripts}/${PART_SCRIPT.restorePostgres}`]);
        assert.equal(pgMain.image, "postgres:16-alpine");
        assert.deepEqual(JSON.parse(JSON.stringify(pgMain.env!.find((e) => e.name === "PGPASSWORD")?.valueFrom)), { secretKeyRef: { name: "postgresql", key: "postgres-password" } });
        assert.equal(pgMain.env!.find((e) => e.name === "GGB_OVERWRITE")?.value, "false");
        assert.equal(pgJob.spec!.template.spec!.initContainers![0].env!.find((e) => e.name === "GGB_BACKUP_ID")?.value, sets.ids.postgres);
        const redisPod = redisJob.spec!.template.spec!;
        assert.deepEqual(JSON.parse(JSON.stringify(redisPod.volumes!.find((v) => v.name === "data")?.persistentVolumeClaim)), { claimName: "redis-data-redis-master-0" });
        assert.deepEqual(JSON.parse(JSON.stringify(redisPod.containers[0].volumeMounts!.find((m) => m.name === "data"))), { name: "data", mountPath: "/data" });
        assert.equal(redisPod.containers[0].env!.find((e) => e.name === "GGB_REDIS_DATA_DIR")?.value, "/data");

        // Their pods ran as stored, and the data is in the targets.
        assert.deepEqual(
            kubelet.runs.filter((r) => r.namespace === ns).map((r) => [r.job, r.containers.map((c) => `${c.name}=${c.exitCode}`).join(" ")]),
            [
                [pgJob.metadata!.name, "fetch=0 restore-postgres=0"],
                [redisJob.metadata!.name, "fetch=0 restore-redis=0"],
            ],
        );
        assert.deepEqual(await targets.get(ns)!.rows("SELECT count(*), max(id) FROM incidents", "gg"), [["500", "500"]]);
        const restoredRedis = await startRedis({ dir: claims[`${ns}/redis-data-redis-master-0`] });
        try {
            assert.equal(Number(await restoredRedis.command("DBSIZE")), 51);
        } finally {
            await restoredRedis.destroy();
        }

        // The scripts ConfigMap is jobs/*.sh.
        const scripts = await core.readNamespacedConfigMap({ name: RESTORE_NAMES.scripts, namespace: ns });
        assert.deepEqual(scripts.data, scriptBundle());

        // KOTS: the Secrets are in the namespace with the set's data, written by the restore's
        // server-side apply (the exported object's metadata, its managedFields included, is not
        // carried over); kots ran with the exact argv.
        const managers = (s: k8s.V1Secret) => (s.metadata?.managedFields ?? []).map((m) => `${m.manager}:${m.operation}`);
        const created = await core.readNamespacedSecret({ name: "gim-secrets", namespace: ns });
        assert.deepEqual(managers(created), [`${FIELD_MANAGER}:Apply`], "gim-secrets: created by the restore alone");
        const replaced = await core.readNamespacedSecret({ name: "kotsadm-encryption", namespace: ns });
        assert.notEqual(replaced.metadata?.resourceVersion, stale.metadata?.resourceVersion, "kotsadm-encryption: written again by the restore");
        assert.ok(managers(replaced).includes(`${FIELD_MANAGER}:Apply`), `kotsadm-encryption: applied by the restore (${managers(replaced).join(", ")})`);
        const plainData = (s: k8s.V1Secret) => Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]));
        for (const [name, data] of Object.entries(KOTS_SECRETS)) assert.deepEqual(plainData(await core.readNamespacedSecret({ name, namespace: ns })), data);
        // The replaced key is kept beside, created with the Role's `create` right.
        const aside = (await core.listNamespacedSecret({ namespace: ns })).items.filter((s) => s.metadata!.name!.startsWith("kotsadm-encryption.before-restore-"));
        assert.equal(aside.length, 1, aside.map((s) => s.metadata?.name).join(", "));
        assert.match(aside[0].metadata!.name!, /^kotsadm-encryption\.before-restore-\d{8}t\d{6}z$/);
        assert.deepEqual(plainData(aside[0]), { encryptionKey: "the key of the console installed before" });
        assert.equal(aside[0].metadata?.annotations?.["gitguardian-backup/replaced-by-set"], sets.ids.kots);
        const [install, upload] = kots.calls();
        assert.deepEqual(install.argv, ["install", APP_SLUG, "--namespace", ns, "--license-file", install.argv[5], "--no-port-forward", "--wait-duration", "5m"]);
        assert.equal(install.license, TEST_LICENSE);
        assert.equal(install.sharedPassword, TEST_SHARED_PASSWORD);
        assert.ok(install.kubeconfigEnv && !fs.existsSync(install.kubeconfigEnv), "kots got the restore's kubeconfig in a file removed afterwards");
        assert.deepEqual(upload.argv, ["upload", upload.argv[1], "--namespace", ns, "--slug", APP_SLUG, "--deploy"]);
        assert.match(upload.uploadedConfig!, /value: postgresql\.gitguardian\.svc/);

        // The run is recorded in the namespace.
        const progress = await core.readNamespacedConfigMap({ name: RESTORE_NAMES.progress, namespace: ns });
        const record = JSON.parse(progress.data!["restore-2026-11"]);
        assert.ok(record.completedAt);
        assert.deepEqual(Object.keys(record.steps), ["plan", "kots-secrets", "kots-install", "postgres", "redis", "kots-upload"]);

        // Progress visible during the run; no secret anywhere.
        assert.match(log.text(), /Job gitguardian\/ggb-restore-postgres-.* created[\s\S]*succeeded[\s\S]*scaling StatefulSet gitguardian\/redis-master from 2 to 0/);
        assertNoSecrets(log.text() + JSON.stringify(outs), [PG_PASSWORD, minio.secretKey, TEST_SHARED_PASSWORD, TEST_LICENSE.trim(), rbac.token], "logs and outputs");
    });

    it("stops at a Job that fails, with the Job's reason and the script's message, and leaves the earlier steps' results in the error", async () => {
        await gitguardianNamespace(FAIL_NS, { replicas: 1 });
        // The policy's backup CronJobs (as GitGuardianBackupPolicy labels them), one suspended by
        // its owner, and another app's CronJob.
        const cronJob = (name: string, labels: Record<string, string>, suspend: boolean): k8s.V1CronJob => ({
            metadata: { name, labels },
            spec: { schedule: "0 2 * * *", suspend, jobTemplate: { spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] } } } } },
        });
        const ours = { [LABELS.name]: BACKUP_APP_NAME, [LABELS.partOf]: PART_OF };
        for (const c of [cronJob("gg-backup-postgres", ours, false), cronJob("gg-backup-redis", ours, false), cronJob("gg-backup-kots", ours, true), cronJob("other-app-nightly", { app: "other" }, false)]) {
            await batch.createNamespacedCronJob({ namespace: FAIL_NS, body: c });
        }
        const suspended = async () => (await batch.listNamespacedCronJob({ namespace: FAIL_NS })).items.map((c) => `${c.metadata!.name}:${c.spec!.suspend}`).sort().join(" ");
        const runtime = makeRuntime({ log: recorder() });
        const props = inputs("restore-fail", FAIL_NS, { components: [Component.Postgres, Component.Redis] });
        let history: number[] = [];
        const { error, history: cronHistory } = await valueHistory(suspended, async () => {
            const run = await replicaHistory(FAIL_NS, () => runtime.create(props as unknown as Record<string, unknown>));
            history = run.history;
            if (run.error) throw run.error;
        });
        // Suspended while the run ran (past the plan step), resumed after it failed; the one its
        // owner suspended stays so, another app's is never touched.
        // (The CronJobs are patched one by one: the watcher may also see a state in between.)
        const before = "gg-backup-kots:true gg-backup-postgres:false gg-backup-redis:false other-app-nightly:false";
        assert.equal(cronHistory[0], before, cronHistory.join(" | "));
        assert.ok(cronHistory.includes("gg-backup-kots:true gg-backup-postgres:true gg-backup-redis:true other-app-nightly:false"), cronHistory.join(" | "));
        assert.equal(cronHistory[cronHistory.length - 1], before, cronHistory.join(" | "));
        for (const state of cronHistory) assert.match(state, /^gg-backup-kots:true .* other-app-nightly:false$/);
        const e = error as Error & { id?: string; properties?: Record<string, any>; reasons?: string[] };
        assert.ok(e, "create failed");
        show(e.message);
        assert.match(e.message, /^GitGuardianRestore "restore-fail": step 2\/3 "postgres" failed: Job restore-fail\/ggb-restore-postgres-[a-z0-9-]+ failed \(BackoffLimitExceeded\)/);
        // The real script's refusal, through the container's termination message and the Job.
        assert.ok(e.message.includes(`container restore-postgres exited 1 (Error): restore-postgres: target PostgreSQL at 127.0.0.1:${pg.port} is not empty (`), e.message);
        assert.match(e.message, /Steps completed before it: plan \(done: postgres \d{8}T\d{6}Z/);
        assert.match(e.message, /run `pulumi up` again/);
        // The engine keeps the resource with this partial state (ErrorResourceInitFailed), so the next up resumes.
        assert.ok(e.id && e.id.startsWith(`${FAIL_NS}/`));
        assert.equal(e.properties!.status, "failed");
        assert.equal(e.properties!.failedStep, "postgres");
        assert.deepEqual(e.properties!.steps.map((s: any) => s.name), ["plan"]);
        assert.deepEqual(e.reasons, [e.message]);
        // Nothing after the failed step ran: Redis was never scaled.
        assert.deepEqual(history, [1]);
    });

    it("times out clearly when the StatefulSet never becomes ready again", async () => {
        const ns = "restore-stuck";
        await gitguardianNamespace(ns, { replicas: 1, neverReady: true });
        const runtime = makeRuntime({ log: recorder() });
        const props = inputs("restore-stuck", ns, { components: [Component.Redis] });
        props.redis!.readyTimeoutSeconds = 8;
        const { error, history } = await replicaHistory(ns, () => runtime.create(props as unknown as Record<string, unknown>));
        const e = error as Error;
        assert.ok(e, "create failed");
        show(e.message);
        assert.match(
            e.message,
            /step 2\/2 "redis" failed: StatefulSet restore-stuck\/redis-master did not become ready within 8 s \(redis\.readyTimeoutSeconds\): 0 of 1 replicas ready; pods: redis-master-0 Pending/,
        );
        assert.deepEqual(history, [1, 0, 1], "scaled down, restored, scaled back (not left at 0)");
    });

    it("leaves Redis at 0 while its restore Job still runs after the wait (and says how to scale back); scales back once the Job has ended", async () => {
        await gitguardianNamespace(HANG_NS, { replicas: 1 });
        const props = inputs("restore-hang", HANG_NS, { components: [Component.Redis] });
        props.redis!.readyTimeoutSeconds = 5;
        // The real executor, but its Job wait cut to 3 s: the step's own is the Job's deadline
        // plus 5 minutes, and the question here is what the step does when that wait ends.
        const executor = () => {
            const ex = new KubernetesExecutor(loadKubeConfig(kube.kubeconfig), { pollMs: 250 });
            const runJob = ex.runJob.bind(ex);
            ex.runJob = (job, opts) => runJob(job, { ...opts, timeoutMs: 3000 });
            return ex;
        };
        const runtime = makeRuntime({ log: recorder(), executor });
        const scaleBack = "kubectl scale statefulset redis-master --namespace restore-hang --replicas=1";

        const first = await replicaHistory(HANG_NS, () => runtime.create(props as unknown as Record<string, unknown>));
        const e = first.error as Error & { id?: string; properties?: Record<string, any> };
        assert.ok(e, "create failed");
        show(e.message);
        assert.match(e.message, /step 2\/2 "redis" failed: Job restore-hang\/(ggb-restore-redis-\S+) did not finish within 3 s: \S+ Running/);
        const jobName = /Job restore-hang\/(ggb-restore-redis-\S+) did not finish/.exec(e.message)![1];
        const left = `; StatefulSet redis-master left at 0 replicas because Job ${jobName} may still be writing its data (Job restore-hang/${jobName} was not seen ended within 5 s: the Job is still active; pods: ${jobName}-`;
        assert.ok(e.message.includes(left), e.message);
        assert.ok(e.message.includes(`Running); once its pod has ended (kubectl get pods --namespace restore-hang --selector batch.kubernetes.io/job-name=${jobName}), scale it back: ${scaleBack}`), e.message);
        assert.deepEqual(first.history, [1, 0], "scaled to 0 and left there");
        await sleep(1000);
        assert.equal((await apps.readNamespacedStatefulSet({ name: "redis-master", namespace: HANG_NS })).spec?.replicas, 0, "still at 0 after the step");
        assert.equal((await core.listNamespacedPod({ namespace: HANG_NS, labelSelector: `batch.kubernetes.io/job-name=${jobName}` })).items[0]?.status?.phase, "Running", "the Job's pod still runs");

        // The next run adopts the running Job; it is deleted while the step waits (as an
        // administrator would): once its pod is gone, Redis is scaled back.
        const second = replicaHistory(HANG_NS, () => runtime.update(e.id!, e.properties!, props as unknown as Record<string, unknown>));
        await sleep(1500);
        await batch.deleteNamespacedJob({ name: jobName, namespace: HANG_NS, propagationPolicy: "Foreground" });
        const { error, history } = await second;
        assert.ok(error, "the step still fails: its Job did not complete");
        show((error as Error).message);
        assert.match((error as Error).message, /step 2\/2 "redis" failed: /);
        assert.ok((error as Error).message.includes(`; StatefulSet redis-master scaled back to 1 replicas once Job ${jobName} had ended`), (error as Error).message);
        assert.equal(history[0], 0, "still at 0 when the second run started");
        assert.equal((await apps.readNamespacedStatefulSet({ name: "redis-master", namespace: HANG_NS })).spec?.replicas, 1, "scaled back");
    });

    it("resumes after a fix: completed steps are skipped, their Jobs not run again", async () => {
        const ns = "restore-resume";
        await gitguardianNamespace(ns, { replicas: 1 });
        const kots = makeFakeKots({ appSlug: APP_SLUG, namespace: ns });
        kots.fail("Error: failed to upload: failed to get kotsadm pod: timed out waiting for kotsadm", 1, "upload");
        const log = recorder();
        const runtime = makeRuntime({ log });
        const props = inputs("restore-resume", ns, { kotsBin: kots.bin });
        let failure: Error & { id?: string; properties?: Record<string, any> };
        try {
            await runtime.create(props as unknown as Record<string, unknown>);
            assert.fail("create should fail at kots-upload");
        } catch (e) {
            failure = e as typeof failure;
        }
        assert.match(failure!.message, /step 6\/6 "kots-upload" failed: kots upload failed \(exit 1\): Error: failed to upload: failed to get kotsadm pod/);
        assert.match(failure!.message, /Steps completed before it: plan \(done[\s\S]*kots-secrets \(done[\s\S]*kots-install \(done[\s\S]*postgres \(done[\s\S]*redis \(done/);
        assert.deepEqual(Object.keys(failure!.properties!.restored).sort(), ["postgres", "redis"]);
        const spec = resolveRestore(props);
        const uid = async (c: Component) => (await batch.readNamespacedJob({ name: restoreJobName(spec, c, sets.ids[c]!, failure!.properties!.runId), namespace: ns })).metadata?.uid;
        const before = [await uid(Component.Postgres), await uid(Component.Redis)];

        kots.succeed();
        kots.reset();
        const { result, error, history } = await replicaHistory(ns, () => runtime.update(failure!.id!, failure!.properties!, props as unknown as Record<string, unknown>));
        if (error) throw error;
        const outs = result!.outs as Record<string, any>;
        assert.deepEqual(outs.steps.map((s: any) => `${s.name}:${s.status}`), ["plan:done", "kots-secrets:skipped", "kots-install:skipped", "postgres:skipped", "redis:skipped", "kots-upload:done"]);
        assert.equal(outs.runId, failure!.properties!.runId, "the same run, resumed");
        assert.deepEqual([await uid(Component.Postgres), await uid(Component.Redis)], before, "the Jobs were not run again");
        assert.deepEqual(history, [1], "Redis not touched again");
        assert.deepEqual(kots.calls().map((c) => c.argv[0]), ["upload"], "kots install not run again");
        assert.match(log.text(), /resuming run \S+ .*done before: plan, kots-secrets, kots-install, postgres, redis/);
        assert.match(log.text(), /step 4\/6 "postgres": skipped/);

        // Restore again (a changed trigger replaces the resource: a new run), well within the
        // Jobs' TTL: the Jobs run again instead of the earlier run's succeeded ones being adopted.
        // The targets hold the first restore now: the new run overwrites them, named for the sets.
        const overwrite = { ...props, postgres: { ...props.postgres!, overwrite: sets.ids.postgres }, redis: { ...props.redis!, overwrite: sets.ids.redis }, triggers: { again: "1" } };
        const again = (await runtime.create(overwrite as unknown as Record<string, unknown>)).outs as Record<string, any>;
        assert.notEqual(again.runId, outs.runId, "a new run");
        for (const c of [Component.Postgres, Component.Redis]) {
            const step = again.steps.find((s: any) => s.name === c);
            assert.equal(step.status, "done");
            assert.doesNotMatch(step.detail, /had succeeded before/, `${c}: its Job ran again`);
            const job = await batch.readNamespacedJob({ name: restoreJobName(spec, c, sets.ids[c]!, again.runId), namespace: ns });
            assert.ok(!before.includes(job.metadata!.uid), `${c}: a new Job`);
        }
    });

    it("IRSA: without a credentials Secret the Jobs run as the storage's ServiceAccount, and the API server runs them so", async () => {
        const ns = "restore-irsa";
        await gitguardianNamespace(ns, { redis: false });
        await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: "gitguardian-backup" } } });
        const props = inputs("restore-irsa", ns, { components: [Component.Postgres] });
        const storage = { ...(props.storage as object), credentialsSecret: undefined, serviceAccountName: "gitguardian-backup" };
        const irsa = { ...props, storage } as unknown as Record<string, unknown>;
        // The provider reads the bucket through the AWS chain in IRSA mode; here the test hands it MinIO's keys.
        const runtime = makeRuntime({ log: recorder(), store: async (spec) => s3Store(spec.storage, { accessKeyId: minio.accessKey, secretAccessKey: minio.secretKey }) });
        const outs = (await runtime.create(irsa)).outs as Record<string, any>;
        const job = await batch.readNamespacedJob({ name: restoreJobName(resolveRestore(irsa as unknown as RestoreInputs), Component.Postgres, sets.ids.postgres!, outs.runId), namespace: ns });
        assert.equal(job.spec!.template.spec!.serviceAccountName, "gitguardian-backup");
        const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: `job-name=${job.metadata!.name}` });
        assert.ok(pods.items.length > 0 && pods.items.every((p) => p.spec!.serviceAccountName === "gitguardian-backup"), "its pods run as that ServiceAccount");
        assert.ok(!(job.spec!.template.spec!.initContainers![0].env ?? []).some((e) => e.name.startsWith("AWS_ACCESS_KEY")), "no static key");
    });

    it("refuses clearly without the documented permissions", async () => {
        const ns = "restore-rbac";
        await gitguardianNamespace(ns, { replicas: 1 });
        // A user bound to nothing: the first call is refused, and the error says which and why.
        const none = makeRuntime({ log: recorder() });
        await assert.rejects(
            none.create(inputs("restore-rbac", ns, { components: [Component.Postgres], kubeconfig: kube.kubeconfigFor(kube.restrictedToken, "restricted") }) as unknown as Record<string, unknown>),
            /GitGuardianRestore "restore-rbac": reading ConfigMap restore-rbac\/gitguardian-restore-progress: HTTP 403 Forbidden: configmaps "gitguardian-restore-progress" is forbidden: User "restricted" cannot get resource "configmaps"/,
        );
        // Without the scale rule, the plan step refuses before anything changes, naming what is
        // missing (the API server's own SelfSubjectAccessReview); Redis is not scaled.
        const rules = restoreRoleRules({ credentialsSecret: "backup-s3" }).filter((r) => !r.resources.includes("statefulsets/scale") && !r.resources.includes("cronjobs"));
        const limited = await kube.tokenForRole(ns, rules);
        const runtime = makeRuntime({ log: recorder() });
        const { error, history } = await replicaHistory(ns, () => runtime.create(inputs("restore-rbac-2", ns, { components: [Component.Redis], kubeconfig: limited.kubeconfig }) as unknown as Record<string, unknown>));
        assert.match(
            String(error),
            /step 1\/2 "plan" failed: the identity running the restore lacks 3 permissions its steps need: patch statefulsets\/scale\.apps in restore-rbac, list cronjobs\.batch in restore-rbac, patch cronjobs\.batch in restore-rbac; nothing was changed/,
        );
        assert.deepEqual(history, [1]);
        // Given back, the run passes the plan step (kots install's cluster RBAC is asked only with kots.install).
        const enough = await kube.tokenForRole(ns, restoreRoleRules({ credentialsSecret: "backup-s3" }));
        const kotsOnly = inputs("restore-rbac-3", ns, { components: [Component.Kots], kubeconfig: enough.kubeconfig, kotsBin: makeFakeKots({ appSlug: APP_SLUG, namespace: ns }).bin });
        assert.match(String(await runtime.create(kotsOnly as unknown as Record<string, unknown>).catch((e) => e)), /step 1\/4 "plan" failed: kots\.install runs `kots install`, which creates the admin console's cluster RBAC, and the identity running the restore may not create clusterroles\.rbac\.authorization\.k8s\.io \(cluster-wide\), create clusterrolebindings\.rbac\.authorization\.k8s\.io \(cluster-wide\); nothing was changed/);
    });

    it("every Kubernetes object GitGuardianBackupPolicy declares is accepted by the API server (server-side apply)", async () => {
        const objects = k8s.KubernetesObjectApi.makeApiClient(admin);
        await kube.createNamespace("gitguardian-policy").catch(() => undefined);
        const variants = [
            { label: "existing MinIO bucket", args: { ...minioArgs(), namespace: "gitguardian-policy" } },
            { label: "created bucket, IAM user", args: { ...awsArgs({ createIamUser: true }), namespace: "gitguardian-policy" } },
        ];
        const kinds: string[] = [];
        for (const v of variants) {
            const { resources } = await runUnderMocks(() => new GitGuardianBackupPolicy("gg", v.args));
            const k8sResources = resources.filter((r) => r.type.startsWith("kubernetes:"));
            assert.ok(k8sResources.length >= 5, `${v.label}: ${resources.map((r) => r.type).join(", ")}`);
            for (const r of k8sResources) {
                const [, groupVersion, kind] = /^kubernetes:([^:]+):(.+)$/.exec(r.type)!;
                const apiVersion = groupVersion.startsWith("core/") ? groupVersion.slice(5) : groupVersion;
                const obj = { ...unwrapSecrets(r.inputs), apiVersion, kind };
                for (const dryRun of ["All", undefined]) {
                    await objects.patch(obj, undefined, dryRun, "ggb-policy-test", true, k8s.PatchStrategy.ServerSideApply).catch((e) => {
                        throw new Error(`${v.label}: ${kind} ${obj.metadata?.name} refused by the API server (dryRun=${dryRun ?? "none"}): ${e.code ?? ""} ${JSON.stringify(e.body ?? e.message)}`);
                    });
                }
                kinds.push(kind);
            }
        }
        for (const k of ["ServiceAccount", "Role", "RoleBinding", "ConfigMap", "CronJob", "Secret"]) assert.ok(kinds.includes(k), `${k} applied (${kinds.join(", ")})`);
        const cron = await batch.readNamespacedCronJob({ name: "gg-backup-postgres", namespace: "gitguardian-policy" });
        assert.equal(cron.spec?.schedule, "0 2 * * *");
    });

    it("the serialized provider loads and runs in a fresh Node process (execa, @kubernetes/client-node, AWS SDK)", async () => {
        const ns = "restore-serialized";
        await gitguardianNamespace(ns, { redis: false });
        const kots = makeFakeKots({ appSlug: APP_SLUG, namespace: ns });
        const props = inputs("restore-serialized", ns, { kotsBin: kots.bin, components: [Component.Kots] });
        // A program folder elsewhere, with the package in node_modules, as a Pulumi project has it.
        const program = fs.mkdtempSync(path.join(os.tmpdir(), "ggb-program-"));
        fs.mkdirSync(path.join(program, "node_modules"));
        fs.symlinkSync(REPO_ROOT, path.join(program, "node_modules", "pulumi-gitguardian-backup"));
        const write = async (file: string, provider: pulumi.dynamic.ResourceProvider) => {
            const sf = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
            assert.ok(sf.text.length < 8_000, `the serialized provider is small (${sf.text.length} characters)`);
            fs.writeFileSync(path.join(program, file), sf.text);
        };
        await write("provider.js", restoreProvider());
        await write("provider-by-package.js", restoreProvider("/nonexistent/dist/provider/runtime.js"));
        fs.writeFileSync(path.join(program, "inputs.json"), JSON.stringify(props));
        // What @pulumi/pulumi's dynamic-provider host does: requireFromString(text).handler().
        const requireFromString = require.resolve("require-from-string", { paths: [path.dirname(require.resolve("@pulumi/pulumi"))] });
        fs.writeFileSync(
            path.join(program, "host.js"),
            `const fs = require("node:fs");
const requireFromString = require(${JSON.stringify(requireFromString)});
(async () => {
    const inputs = JSON.parse(fs.readFileSync("inputs.json", "utf8"));
    const byPackage = requireFromString(fs.readFileSync("provider-by-package.js", "utf8")).handler();
    const checked = await byPackage.check({}, inputs);
    const diff = await byPackage.diff("id", { ...inputs, status: "complete", backupId: "latest" }, { ...inputs, backupId: "20261127T020000Z" });
    const provider = requireFromString(fs.readFileSync("provider.js", "utf8")).handler();
    const created = await provider.create(inputs);
    process.stdout.write(JSON.stringify({ failures: checked.failures ?? [], replaces: diff.replaces, id: created.id, outs: created.outs }));
})().catch((e) => { console.error("FAILED: " + (e && e.stack || e)); process.exit(1); });
`,
        );
        const r = await execa(process.execPath, ["host.js"], { cwd: program, env: { PATH: process.env.PATH, HOME: program }, extendEnv: false, reject: false, timeout: 120_000 });
        assert.equal(r.exitCode, 0, `fresh process failed:\n${r.stderr}\n${r.stdout.slice(0, 2000)}`);
        const out = JSON.parse(r.stdout.slice(r.stdout.indexOf('{"failures"')));
        assert.deepEqual(out.failures, []);
        assert.deepEqual(out.replaces, ["backupId"]);
        assert.equal(out.outs.status, "complete");
        assert.deepEqual(out.outs.steps.map((s: any) => s.name), ["plan", "kots-secrets", "kots-install", "kots-upload"]);
        assert.equal(out.outs.restored.kots.backupId, sets.ids.kots);
        assert.deepEqual(kots.calls().map((c) => c.argv[0]), ["install", "upload"]);
        assert.match(r.stdout, /info: \[runtime\] GitGuardianRestore "restore-serialized": step 1\/4 "plan"/, "progress through pulumi.log");
        assert.match(r.stdout, new RegExp(`GitGuardianRestore "restore-serialized": plan: kots ${sets.ids.kots} \\(2 artifacts, \\d+ bytes\\); started within 0\\.0 h \\(setWindowHours 12\\); steps: plan → kots-secrets → kots-install → kots-upload`), "check (preview) shows the plan");
        assertNoSecrets(r.stdout, [TEST_SHARED_PASSWORD, minio.secretKey, kube.adminToken], "the fresh process's output");
        fs.rmSync(program, { recursive: true, force: true });
    });
});

/** GGB_SHOW_MESSAGES=1 prints the messages the administrator would read. */
function show(message: string): void {
    if (process.env.GGB_SHOW_MESSAGES) console.log(`      | ${message}`);
}

/** Pulumi secret envelopes (as mocks record them) replaced by their values. */
function unwrapSecrets(value: any): any {
    if (Array.isArray(value)) return value.map(unwrapSecrets);
    if (value && typeof value === "object") {
        if (value["4dabf18193072939515e22adb298388d"] === "1b47061264138c4ac30d75fd1eb44270") return unwrapSecrets(value.value);
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
    }
    return value;
}
