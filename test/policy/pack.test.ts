/**
 * The pack as a whole: its policies and config schemas, the pack folder (PulumiPolicy.yaml,
 * package.json), `require` without a server, and the pack served the way the engine runs it —
 * @pulumi/pulumi's run-policy-pack in the pack folder — answering the analyzer gRPC calls the
 * engine makes (GetAnalyzerInfo, Configure, Analyze, AnalyzeStack) on recorded programs.
 */
import * as assert from "node:assert/strict";
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { BACKUP_POLICY_TYPE as COMPONENT_TYPE } from "../../backup/backupPolicy";
import { BACKUP_POLICY_TYPE, plain, Unknown } from "../../policy/model";
import { PACK_NAME, policies } from "../../policy/policies";
// "../../policy/index", not "../../policy": that folder's package.json points TypeScript at dist/.
import { startedByEngine } from "../../policy/index";
import { MAX_INTERVAL_DEFAULTS } from "../../policy/maxInterval";
import { SCHEDULE_REQUIRED_DEFAULTS } from "../../policy/scheduleRequired";
import { RETENTION_DEFAULTS } from "../../policy/retention";
import { NO_INLINE_SECRETS_DEFAULTS } from "../../policy/noInlineSecrets";
import { JOB_HYGIENE_DEFAULTS } from "../../policy/jobHygiene";
import { record, Registration } from "./harness";
import { component, goodArgs } from "./programs";

const ROOT = path.resolve(__dirname, "../../..");
const PACK_DIR = path.join(ROOT, "policy");
const PULUMI_DIR = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const fromPulumi = (m: string) => require(require.resolve(m, { paths: [PULUMI_DIR] }));
const analyzerPb = fromPulumi("@pulumi/pulumi/proto/analyzer_pb");
const analyzerGrpc = fromPulumi("@pulumi/pulumi/proto/analyzer_grpc_pb");
const grpc = fromPulumi("@grpc/grpc-js");
const { Struct } = fromPulumi("google-protobuf/google/protobuf/struct_pb");
const { Empty } = fromPulumi("google-protobuf/google/protobuf/empty_pb");

const NAMES = [
    "gitguardian-backup-schedule-required",
    "gitguardian-backup-max-interval",
    "gitguardian-backup-bucket-secure",
    "gitguardian-backup-retention",
    "gitguardian-backup-no-inline-secrets",
    "gitguardian-backup-job-hygiene",
    "gitguardian-backup-drills",
    "gitguardian-backup-alerts",
    "gitguardian-backup-encryption",
    "gitguardian-backup-no-private-key",
];

/** The encryption policy's advice: one per backup CronJob in clear. */
const ENCRYPTION_ADVICE = (n: number) => Array.from({ length: n }, () => ["gitguardian-backup-encryption", analyzerPb.EnforcementLevel.ADVISORY]);

describe("the gitguardian-backup pack", () => {
    it("has its ten policies under their stable names, each with a config schema whose defaults the checks use", () => {
        assert.equal(PACK_NAME, "gitguardian-backup");
        assert.deepEqual(policies.map((p) => p.name), NAMES);
        assert.deepEqual(
            policies.map((p) => p.enforcementLevel),
            ["mandatory", "mandatory", "mandatory", "mandatory", "mandatory", "advisory", "advisory", "advisory", "advisory", "mandatory"],
        );
        const defaults = (i: number) => Object.fromEntries(Object.entries(policies[i].configSchema!.properties).map(([k, v]) => [k, (v as { default?: unknown }).default]));
        // Written out from the "Config (default)" column of policy/README.md's Policies table,
        // in NAMES order: what the schema shows an administrator and what the checks apply
        // when a setting is left out must both be these values.
        const documented: Record<string, unknown>[] = [
            { requiredComponents: ["postgres", "redis", "kots"], namespaces: ["gitguardian"], workloadLabels: { "app.kubernetes.io/part-of": "gitguardian" }, workloadKinds: ["Deployment", "StatefulSet"] },
            { maxIntervalHours: 24 },
            {},
            { minRetentionDays: 7, requireObjectLock: false },
            { secretNamePattern: "PASSWORD|PASSWD|SECRET|TOKEN|KEY|AUTH|CREDENTIAL", allowNames: [] },
            { maxBackoffLimit: 6 },
            {},
            {},
            {},
            {},
        ];
        for (const [i, expected] of documented.entries()) assert.deepEqual(defaults(i), expected, `${NAMES[i]}: config schema defaults`);
        const usedByChecks = [SCHEDULE_REQUIRED_DEFAULTS, MAX_INTERVAL_DEFAULTS, {}, RETENTION_DEFAULTS, NO_INLINE_SECRETS_DEFAULTS, JOB_HYGIENE_DEFAULTS, {}, {}, {}, {}];
        for (const [i, expected] of documented.entries()) assert.deepEqual(usedByChecks[i], expected, `${NAMES[i]}: defaults the check applies`);
        for (const p of policies) assert.equal("enforcementLevel" in p.configSchema!.properties, false, p.name);
    });

    it("agrees with the component and @pulumi/policy on type token and unknown sentinels", () => {
        assert.equal(BACKUP_POLICY_TYPE, COMPONENT_TYPE);
        const proxy = require("@pulumi/policy/proxy");
        const sentinels = Object.keys(proxy).filter((k) => /^unknown\w+Value$/.test(k)).map((k) => proxy[k]);
        assert.equal(sentinels.length, 7);
        for (const s of sentinels) assert.ok(plain({ x: s }).x instanceof Unknown, s);
    });

    it("is a pack folder: PulumiPolicy.yaml (nodejs) and a package.json whose main is the compiled pack, same version as the package", () => {
        assert.match(fs.readFileSync(path.join(PACK_DIR, "PulumiPolicy.yaml"), "utf8"), /^runtime: nodejs$/m);
        const pkg = JSON.parse(fs.readFileSync(path.join(PACK_DIR, "package.json"), "utf8"));
        const root = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
        assert.equal(pkg.version, root.version);
        assert.equal(path.resolve(PACK_DIR, pkg.main), path.join(ROOT, "dist", "policy", "index.js"));
        assert.equal(pkg.dependencies, undefined, "no dependencies of its own: it resolves the package's");
        assert.ok(root.files.includes("policy/") && root.files.includes("dist/"), "the published package carries the pack folder and its compiled code");
    });

    it("loads with require() without starting the analyzer server", () => {
        const r = spawnSync(process.execPath, ["-e", `const p = require(${JSON.stringify(PACK_DIR)}); console.log(p.policies.length, typeof p.checkScheduleRequired)`], {
            cwd: ROOT,
            encoding: "utf8",
            timeout: 20_000,
            env: { ...process.env, GGB_POLICY_PACK_SERVE: "" },
        });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout.trim(), "10 function");
        const runner = "/x/node_modules/@pulumi/pulumi/cmd/run-policy-pack";
        assert.equal(startedByEngine(["node", runner, "."], {}, `${runner}/run.js`), true, "the runner requires the pack folder");
        assert.equal(startedByEngine(["node", `${runner}/index.js`], {}, "/x/my-pack/index.js"), false, "another pack composes our policies");
        assert.equal(startedByEngine(["node", "/x/node_modules/.bin/mocha"], {}, "/x/test.js"), false);
        assert.equal(startedByEngine(["node", runner], { GGB_POLICY_PACK_SERVE: "0" }, `${runner}/run.js`), false);
        assert.equal(startedByEngine(["node", "-e"], { GGB_POLICY_PACK_SERVE: "1" }, undefined), true);
    });

    describe("served as the engine runs it", function () {
        this.timeout(60_000);
        let child: ChildProcess;
        let client: any;
        const call = <T>(method: string, req: unknown): Promise<T> =>
            new Promise((resolve, reject) => client[method](req, (err: Error | null, resp: T) => (err ? reject(err) : resolve(resp))));

        before(async () => {
            // What the nodejs language host runs for `--policy-pack policy/`: run-policy-pack <engine> <program> in the pack folder.
            child = spawn(process.execPath, [path.join(PULUMI_DIR, "cmd", "run-policy-pack"), "127.0.0.1:1", "."], {
                cwd: PACK_DIR,
                stdio: ["ignore", "pipe", "pipe"],
                env: { ...process.env, GGB_POLICY_PACK_SERVE: "" },
            });
            let out = "";
            let err = "";
            child.stderr!.on("data", (d) => (err += d));
            const port = await new Promise<number>((resolve, reject) => {
                const timer = setTimeout(() => reject(new Error(`no port from the pack in 30 s; stderr: ${err}`)), 30_000);
                child.stdout!.on("data", (d) => {
                    out += d;
                    const m = /^(\d+)\s*$/m.exec(out);
                    if (m) {
                        clearTimeout(timer);
                        resolve(Number(m[1]));
                    }
                });
                child.on("exit", (code) => reject(new Error(`the pack exited with ${code}: ${err}`)));
            });
            client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        });

        after(() => {
            client?.close();
            child?.kill();
        });

        const resource = (r: Registration) => {
            const res = new analyzerPb.AnalyzerResource();
            res.setType(r.type);
            res.setUrn(r.urn);
            res.setName(r.name);
            res.setProperties(r.object);
            const opts = new analyzerPb.AnalyzerResourceOptions();
            if (r.parent) opts.setParent(r.parent);
            res.setOptions(opts);
            if (r.parent) res.setParent(r.parent);
            res.setDependenciesList(r.dependencies);
            for (const [k, urns] of Object.entries(r.propertyDependencies)) {
                const pd = new analyzerPb.AnalyzerPropertyDependencies();
                pd.setUrnsList(urns);
                res.getPropertydependenciesMap().set(k, pd);
            }
            return res;
        };
        const analyzeStack = async (registrations: Registration[]) => {
            const req = new analyzerPb.AnalyzeStackRequest();
            req.setResourcesList(registrations.map(resource));
            return diagnostics(await call("analyzeStack", req));
        };
        const analyze = async (r: Registration) => {
            const req = new analyzerPb.AnalyzeRequest();
            req.setType(r.type);
            req.setUrn(r.urn);
            req.setName(r.name);
            req.setProperties(r.object);
            req.setOptions(new analyzerPb.AnalyzerResourceOptions());
            return diagnostics(await call("analyze", req));
        };
        // The server puts the policy description on the first line of each message.
        const diagnostics = (resp: any) =>
            resp.getDiagnosticsList().map((d: any) => ({ policy: d.getPolicyname(), level: d.getEnforcementlevel(), message: (d.getMessage() as string).split("\n").slice(1).join("\n") || d.getMessage() }));
        const LEVEL = analyzerPb.EnforcementLevel;

        it("describes itself: name, version, policies, enforcement levels and config schemas", async () => {
            const info = await call<any>("getAnalyzerInfo", new Empty());
            assert.equal(info.getName(), "gitguardian-backup");
            assert.equal(info.getVersion(), JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version);
            const ps = info.getPoliciesList();
            assert.deepEqual(ps.map((p: any) => p.getName()), NAMES);
            assert.equal(ps[0].getEnforcementlevel(), LEVEL.MANDATORY);
            assert.equal(ps[5].getEnforcementlevel(), LEVEL.ADVISORY);
            assert.equal(ps[1].getConfigschema().getProperties().toJavaScript().maxIntervalHours.default, 24);
        });

        it("judges a stack without a redis backup and with a weekly schedule, then follows Configure", async () => {
            const regs = await record(component(goodArgs("existingBucket", { schedule: "@weekly", redis: { enabled: false, host: "r" } })));
            const stack = await analyzeStack(regs);
            // The drills and alerts policies advise (these args declare neither).
            assert.deepEqual(stack.map((d: any) => [d.policy, d.level]), [["gitguardian-backup-schedule-required", LEVEL.MANDATORY], ["gitguardian-backup-drills", LEVEL.ADVISORY], ["gitguardian-backup-alerts", LEVEL.ADVISORY], ...ENCRYPTION_ADVICE(2)]);
            assert.match(stack[0].message, /^no scheduled backup of redis: GitGuardianBackupPolicy "gg" has no redis backup/);

            const cronJob = regs.find((r) => r.type === "kubernetes:batch/v1:CronJob")!;
            const before = await analyze(cronJob);
            assert.deepEqual(before.map((d: any) => [d.policy, d.level]), [["gitguardian-backup-max-interval", LEVEL.MANDATORY]]);
            assert.match(before[0].message, /up to 168 hours between two runs, more than maxIntervalHours 24/);

            // --policy-pack-config {"gitguardian-backup-max-interval": {"maxIntervalHours": 168}, "gitguardian-backup-schedule-required": "advisory"}
            const req = new analyzerPb.ConfigureAnalyzerRequest();
            const cfg = (level: number, props: object) => {
                const c = new analyzerPb.PolicyConfig();
                c.setEnforcementlevel(level);
                c.setProperties(Struct.fromJavaScript(props));
                return c;
            };
            req.getPolicyconfigMap().set("gitguardian-backup-max-interval", cfg(LEVEL.MANDATORY, { maxIntervalHours: 168 }));
            req.getPolicyconfigMap().set("gitguardian-backup-schedule-required", cfg(LEVEL.ADVISORY, {}));
            await call("configure", req);
            assert.deepEqual(await analyze(cronJob), []);
            assert.deepEqual((await analyzeStack(regs)).map((d: any) => [d.policy, d.level]), [["gitguardian-backup-schedule-required", LEVEL.ADVISORY], ["gitguardian-backup-drills", LEVEL.ADVISORY], ["gitguardian-backup-alerts", LEVEL.ADVISORY], ...ENCRYPTION_ADVICE(2)]);
            await call("configure", new analyzerPb.ConfigureAnalyzerRequest());
        });

        it("in preview, passes the component and defers only what is unknown (the TLS policy built from the bucket ARN)", async () => {
            const regs = await record(component(goodArgs("createBucket")), { preview: true });
            const stack = await analyzeStack(regs);
            assert.deepEqual(stack.map((d: any) => [d.policy, d.level]), [["gitguardian-backup-bucket-secure", LEVEL.ADVISORY], ["gitguardian-backup-drills", LEVEL.ADVISORY], ["gitguardian-backup-alerts", LEVEL.ADVISORY], ...ENCRYPTION_ADVICE(3)]);
            assert.match(stack[0].message, /^can't run policy 'gitguardian-backup-bucket-secure' from policy pack 'gitguardian-backup@v[\d.]+' during preview: string value at \.policy can't be known during preview/);
            for (const r of regs.filter((x) => x.type.startsWith("kubernetes:"))) assert.deepEqual(await analyze(r), [], r.name);
        });
    });
});
