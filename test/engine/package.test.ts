/**
 * The package as a user gets it: `npm pack` of what a clone holds (the working tree's files that
 * git tracks or would track, so no dist/), `npm install <tarball>` into a fresh project outside
 * the repository, and then only the installed copy is used:
 * - `require` from that project gives the exports (and the documented policy subpath);
 * - a program importing the installed package deploys through the real engine, run by the
 *   installed @pulumi/pulumi's Automation API in a child process whose module resolution is the
 *   project's (two copies of @pulumi/pulumi in one process do not share runtime state);
 * - the policy pack runs from node_modules/pulumi-gitguardian-backup/policy and judges it;
 * - the provider plugin, reached through the node_modules/.bin symlink on PATH, serves the schema.
 * The repository's bin/ and node_modules are kept off PATH and NODE_PATH of those processes.
 */
import * as k8s from "@kubernetes/client-node";
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execa } from "execa";
import { GitGuardianBackupPolicyArgs } from "../../backup/args";
import { scriptBundle } from "../../sources/registry";
import { KubeCluster, startKube } from "../../harness/kube";
import { makeTempDir, minimalEnv } from "../../harness/proc";
import { Engine, startEngine } from "../../harness/pulumi";
import { minioArgs } from "../unit/fixtures";

const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
const PACKAGE = "pulumi-gitguardian-backup";
const NS = "gitguardian";

/**
 * Runs in the temp project (written there, so `require` resolves from its node_modules): the
 * installed Automation API with an inline program that imports the installed package. Prints one
 * `RESULT <json>` line; a failed update or preview is a result (its message), not a crash.
 */
const RUNNER = `"use strict";
const { LocalWorkspace } = require("@pulumi/pulumi/automation");
const kubernetes = require("@pulumi/kubernetes");
const { GitGuardianBackupPolicy } = require("${PACKAGE}");

async function main(req) {
    const program = async () => {
        const provider = new kubernetes.Provider("kube", { kubeconfig: req.kubeconfig });
        const backups = new GitGuardianBackupPolicy("gitguardian", req.args, { providers: { kubernetes: provider } });
        return { cronJobNames: backups.cronJobNames };
    };
    const stack = await LocalWorkspace.createOrSelectStack(
        { projectName: req.project, stackName: req.stack, program },
        {
            pulumiHome: process.env.PULUMI_HOME,
            projectSettings: { name: req.project, runtime: "nodejs", backend: { url: process.env.PULUMI_BACKEND_URL } },
            secretsProvider: "passphrase",
        },
    );
    const quiet = { onOutput: () => undefined };
    if (req.action === "up") {
        const up = await stack.up(quiet);
        return { result: up.summary.result, cronJobNames: up.outputs.cronJobNames.value };
    }
    const preview = await stack.preview({ ...quiet, policyPacks: req.policyPacks });
    return { stdout: preview.stdout };
}

main(JSON.parse(process.argv[2])).then(
    (r) => console.log("RESULT " + JSON.stringify({ ok: true, ...r })),
    (e) => console.log("RESULT " + JSON.stringify({ ok: false, message: String((e && e.message) || e) })),
);
`;

interface RunResult {
    ok: boolean;
    message?: string;
    result?: string;
    cronJobNames?: { [component: string]: string };
    stdout?: string;
}

/** Copies what a clone of the working tree holds (tracked and untracked-but-not-ignored files). */
function copyCloneFiles(to: string): void {
    const files = execFileSync("git", ["-C", REPO_ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard"], { encoding: "utf8" })
        .split("\0")
        .filter((f) => f && fs.existsSync(path.join(REPO_ROOT, f)));
    for (const f of files) {
        fs.mkdirSync(path.dirname(path.join(to, f)), { recursive: true });
        fs.copyFileSync(path.join(REPO_ROOT, f), path.join(to, f));
        fs.chmodSync(path.join(to, f), fs.statSync(path.join(REPO_ROOT, f)).mode);
    }
}

describe("the packed package, installed into a fresh project", function () {
    this.timeout(1_200_000);
    let kube: KubeCluster;
    let engine: Engine;
    let project: string;
    let installed: string;
    let packed: string[];
    /** Environment of every process of the installed copy: the harness's, minus the repository. */
    let env: NodeJS.ProcessEnv;
    let kubeStarted: Promise<KubeCluster> | undefined;

    before(async function () {
        // kube-apiserver starts while npm packs and installs (awaited below, or stopped by after()).
        kubeStarted = startKube();
        kubeStarted.catch(() => undefined);
        engine = startEngine();

        const clone = makeTempDir("package-clone");
        copyCloneFiles(clone);
        assert.ok(!fs.existsSync(path.join(clone, "dist")), "the copy has no build output, as a clean clone");
        // A clean clone runs `npm ci` first; the repository's node_modules stand in for it (the
        // packed file list never holds node_modules).
        fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(clone, "node_modules"));
        const tarballs = makeTempDir("package-tarball");
        const pack = await execa("npm", ["pack", "--json", "--pack-destination", tarballs], { cwd: clone, reject: false });
        assert.equal(pack.exitCode, 0, `npm pack failed:\n${pack.stderr}`);
        const [info] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
        packed = info.files.map((f) => f.path);

        project = makeTempDir("package-project");
        fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "installed-package-test", version: "1.0.0", private: true }, null, 2));
        // No install scripts: @pulumi/kubernetes's downloads its plugin (no network here). The npm
        // cache, filled by the repository's `npm ci`, serves the dependencies.
        const install = await execa("npm", ["install", path.join(tarballs, info.filename), "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline"], { cwd: project, reject: false });
        assert.equal(install.exitCode, 0, `npm install of the tarball failed:\n${install.stderr}`);
        installed = path.join(project, "node_modules", PACKAGE);
        fs.writeFileSync(path.join(project, "run.js"), RUNNER);

        // The harness's engine environment (CLI, Kubernetes provider, backend, passphrase, home),
        // without what points into the repository: its bin/ (the plugin) and node_modules/.bin
        // (npx adds it), NODE_PATH, and the harness's shim folder (a dynamic-provider shim on the
        // repository's @pulumi/pulumi; this program declares no dynamic resource). The project's
        // .bin comes first.
        const shims = path.join(engine.root, "bin");
        const { NODE_PATH: _nodePath, ...engineEnv } = engine.env;
        const kept = engine.env.PATH.split(":").filter((p) => p !== shims && p !== REPO_ROOT && !p.startsWith(REPO_ROOT + path.sep));
        env = minimalEnv({ ...engineEnv, PATH: [path.join(project, "node_modules", ".bin"), ...kept].join(":") });

        kube = await kubeStarted;
        await kube.createNamespace(NS);
    });
    after(async () => {
        engine?.stop();
        await (kube ?? (await kubeStarted?.catch(() => undefined)))?.stop();
    });

    /** One Automation API run in the temp project (see RUNNER). */
    const run = async (req: { action: "up" | "preview"; stack: string; args: GitGuardianBackupPolicyArgs; policyPacks?: string[] }): Promise<RunResult> => {
        const input = JSON.stringify({ project: "installed-package", kubeconfig: kube.kubeconfig, ...req });
        const r = await execa(process.execPath, ["run.js", input], { cwd: project, env, extendEnv: false, reject: false });
        const line = r.stdout.split("\n").find((l) => l.startsWith("RESULT "));
        assert.ok(line, `run.js ${req.action} ${req.stack} printed no result (exit ${r.exitCode}):\n${r.stderr}\n${r.stdout}`);
        return JSON.parse(line.slice("RESULT ".length)) as RunResult;
    };

    it("the tarball holds the package's build (dist/, the plugin's, the policy pack's), not the test suite", () => {
        for (const f of [
            "dist/index.js",
            "dist/index.d.ts",
            "dist/plugin/componentHost.js",
            // The runtime's old path, which restore states saved by earlier versions require.
            "dist/provider/runtime.js",
            "dist/restore/runtime.js",
            "dist/policy/index.js",
            "bin/pulumi-resource-gitguardian-backup",
            "bin/ggb-backups",
            "dist/cli/main.js",
            // The schema is inferred from the Args' sources at run time: every file they import.
            "drill/args.ts",
            "alerts/args.ts",
            "PulumiPlugin.yaml",
            "policy/package.json",
            "policy/PulumiPolicy.yaml",
            "jobs/lib.sh",
            "jobs/codec.sh",
            "sources/postgres/dump-postgres.sh",
            "sources/redis/restore-redis.sh",
            "sources/kots/dump-kots.sh",
        ]) {
            assert.ok(packed.includes(f), `${f} is not in the tarball`);
        }
        assert.deepEqual(packed.filter((f) => /^dist\/(test|examples|scripts|program|harness)\//.test(f)), []);
    });

    it("require from the project gives GitGuardianBackupPolicy, GitGuardianRestore and the policy subpath", async () => {
        const script = `
            const pkg = require("${PACKAGE}");
            const policy = require("${PACKAGE}/policy");
            console.log(JSON.stringify({
                resolved: require.resolve("${PACKAGE}"),
                backupPolicy: typeof pkg.GitGuardianBackupPolicy,
                restore: typeof pkg.GitGuardianRestore,
                policies: policy.policies.map((p) => p.name),
            }));`;
        const r = await execa(process.execPath, ["-e", script], { cwd: project, env, extendEnv: false, reject: false });
        assert.equal(r.exitCode, 0, r.stderr);
        const got = JSON.parse(r.stdout);
        assert.equal(got.resolved, path.join(installed, "dist", "index.js"));
        assert.equal(got.backupPolicy, "function");
        assert.equal(got.restore, "function");
        assert.ok(got.policies.includes("gitguardian-backup-schedule-required"), got.policies.join(", "));
    });

    it("a program importing the installed package deploys through the real engine onto the API server", async () => {
        const up = await run({ action: "up", stack: "installed", args: minioArgs() });
        assert.ok(up.ok, up.message);
        assert.equal(up.result, "succeeded");
        assert.deepEqual(up.cronJobNames, { postgres: "gitguardian-backup-postgres", redis: "gitguardian-backup-redis", kots: "gitguardian-backup-kots" });
        const batch = kube.admin().makeApiClient(k8s.BatchV1Api);
        const jobs = (await batch.listNamespacedCronJob({ namespace: NS })).items;
        assert.deepEqual(jobs.map((j) => j.metadata!.name).sort(), ["gitguardian-backup-kots", "gitguardian-backup-postgres", "gitguardian-backup-redis"]);
        // The installed copy found its jobs/ (core/paths.ts looks above dist/core).
        const cm = await kube.admin().makeApiClient(k8s.CoreV1Api).readNamespacedConfigMap({ name: "gitguardian-backup-scripts", namespace: NS });
        assert.deepEqual(cm.data, scriptBundle());
    });

    it("the policy pack runs from node_modules/pulumi-gitguardian-backup/policy and gives its verdict", async () => {
        const packDir = path.join(installed, "policy");
        // The analyzer the CLI starts (no Node.js language host here; see engine.policyPackExecutable):
        // run-policy-pack resolved from the pack folder, as the language host resolves it, so it is
        // the project's @pulumi/pulumi, not the repository's.
        const runPolicyPack = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [packDir] });
        assert.ok(runPolicyPack.startsWith(path.join(project, "node_modules") + path.sep), runPolicyPack);
        const analyzer = path.join(project, "policy-pack");
        fs.writeFileSync(analyzer, `#!/bin/sh\ncd ${JSON.stringify(packDir)} || exit 1\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(runPolicyPack)} "$1" ${JSON.stringify(packDir)}\n`, { mode: 0o755 });

        // Encrypted, with a drill (the advisory policies' asks, but the alert rules' CRD this cluster lacks).
        const observed = minioArgs({
            encryption: { recipients: ["age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"], toolImage: "registry.example/age:1.3.2" },
            drill: { schedule: "0 5 * * *", decryption: { identitySecret: { name: "drill-age", key: "identity" } } },
        });
        const good = await run({ action: "preview", stack: "installed", args: observed, policyPacks: [analyzer] });
        assert.ok(good.ok, good.message);
        // The pack ran and passed its mandatory policies: the preview's policy summary names it with
        // the version of the installed policy/package.json (which @pulumi/policy reads from the pack
        // folder); it only advises alert rules, which these args leave out (no CRD in this cluster).
        const version = JSON.parse(fs.readFileSync(path.join(packDir, "package.json"), "utf8")).version;
        assert.match(good.stdout!, new RegExp(`Policies:\\s*⚠️ gitguardian-backup@v${version.replace(/\./g, "\\.")} `), good.stdout);
        assert.deepEqual([...good.stdout!.matchAll(/- \[(\w+)\] \[severity: \w+\]\s+(\S+)/g)].map((m) => [m[1], m[2]]), [["advisory", "gitguardian-backup-alerts"]], good.stdout);

        const noRedis = await run({ action: "preview", stack: "installed-no-redis", args: minioArgs({ redis: { host: "redis-master", enabled: false } }), policyPacks: [analyzer] });
        assert.equal(noRedis.ok, false, noRedis.stdout);
        assert.match(noRedis.message!, /gitguardian-backup-schedule-required[\s\S]*no scheduled backup of redis/);
    });

    it("the plugin from the installed copy: reached through node_modules/.bin on PATH it serves; get-schema through the link", async () => {
        const link = path.join(project, "node_modules", ".bin", "pulumi-resource-gitguardian-backup");
        assert.ok(fs.lstatSync(link).isSymbolicLink(), "npm links bin entries");
        // Found by name on PATH, as the engine finds ambient plugins: it starts the gRPC server and
        // prints its port (a plugin that cannot find dist/ exits instead).
        const served = execa("pulumi-resource-gitguardian-backup", [], { cwd: os.tmpdir(), env, extendEnv: false, reject: false });
        const port = await new Promise<string>((resolve, reject) => {
            let out = "";
            served.stdout!.on("data", (d: Buffer) => {
                out += d.toString();
                if (/^\d+\s*$/m.test(out)) resolve(out.trim());
            });
            served.then((r) => reject(new Error(`the plugin exited (${r.exitCode}) before serving:\n${r.stderr}`)), reject);
        }).finally(() => served.kill());
        assert.match(port, /^\d+$/);
        // `get-schema <name>` asks the Pulumi registry (unreachable here) before PATH; the link's
        // own path runs it as a plugin binary, with the link as $0.
        const r = await execa(engine.pulumi, ["package", "get-schema", link], { cwd: project, env, extendEnv: false, reject: false });
        assert.equal(r.exitCode, 0, r.stderr);
        const schema = JSON.parse(r.stdout);
        assert.equal(schema.name, "gitguardian-backup");
        assert.ok(schema.resources["gitguardian-backup:index:GitGuardianBackupPolicy"], Object.keys(schema.resources ?? {}).join(", "));
    });
});
