/** GitGuardianRestore's pure parts: validation, diff, the plan, the Job spec, KOTS helpers, redaction. */
import * as assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { loadYaml, dumpYaml } from "@kubernetes/client-node";
import * as pulumi from "@pulumi/pulumi";
import { Component } from "../../core/contract";
import { resolvePolicy } from "../../backup/validate";
import { restorePlan, restoreSteps } from "../../restore/sequence";
import { progressKey, runBinding, runRestore } from "../../restore/runner";
import { RestoreStep } from "../../restore/step";
import { restoreJobName } from "../../restore/jobs";
import { kotsInstallArgv, kotsUploadArgv, rewriteDatabaseHosts, secretsFromArtifact } from "../../sources/kots/cli";
import { KotsRestoreSpec } from "../../sources/kots/restore";
import { postgresRestoreJob, PostgresRestoreSpec, rolePasswordsNote } from "../../sources/postgres/restore";
import { redisClaimTemplate, redisRestoreJob, RedisRestoreSpec } from "../../sources/redis/restore";
import { RESTORE_ROLE_RULES, restoreRoleRules } from "../../restore/rbac";
import { makeRuntime, redactor } from "../../restore/runtime";
import { readTar, decodeArtifact } from "../../restore/tar";
import { RestoreInputs, UNKNOWN, resolveRestore } from "../../restore/validate";
import { restoreProps } from "../../restore/restore";
import { LocalExecutor } from "./localExecutor";
import * as fs from "node:fs";
import { execFileSync } from "node:child_process";
import { privateTempDir } from "../../restore/tempDir";
import * as os from "node:os";
import * as path from "node:path";
import { GitGuardianRestore } from "../../restore/restore";
import { GitGuardianBackupPolicy } from "../../backup/backupPolicy";
import { runUnderMocks } from "../../harness/mocks";
import { minioArgs } from "../unit/fixtures";
import { recorder } from "./support";

function valid(overrides: Partial<RestoreInputs> = {}): RestoreInputs {
    return {
        restoreName: "restore-2026-11",
        namespace: "gitguardian",
        storage: { bucketName: "gitguardian-backups", prefix: "gitguardian", region: "eu-west-1", credentialsSecret: { name: "backup-s3" } },
        backupId: "latest",
        postgres: { host: "postgresql", user: "postgres", passwordSecret: { name: "postgresql", key: "postgres-password" } },
        redis: { statefulSet: "redis-master" },
        kots: { appSlug: "gitguardian", install: {}, deploy: true, databaseHostOverride: "postgresql.gitguardian.svc" },
        kotsLicense: "apiVersion: kots.io/v1beta1\nkind: License\nspec:\n  licenseID: abc\n",
        kotsSharedPassword: "secret-password",
        ...overrides,
    };
}

/** A minimal tar (ustar) of files, for the KOTS helpers. */
function tar(files: Record<string, string>): Buffer {
    const blocks: Buffer[] = [];
    for (const [name, text] of Object.entries(files)) {
        const data = Buffer.from(text);
        const h = Buffer.alloc(512);
        h.write(name, 0);
        h.write("0000644\0", 100);
        h.write("0000000\0", 108);
        h.write("0000000\0", 116);
        h.write(data.length.toString(8).padStart(11, "0") + "\0", 124);
        h.write("00000000000\0", 136);
        h.write("        ", 148);
        h.write("0", 156);
        h.write("ustar\0" + "00", 257);
        let sum = 0;
        for (const b of h) sum += b;
        h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148);
        blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
    }
    blocks.push(Buffer.alloc(1024));
    return Buffer.concat(blocks);
}

describe("GitGuardianRestore (unit)", () => {
    describe("validation: the policy's rules and messages for shared arguments", () => {
        it("names the argument, the bad value and what is allowed, as GitGuardianBackupPolicy does", () => {
            // The same value is refused with the same explanation by both components.
            let policyMessage = "";
            try {
                resolvePolicy("p", { namespace: "Bad_NS", schedule: "@daily", retentionDays: 1, storage: { existingBucket: { name: "b-1" } }, postgres: { host: "h", passwordSecret: { name: "s", key: "k" } } });
            } catch (e) {
                policyMessage = (e as Error).message;
            }
            assert.throws(() => resolveRestore(valid({ namespace: "Bad_NS" })), (e: Error) => e.message === policyMessage.replace('GitGuardianBackupPolicy "p"', 'GitGuardianRestore "restore-2026-11"'));
            const cases: [Partial<RestoreInputs>, RegExp][] = [
                [{ postgres: { host: "bad host;rm", passwordSecret: { name: "p", key: "k" } } }, /argument postgres\.host = "bad host;rm" is invalid; allowed: a host name or IP address/],
                [{ postgres: { host: "pg", passwordSecret: { name: "p", key: "bad key!" } } }, /argument postgres\.passwordSecret\.key = "bad key!" is invalid; allowed: a Secret key/],
                [{ storage: { bucketName: "B" } }, /argument storage\.bucketName = "B" is invalid; allowed: an S3 bucket name/],
                [{ storage: { bucketName: "bucket", endpoint: "http://user:pw@minio:9000" } }, /argument storage\.endpoint = "http:\/\/user:pw@minio:9000" is invalid; allowed: an http\(s\) URL without credentials/],
                [{ storage: { bucketName: "bucket", prefix: "a/../b" } }, /argument storage\.prefix = "a\/\.\.\/b" is invalid/],
                [{ storage: { bucketName: "bucket", credentialsSecret: { name: "Bad Name" } } }, /argument storage\.credentialsSecret\.name = "Bad Name" is invalid; allowed: a Kubernetes name/],
                [{ redis: { statefulSet: "Redis_Master" } }, /argument redis\.statefulSet = "Redis_Master" is invalid; allowed: a Kubernetes name/],
                [{ backupId: "yesterday" }, /argument backupId = "yesterday" is invalid; allowed: "latest", an id like "20261127T020000Z", or "at-or-before:/],
                [{ backupId: "at-or-before:last week" }, /argument backupId = "at-or-before:last week" is invalid; allowed:/],
                [{ verify: "none" }, /argument verify = "none" is invalid; allowed: "checksum"/],
                [{ kotsSharedPassword: undefined }, /argument kots\.install\.sharedPassword = undefined is invalid/],
                [{ kots: { appSlug: "gitguardian", databaseHostItems: ["postgres_host"] } }, /argument kots\.databaseHostItems = \["postgres_host"\] is invalid; set kots\.databaseHostOverride too/],
                [{ postgres: undefined, redis: undefined, kots: undefined }, /give at least one of postgres, redis and kots/],
            ];
            for (const [o, re] of cases) assert.throws(() => resolveRestore(valid(o)), re, JSON.stringify(o));
        });

        it("an overwrite names the one set it is for: true is refused, an id reaches the Job only for that set", () => {
            const pg = (overwrite: unknown) => ({ postgres: { host: "pg", passwordSecret: { name: "p", key: "k" }, overwrite } }) as unknown as Partial<RestoreInputs>;
            assert.throws(() => resolveRestore(valid(pg(true))), /argument postgres\.overwrite = true is invalid; allowed: the id of the set this overwrite is for, such as 20261127T020101Z .*true is not accepted, as a later restore of another set would overwrite again unasked/);
            assert.throws(() => resolveRestore(valid(pg("yes"))), /argument postgres\.overwrite = "yes" is invalid/);
            assert.throws(() => resolveRestore(valid({ kots: { appSlug: "gitguardian", overwrite: true } } as unknown as Partial<RestoreInputs>)), /argument kots\.overwrite = true is invalid/);
            const spec = resolveRestore(valid(pg("20261127T020101Z")));
            assert.deepEqual(spec.overwrite, { postgres: "20261127T020101Z" });
            const env = (id: string) => postgresRestoreJob(spec, id, "run-1").spec!.template.spec!.containers[0].env!.find((e) => e.name === "GGB_OVERWRITE")?.value;
            assert.equal(env("20261127T020101Z"), "true");
            assert.equal(env("20261128T020101Z"), "false");
        });

        it("never echoes a secret in a validation error", () => {
            assert.throws(() => resolveRestore(valid({ kotsLicense: "not a license but secret-ish" })), (e: Error) => !e.message.includes("secret-ish") && /kots\.install\.license = "\[secret\]"/.test(e.message));
        });

        it("defaults: the policy's images and prefix, kotsadm-encryption first", () => {
            const spec = resolveRestore(valid({ kots: { secrets: ["gim-secrets", "kotsadm-encryption"] } }));
            assert.equal((spec.parts.postgres as PostgresRestoreSpec).image, "postgres:16-alpine");
            assert.equal((spec.parts.redis as RedisRestoreSpec).image, "redis:7.2-alpine");
            assert.equal(spec.fetchImage, "amazon/aws-cli:2.22.35");
            assert.deepEqual((spec.parts.kots as KotsRestoreSpec).secrets, ["kotsadm-encryption", "gim-secrets"]);
            assert.equal(spec.storage.credentialsSecret!.accessKeyIdKey, "AWS_ACCESS_KEY_ID");
        });

        it("fails at construction for known bad args, with Outputs left to check()", () => {
            assert.throws(() => restoreProps("r", { namespace: "gitguardian", storage: { bucketName: "bucket" }, backupId: "nope", postgres: { host: "pg", passwordSecret: { name: "p", key: "k" } } }), /argument backupId = "nope"/);
            assert.throws(() => restoreProps("r", { namespace: "gitguardian", storage: { bucketName: "bucket" }, backupId: "latest", kots: { install: { sharedPassword: "x".repeat(8) } } }), /set exactly one of kots\.install\.licenseFile and kots\.install\.license/);
        });
    });

    describe("the resource", () => {
        it("takes a policy's storage output; the license file, password and kubeconfig become Pulumi secrets", async () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ggb-license-"));
            const licenseFile = path.join(dir, "license.yaml");
            fs.writeFileSync(licenseFile, "apiVersion: kots.io/v1beta1\nkind: License\nspec:\n  licenseID: abc\n");
            const { resources } = await runUnderMocks(() => {
                const backups = new GitGuardianBackupPolicy("gg", minioArgs());
                return new GitGuardianRestore("restore-2026-11", {
                    namespace: "gitguardian",
                    storage: backups.storage,
                    backupId: "latest",
                    postgres: { host: "postgresql", user: "postgres", passwordSecret: { name: "postgresql", key: "postgres-password" } },
                    redis: { statefulSet: "redis-master" },
                    kots: { appSlug: "gitguardian", install: { licenseFile, sharedPassword: pulumi.secret("kots-password") }, deploy: true, databaseHostOverride: "postgresql.gitguardian.svc" },
                    kubeconfig: "apiVersion: v1\nkind: Config\n",
                });
            });
            fs.rmSync(dir, { recursive: true, force: true });
            const restore = resources.find((r) => r.type === "pulumi-nodejs:dynamic/gitguardian-backup:GitGuardianRestore");
            assert.ok(restore, resources.map((r) => r.type).join(", "));
            const i = restore.inputs;
            assert.equal(typeof i.__provider, "string");
            assert.ok(i.__provider.length < 8_000, "the serialized provider is small");
            assert.deepEqual(i.storage, { bucketName: "gitguardian-backups", prefix: "gitguardian", region: "us-east-1", endpoint: "http://minio.storage.svc:9000", credentialsSecret: { name: "minio-backup-credentials", accessKeyIdKey: "AWS_ACCESS_KEY_ID", secretAccessKeyKey: "AWS_SECRET_ACCESS_KEY" } });
            const SECRET = "4dabf18193072939515e22adb298388d";
            for (const k of ["kotsLicense", "kotsSharedPassword", "kubeconfig"]) assert.equal(i[k][SECRET], "1b47061264138c4ac30d75fd1eb44270", `${k} is a secret`);
            assert.match(i.kotsLicense.value, /kind: License/);
            assert.deepEqual(i.kots.install, {});
            assert.ok(!JSON.stringify(i.kots).includes("kots-password"));
        });
    });

    describe("private temp folders", () => {
        it("a new one first removes those of processes that are gone (a SIGKILLed pulumi up left a license there), never a live one's", () => {
            const root = fs.mkdtempSync(path.join(os.tmpdir(), "ggb-sweep-test-"));
            try {
                const gone = execFileSync("sh", ["-c", "echo $$"]).toString().trim();
                const stale = path.join(root, `ggb-restore-${gone}-AbC123`);
                fs.mkdirSync(stale);
                fs.writeFileSync(path.join(stale, "license.yaml"), "kind: License");
                const live = path.join(root, `ggb-kubeconfig-${process.ppid}-XyZ789`);
                fs.mkdirSync(live);
                const unrelated = path.join(root, "ggb-other-1-abc");
                fs.mkdirSync(unrelated);
                const made = privateTempDir("restore", root);
                assert.ok(!fs.existsSync(stale), "the dead process's folder is gone");
                assert.ok(fs.existsSync(live) && fs.existsSync(unrelated));
                assert.match(path.basename(made), new RegExp(`^ggb-restore-${process.pid}-[A-Za-z0-9]+$`));
                assert.equal(fs.statSync(made).mode & 0o777, 0o700);
            } finally {
                fs.rmSync(root, { recursive: true, force: true });
            }
        });
    });

    describe("provider: check, diff", () => {
        it("check returns the failure with the property and the message; unknown values wait", async () => {
            const rt = makeRuntime({ log: recorder(), executor: () => new LocalExecutor({}) });
            const r = await rt.check({}, valid({ namespace: "Bad_NS" }) as never);
            assert.equal(r.failures![0].property, "namespace");
            assert.match(r.failures![0].reason, /argument namespace = "Bad_NS" is invalid/);
            const unknown = await rt.check({}, { ...valid(), storage: UNKNOWN } as never);
            assert.equal(unknown.failures, undefined);
        });

        it("check warns about a plain-http storage endpoint", async () => {
            const log = recorder();
            const rt = makeRuntime({ log, executor: () => new LocalExecutor({}), store: async () => Promise.reject(new Error("offline")) });
            await rt.check({}, valid({ storage: { bucketName: "gitguardian-backups", endpoint: "http://minio.minio.svc:9000", credentialsSecret: { name: "backup-s3" } } }) as never);
            assert.ok(log.lines.includes('warn: GitGuardianRestore "restore-2026-11": storage.endpoint http://minio.minio.svc:9000 is plain http: the dumps, and the encryption-key Secrets with them, cross the network in clear (inside the cluster too); use an https:// endpoint'), log.text());
            const quiet = recorder();
            await makeRuntime({ log: quiet, executor: () => new LocalExecutor({}), store: async () => Promise.reject(new Error("offline")) }).check({}, valid() as never);
            assert.ok(!quiet.text().includes("plain http"), quiet.text());
        });

        it("a changed backupId or triggers replaces; cosmetic changes do not; an incomplete run updates (resumes)", async () => {
            const rt = makeRuntime({ log: recorder() });
            const olds = { ...valid(), status: "complete", runId: "r1", triggers: { wave: "1" } };
            const d1 = await rt.diff("id", olds, { ...valid(), backupId: "20261127T020000Z", triggers: { wave: "1" } });
            assert.deepEqual(d1.replaces, ["backupId"]);
            const d2 = await rt.diff("id", olds, { ...valid(), triggers: { wave: "2" } });
            assert.deepEqual(d2.replaces, ["triggers"]);
            const d3 = await rt.diff("id", olds, { ...valid(), jobTimeoutSeconds: 7200, triggers: { wave: "1" }, kotsSharedPassword: "other" });
            assert.deepEqual(d3.replaces, []);
            assert.equal(d3.changes, true);
            const d4 = await rt.diff("id", olds, { ...valid(), triggers: { wave: "1" }, kubeconfig: "changed" });
            assert.equal(d4.changes, false, "a new kubeconfig or password alone is not a change");
            const d5 = await rt.diff("id", { ...olds, status: "failed" }, { ...valid(), triggers: { wave: "1" } });
            assert.equal(d5.changes, true);
            assert.deepEqual(d5.replaces, []);
        });

        it("delete does nothing to the cluster and says so", async () => {
            const log = recorder();
            await makeRuntime({ log }).delete("id", { restoreName: "r", namespace: "gitguardian" });
            assert.match(log.text(), /deleting the resource does nothing to the cluster/);
            assert.doesNotMatch(log.text(), /kubectl scale/);
            // After a run that stopped in the redis step: how to scale Redis back.
            const failed = recorder();
            await makeRuntime({ log: failed }).delete("id", { restoreName: "r", namespace: "gitguardian", status: "failed", failedStep: "redis", redis: { statefulSet: "redis-master" } });
            assert.match(failed.text(), /warn: .*may have left StatefulSet gitguardian\/redis-master at 0 replicas; once no restore Job pod runs, scale it back with: kubectl scale statefulset redis-master --namespace gitguardian --replicas=<n> \(the count it had is in ConfigMap gitguardian-restore-progress, key r, under memo\)/);
        });
    });

    describe("the plan", () => {
        it("is one ordered list of named steps", () => {
            assert.deepEqual(restoreSteps().map((s) => s.name), ["plan", "kots-secrets", "kots-install", "postgres", "redis", "kots-upload"]);
            assert.deepEqual(restorePlan(resolveRestore(valid({ kots: { appSlug: "gitguardian" }, kotsLicense: undefined, kotsSharedPassword: undefined }))).map((s) => s.name), ["plan", "kots-secrets", "postgres", "redis", "kots-upload"]);
            assert.deepEqual(restorePlan(resolveRestore(valid({ postgres: undefined, kots: undefined }))).map((s) => s.name), ["plan", "redis"]);
        });

        it("the runner stops at a failed step, names it, keeps the earlier results, and resumes after a fix", async () => {
            const calls: string[] = [];
            let failB = true;
            const step = (name: string, fail = () => false): RestoreStep => ({
                name: name as RestoreStep["name"],
                title: `do ${name}`,
                applies: () => true,
                run: async () => {
                    calls.push(name);
                    if (fail()) throw new Error(`${name} broke`);
                    return { bytes: 1, detail: `${name} ok` };
                },
            });
            const steps = [step("plan"), step("postgres", () => failB), step("redis")];
            const executor = new LocalExecutor({});
            const deps = { executor, store: async () => ({}) as never, log: recorder(), redact: (t: string) => t, yaml: { load: loadYaml, dump: dumpYaml }, kotsEnv: {}, steps };
            const s = resolveRestore(valid({ kots: undefined }));
            await assert.rejects(runRestore(s, deps), (e: Error & { failedStep?: string; steps?: unknown[] }) => {
                assert.match(e.message, /step 2\/3 "postgres" failed: postgres broke\. Steps completed before it: plan \(done: plan ok\)\./);
                assert.equal(e.failedStep, "postgres");
                assert.equal(e.steps!.length, 1);
                return true;
            });
            failB = false;
            const out = await runRestore(s, deps);
            assert.deepEqual(out.steps.map((r) => `${r.name}:${r.status}`), ["plan:done", "postgres:done", "redis:done"]);
            assert.deepEqual(calls, ["plan", "postgres", "plan", "postgres", "redis"], "the plan re-reads, the done steps are skipped");
        });

        it("resumes only a recorded run bound to this restore; a forged or foreign record starts a new run", async () => {
            const calls: string[] = [];
            const step = (name: string): RestoreStep => ({ name: name as RestoreStep["name"], title: name, applies: () => true, run: async () => (calls.push(name), { bytes: 0, detail: `${name} ok` }) });
            const steps = [step("plan"), step("postgres"), step("redis")];
            const executor = new LocalExecutor({});
            const deps = { executor, store: async () => ({}) as never, log: recorder(), redact: (t: string) => t, yaml: { load: loadYaml, dump: dumpYaml }, kotsEnv: {}, steps };
            const s = resolveRestore(valid({ kots: undefined }));
            const done = { completedAt: "2026-12-01T00:00:00Z", durationMs: 1, bytes: 0, detail: "forged" };
            const forged = (extra: Record<string, unknown>) =>
                executor.writeProgress(s.namespace, progressKey(s), { runId: "20261201T000000Z-abcdef", selector: s.backupId, backupIds: {}, steps: { plan: done, postgres: done, redis: done }, memo: {}, ...extra } as never);
            // Claims every step done, without the binding (or with another restore's): every step runs.
            for (const extra of [{}, { binding: runBinding(resolveRestore(valid({ kots: undefined, restoreName: "another" }))) }, { binding: runBinding(s), backupIds: { postgres: "../etc" } }]) {
                calls.length = 0;
                await forged(extra);
                const out = await runRestore(s, deps);
                assert.deepEqual(calls, ["plan", "postgres", "redis"], JSON.stringify(extra));
                assert.notEqual(out.runId, "20261201T000000Z-abcdef");
            }
            // Bound to this restore: its done steps are skipped (what a resume after a fix needs).
            calls.length = 0;
            await forged({ binding: runBinding(s), steps: { plan: done, postgres: done } });
            const resumed = await runRestore(s, deps);
            assert.equal(resumed.runId, "20261201T000000Z-abcdef");
            assert.deepEqual(calls, ["plan", "redis"]);
        });

        it("finds the Redis data template", () => {
            assert.equal(redisClaimTemplate(["redis-data"], undefined, "s"), "redis-data");
            assert.equal(redisClaimTemplate(["cache", "data"], undefined, "s"), "data");
            assert.throws(() => redisClaimTemplate(["a", "b"], undefined, "s"), /several volumeClaimTemplates \(a, b\); set redis\.volumeClaimTemplate/);
            assert.throws(() => redisClaimTemplate([], undefined, "s"), /no volumeClaimTemplates/);
        });
    });

    it("the runtime stays loadable at its old path, which restore states saved by earlier versions require", () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const old = require(path.resolve(__dirname, "..", "..", "provider", "runtime.js")) as { makeRuntime?: unknown };
        assert.equal(old.makeRuntime, makeRuntime);
    });

    it("refuses a storage with no identity for the Jobs (no Secret, no ServiceAccount) unless the node's is meant", () => {
        const noIdentity = { bucketName: "gitguardian-backups", prefix: "gitguardian", region: "eu-west-1" };
        assert.throws(() => resolveRestore(valid({ storage: noIdentity })), /argument storage = \{"bucketName":"gitguardian-backups"\} is invalid; the restore Jobs have no identity for the bucket: give storage\.credentialsSecret .* or storage\.serviceAccountName .*storage\.ambientIdentity: true/);
        const irsa = resolveRestore(valid({ storage: { ...noIdentity, serviceAccountName: "gitguardian-backup" } }));
        assert.equal(postgresRestoreJob(irsa, "20261127T020000Z", "r").spec!.template.spec!.serviceAccountName, "gitguardian-backup", "the Jobs run as the IRSA ServiceAccount");
        const ambient = resolveRestore(valid({ storage: { ...noIdentity, ambientIdentity: true } }));
        assert.equal(postgresRestoreJob(ambient, "20261127T020000Z", "r").spec!.template.spec!.serviceAccountName, undefined);
        assert.throws(() => resolveRestore(valid({ storage: { ...noIdentity, serviceAccountName: "Bad_Name" } })), /argument storage\.serviceAccountName = "Bad_Name" is invalid/);
    });

    describe("the restore Job", () => {
        it("passes values as the contract's env, secrets only through secretKeyRef", () => {
            const spec = resolveRestore(valid());
            const job = postgresRestoreJob(spec, "20261127T020000Z", "20261201T100000Z-a1b2c3");
            assert.equal(job.metadata!.name, restoreJobName(spec, Component.Postgres, "20261127T020000Z", "20261201T100000Z-a1b2c3"));
            // One name per run: a resumed run finds its Job, a new run never adopts an earlier run's.
            assert.notEqual(restoreJobName(spec, Component.Postgres, "20261127T020000Z", "20261201T110000Z-d4e5f6"), job.metadata!.name);
            assert.equal(job.metadata!.labels!["gitguardian-backup.io/restore-run"], "20261201T100000Z-a1b2c3");
            assert.ok(restoreJobName(spec, "a-part-name-of-thirty-chars-xy", "20261127T020000Z", "r").length <= 63);
            assert.ok(job.metadata!.name!.length <= 63);
            const main = job.spec!.template.spec!.containers[0];
            assert.deepEqual(main.env!.find((e) => e.name === "PGPASSWORD"), { name: "PGPASSWORD", valueFrom: { secretKeyRef: { name: "postgresql", key: "postgres-password" } } });
            assert.ok(!JSON.stringify(job).includes("secret-password"));
            // The redis Job mounts exactly the claim it is given, where the script expects its data.
            const redis = redisRestoreJob(spec, "20261127T020000Z", "20261201T100000Z-a1b2c3", "redis-data-redis-master-0").spec!.template.spec!;
            assert.deepEqual(redis.volumes!.find((v) => v.name === "data"), { name: "data", persistentVolumeClaim: { claimName: "redis-data-redis-master-0" } });
            assert.deepEqual(redis.containers[0].volumeMounts!.find((m) => m.name === "data"), { name: "data", mountPath: "/data" });
            assert.equal(redis.containers[0].env!.find((e) => e.name === "GGB_REDIS_DATA_DIR")!.value, "/data");
        });
        it("says in the postgres step's result when the set was dumped without role passwords, and only then", () => {
            assert.match(rolePasswordsNote({ details: { rolePasswords: "excluded" } }), /^; the set was dumped without role passwords: .*ALTER ROLE name PASSWORD/);
            assert.equal(rolePasswordsNote({ details: { rolePasswords: "included" } }), "");
            // A set from before the manifest had details kept the passwords.
            assert.equal(rolePasswordsNote({ details: {} }), "");
        });
    });

    describe("KOTS", () => {
        it("exact command lines; the password is not among them", () => {
            const k = resolveRestore(valid()).parts.kots as KotsRestoreSpec;
            assert.deepEqual(kotsInstallArgv(k, "gitguardian", "/tmp/l.yaml"), ["install", "gitguardian", "--namespace", "gitguardian", "--license-file", "/tmp/l.yaml", "--no-port-forward", "--wait-duration", "5m"]);
            assert.deepEqual(kotsUploadArgv(k, "gitguardian", "/tmp/app/gitguardian"), ["upload", "/tmp/app/gitguardian", "--namespace", "gitguardian", "--slug", "gitguardian", "--deploy"]);
            assert.deepEqual(kotsUploadArgv({ ...k, deploy: false, skipPreflights: true }, "ns", "/d"), ["upload", "/d", "--namespace", "ns", "--slug", "gitguardian", "--skip-preflights"]);
        });

        it("reads the secrets artifact, strips cluster metadata, refuses a missing Secret", () => {
            const yaml = (name: string) => `apiVersion: v1\ndata:\n  k: dg==\nkind: Secret\nmetadata:\n  creationTimestamp: "2026-01-01T00:00:00Z"\n  name: ${name}\n  namespace: old\n  resourceVersion: "1"\n  uid: u\n  managedFields:\n  - manager: m\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: "{}"\ntype: Opaque\n`;
            const entries = readTar(decodeArtifact({ name: "kots-secrets.tar.gz", compression: "gzip" }, gzipSync(tar({ "./gim-secrets.yaml": yaml("gim-secrets"), "./kotsadm-encryption.yaml": yaml("kotsadm-encryption") }))));
            const secrets = secretsFromArtifact(entries, ["kotsadm-encryption", "gim-secrets"], "gitguardian", loadYaml);
            assert.deepEqual(secrets.map((s) => s.metadata!.name), ["kotsadm-encryption", "gim-secrets"]);
            assert.deepEqual(JSON.parse(JSON.stringify(secrets[0])), { apiVersion: "v1", kind: "Secret", metadata: { name: "kotsadm-encryption", namespace: "gitguardian" }, type: "Opaque", data: { k: "dg==" } });
            assert.throws(() => secretsFromArtifact(entries, ["kotsadm-encryption", "other"], "ns", loadYaml), /the set has no Secret other \(it has gim-secrets, kotsadm-encryption\)/);
        });

        it("rewrites the database host items, and says which items exist when none match", () => {
            const cv = "apiVersion: kots.io/v1beta1\nkind: ConfigValues\nmetadata:\n  name: gitguardian\nspec:\n  values:\n    postgres_host:\n      value: old.example\n    secret:\n      value: encrypted:abc\n";
            const out = rewriteDatabaseHosts(cv, "pg.new", undefined, { load: loadYaml, dump: dumpYaml });
            assert.deepEqual(out.changed, ["postgres_host"]);
            assert.match(out.text, /postgres_host:\n\s+value: pg\.new/);
            assert.match(out.text, /value: encrypted:abc/);
            assert.throws(() => rewriteDatabaseHosts(cv, "pg.new", ["db_addr"], { load: loadYaml, dump: dumpYaml }), /none of the items db_addr \(it has postgres_host, secret\); set kots\.databaseHostItems/);
        });

        it("refuses tar entries outside the folder", () => {
            assert.throws(() => readTar(tar({ "../evil": "x" })), /leaves the archive's folder/);
        });

        it("bounds what an artifact decodes to: a decompression bomb is refused, not read into memory", () => {
            // 64 MiB of zeros gzip to some 64 KiB: read under a 1 MiB bound it must be refused.
            const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
            assert.ok(bomb.length < 256 * 1024);
            assert.throws(() => decodeArtifact({ name: "kots-app.tar.gz", compression: "gzip" }, bomb, 1024 * 1024), /kots-app\.tar\.gz decodes to more than 1048576 bytes; refusing to read it/);
            assert.equal(decodeArtifact({ name: "kots-app.tar.gz", compression: "gzip" }, gzipSync(Buffer.from("ok")), 1024).toString(), "ok");
            assert.throws(() => decodeArtifact({ name: "kots-app.tar.gz", compression: "gzip" }, Buffer.from("not gzip")), /kots-app\.tar\.gz is not valid gzip data/);
        });
    });

    it("redacts the password, the license and kubeconfig credentials", () => {
        const redact = redactor({ kotsSharedPassword: "hunter2-password", kotsLicense: "kind: License\nsignature: c2lnbmF0dXJlLXZhbHVlLWxvbmctZW5vdWdo\n", kubeconfig: "users:\n- user:\n    token: abcdef123456\n" });
        assert.equal(redact("x hunter2-password y c2lnbmF0dXJlLXZhbHVlLWxvbmctZW5vdWdo z abcdef123456"), "x [secret] y [secret] z [secret]");
    });

    it("documents the permissions as Role rules", () => {
        assert.ok(RESTORE_ROLE_RULES.some((r) => r.resources.includes("statefulsets/scale") && r.verbs.includes("patch")));
        const rules = restoreRoleRules({ credentialsSecret: "s3", kotsSecrets: ["kotsadm-encryption"] });
        assert.deepEqual(rules.filter((r) => r.resources.includes("secrets") && r.verbs.includes("get")).map((r) => r.resourceNames), [["kotsadm-encryption"], ["s3"]]);
    });
});
