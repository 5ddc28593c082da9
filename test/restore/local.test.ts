/**
 * End to end, real data: a backup made by the jobs scripts from real PostgreSQL and Redis
 * servers into a real MinIO is restored into empty servers through the provider's create(),
 * with the LOCAL executor (the same Job specs' scripts run on this machine) and the kots test
 * double (kots test double).
 */
import * as assert from "node:assert/strict";
import { Component } from "../../core/contract";
import { makeRuntime } from "../../restore/runtime";
import { makeFakeKots } from "../../harness/fakeKots";
import { MinioServer, startMinio } from "../../harness/minio";
import { PostgresServer, startPostgres } from "../../harness/postgres";
import { RedisServer, startRedis } from "../../harness/redis";
import { backupOk } from "../jobs/support";
import { LocalExecutor } from "./localExecutor";
import { APP_SLUG, KOTS_SECRETS, TEST_LICENSE, TEST_SHARED_PASSWORD, assertNoSecrets, makeBackupSets, recorder, restoreInputs, seed } from "./support";

const NS = "gitguardian";

describe("GitGuardianRestore create() restores real data (local executor, kots test double)", function () {
    this.timeout(240_000);
    let minio: MinioServer;
    let source: { pg: PostgresServer; redis: RedisServer };
    let target: { pg: PostgresServer; redis: RedisServer };

    before(async () => {
        minio = await startMinio();
        source = { pg: await startPostgres(), redis: await startRedis() };
        target = { pg: await startPostgres({ password: source.pg.password }), redis: await startRedis({ password: source.redis.password }) };
    });
    after(async () => {
        for (const s of [source?.pg, source?.redis, target?.pg, target?.redis, minio]) await s?.destroy().catch(() => undefined);
    });

    it("restores PostgreSQL, Redis and KOTS from the latest sets, in the documented order, and reports each step", async () => {
        await seed(source.pg, source.redis);
        const sets = await makeBackupSets({ minio, pg: source.pg, redis: source.redis, kots: true, namespace: NS });
        const kots = makeFakeKots({ appSlug: APP_SLUG, namespace: NS });
        const executor = new LocalExecutor({
            secrets: {
                [`${NS}/backup-s3`]: { AWS_ACCESS_KEY_ID: minio.accessKey, AWS_SECRET_ACCESS_KEY: minio.secretKey },
                [`${NS}/postgresql`]: { "postgres-password": target.pg.password },
            },
            statefulSets: {
                "redis-master": {
                    volumeClaimTemplates: ["redis-data"],
                    stop: () => target.redis.stop(),
                    start: () => target.redis.start(),
                    isRunning: () => target.redis.isRunning(),
                    isReady: async () => target.redis.isRunning() && String(await target.redis.command("PING")) === "PONG",
                },
            },
            volumes: { "redis-data-redis-master-0": target.redis.dir },
        });
        const log = recorder();
        const runtime = makeRuntime({ executor: () => executor, log });
        const inputs = restoreInputs({
            name: "restore-e2e",
            namespace: NS,
            minio,
            prefix: sets.prefix,
            postgres: { host: "127.0.0.1", port: target.pg.port, user: "postgres", passwordSecret: { name: "postgresql", key: "postgres-password" } },
            redis: { statefulSet: "redis-master", readyTimeoutSeconds: 30 },
            kots: { appSlug: APP_SLUG, install: {}, deploy: true, databaseHostOverride: "postgresql.gitguardian.svc", kotsCommand: kots.bin, timeoutSeconds: 60 },
            kotsInstall: true,
        });

        const result = await runtime.create(inputs as unknown as Record<string, unknown>);
        const outs = result.outs as Record<string, any>;

        // The data is back.
        assert.deepEqual(await target.pg.rows("SELECT count(*), min(title), max(id) FROM incidents", "gg"), [["500", "incident 1", "500"]]);
        assert.deepEqual(await target.pg.rows("SELECT rolname FROM pg_roles WHERE rolname = 'gg_app'"), [["gg_app"]]);
        assert.equal(String(await target.redis.command("GET", "gg:key:42")), "value-42");
        assert.equal(Number(await target.redis.command("DBSIZE")), 51);

        // The documented order, each step reported.
        assert.deepEqual(outs.steps.map((s: any) => [s.name, s.status]), [
            ["plan", "done"],
            ["kots-secrets", "done"],
            ["kots-install", "done"],
            ["postgres", "done"],
            ["redis", "done"],
            ["kots-upload", "done"],
        ]);
        for (const s of outs.steps) assert.ok(s.durationMs >= 0 && typeof s.detail === "string" && s.detail.length > 0, JSON.stringify(s));
        assert.equal(outs.status, "complete");
        assert.ok(!Number.isNaN(Date.parse(outs.completedAt)));
        for (const c of [Component.Postgres, Component.Redis, Component.Kots]) {
            assert.equal(outs.restored[c].backupId, sets.ids[c], `${c} backupId`);
            assert.ok(outs.restored[c].bytes > 0 && outs.restored[c].checksumsVerified === outs.restored[c].artifacts, JSON.stringify(outs.restored[c]));
        }
        assert.equal(outs.checksumsVerified, Object.values(outs.restored as Record<string, { checksumsVerified: number }>).reduce((n, r) => n + r.checksumsVerified, 0));

        // The Jobs ran the contract's scripts with the Job's env (the password from its Secret, never in the spec).
        assert.deepEqual(executor.jobRuns.map((r) => r.containers.map((c) => `${c.name}:${c.script}:${c.shell}`)), [
            ["fetch:restore-fetch.sh:bash", "restore-postgres:restore-postgres.sh:busybox"],
            ["fetch:restore-fetch.sh:bash", "restore-redis:restore-redis.sh:busybox"],
        ]);
        const pgJob = JSON.stringify(executor.jobRuns[0].job);
        assert.ok(!pgJob.includes(target.pg.password) && !pgJob.includes(minio.secretKey), "no secret value in the Job spec");

        // KOTS: Secrets (kotsadm-encryption first), then install, then upload of the rewritten configuration.
        assert.deepEqual(executor.appliedSecrets.map((s) => s.metadata!.name), ["kotsadm-encryption", "gim-secrets"]);
        for (const s of executor.appliedSecrets) {
            assert.equal(s.metadata!.namespace, NS);
            for (const f of ["resourceVersion", "uid", "creationTimestamp", "managedFields"]) assert.ok(!(f in s.metadata!), `${f} stripped`);
        }
        assert.deepEqual(executor.secrets.get(`${NS}/gim-secrets`), KOTS_SECRETS["gim-secrets"]);
        const calls = kots.calls();
        assert.equal(calls.length, 2);
        const [install, upload] = calls;
        const licensePath = install.argv[5];
        assert.deepEqual(install.argv, ["install", APP_SLUG, "--namespace", NS, "--license-file", licensePath, "--no-port-forward", "--wait-duration", "5m"]);
        assert.equal(install.license, TEST_LICENSE);
        assert.equal(install.sharedPassword, TEST_SHARED_PASSWORD, "the password reaches kots through KOTS_SHARED_PASSWORD");
        const appDir = upload.argv[1];
        assert.deepEqual(upload.argv, ["upload", appDir, "--namespace", NS, "--slug", APP_SLUG, "--deploy"]);
        assert.equal(upload.sharedPassword, undefined);
        assert.match(upload.uploadedConfig!, /postgres_host:\s*\n\s*value: postgresql\.gitguardian\.svc/);
        assert.match(upload.uploadedConfig!, /encrypted:bm90LWEtcmVhbC1zZWNyZXQ=/, "encrypted values pass through untouched");
        assert.ok(upload.uploadedFiles!.includes("upstream/userdata/installation.yaml"));

        // Progress visible, secrets nowhere.
        assert.match(log.text(), /step 1\/6 "plan"[\s\S]*step 2\/6 "kots-secrets"[\s\S]*step 4\/6 "postgres"[\s\S]*step 6\/6 "kots-upload": done/);
        assertNoSecrets(log.text() + JSON.stringify(outs), [TEST_SHARED_PASSWORD, TEST_LICENSE.trim(), target.pg.password, minio.secretKey], "logs and outputs");
        assert.ok(!("kotsSharedPassword" in outs) && !("kotsLicense" in outs) && !("kubeconfig" in outs), "no secret input among the outputs");
    });

    it("refuses clearly, before changing anything, when a component has no complete set or an artifact does not match its manifest", async () => {
        const sets = await makeBackupSets({ minio, pg: source.pg, namespace: NS });
        const executor = new LocalExecutor({ secrets: { [`${NS}/backup-s3`]: { AWS_ACCESS_KEY_ID: minio.accessKey, AWS_SECRET_ACCESS_KEY: minio.secretKey } } });
        const log = recorder();
        const runtime = makeRuntime({ executor: () => executor, log });
        const base = {
            name: "restore-refused",
            namespace: NS,
            minio,
            prefix: sets.prefix,
            postgres: { host: "127.0.0.1", port: target.pg.port, passwordSecret: { name: "postgresql", key: "postgres-password" } },
        };
        // Redis has no set under this prefix; an incomplete one (no manifest) does not count.
        await minio.put(`${sets.prefix}/redis/20261201T000000Z/dump.rdb.gz`, "partial upload");
        const noRedis = restoreInputs({ ...base, redis: { statefulSet: "redis-master" } }) as unknown as Record<string, unknown>;
        const checked = await runtime.check({}, noRedis);
        assert.equal(checked.failures?.[0].property, "backupId");
        assert.match(checked.failures![0].reason, /redis: no complete backup set matches any; there is no complete set \(incomplete, ignored: 20261201T000000Z\)/);
        await assert.rejects(runtime.create(noRedis), /step 1\/3 "plan" failed: redis: no complete backup set matches any; there is no complete set.*Steps completed before it: none \(nothing was changed\)/);
        // An exact id that does not exist names what exists.
        await assert.rejects(runtime.create(restoreInputs({ ...base, backupId: "20200101T000000Z" }) as unknown as Record<string, unknown>), new RegExp(`postgres: no complete backup set matches 20200101T000000Z; complete sets: ${sets.ids.postgres}`));
        // A staging volume smaller than the set, and a permission the identity lacks: both named at once.
        executor.deny.push({ namespace: NS, verb: "create", group: "batch", resource: "jobs" });
        await assert.rejects(
            runtime.create({ ...restoreInputs({ ...base }), stagingSize: "1Ki" } as unknown as Record<string, unknown>),
            /step 1\/2 "plan" failed: the identity running the restore lacks 1 permission its steps need: create jobs\.batch in gitguardian; nothing was changed .*; postgres set \d{8}T\d{6}Z is \d+ bytes, more than stagingSize 1Ki \(1024 bytes\): its restore Job downloads it whole onto the staging volume; raise stagingSize/,
        );
        executor.deny.length = 0;
        assert.ok(executor.accessChecked.some((c) => c.resource === "cronjobs" && c.verb === "patch"), "the checks include the CronJobs' suspension");
        // A tampered artifact of the same size: the sha256 check refuses it.
        const key = (await minio.list(`${sets.prefix}/postgres/${sets.ids.postgres}/`)).find((k) => k.endsWith("/dumpall.sql.gz"))!;
        const original = await minio.get(key);
        const tampered = Buffer.from(original);
        tampered[tampered.length - 1] ^= 0xff;
        await minio.put(key, tampered);
        await assert.rejects(runtime.create(restoreInputs({ ...base }) as unknown as Record<string, unknown>), /step 1\/2 "plan" failed: postgres: artifact dumpall\.sql\.gz of set \d{8}T\d{6}Z has sha256 [0-9a-f]{64}, the manifest says [0-9a-f]{64}: corrupted; refusing to restore it/);
        assert.equal(executor.jobRuns.length, 0, "no Job ran: nothing was changed");
    });
    it("refuses, at preview and before changing anything, parts whose latest sets are from different runs, unless the window is widened or sets apart are allowed", async () => {
        const sets = await makeBackupSets({ minio, pg: source.pg, namespace: NS });
        // Redis's newest set is two nights older: its backups failed since.
        const redisId = "20261125T020000Z";
        await backupOk({ minio, prefix: sets.prefix, uploadShell: "bash", component: Component.Redis, dumpShell: "busybox", dumpEnv: { ...source.redis.env(), GGB_COMPRESSION: "gzip" }, backupId: redisId });
        const executor = new LocalExecutor({ secrets: { [`${NS}/backup-s3`]: { AWS_ACCESS_KEY_ID: minio.accessKey, AWS_SECRET_ACCESS_KEY: minio.secretKey } } });
        const log = recorder();
        const runtime = makeRuntime({ executor: () => executor, log });
        const base = {
            name: "restore-apart",
            namespace: NS,
            minio,
            prefix: sets.prefix,
            postgres: { host: "127.0.0.1", port: target.pg.port, passwordSecret: { name: "postgresql", key: "postgres-password" } },
            redis: { statefulSet: "redis-master" },
        };
        const inputs = restoreInputs(base) as unknown as Record<string, unknown>;
        // The postgres id comes from the suite's id counter, so the spread is computed here, not pinned.
        const idTime = (id: string) => Date.parse(id.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, "$1-$2-$3T$4:$5:$6Z"));
        const spread = ((idTime(sets.ids.postgres!) - idTime(redisId)) / 3_600_000).toFixed(1).replace(".", "\\.");
        const apart = new RegExp(
            `the chosen sets started ${spread} h apart \\(postgres ${sets.ids.postgres} \\(2 artifacts, \\d+ bytes\\) \\| redis ${redisId} \\(1 artifacts, \\d+ bytes\\)\\), more than setWindowHours 12: .*nothing was changed.*backupId "at-or-before:2026-11-25T02:00:00.000Z"`,
        );
        const checked = await runtime.check({}, inputs);
        assert.equal(checked.failures?.[0].property, "backupId", "the preview fails on backupId");
        assert.match(checked.failures![0].reason, apart);
        await assert.rejects(runtime.create(inputs), (e: Error) => /step 1\/\d "plan" failed: /.test(e.message) && apart.test(e.message));
        assert.equal(executor.jobRuns.length, 0, "no Job ran: nothing was changed");

        // A wider window, or sets apart allowed: the preview shows both sets side by side and their spread.
        log.lines.length = 0;
        assert.equal((await runtime.check({}, { ...inputs, setWindowHours: 72 })).failures, undefined);
        assert.match(log.text(), new RegExp(`plan: postgres ${sets.ids.postgres} \\(2 artifacts, \\d+ bytes\\) \\| redis ${redisId} \\(1 artifacts, \\d+ bytes\\); started within ${spread} h \\(setWindowHours 72\\); steps: plan → postgres → redis`));
        assert.equal((await runtime.check({}, { ...inputs, allowSetsApart: true })).failures, undefined);
        // The window is validated like every argument.
        await assert.rejects(runtime.create({ ...inputs, setWindowHours: 0 }), /argument setWindowHours = 0 is invalid; allowed: a whole number from 1 to 744/);
    });
    it("runs kots install before the data steps: an install that fails leaves the databases untouched", async () => {
        const sets = await makeBackupSets({ minio, pg: source.pg, kots: true, namespace: NS });
        const kots = makeFakeKots({ appSlug: APP_SLUG, namespace: NS });
        kots.fail("Error: failed to create ClusterRole kotsadm-role: forbidden", 1, "install");
        const executor = new LocalExecutor({
            secrets: { [`${NS}/backup-s3`]: { AWS_ACCESS_KEY_ID: minio.accessKey, AWS_SECRET_ACCESS_KEY: minio.secretKey }, [`${NS}/postgresql`]: { "postgres-password": target.pg.password } },
        });
        const runtime = makeRuntime({ executor: () => executor, log: recorder() });
        const inputs = restoreInputs({
            name: "restore-install-first",
            namespace: NS,
            minio,
            prefix: sets.prefix,
            postgres: { host: "127.0.0.1", port: target.pg.port, passwordSecret: { name: "postgresql", key: "postgres-password" } },
            kots: { appSlug: APP_SLUG, install: {}, kotsCommand: kots.bin, timeoutSeconds: 60 },
            kotsInstall: true,
        });
        await assert.rejects(
            runtime.create(inputs as unknown as Record<string, unknown>),
            /step 3\/5 "kots-install" failed: .*failed to create ClusterRole kotsadm-role: forbidden.*Steps completed before it: plan \(done.*; kots-secrets \(done: Secrets kotsadm-encryption, gim-secrets applied\)\. /,
        );
        assert.equal(executor.jobRuns.length, 0, "the postgres Job never ran: the database was not touched");
    });
});
