/** The resource graph of GitGuardianBackupPolicy under Pulumi mocks, per storage and credentials mode. */
import * as assert from "node:assert/strict";
import { GitGuardianBackupPolicy } from "../../backup/backupPolicy";
import { GitGuardianBackupPolicyArgs } from "../../backup/args";
import { contractEnv } from "../../sources/registry";
import { byType, oneOfType, RecordedResource, runUnderMocks, valueOf } from "../../harness/mocks";
import { awsArgs, minioArgs } from "./fixtures";

const T = {
    component: "gitguardian-backup:index:GitGuardianBackupPolicy",
    cronJob: "kubernetes:batch/v1:CronJob",
    sa: "kubernetes:core/v1:ServiceAccount",
    role: "kubernetes:rbac.authorization.k8s.io/v1:Role",
    binding: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
    configMap: "kubernetes:core/v1:ConfigMap",
    secret: "kubernetes:core/v1:Secret",
    bucket: "aws:s3/bucket:Bucket",
    versioning: "aws:s3/bucketVersioning:BucketVersioning",
    encryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    publicAccess: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    policy: "aws:s3/bucketPolicy:BucketPolicy",
    lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    objectLock: "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    role_: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    user: "aws:iam/user:User",
    userPolicy: "aws:iam/userPolicy:UserPolicy",
    accessKey: "aws:iam/accessKey:AccessKey",
};

async function build(args: GitGuardianBackupPolicyArgs) {
    const { resources, result } = await runUnderMocks(() => new GitGuardianBackupPolicy("gitguardian", args));
    return { resources, policy: result };
}

const types = (rs: RecordedResource[]) => rs.map((r) => r.type).sort();
const pod = (cj: RecordedResource) => cj.inputs.spec.jobTemplate.spec.template.spec;
const envOf = (container: any) => Object.fromEntries(container.env.map((e: any) => [e.name, e]));
/** The env of a CronJob's container, found by name ("upload", "dump-<component>"): it must exist. */
const envOfContainer = (cj: RecordedResource, name: string) => {
    const c = pod(cj).containers.find((x: any) => x.name === name);
    assert.ok(c, `${cj.name} has no container ${name}`);
    return envOf(c);
};

/** The parts' backup CronJobs (a created bucket also gets the retention job, tested on its own). */
const backupCronJobs = (resources: RecordedResource[]) => byType(resources, T.cronJob).filter((r) => !r.name.endsWith("-backup-prune"));

describe("GitGuardianBackupPolicy resource graph (mocks)", function () {
    this.timeout(20_000);

    it("existingBucket with a credentials Secret: Kubernetes objects only, no AWS resource", async () => {
        const { resources } = await build(minioArgs());
        assert.deepEqual(types(resources), [T.component, T.configMap, T.cronJob, T.cronJob, T.cronJob, T.role, T.binding, T.sa, T.sa].sort());
        for (const cj of backupCronJobs(resources)) {
            const upload = envOfContainer(cj, "upload");
            assert.equal(upload.GGB_S3_ENDPOINT.value, "http://minio.storage.svc:9000");
            assert.deepEqual(upload.AWS_ACCESS_KEY_ID.valueFrom, { secretKeyRef: { name: "minio-backup-credentials", key: "AWS_ACCESS_KEY_ID" } });
            assert.deepEqual(upload.AWS_SECRET_ACCESS_KEY.valueFrom, { secretKeyRef: { name: "minio-backup-credentials", key: "AWS_SECRET_ACCESS_KEY" } });
        }
    });

    it("createBucket with generated IAM users: secure bucket, a write-only backup user and a read-only restore user, keys in Secrets as Pulumi secrets", async () => {
        const { resources, policy: component } = await build(awsArgs());
        for (const t of [T.bucket, T.versioning, T.encryption, T.publicAccess, T.policy, T.lifecycle]) {
            assert.equal(byType(resources, t).length, 1, t);
        }
        // Three identities: the backup jobs', the restore's and the retention job's.
        for (const t of [T.user, T.userPolicy, T.accessKey, T.secret]) assert.equal(byType(resources, t).length, 3, t);
        assert.equal(byType(resources, T.objectLock).length, 0);
        assert.equal(byType(resources, T.role_).length, 0);
        const versioning = oneOfType(resources, T.versioning).inputs;
        assert.equal(versioning.versioningConfiguration.status, "Enabled");
        const sse = oneOfType(resources, T.encryption).inputs.rules[0].applyServerSideEncryptionByDefault;
        assert.equal(sse.sseAlgorithm, "AES256");
        const pab = oneOfType(resources, T.publicAccess).inputs;
        for (const k of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]) assert.equal(pab[k], true, k);
        const policy = JSON.parse(oneOfType(resources, T.policy).inputs.policy);
        assert.deepEqual(policy.Statement[0].Condition, { Bool: { "aws:SecureTransport": "false" } });
        assert.equal(policy.Statement[0].Effect, "Deny");
        const rule = oneOfType(resources, T.lifecycle).inputs.rules[0];
        // Age never expires a current set (the last good one could go): the retention job deletes sets.
        assert.deepEqual(rule.expiration, { expiredObjectDeleteMarker: true });
        assert.equal(rule.noncurrentVersionExpiration.noncurrentDays, 30);
        assert.equal(rule.filter.prefix, "gitguardian/");
        const userPolicy = (name: string) => JSON.parse(byType(resources, T.userPolicy).find((r) => r.name === name)!.inputs.policy);
        const actions = (doc: any) => doc.Statement.flatMap((s: any) => s.Action).sort();
        const backupPolicy = userPolicy("gitguardian-backup-jobs");
        assert.deepEqual(actions(backupPolicy), ["s3:AbortMultipartUpload", "s3:PutObject"], "the backup jobs can write, not read, list or delete");
        assert.deepEqual(backupPolicy.Statement[0].Resource, ["arn:aws:s3:::gitguardian-backups-abc123/gitguardian/*"]);
        const restorePolicy = userPolicy("gitguardian-restore");
        assert.deepEqual(actions(restorePolicy), ["s3:GetObject", "s3:ListBucket"], "the restore can read, not write or delete");
        assert.deepEqual(restorePolicy.Statement[0].Condition, { StringLike: { "s3:prefix": ["gitguardian/*", "gitguardian/"] } });
        for (const doc of [backupPolicy, restorePolicy]) assert.ok(!JSON.stringify(doc).includes("s3:DeleteObject"));
        const prunePolicy = userPolicy("gitguardian-prune");
        assert.deepEqual(actions(prunePolicy), ["s3:DeleteObject", "s3:ListBucket"], "the retention job can list and delete, not read or write");
        assert.deepEqual(prunePolicy.Statement[1].Resource, ["arn:aws:s3:::gitguardian-backups-abc123/gitguardian/*"]);
        assert.deepEqual(
            byType(resources, T.secret).map((r) => r.inputs.metadata.name).sort(),
            ["gitguardian-backup-s3", "gitguardian-prune-s3", "gitguardian-restore-s3"],
        );
        // The retention job: its own key, the rule as env, no token, the policy's schedule.
        const prune = byType(resources, T.cronJob).find((r) => r.name === "gitguardian-backup-prune")!.inputs;
        const prunePod = prune.spec.jobTemplate.spec.template.spec;
        assert.equal(prunePod.serviceAccountName, "gitguardian-prune");
        assert.equal(prunePod.automountServiceAccountToken, false);
        assert.equal(prune.metadata.labels["app.kubernetes.io/name"], "gitguardian-backup", "a restore suspends it with the backups");
        const pruneEnv = envOf(prunePod.containers[0]);
        assert.equal(pruneEnv.GGB_RETENTION_DAYS.value, "30");
        assert.equal(pruneEnv.GGB_KEEP_LAST.value, "3");
        assert.equal(pruneEnv.GGB_PARTS.value, "postgres,redis,kots");
        assert.deepEqual(pruneEnv.AWS_SECRET_ACCESS_KEY.valueFrom, { secretKeyRef: { name: "gitguardian-prune-s3", key: "AWS_SECRET_ACCESS_KEY" } });
        // A restore reads with the read-only key.
        assert.deepEqual((await valueOf(component.storage)).credentialsSecret, { name: "gitguardian-restore-s3", accessKeyIdKey: "AWS_ACCESS_KEY_ID", secretAccessKeyKey: "AWS_SECRET_ACCESS_KEY" });
        const secret = byType(resources, T.secret).find((r) => r.inputs.metadata.name === "gitguardian-backup-s3")!.inputs;
        assert.equal(secret.metadata.name, "gitguardian-backup-s3");
        // The key reaches the provider as a Pulumi secret (the wire's secret sentinel), never as a plain value.
        assert.equal(secret.stringData["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270");
        assert.deepEqual(Object.keys(secret.stringData.value).sort(), ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]);
        for (const cj of backupCronJobs(resources)) {
            const upload = envOfContainer(cj, "upload");
            assert.deepEqual(upload.AWS_SECRET_ACCESS_KEY.valueFrom, { secretKeyRef: { name: "gitguardian-backup-s3", key: "AWS_SECRET_ACCESS_KEY" } });
            assert.equal(upload.GGB_S3_BUCKET.value, "gitguardian-backups-abc123");
            assert.equal(upload.GGB_S3_ENDPOINT, undefined);
            assert.equal(upload.AWS_DEFAULT_REGION.value, "eu-west-1");
            // The part size of the streamed upload (test/jobs/multipart.test.ts: it reaches the aws CLI).
            assert.equal(upload.GGB_S3_PART_SIZE_MIB.value, "128");
        }
    });

    it("createBucket: the bucket and its security settings survive pulumi destroy unless forceDestroy", async () => {
        const retained = async (forceDestroy: boolean | undefined) => {
            const seen: Record<string, boolean | undefined> = {};
            await runUnderMocks(
                () =>
                    new GitGuardianBackupPolicy("gitguardian", minioArgs({ storage: { createBucket: { region: "eu-west-1", forceDestroy } } }), {
                        transformations: [(a) => ((seen[a.type] = a.opts.retainOnDelete), undefined)],
                    }),
            );
            return seen;
        };
        const kept = await retained(undefined);
        for (const t of [T.bucket, T.versioning, T.encryption, T.publicAccess, T.policy, T.lifecycle]) assert.equal(kept[t], true, `${t} retained on delete`);
        const forced = await retained(true);
        for (const t of [T.bucket, T.publicAccess, T.policy]) assert.equal(forced[t], false, `${t} deleted with forceDestroy`);
    });

    it("createBucket with SSE-KMS and Object Lock", async () => {
        const kms = "arn:aws:kms:eu-west-1:123456789012:key/1234";
        const { resources } = await build(minioArgs({ storage: { createBucket: { region: "eu-west-1", kmsKeyArn: kms, objectLock: { mode: "COMPLIANCE", days: 14 } } } }));
        const sse = oneOfType(resources, T.encryption).inputs.rules[0];
        assert.deepEqual(sse.applyServerSideEncryptionByDefault, { sseAlgorithm: "aws:kms", kmsMasterKeyId: kms });
        assert.equal(sse.bucketKeyEnabled, true);
        assert.equal(oneOfType(resources, T.bucket).inputs.objectLockEnabled, true);
        assert.deepEqual(oneOfType(resources, T.objectLock).inputs.rule, { defaultRetention: { mode: "COMPLIANCE", days: 14 } });
        const policies = Object.fromEntries(byType(resources, T.userPolicy).map((r) => [r.name, JSON.parse(r.inputs.policy)]));
        // A multipart upload under SSE-KMS needs kms:Decrypt too; the restore only decrypts.
        assert.deepEqual(policies["gitguardian-backup-jobs"].Statement[1], { Sid: "UseBucketKey", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: [kms] });
        assert.deepEqual(policies["gitguardian-restore"].Statement[2], { Sid: "UseBucketKey", Effect: "Allow", Action: ["kms:Decrypt"], Resource: [kms] });
    });

    it("createBucket with IRSA: a role trusted by exactly the job ServiceAccounts, no static key", async () => {
        const { resources, policy } = await build(
            awsArgs({ irsa: { oidcProviderArn: "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC", oidcProviderUrl: "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC" } }),
        );
        assert.equal(byType(resources, T.user).length, 0);
        assert.equal(byType(resources, T.secret).length, 0);
        const trust = (role: string) => JSON.parse(byType(resources, T.role_).find((r) => r.name === role)!.inputs.assumeRolePolicy).Statement[0].Condition.StringEquals;
        // The shared job ServiceAccount and the kots job's own (its upload step writes too).
        assert.deepEqual(trust("gitguardian-backup-jobs"), {
            "oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub": ["system:serviceaccount:gitguardian:gitguardian-backup", "system:serviceaccount:gitguardian:gitguardian-backup-kots"],
            "oidc.eks.eu-west-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com",
        });
        // The restore's own read-only role, trusted by its own ServiceAccount.
        assert.equal(trust("gitguardian-restore")["oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub"], "system:serviceaccount:gitguardian:gitguardian-restore");
        const sa = (name: string) => byType(resources, T.sa).find((r) => r.inputs.metadata.name === name)!.inputs;
        assert.equal(sa("gitguardian-backup").metadata.annotations["eks.amazonaws.com/role-arn"], "arn:aws:iam::123456789012:role/gitguardian-backup-jobs");
        assert.equal(sa("gitguardian-backup-kots").metadata.annotations["eks.amazonaws.com/role-arn"], "arn:aws:iam::123456789012:role/gitguardian-backup-jobs");
        assert.equal(sa("gitguardian-restore").metadata.annotations["eks.amazonaws.com/role-arn"], "arn:aws:iam::123456789012:role/gitguardian-restore");
        assert.equal(await valueOf(policy.roleArn), "arn:aws:iam::123456789012:role/gitguardian-backup-jobs");
        for (const cj of backupCronJobs(resources)) {
            const upload = envOfContainer(cj, "upload");
            assert.equal(upload.AWS_ACCESS_KEY_ID, undefined);
            assert.equal(upload.AWS_SECRET_ACCESS_KEY, undefined);
        }
        // What a restore needs to reach the bucket the same way: the ServiceAccount of the role.
        const storage = await valueOf(policy.storage);
        assert.equal(storage.serviceAccountName, "gitguardian-restore");
        assert.equal(storage.credentialsSecret, undefined);
    });

    it("a drill gets an identity of its own: a generated key (read the sets, write under drills/), or its own IRSA role; no Kubernetes rights", async () => {
        const drill = { drill: { schedule: "0 5 * * *" } };
        const { resources } = await build(awsArgs({}, drill));
        // Four identities: the backup jobs', the restore's, the retention job's and the drill's.
        for (const t of [T.user, T.userPolicy, T.accessKey, T.secret]) assert.equal(byType(resources, t).length, 4, t);
        const doc = JSON.parse(byType(resources, T.userPolicy).find((r) => r.name === "gitguardian-drill")!.inputs.policy);
        assert.deepEqual(
            doc.Statement.map((s: any) => [s.Sid, s.Action, s.Resource]),
            [
                ["ListBackupPrefix", ["s3:ListBucket"], ["arn:aws:s3:::gitguardian-backups-abc123"]],
                ["ReadBackupSets", ["s3:GetObject"], ["arn:aws:s3:::gitguardian-backups-abc123/gitguardian/*"]],
                ["WriteDrillResults", ["s3:PutObject"], ["arn:aws:s3:::gitguardian-backups-abc123/gitguardian/drills/*"]],
            ],
        );
        const cj = byType(resources, T.cronJob).find((r) => r.name === "gitguardian-backup-drill")!;
        const p = pod(cj);
        assert.equal(p.serviceAccountName, "gitguardian-drill");
        for (const name of ["fetch"]) {
            const c = p.initContainers.find((x: any) => x.name === name);
            assert.deepEqual(envOf(c).AWS_ACCESS_KEY_ID.valueFrom, { secretKeyRef: { name: "gitguardian-drill-s3", key: "AWS_ACCESS_KEY_ID" } });
        }
        assert.deepEqual(envOf(p.containers[0]).AWS_SECRET_ACCESS_KEY.valueFrom, { secretKeyRef: { name: "gitguardian-drill-s3", key: "AWS_SECRET_ACCESS_KEY" } });
        // The part steps hold no bucket key at all.
        for (const c of p.initContainers.filter((x: any) => x.name.startsWith("drill-"))) assert.equal(envOf(c).AWS_ACCESS_KEY_ID, undefined, c.name);
        assert.equal(byType(resources, T.role).length, 1, "only the kots backup job's Role");

        const irsa = await build(awsArgs({ irsa: { oidcProviderArn: "arn:aws:iam::123456789012:oidc-provider/oidc.example/id/ABC", oidcProviderUrl: "https://oidc.example/id/ABC" } }, drill));
        const role = byType(irsa.resources, T.role_).find((r) => r.name === "gitguardian-drill")!;
        assert.equal(JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Condition.StringEquals["oidc.example/id/ABC:sub"], "system:serviceaccount:gitguardian:gitguardian-drill");
        const sa = byType(irsa.resources, T.sa).find((r) => r.inputs.metadata.name === "gitguardian-drill")!.inputs;
        assert.equal(sa.metadata.annotations["eks.amazonaws.com/role-arn"], "arn:aws:iam::123456789012:role/gitguardian-drill");
        assert.equal(sa.automountServiceAccountToken, false);
    });

    it("refuses bad drill and alerts settings at construction, naming the argument", async () => {
        const bad = async (over: Partial<GitGuardianBackupPolicyArgs>, message: RegExp) => assert.rejects(build(minioArgs(over)), message);
        await bad({ drill: { schedule: "0 5 * *" } }, /argument drill\.schedule = "0 5 \* \*" is invalid/);
        await bad({ drill: { schedule: "@daily", pick: "oldest" as never } }, /argument drill\.pick = "oldest" is invalid/);
        await bad({ drill: { schedule: "@daily", windowDays: 0 } }, /argument drill\.windowDays = 0 is invalid; allowed: a whole number of days from 1 to 365/);
        await bad({ drill: { schedule: "@daily", deadlineSeconds: 30 } }, /argument drill\.deadlineSeconds = 30 is invalid; allowed: a whole number of seconds from 60 to 86400/);
        await bad({ drill: { schedule: "@daily", parts: ["mysql"] } }, /argument drill\.parts\[0\] = "mysql" is invalid; allowed: a part this policy backs up that has a drill step: postgres, redis, kots/);
        await bad({ kots: { image: "kotsadm/kotsadm:v1.124.0", drillKeys: ["gim-secrets"] } }, /argument kots\.drillKeys\[0\] = "gim-secrets" is invalid; allowed: SECRET\/KEY/);
        await bad({ alerts: { for: "10 minutes" } }, /argument alerts\.for = "10 minutes" is invalid; allowed: a Prometheus duration/);
        await bad({ alerts: { labels: { "team-name": "x" } } }, /argument alerts\.labels\.team-name = "x" is invalid/);
        // A part backed up weekly would leave a 2-day window without a set most days.
        await bad({ kots: { image: "kotsadm/kotsadm:v1.124.0", schedule: "@weekly" }, drill: { schedule: "@daily" } }, /argument drill\.windowDays = 2 is invalid; the kots schedule "@weekly" leaves gaps of 168 h, .*allowed: at least 7 \(days\)/);
    });

    it("kots: the drill's default keys are only those of the Secrets it exports (a program exporting others still constructs)", async () => {
        const { resources } = await build(minioArgs({ kots: { image: "kotsadm/kotsadm:v1.124.0", secrets: ["gim-secrets"] } }));
        const kots = backupCronJobs(resources).find((r) => r.name.endsWith("-backup-kots"))!;
        assert.ok(kots);
        const withDrill = await build(minioArgs({ kots: { image: "kotsadm/kotsadm:v1.124.0", secrets: ["gim-secrets"] }, drill: { schedule: "@daily" } }));
        const drill = byType(withDrill.resources, T.cronJob).find((r) => r.name === "gitguardian-backup-drill")!;
        const step = pod(drill).initContainers.find((c: any) => c.name === "drill-kots");
        assert.equal(envOf(step).GGB_DRILL_KOTS_KEYS.value, "");
    });

    it("createBucket with an existing credentials Secret", async () => {
        const { resources } = await build(awsArgs({ existingSecret: { name: "s3-creds", accessKeyIdKey: "id", secretAccessKeyKey: "key" } }));
        assert.equal(byType(resources, T.user).length, 0);
        const upload = envOfContainer(backupCronJobs(resources)[0], "upload");
        assert.deepEqual(upload.AWS_ACCESS_KEY_ID.valueFrom, { secretKeyRef: { name: "s3-creds", key: "id" } });
        assert.deepEqual(upload.AWS_SECRET_ACCESS_KEY.valueFrom, { secretKeyRef: { name: "s3-creds", key: "key" } });
    });

    it("every CronJob carries the security and scheduling defaults", async () => {
        const { resources } = await build(minioArgs({ timeZone: "Europe/Paris", nodeSelector: { pool: "ops" }, tolerations: [{ key: "ops", operator: "Exists", effect: "NoSchedule" }] }));
        for (const cj of backupCronJobs(resources)) {
            const s = cj.inputs.spec;
            assert.equal(s.concurrencyPolicy, "Forbid");
            assert.equal(s.timeZone, "Europe/Paris");
            assert.equal(s.schedule, "0 2 * * *");
            assert.equal(s.startingDeadlineSeconds, 3600);
            assert.equal(s.successfulJobsHistoryLimit, 3);
            assert.equal(s.failedJobsHistoryLimit, 3);
            assert.equal(s.suspend, false);
            const job = s.jobTemplate.spec;
            assert.equal(job.backoffLimit, 2);
            assert.equal(job.activeDeadlineSeconds, 14400);
            assert.equal(job.ttlSecondsAfterFinished, 86400);
            const p = job.template.spec;
            assert.equal(p.restartPolicy, "Never");
            assert.deepEqual(p.securityContext.seccompProfile, { type: "RuntimeDefault" });
            assert.equal(p.securityContext.runAsNonRoot, true);
            assert.deepEqual(p.nodeSelector, { pool: "ops" });
            assert.deepEqual(p.tolerations, [{ key: "ops", operator: "Exists", effect: "NoSchedule" }]);
            // The kots job runs as its own ServiceAccount, the only one with Kubernetes rights.
            assert.equal(p.serviceAccountName, cj.name.endsWith("kots") ? "gitguardian-backup-kots" : "gitguardian-backup");
            assert.deepEqual(p.volumes.find((v: any) => v.name === "staging"), { name: "staging", emptyDir: { sizeLimit: "20Gi" } });
            for (const c of p.containers) {
                assert.equal(c.securityContext.allowPrivilegeEscalation, false, c.name);
                assert.equal(c.securityContext.readOnlyRootFilesystem, true, c.name);
                assert.equal(c.securityContext.runAsNonRoot, true, c.name);
                assert.deepEqual(c.securityContext.capabilities, { drop: ["ALL"] }, c.name);
                assert.ok(c.resources.limits.memory && c.resources.requests.cpu, c.name);
                assert.deepEqual(c.command.slice(0, 1), ["sh"]);
            }
            // No pod-wide token; only the container that runs kots and kubectl mounts one.
            assert.equal(p.automountServiceAccountToken, false);
            const tokenHolders = p.containers.filter((c: any) => c.volumeMounts.some((m: any) => m.mountPath === "/var/run/secrets/kubernetes.io/serviceaccount")).map((c: any) => c.name);
            assert.deepEqual(tokenHolders, cj.name.endsWith("kots") ? ["dump-kots"] : [], cj.name);
            const tokenVolume = p.volumes.find((v: any) => v.name === "kube-api-access");
            if (cj.name.endsWith("kots")) assert.deepEqual(tokenVolume.projected.sources.map((s: any) => Object.keys(s)[0]), ["serviceAccountToken", "configMap", "downwardAPI"]);
            else assert.equal(tokenVolume, undefined, cj.name);
        }
    });

    it("uses an ephemeral PVC for staging when a storage class is given", async () => {
        const { resources } = await build(minioArgs({ staging: { size: "100Gi", storageClassName: "gp3" } }));
        const staging = pod(backupCronJobs(resources)[0]).volumes.find((v: any) => v.name === "staging");
        assert.deepEqual(staging.ephemeral.volumeClaimTemplate.spec, { accessModes: ["ReadWriteOnce"], storageClassName: "gp3", resources: { requests: { storage: "100Gi" } } });
    });

    it("passes secrets only through secretKeyRef and values only through env of the contract", async () => {
        const { resources } = await build(minioArgs({ redis: { host: "redis-master", user: "backup", passwordSecret: { name: "redis", key: "redis-password" } } }));
        const contract = new Set([...contractEnv().map((e) => e.name), "HOME"]);
        for (const cj of backupCronJobs(resources)) {
            for (const c of pod(cj).containers) {
                for (const e of c.env) {
                    assert.ok(contract.has(e.name), `${cj.name}/${c.name}: ${e.name} is not in the contract`);
                    const spec = contractEnv().find((x) => x.name === e.name);
                    if (spec?.secret) assert.ok(e.valueFrom?.secretKeyRef && e.value === undefined, `${e.name} must come from a Secret`);
                }
                assert.equal(c.args, undefined, "nothing reaches the scripts as arguments");
            }
        }
        const pg = envOfContainer(backupCronJobs(resources).find((r) => r.name.endsWith("postgres"))!, "dump-postgres");
        assert.deepEqual(pg.PGPASSWORD.valueFrom, { secretKeyRef: { name: "postgresql", key: "postgres-password" } });
        assert.equal(pg.PGHOST.value, "postgresql");
        assert.equal(pg.PGPORT.value, "5432");
        assert.equal(pg.GGB_PG_FORMAT.value, "sql");
        // Unset, rolePasswords is auto: the dump decides from what the user may read.
        assert.equal(pg.GGB_PG_ROLE_PASSWORDS.value, "auto");
        const redis = envOfContainer(backupCronJobs(resources).find((r) => r.name.endsWith("redis"))!, "dump-redis");
        assert.deepEqual(redis.REDISCLI_AUTH.valueFrom, { secretKeyRef: { name: "redis", key: "redis-password" } });
        assert.equal(redis.GGB_REDIS_USER.value, "backup");
        const kots = envOfContainer(backupCronJobs(resources).find((r) => r.name.endsWith("kots"))!, "dump-kots");
        assert.equal(kots.GGB_KOTS_SECRETS.value, "gim-secrets,kotsadm-encryption");
        assert.equal(kots.GGB_KOTS_APP_SLUG.value, "gitguardian");
        assert.equal(kots.GGB_KOTS_NAMESPACE.value, "gitguardian");
    });

    it("redis.tls reaches the dump container as the contract's variables, the CA only through secretKeyRef", async () => {
        const tls = await build(minioArgs({ redis: { host: "master.abc.cache.amazonaws.com", tls: { caSecret: { name: "redis-ca", key: "ca.crt" }, serverName: "master.abc.cache.amazonaws.com" } } }));
        const env = envOfContainer(backupCronJobs(tls.resources).find((r) => r.name.endsWith("redis"))!, "dump-redis");
        assert.equal(env.GGB_REDIS_TLS.value, "1");
        assert.deepEqual(env.GGB_REDIS_TLS_CA, { name: "GGB_REDIS_TLS_CA", valueFrom: { secretKeyRef: { name: "redis-ca", key: "ca.crt" } } });
        assert.equal(env.GGB_REDIS_TLS_SERVER_NAME.value, "master.abc.cache.amazonaws.com");
        // TLS with the system CAs; and TLS switched off again: no TLS variable at all.
        const system = await build(minioArgs({ redis: { host: "r", tls: {} } }));
        const systemEnv = envOfContainer(backupCronJobs(system.resources).find((r) => r.name.endsWith("redis"))!, "dump-redis");
        assert.equal(systemEnv.GGB_REDIS_TLS.value, "1");
        assert.equal(systemEnv.GGB_REDIS_TLS_CA, undefined);
        const off = await build(minioArgs({ redis: { host: "r", tls: { enabled: false, caSecret: { name: "redis-ca", key: "ca.crt" } } } }));
        const offEnv = envOfContainer(backupCronJobs(off.resources).find((r) => r.name.endsWith("redis"))!, "dump-redis");
        assert.deepEqual(Object.keys(offEnv).filter((k) => k.startsWith("GGB_REDIS_TLS")), []);
    });

    it("grants the kots job's own ServiceAccount only what kots download and the Secret export need; the shared one nothing", async () => {
        const { resources } = await build(minioArgs({ kots: { image: "kotsadm/kotsadm:v1.124.0", secrets: ["gim-secrets", "kotsadm-encryption", "extra-key"] } }));
        assert.deepEqual(oneOfType(resources, T.role).inputs.rules, [
            { apiGroups: [""], resources: ["pods"], verbs: ["get", "list"] },
            { apiGroups: [""], resources: ["pods/portforward"], verbs: ["create"] },
            { apiGroups: [""], resources: ["secrets"], verbs: ["get"], resourceNames: ["kotsadm-authstring", "gim-secrets", "kotsadm-encryption", "extra-key"] },
        ]);
        const binding = oneOfType(resources, T.binding).inputs;
        assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: "gitguardian-backup-kots", namespace: "gitguardian" }]);
        assert.deepEqual(binding.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "gitguardian-backup-kots" });
        for (const sa of byType(resources, T.sa)) assert.equal(sa.inputs.automountServiceAccountToken, false, sa.inputs.metadata.name);
    });

    for (const off of ["postgres", "redis", "kots"] as const) {
        it(`disables ${off} alone`, async () => {
            const args = minioArgs();
            (args as any)[off] = { ...(args as any)[off], enabled: false };
            const { resources, policy } = await build(args);
            const names = backupCronJobs(resources).map((r) => r.inputs.metadata.name).sort();
            assert.deepEqual(names, ["postgres", "redis", "kots"].filter((c) => c !== off).map((c) => `gitguardian-backup-${c}`).sort());
            assert.equal((await valueOf(policy.cronJobNames))[off], undefined);
            // Without the kots job, no ServiceAccount gets a Kubernetes permission at all.
            assert.equal(byType(resources, T.role).length, off === "kots" ? 0 : 1);
            assert.deepEqual(byType(resources, T.sa).map((r) => r.inputs.metadata.name).sort(), off === "kots" ? ["gitguardian-backup"] : ["gitguardian-backup", "gitguardian-backup-kots"]);
        });
    }

    it("overrides the schedule per component", async () => {
        const { resources } = await build(minioArgs({ redis: { host: "redis-master", schedule: "0 */6 * * *" } }));
        const schedules = Object.fromEntries(backupCronJobs(resources).map((r) => [r.inputs.metadata.name, r.inputs.spec.schedule]));
        assert.deepEqual(schedules, { "gitguardian-backup-postgres": "0 2 * * *", "gitguardian-backup-redis": "0 */6 * * *", "gitguardian-backup-kots": "0 2 * * *" });
    });

    it("exposes its outputs", async () => {
        const { policy } = await build(minioArgs());
        assert.equal(await valueOf(policy.bucketName), "gitguardian-backups");
        assert.equal(await valueOf(policy.prefix), "gitguardian");
        assert.equal(await valueOf(policy.serviceAccountName), "gitguardian-backup");
        assert.deepEqual(await valueOf(policy.cronJobNames), { postgres: "gitguardian-backup-postgres", redis: "gitguardian-backup-redis", kots: "gitguardian-backup-kots" });
        assert.equal(await valueOf(policy.roleArn), "");
        assert.deepEqual(await valueOf(policy.storage), {
            bucketName: "gitguardian-backups",
            prefix: "gitguardian",
            region: "us-east-1",
            endpoint: "http://minio.storage.svc:9000",
            credentialsSecret: { name: "minio-backup-credentials", accessKeyIdKey: "AWS_ACCESS_KEY_ID", secretAccessKeyKey: "AWS_SECRET_ACCESS_KEY" },
        });
    });

    it("ships jobs/*.sh in the scripts ConfigMap", async () => {
        const { resources } = await build(minioArgs());
        const data = oneOfType(resources, T.configMap).inputs.data;
        for (const f of ["lib.sh", "dump-postgres.sh", "dump-redis.sh", "dump-kots.sh", "upload.sh", "restore-fetch.sh", "restore-postgres.sh", "restore-redis.sh"]) {
            assert.ok(data[f]?.startsWith(f === "lib.sh" ? "# shellcheck shell=sh" : "#!/bin/sh"), f);
        }
    });
});
