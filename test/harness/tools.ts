/**
 * Binaries built by scripts/tools/build.sh from the Go module proxy and cached by version there;
 * this module only asks it where they are (building what is missing, minutes on a fresh machine).
 */
import { execa } from "execa";
import * as path from "node:path";

const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
const built = new Map<string, Promise<string>>();

/** Folder of TOOL's binaries (a tool of build.sh); builds it when missing. */
export function toolDir(tool: "minio" | "rclone"): Promise<string> {
    let dir = built.get(tool);
    if (!dir) {
        dir = (async () => {
            const r = await execa("bash", [path.join(REPO_ROOT, "scripts/tools/build.sh"), tool], { reject: false, stderr: "pipe" });
            const line = r.stdout.split("\n").find((l) => l.startsWith(`${tool}=`));
            if (r.exitCode !== 0 || !line) throw new Error(`scripts/tools/build.sh ${tool} failed (exit ${r.exitCode}): ${r.stderr.split("\n").slice(-10).join("\n")}`);
            return line.slice(tool.length + 1);
        })();
        built.set(tool, dir);
    }
    return dir;
}

/** rclone, the S3 client the benchmark compares with the jobs' aws CLI. */
export async function rcloneBin(): Promise<string> {
    return path.join(await toolDir("rclone"), "rclone");
}
