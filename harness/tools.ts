/**
 * Binaries built by scripts/tools/build.sh from the Go module proxy and cached by version there;
 * this module only asks it where they are (building what is missing takes minutes on a fresh
 * machine). build.sh prints one `<tool>=<dir>` line per tool.
 */
import { execa } from "execa";
import * as path from "node:path";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const BUILD_SH = path.join(REPO_ROOT, "scripts/tools/build.sh");
type Tool = "minio" | "rclone" | "kube" | "kubectl" | "kwok" | "promtool" | "prometheus-crds" | "age";
const built = new Map<Tool, Promise<string>>();

/** The folder build.sh printed for `tool`, or undefined with its exit code and stderr. */
async function buildSh(args: string[], tool: Tool): Promise<{ dir?: string; exitCode: number; stderr: string }> {
    const r = await execa("bash", [BUILD_SH, ...args, tool], { reject: false, stderr: "pipe" });
    const line = r.stdout.split("\n").find((l) => l.startsWith(`${tool}=`));
    return { dir: r.exitCode === 0 && line ? line.slice(tool.length + 1) : undefined, exitCode: r.exitCode ?? -1, stderr: r.stderr };
}

/** Folder of TOOL's binaries; builds it when missing. */
export function toolDir(tool: Tool): Promise<string> {
    let dir = built.get(tool);
    if (!dir) {
        dir = (async () => {
            const r = await buildSh([], tool);
            if (!r.dir) throw new Error(`scripts/tools/build.sh ${tool} failed (exit ${r.exitCode}): ${r.stderr.split("\n").slice(-10).join("\n")}`);
            return r.dir;
        })();
        built.set(tool, dir);
    }
    return dir;
}

/** Folder of TOOL's binaries when it is already built, else undefined (never builds). */
export async function builtToolDir(tool: Tool): Promise<string | undefined> {
    return (await buildSh(["--print"], tool)).dir;
}

/** The real kubectl (the kots job's image has one), built from the API server's module and version. */
export async function kubectlDir(): Promise<string> {
    return toolDir("kubectl");
}

/** rclone, the S3 client the benchmark compares with the jobs' aws CLI. */
export async function rcloneBin(): Promise<string> {
    return path.join(await toolDir("rclone"), "rclone");
}

/** promtool, which tests the alert rules (scripts/test.sh starts its build beside the suites). */
export async function promtoolBin(): Promise<string> {
    return path.join(await toolDir("promtool"), "promtool");
}

/** The Prometheus Operator's PrometheusRule CRD manifest, from its Go module. */
export async function prometheusRuleCrdFile(): Promise<string> {
    return path.join(await toolDir("prometheus-crds"), "monitoring.coreos.com_prometheusrules.yaml");
}

/** age and age-keygen, statically linked (as the jobs copy age from an encryption tool image). */
export async function ageDir(): Promise<string> {
    return toolDir("age");
}
