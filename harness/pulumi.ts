/**
 * A real Pulumi engine on this machine: the CLI and the Kubernetes provider plugin built from
 * the Go modules (scripts/tools/build.sh), programs run inline through the Automation API (the
 * Node.js language host is not served here), a file:// backend in a temp dir, a passphrase
 * secrets provider, and plugins found on PATH:
 * - pulumi-resource-kubernetes (built),
 * - pulumi-resource-pulumi-nodejs (dynamic providers: node on @pulumi/pulumi/cmd/dynamic-provider),
 * - pulumi-resource-gitguardian-backup (this package's component provider, bin/),
 * - pulumi-language-yaml (built), for YAML programs.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { LocalWorkspace, PulumiFn, Stack } from "@pulumi/pulumi/automation";
import { makeTempDir, removeTempDir } from "./proc";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const PULUMI_SDK = path.dirname(require.resolve("@pulumi/pulumi/package.json"));

/** The folder of a tool built by scripts/tools/build.sh (built if missing). */
export function toolDir(tool: string): string {
    const out = execFileSync(path.join(REPO_ROOT, "scripts", "tools", "build.sh"), [tool], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    const line = out.split("\n").find((l) => l.startsWith(`${tool}=`));
    if (!line) throw new Error(`scripts/tools/build.sh ${tool} printed no ${tool}= line`);
    return line.slice(tool.length + 1);
}

export interface Engine {
    /** Temp root: backend, PULUMI_HOME, shims. */
    readonly root: string;
    readonly backendUrl: string;
    /** Environment of every CLI call (PATH with the plugins, backend, passphrase). */
    readonly env: { [k: string]: string };
    /** An inline-program stack in the file backend. */
    stack(projectName: string, stackName: string, program: PulumiFn): Promise<Stack>;
    /** A stack of a program folder (e.g. a YAML program). */
    stackOfFolder(workDir: string, stackName: string): Promise<Stack>;
    /**
     * An executable the CLI runs as the analyzer of a policy pack folder (no language host here);
     * `preload` modules are required first in the pack's process, with `env` set.
     */
    policyPackExecutable(packDir: string, opts?: { preload?: string[]; env?: Record<string, string>; name?: string }): string;
    /** The `pulumi` binary. */
    readonly pulumi: string;
    /** Every file of the backend's state and history, concatenated (to look for plain secrets). */
    backendText(): string;
    stop(): void;
}

export const PASSPHRASE = "ggb-test-passphrase";

export function startEngine(options: { yaml?: boolean; kubernetes?: boolean } = {}): Engine {
    const pulumiDir = toolDir("pulumi");
    const k8sDir = options.kubernetes === false ? undefined : toolDir("pulumi-resource-kubernetes");
    const yamlDir = options.yaml ? toolDir("pulumi-language-yaml") : undefined;
    const root = makeTempDir("pulumi-engine");
    const backend = path.join(root, "backend");
    const home = path.join(root, "home");
    const shims = path.join(root, "bin");
    for (const d of [backend, home, shims]) fs.mkdirSync(d, { recursive: true });
    const node = process.execPath;
    fs.writeFileSync(
        path.join(shims, "pulumi-resource-pulumi-nodejs"),
        `#!/bin/sh\nexec ${JSON.stringify(node)} ${JSON.stringify(path.join(PULUMI_SDK, "cmd", "dynamic-provider"))} "$@"\n`,
        { mode: 0o755 },
    );
    const env: { [k: string]: string } = {
        PATH: [shims, pulumiDir, ...(k8sDir ? [k8sDir] : []), ...(yamlDir ? [yamlDir] : []), path.join(REPO_ROOT, "bin"), path.dirname(node), process.env.PATH ?? "/usr/bin:/bin"].join(":"),
        PULUMI_HOME: home,
        PULUMI_BACKEND_URL: `file://${backend}`,
        PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
        PULUMI_SKIP_CONFIRMATIONS: "true",
        NODE_PATH: path.join(REPO_ROOT, "node_modules"),
    };
    // The inline program runs in this process; the CLI and the plugins it starts see `env`.
    const workspaceOpts = (projectName: string) => ({
        envVars: env,
        pulumiHome: home,
        projectSettings: { name: projectName, runtime: "nodejs" as const, backend: { url: `file://${backend}` } },
        secretsProvider: "passphrase",
    });
    const previousPath = process.env.PATH;
    process.env.PATH = env.PATH;
    process.env.PULUMI_CONFIG_PASSPHRASE = PASSPHRASE;
    return {
        root,
        backendUrl: `file://${backend}`,
        env,
        pulumi: path.join(pulumiDir, "pulumi"),
        async stack(projectName, stackName, program) {
            return LocalWorkspace.createOrSelectStack({ projectName, stackName, program }, workspaceOpts(projectName));
        },
        async stackOfFolder(workDir, stackName) {
            return LocalWorkspace.createOrSelectStack({ workDir, stackName }, { envVars: env, pulumiHome: home, secretsProvider: "passphrase" });
        },
        policyPackExecutable(packDir, opts = {}) {
            const exe = path.join(root, `policy-pack-${opts.name ?? path.basename(packDir)}`);
            const env = Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${JSON.stringify(v)} `).join("");
            const preload = (opts.preload ?? []).map((m) => `--require ${JSON.stringify(m)} `).join("");
            fs.writeFileSync(
                exe,
                `#!/bin/sh\ncd ${JSON.stringify(packDir)} || exit 1\n${env}exec ${JSON.stringify(node)} ${preload}${JSON.stringify(path.join(PULUMI_SDK, "cmd", "run-policy-pack"))} "$1" ${JSON.stringify(packDir)}\n`,
                { mode: 0o755 },
            );
            return exe;
        },
        backendText() {
            const parts: string[] = [];
            const walk = (d: string) => {
                for (const e of fs.readdirSync(d, { withFileTypes: true })) {
                    const p = path.join(d, e.name);
                    if (e.isDirectory()) walk(p);
                    else parts.push(fs.readFileSync(p).toString("utf8"));
                }
            };
            walk(backend);
            return parts.join("\n");
        },
        stop() {
            process.env.PATH = previousPath;
            removeTempDir(root);
        },
    };
}
