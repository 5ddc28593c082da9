/**
 * `pulumi up` for real: the Pulumi CLI and Kubernetes provider built from their Go modules,
 * a real kube-apiserver, inline programs through the Automation API. Proves what mocks cannot:
 * the API server accepts every object as declared, a second up changes nothing, updates happen
 * in place, a disabled component's CronJob goes, destroy leaves nothing, and the CronJobs as
 * Kubernetes stored them run the scripts to a restorable set.
 */
import * as k8s from "@kubernetes/client-node";
import { PART_SCRIPT } from "../../sources";
import * as kubernetes from "@pulumi/kubernetes";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { GitGuardianBackupPolicyArgs } from "../../backup/args";
import { GitGuardianBackupPolicy } from "../../backup/backupPolicy";
import { listSets, readManifest } from "../../core/catalog";
import { s3Store } from "../../core/objectStore";
import { SCRIPT } from "../../core/contract";
import { scriptBundle } from "../../sources/registry";
import { rootProgram } from "../../program/program";
import { execa } from "execa";
import * as fs from "node:fs";
import { makeFakeKots } from "../../harness/fakeKots";
import { kubectlDir } from "../../harness/tools";
import { KubeCluster, startKube } from "../../harness/kube";
import { MinioServer, startMinio } from "../../harness/minio";
import { apiServerSources } from "../../harness/podRunner";
import { runStoredCronJob } from "../../harness/storedPods";
import { PostgresServer, startPostgres } from "../../harness/postgres";
import { runJob } from "../../harness/jobRunner";
import { makeTempDir, removeTempDir } from "../../harness/proc";
import { Engine, startEngine } from "../../harness/pulumi";
import { RedisServer, startRedis } from "../../harness/redis";

const NS = "gitguardian";
const PART_OF = "app.kubernetes.io/part-of=pulumi-gitguardian-backup";

describe("pulumi up for real: GitGuardianBackupPolicy on a real API server", function () {
    this.timeout(900_000);
    let kube: KubeCluster;
    let engine: Engine;
    let pg: PostgresServer;
    let redis: RedisServer;
    let minio: MinioServer;
    let core: k8s.CoreV1Api;
    let batch: k8s.BatchV1Api;
    let rbac: k8s.RbacAuthorizationV1Api;

    const args = (over: Partial<GitGuardianBackupPolicyArgs> = {}): GitGuardianBackupPolicyArgs => ({
        namespace: NS,
        schedule: "0 2 * * *",
        retentionDays: 14,
        storage: { existingBucket: { name: minio.bucket, endpoint: minio.endpoint, region: "us-east-1", credentialsSecret: { name: "minio-backup-credentials" } } },
        postgres: { host: "127.0.0.1", port: pg.port, user: "postgres", passwordSecret: { name: "postgresql", key: "postgres-password" } },
        redis: { host: "127.0.0.1", port: redis.port, passwordSecret: { name: "redis", key: "redis-password" } },
        kots: { appSlug: "gitguardian", image: "kotsadm/kotsadm:v1.124.0" },
        ...over,
    });
    const program = (a: () => GitGuardianBackupPolicyArgs) => async () => {
        const provider = new kubernetes.Provider("kube", { kubeconfig: kube.kubeconfig });
        const backups = new GitGuardianBackupPolicy("gitguardian", a(), { providers: { kubernetes: provider } });
        return { bucketName: backups.bucketName, cronJobNames: backups.cronJobNames };
    };

    before(async function () {
        [kube, pg, redis, minio] = await Promise.all([startKube(), startPostgres(), startRedis(), startMinio({ bucket: "gitguardian-backups" })]);
        engine = startEngine();
        const kc = kube.admin();
        core = kc.makeApiClient(k8s.CoreV1Api);
        batch = kc.makeApiClient(k8s.BatchV1Api);
        rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
        await kube.createNamespace(NS);
        const secret = (name: string, data: { [k: string]: string }) => core.createNamespacedSecret({ namespace: NS, body: { metadata: { name }, stringData: data } });
        await secret("postgresql", { "postgres-password": pg.password });
        await secret("redis", { "redis-password": redis.password });
        await secret("minio-backup-credentials", { AWS_ACCESS_KEY_ID: minio.accessKey, AWS_SECRET_ACCESS_KEY: minio.secretKey });
    });
    after(async () => {
        engine?.stop();
        await Promise.all([kube?.stop(), pg?.destroy(), redis?.destroy(), minio?.destroy()]);
    });

    const cronJobs = async () => (await batch.listNamespacedCronJob({ namespace: NS, labelSelector: PART_OF })).items;

    /** The key Secrets kotsadm keeps, as the kots job exports them (created once). */
    const KEY_SECRETS = { "gim-secrets": { DJANGO_SECRET_KEY: "django-key ✓" }, "kotsadm-encryption": { encryptionKey: "kotsadm-key" } };
    const keySecrets = async () => {
        for (const [name, data] of Object.entries(KEY_SECRETS)) {
            await core.createNamespacedSecret({ namespace: NS, body: { metadata: { name }, stringData: data } }).catch((e: { code?: number }) => {
                if (e.code !== 409) throw e;
            });
        }
    };
    /** A CronJob's pod as stored, with kots a test double (kotsadm) and the real kubectl on PATH (the kotsadm image has one). */
    const runStoredPod = async (cronJob: string, kots: ReturnType<typeof makeFakeKots>) =>
        runStoredCronJob(kube, NS, cronJob, {
            binds: [
                { source: kots.bin, target: "/kots" },
                { source: kots.stateDir, target: kots.stateDir, writable: true },
            ],
            pathPrefix: [await kubectlDir()],
        });

    it("up creates every object as declared; a second up changes nothing", async () => {
        const stack = await engine.stack("gitguardian-backup", "real", program(() => args()));
        const up = await stack.up({ onOutput: () => undefined });
        assert.equal(up.summary.result, "succeeded");
        const jobs = await cronJobs();
        assert.deepEqual(jobs.map((j) => j.metadata!.name).sort(), ["gitguardian-backup-kots", "gitguardian-backup-postgres", "gitguardian-backup-redis"]);
        for (const j of jobs) {
            assert.equal(j.spec!.schedule, "0 2 * * *");
            assert.equal(j.spec!.concurrencyPolicy, "Forbid");
            assert.equal(j.spec!.timeZone, "Etc/UTC");
            const pod = j.spec!.jobTemplate.spec!.template.spec!;
            assert.equal(pod.securityContext!.seccompProfile!.type, "RuntimeDefault");
            // Dump and upload side by side (the streaming channel), no init container.
            assert.equal(pod.initContainers, undefined);
            assert.deepEqual(pod.containers.map((c) => c.name), [`dump-${j.metadata!.name!.split("-").pop()}`, "upload"]);
            for (const c of pod.containers) assert.equal(c.securityContext!.readOnlyRootFilesystem, true);
        }
        const cm = await core.readNamespacedConfigMap({ name: "gitguardian-backup-scripts", namespace: NS });
        assert.deepEqual(cm.data, scriptBundle());
        // Two job ServiceAccounts, neither handing out tokens; the Kubernetes rights are the kots job's own.
        for (const name of ["gitguardian-backup", "gitguardian-backup-kots"]) {
            assert.equal((await core.readNamespacedServiceAccount({ name, namespace: NS })).automountServiceAccountToken, false, name);
        }
        const role = await rbac.readNamespacedRole({ name: "gitguardian-backup-kots", namespace: NS });
        assert.deepEqual(role.rules!.map((r) => r.resources![0]), ["pods", "pods/portforward", "secrets"]);
        const binding = await rbac.readNamespacedRoleBinding({ name: "gitguardian-backup-kots", namespace: NS });
        assert.deepEqual(binding.subjects!.map((x) => ({ kind: x.kind, name: x.name, namespace: x.namespace })), [{ kind: "ServiceAccount", name: "gitguardian-backup-kots", namespace: NS }]);
        assert.deepEqual((await rbac.listNamespacedRoleBinding({ namespace: NS })).items.map((b) => b.metadata!.name), ["gitguardian-backup-kots"]);
        // Every child is parented to the component (URN chain in the engine's state).
        const state = await stack.exportStack();
        const component = state.deployment.resources.find((r: any) => r.type === "gitguardian-backup:index:GitGuardianBackupPolicy");
        for (const r of state.deployment.resources.filter((r: any) => r.type.startsWith("kubernetes:") && r.type !== "pulumi:providers:kubernetes")) {
            assert.equal(r.parent, component.urn, r.urn);
        }

        const again = await stack.up({ onOutput: () => undefined });
        assert.deepEqual(Object.keys(again.summary.resourceChanges ?? {}), ["same"]);
    });

    it("a new schedule updates the CronJob in place; disabling a component removes its CronJob", async () => {
        const stack = await engine.stack("gitguardian-backup", "real", program(() => args({ redis: { host: "127.0.0.1", port: redis.port, schedule: "0 */6 * * *", passwordSecret: { name: "redis", key: "redis-password" } } })));
        const before = (await batch.readNamespacedCronJob({ name: "gitguardian-backup-redis", namespace: NS })).metadata!.uid;
        const up = await stack.up({ onOutput: () => undefined });
        assert.equal(up.summary.resourceChanges?.update, 1);
        assert.equal(up.summary.resourceChanges?.replace, undefined);
        const after = await batch.readNamespacedCronJob({ name: "gitguardian-backup-redis", namespace: NS });
        assert.equal(after.spec!.schedule, "0 */6 * * *");
        assert.equal(after.metadata!.uid, before, "updated in place, not replaced");

        const disabled = await engine.stack("gitguardian-backup", "real", program(() => args({ kots: { image: "kotsadm/kotsadm:v1.124.0", enabled: false } })));
        await disabled.up({ onOutput: () => undefined });
        assert.deepEqual((await cronJobs()).map((j) => j.metadata!.name).sort(), ["gitguardian-backup-postgres", "gitguardian-backup-redis"]);
        // Without the kots job no ServiceAccount has a Role at all.
        await assert.rejects(rbac.readNamespacedRole({ name: "gitguardian-backup-kots", namespace: NS }));
        await assert.rejects(core.readNamespacedServiceAccount({ name: "gitguardian-backup-kots", namespace: NS }));
    });

    it("the CronJobs as Kubernetes stored them run the scripts to a set that restores", async () => {
        const stack = await engine.stack("gitguardian-backup", "real", program(() => args()));
        await stack.up({ onOutput: () => undefined });
        await pg.psql("CREATE TABLE IF NOT EXISTS incidents (id serial PRIMARY KEY, detector text); INSERT INTO incidents (detector) SELECT 'aws-' || g FROM generate_series(1, 500) g;");
        await redis.command("SET", "celery:heartbeat", "42");
        await keySecrets();
        const kots = makeFakeKots({ appSlug: "gitguardian", namespace: NS });
        for (const j of await cronJobs()) {
            const runs = await runStoredPod(j.metadata!.name!, kots);
            for (const r of runs) assert.equal(r.exitCode, 0, `${j.metadata!.name}/${r.name}: ${r.stderr}`);
            assert.deepEqual(runs.map((r) => r.name), [`dump-${j.metadata!.name!.split("-").pop()}`, "upload"], "dump and upload side by side");
        }
        // (kots test double) the exact arguments the stored kots container passed.
        assert.deepEqual(kots.argvs().find((c) => c[0] === "download"), ["download", "gitguardian", "--namespace", NS, "--current", "--dest", "/staging/.kots/app", "--overwrite"]);

        const store = s3Store({ bucket: minio.bucket, region: "us-east-1", endpoint: minio.endpoint }, { accessKeyId: minio.accessKey, secretAccessKey: minio.secretKey });
        {
            // The artifacts of each component's set under args()'s settings: postgres in the
            // default sql format (one pg_dumpall stream, and its inventory for the drills),
            // compression the default gzip, kots as the app download and the exported Secrets
            // (the parts' dump scripts name them so).
            const expected: Record<string, string[][]> = {
                postgres: [["dumpall.sql.gz", "gzip"], ["inventory.tsv", "none"]],
                redis: [["dump.rdb.gz", "gzip"]],
                kots: [["kots-app.tar.gz", "gzip"], ["kots-secrets.tar.gz", "gzip"]],
            };
            for (const component of ["postgres", "redis", "kots"] as const) {
                const sets = await listSets(store, "gitguardian", component);
                assert.equal(sets.filter((s) => s.complete).length, 1, component);
                const manifest = await readManifest(store, "gitguardian", component, sets[0].backupId);
                assert.deepEqual(manifest.artifacts.map((a) => [a.name, a.compression]), expected[component], component);
            }
            // The key Secrets in the kots set are the API server's, as the real kubectl printed them.
            const secretsKey = (await listSets(store, "gitguardian", "kots"))[0].keys.find((k) => k.endsWith("/kots-secrets.tar.gz"))!;
            const unpacked = makeTempDir("kots-secrets");
            try {
                fs.writeFileSync(path.join(unpacked, "secrets.tar.gz"), await minio.get(secretsKey));
                await execa("tar", ["-xzf", "secrets.tar.gz"], { cwd: unpacked });
                for (const [name, data] of Object.entries(KEY_SECRETS)) {
                    const yaml = fs.readFileSync(path.join(unpacked, `${name}.yaml`), "utf8");
                    assert.match(yaml, /^kind: Secret$/m, name);
                    assert.match(yaml, new RegExp(`^  name: ${name}$`, "m"));
                    for (const [k, v] of Object.entries(data)) assert.match(yaml, new RegExp(`^  ${k}: ${Buffer.from(v).toString("base64")}$`, "m"), `${name}.${k}`);
                }
            } finally {
                removeTempDir(unpacked);
            }
            // Restore the postgres set into a fresh server with the restore scripts.
            const pgSet = (await listSets(store, "gitguardian", "postgres"))[0];
            const target = await startPostgres({ password: pg.password });
            const staging = makeTempDir("engine-restore");
            try {
                const env = { ...minio.env(), GGB_S3_PREFIX: "gitguardian", GGB_COMPONENT: "postgres", GGB_STAGING_DIR: staging, GGB_BACKUP_ID: pgSet.backupId };
                const fetched = await runJob(SCRIPT.fetch, { shell: "bash", env });
                assert.equal(fetched.exitCode, 0, fetched.stderr);
                const applied = await runJob(PART_SCRIPT.restorePostgres, { shell: "busybox", env: { ...target.env(), GGB_STAGING_DIR: staging } });
                assert.equal(applied.exitCode, 0, applied.stderr);
                assert.equal((await target.psql("SELECT count(*) FROM incidents")).trim(), "500");
            } finally {
                removeTempDir(staging);
                await target.destroy();
            }
        }
    });

    it("the kots job's token: only in its dump container, exports the key Secrets under the declared Role, refused without it", async () => {
        const stack = await engine.stack("gitguardian-backup", "real", program(() => args()));
        await stack.up({ onOutput: () => undefined });
        await keySecrets();
        const stored = (await batch.readNamespacedCronJob({ name: "gitguardian-backup-kots", namespace: NS })).spec!.jobTemplate.spec!.template.spec!;
        assert.equal(stored.serviceAccountName, "gitguardian-backup-kots");
        assert.equal(stored.automountServiceAccountToken, false, "no pod-wide token");
        const holders = stored.containers.filter((c) => c.volumeMounts?.some((m) => m.mountPath === "/var/run/secrets/kubernetes.io/serviceaccount")).map((c) => c.name);
        assert.deepEqual(holders, ["dump-kots"], "the upload container holds no token");

        // What the token of each job ServiceAccount may do, asked with the real kubectl.
        const kubectl = path.join(await kubectlDir(), "kubectl");
        const asAccount = async (account: string, ...argv: string[]) => {
            // The token the kubelet would project for a pod of that account (the pod runner's TokenRequest).
            const token = await apiServerSources(core).serviceAccountToken!(NS, account, undefined, 600);
            const dir = makeTempDir("kubeconfig");
            try {
                fs.writeFileSync(path.join(dir, "config"), kube.kubeconfigFor(token, account), { mode: 0o600 });
                const r = await execa(kubectl, ["--kubeconfig", path.join(dir, "config"), "--namespace", NS, "--request-timeout=30s", ...argv], { reject: false });
                return { exitCode: r.exitCode, stderr: r.stderr };
            } finally {
                removeTempDir(dir);
            }
        };
        assert.equal((await asAccount("gitguardian-backup-kots", "get", "secret", "gim-secrets", "-o", "name")).exitCode, 0);
        for (const [account, argv] of [
            ["gitguardian-backup-kots", ["get", "secret", "postgresql"]],
            ["gitguardian-backup-kots", ["get", "secrets"]],
            ["gitguardian-backup-kots", ["get", "configmaps"]],
            ["gitguardian-backup", ["get", "secret", "gim-secrets"]],
            ["gitguardian-backup", ["get", "pods"]],
        ] as const) {
            const r = await asAccount(account, ...argv);
            assert.notEqual(r.exitCode, 0, `${account}: kubectl ${argv.join(" ")} must be refused`);
            assert.match(r.stderr, /Forbidden/, `${account}: kubectl ${argv.join(" ")}`);
        }

        // Without the Role's binding, the stored kots pod's export is refused by the API server.
        await rbac.deleteNamespacedRoleBinding({ name: "gitguardian-backup-kots", namespace: NS });
        try {
            const runs = await runStoredPod("gitguardian-backup-kots", makeFakeKots({ appSlug: "gitguardian", namespace: NS }));
            const dump = runs.find((r) => r.name === "dump-kots")!;
            assert.notEqual(dump.exitCode, 0);
            assert.match(dump.stderr, /cannot export Secret 'gim-secrets': Error from server \(Forbidden\): secrets "gim-secrets" is forbidden: User "system:serviceaccount:gitguardian:gitguardian-backup-kots" cannot get resource "secrets"/);
        } finally {
            // The next up puts the binding back (the provider sees it gone on refresh).
            await stack.refresh({ onOutput: () => undefined });
            await stack.up({ onOutput: () => undefined });
        }
        await rbac.readNamespacedRoleBinding({ name: "gitguardian-backup-kots", namespace: NS });
    });

    it("destroy leaves nothing of the package behind", async () => {
        const stack = await engine.stack("gitguardian-backup", "real", program(() => args()));
        await stack.destroy({ onOutput: () => undefined });
        assert.deepEqual(await cronJobs(), []);
        const left = (await core.listNamespacedConfigMap({ namespace: NS, labelSelector: PART_OF })).items;
        assert.deepEqual(left, []);
        assert.deepEqual((await core.listNamespacedServiceAccount({ namespace: NS, labelSelector: PART_OF })).items, []);
        await stack.workspace.removeStack("real");
    });

    it("the root Pulumi.yaml program runs from stack config through the same path", async () => {
        const stack = await engine.stack("gitguardian-backup", "root", async () => rootProgram());
        await stack.setAllConfig({
            // What a user's stack has: the default Kubernetes provider's kubeconfig, as a secret.
            "kubernetes:kubeconfig": { value: kube.kubeconfig, secret: true },
            "gitguardian-backup:schedule": { value: "30 1 * * *" },
            "gitguardian-backup:retentionDays": { value: "7" },
            "gitguardian-backup:storage": { value: JSON.stringify({ existingBucket: { name: minio.bucket, endpoint: minio.endpoint } }) },
            "gitguardian-backup:postgres": { value: JSON.stringify({ host: "127.0.0.1", port: pg.port, passwordSecret: { name: "postgresql", key: "postgres-password" } }) },
        });
        const up = await stack.up({ onOutput: () => undefined });
        assert.equal(up.outputs.bucketName.value, minio.bucket);
        assert.deepEqual((await cronJobs()).map((j) => [j.metadata!.name, j.spec!.schedule]), [["gitguardian-backup-postgres", "30 1 * * *"]]);
        await stack.destroy({ onOutput: () => undefined });
        assert.deepEqual(await cronJobs(), []);
    });
});
