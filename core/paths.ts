/** Files of the package found at run time, from the sources or from dist/. */
import * as fs from "node:fs";
import * as path from "node:path";
import { SCRIPT } from "./contract";

/** The package root: the folder holding jobs/ (two levels above dist/core, one above core). */
export function packageRoot(): string {
    let dir = __dirname;
    for (let i = 0; i < 4; i++) {
        if (fs.existsSync(path.join(dir, "jobs", SCRIPT.lib))) return dir;
        dir = path.dirname(dir);
    }
    throw new Error(`pulumi-gitguardian-backup: jobs/${SCRIPT.lib} not found above ${__dirname}; is the package installed whole?`);
}

export function jobsDir(): string {
    return path.join(packageRoot(), "jobs");
}
