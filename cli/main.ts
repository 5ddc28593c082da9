/**
 * ggb-backups: what an operator asks of the bucket from a terminal, with the AWS SDK's default
 * credentials (env, profile, IRSA) or the ones given in the environment.
 *
 *   ggb-backups sets   [--part P]...                 every set of each part, newest first
 *   ggb-backups verify --part P --backup-id ID       download and check a set's every artifact
 *   ggb-backups drills [--last N]                    the drill history, newest first
 *   ggb-backups backup-now --namespace NS --cronjob NAME  one backup now from the stored CronJob
 *
 * Where the sets are: --bucket, --prefix (default gitguardian), --region (default us-east-1),
 * --endpoint (S3-compatible stores); as GitGuardianBackupPolicy's `storage` output names them.
 */
import * as fs from "node:fs";
import { parseArgs } from "node:util";
import { loadKubeConfig } from "../restore/kubernetes";
import { backupNow } from "./backupNow";
import { s3Store } from "../core/objectStore";
import { backupParts } from "../sources/registry";
import { drillsCommand, Output, setsCommand, verifyCommand } from "./commands";

const USAGE = `usage: ggb-backups <sets|verify|drills> --bucket NAME [--prefix P] [--region R] [--endpoint URL]
  sets   [--part P]...                 every set of each part, newest first
  verify --part P --backup-id ID       download a set and check every artifact's size and sha256
  drills [--last N]                    the restore drills' results, newest first (exit 1 unless the newest is SUCCESSFUL)
usage: ggb-backups backup-now --namespace NS --cronjob NAME [--timeout SECONDS] [--kubeconfig FILE]
                                       one backup now from the stored CronJob; waits and prints the set it committed`;

export async function main(argv: string[], out: Output): Promise<number> {
    const { values, positionals } = parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
            bucket: { type: "string" },
            prefix: { type: "string", default: "gitguardian" },
            region: { type: "string", default: "us-east-1" },
            endpoint: { type: "string" },
            part: { type: "string", multiple: true },
            "backup-id": { type: "string" },
            last: { type: "string", default: "10" },
            namespace: { type: "string" },
            cronjob: { type: "string" },
            timeout: { type: "string", default: "14400" },
            kubeconfig: { type: "string" },
            help: { type: "boolean", short: "h" },
        },
    });
    const [command] = positionals;
    if (command === "backup-now" && !values.help) return backupNowCommand(values, out);
    if (values.help || !command || !values.bucket) {
        out.line(USAGE);
        return values.help ? 0 : 2;
    }
    const store = s3Store({ bucket: values.bucket, region: values.region!, endpoint: values.endpoint });
    const prefix = values.prefix!;
    switch (command) {
        case "sets":
            return setsCommand(store, prefix, values.part ?? backupParts().map((p) => p.name), out);
        case "verify":
            if (values.part?.length !== 1 || !values["backup-id"]) {
                out.line("verify needs one --part and a --backup-id");
                return 2;
            }
            return verifyCommand(store, prefix, values.part[0], values["backup-id"], out);
        case "drills": {
            const last = Number(values.last);
            if (!Number.isInteger(last) || last < 1) {
                out.line(`--last ${values.last} is not a number of results (1 or more)`);
                return 2;
            }
            return drillsCommand(store, prefix, last, out);
        }
        default:
            out.line(`unknown command ${command}\n${USAGE}`);
            return 2;
    }
}

async function backupNowCommand(values: { namespace?: string; cronjob?: string; timeout?: string; kubeconfig?: string; endpoint?: string }, out: Output): Promise<number> {
    const timeout = Number(values.timeout);
    if (!values.namespace || !values.cronjob || !Number.isInteger(timeout) || timeout < 1) {
        out.line("backup-now needs --namespace, --cronjob and a --timeout in seconds");
        return 2;
    }
    const kc = loadKubeConfig(values.kubeconfig ? fs.readFileSync(values.kubeconfig, "utf8") : undefined);
    const r = await backupNow(kc, values.namespace, values.cronjob, (where) => s3Store({ ...where, endpoint: values.endpoint ?? where.endpoint }), { timeoutMs: timeout * 1000, progress: out.progress });
    out.line(`committed ${r.part}/${r.set.backupId} (Job ${r.job}, ${r.seconds} s): restorable with backupId ${r.set.backupId}`);
    return 0;
}

/** The command line: process.argv, stdout for the report, stderr for progress; sets the exit code. */
export function run(): void {
    const tty = process.stderr.isTTY;
    main(process.argv.slice(2), {
        line: (text) => process.stdout.write(`${text}\n`),
        progress: (text) => process.stderr.write(tty ? `\r${text}\x1b[K` : `${text}\n`),
    }).then(
        (code) => {
            if (tty) process.stderr.write("\r\x1b[K");
            process.exitCode = code;
        },
        (e: unknown) => {
            process.stderr.write(`ggb-backups: ${(e as Error).message}\n`);
            process.exitCode = 1;
        },
    );
}
