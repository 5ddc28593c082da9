/**
 * `npm run bench` (not a test): the backup and restore paths on a generated database, with
 * ratios against baselines measured in the same run.
 *
 *   GGB_BENCH_SCALE   pgbench scale of the large database (default 70, about 1 GB)
 *   GGB_BENCH_SMALL   pgbench scale of the small one, for the memory comparison (default 10)
 *
 * Prints wall time, CPU time and peak RSS (summed over the process tree, sampled from /proc) of:
 * raw `pg_dumpall > /dev/null`; the whole backup job (dump + compress + checksum + upload, as
 * the CronJob runs it) with gzip and with zstd; sql vs directory format for backup and restore;
 * and the peak RSS of the dump pipeline at two sizes.
 */
import { execa, ResultPromise } from "execa";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SCRIPT } from "../core/contract";
import { JobResult, runJob } from "../test/harness/jobRunner";
import { MinioServer, startMinio } from "../test/harness/minio";
import { pgBin, PostgresServer, startPostgres } from "../test/harness/postgres";
import { makeTempDir, removeTempDir } from "../test/harness/proc";

interface Measure {
    label: string;
    wallS: number;
    cpuS: number;
    peakRssMB: number;
}

const CLK_TCK = 100;

/** CPU seconds and RSS bytes of a pid and all its descendants, from /proc. */
function treeUsage(root: number): { cpu: number; rss: number } {
    const children = new Map<number, number[]>();
    const stats = new Map<number, { cpu: number; rss: number }>();
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
            const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
            const ppid = Number(fields[1]);
            const cpu = (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / CLK_TCK;
            const rss = Number(fields[21]) * 4096;
            stats.set(Number(entry), { cpu, rss });
            children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
        } catch {
            // the process ended while being read
        }
    }
    let cpu = 0;
    let rss = 0;
    const walk = (pid: number) => {
        const s = stats.get(pid);
        if (s) {
            cpu += s.cpu;
            rss += s.rss;
        }
        for (const c of children.get(pid) ?? []) walk(c);
    };
    walk(root);
    return { cpu, rss };
}

/** Runs `run`, sampling the tree of the process it starts; CPU is taken from the tree's last sample plus reaped children. */
async function measure(label: string, start: () => ResultPromise | Promise<JobResult>, pidOf?: () => number | undefined): Promise<Measure> {
    const before = process.hrtime.bigint();
    const cpuBefore = childCpu();
    let peak = 0;
    const promise = start();
    const pid = () => pidOf?.() ?? (promise as ResultPromise).pid;
    const timer = setInterval(() => {
        const p = pid();
        if (p) peak = Math.max(peak, treeUsage(p).rss);
    }, 25);
    try {
        const r = await promise;
        if ("exitCode" in r && r.exitCode !== 0) throw new Error(`${label} failed: ${"stderr" in r ? String(r.stderr).slice(-500) : ""}`);
    } finally {
        clearInterval(timer);
    }
    const wallS = Number(process.hrtime.bigint() - before) / 1e9;
    const m = { label, wallS, cpuS: childCpu() - cpuBefore, peakRssMB: peak / 1048576 };
    console.log(`  ${label.padEnd(58)} ${m.wallS.toFixed(2).padStart(7)} s wall ${m.cpuS.toFixed(2).padStart(7)} s CPU ${m.peakRssMB.toFixed(1).padStart(7)} MB peak RSS`);
    return m;
}

/** CPU seconds of every reaped child process of this one (getrusage(RUSAGE_CHILDREN) through /proc/self/stat). */
function childCpu(): number {
    const stat = fs.readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[13]) + Number(fields[14])) / CLK_TCK;
}

/** Runs a job script with the job runner, and reports the pid of its shell for sampling. */
function job(script: string, shell: "busybox" | "bash", env: Record<string, string>): { start: () => Promise<JobResult>; pid: () => number | undefined } {
    let known: number | undefined;
    return {
        start: () => {
            const seen = new Set(fs.readdirSync("/proc").filter((e) => /^\d+$/.test(e)));
            const p = runJob(script, { shell, env, timeoutMs: 3_600_000 });
            // The runner's child is the newest process whose parent is this one.
            const find = () => {
                for (const e of fs.readdirSync("/proc")) {
                    if (!/^\d+$/.test(e) || seen.has(e)) continue;
                    try {
                        const stat = fs.readFileSync(`/proc/${e}/stat`, "utf8");
                        if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === process.pid) return Number(e);
                    } catch {
                        /* gone */
                    }
                }
                return undefined;
            };
            const poll = setInterval(() => {
                known ??= find();
                if (known) clearInterval(poll);
            }, 5);
            return p.finally(() => clearInterval(poll));
        },
        pid: () => known,
    };
}

function ratio(a: Measure, b: Measure, goal?: string): void {
    console.log(`  => ${a.label} / ${b.label}: ${(a.wallS / b.wallS).toFixed(2)}x wall${goal ? `  (goal ${goal})` : ""}`);
}

async function backup(pg: PostgresServer, minio: MinioServer, label: string, format: "sql" | "directory", compression: "gzip" | "zstd"): Promise<{ dump: Measure; upload: Measure; total: Measure; bytes: number }> {
    const staging = makeTempDir("bench-staging");
    try {
        const dumpJob = job(SCRIPT.dump.postgres, "busybox", { ...pg.env(), GGB_COMPONENT: "postgres", GGB_STAGING_DIR: staging, GGB_PG_FORMAT: format, GGB_PG_JOBS: String(os.cpus().length), GGB_COMPRESSION: compression });
        const dump = await measure(`${label}: dump step (${format}, ${compression})`, dumpJob.start, dumpJob.pid);
        const bytes = fs.readdirSync(staging).filter((f) => !f.startsWith(".")).reduce((n, f) => n + fs.statSync(path.join(staging, f)).size, 0);
        const uploadJob = job(SCRIPT.upload, "bash", { ...minio.env(), GGB_S3_PREFIX: `bench-${format}-${compression}`, GGB_COMPONENT: "postgres", GGB_STAGING_DIR: staging });
        const upload = await measure(`${label}: upload step (checksum + upload + manifest)`, uploadJob.start, uploadJob.pid);
        const total: Measure = { label: `backup job ${format}/${compression}`, wallS: dump.wallS + upload.wallS, cpuS: dump.cpuS + upload.cpuS, peakRssMB: Math.max(dump.peakRssMB, upload.peakRssMB) };
        console.log(`  ${`${label}: whole job`.padEnd(58)} ${total.wallS.toFixed(2).padStart(7)} s wall, ${(bytes / 1048576).toFixed(1)} MB stored`);
        return { dump, upload, total, bytes };
    } finally {
        removeTempDir(staging);
    }
}

async function main(): Promise<void> {
    const scale = Number(process.env.GGB_BENCH_SCALE ?? 70);
    const small = Number(process.env.GGB_BENCH_SMALL ?? 10);
    console.log(`machine: ${os.cpus().length} x ${os.cpus()[0]?.model}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, load ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`);
    const minio = await startMinio({ bucket: "bench" });
    const servers: { destroy(): Promise<void> }[] = [minio];
    try {
        const sizes: [string, number][] = [["small", small], ["large", scale]];
        const rssByScale: [string, number][] = [];
        for (const [name, s] of sizes) {
            const pg = await startPostgres({ settings: { max_wal_size: "4GB", checkpoint_timeout: "30min", fsync: "off", synchronous_commit: "off", full_page_writes: "off" } });
            servers.push(pg);
            console.log(`\n${name} database: pgbench -i -s ${s}`);
            await execa(pgBin("pgbench"), ["-i", "-q", "-s", String(s), "-h", pg.host, "-p", String(pg.port), "-U", pg.user, "postgres"], { env: { PGPASSWORD: pg.password } });
            const size = await pg.psql("SELECT pg_size_pretty(pg_database_size('postgres'))");
            console.log(`  database size ${size.trim()}`);
            const raw = await measure(`raw pg_dumpall > /dev/null`, () =>
                execa(pgBin("pg_dumpall"), ["-w", "-h", pg.host, "-p", String(pg.port), "-U", pg.user], { env: { PGPASSWORD: pg.password }, stdout: "ignore" }),
            );
            const gzip = await backup(pg, minio, name, "sql", "gzip");
            rssByScale.push([`${name} (scale ${s}, ${size.trim()})`, gzip.dump.peakRssMB]);
            if (name === "small") {
                await pg.destroy();
                servers.pop();
                continue;
            }
            ratio(gzip.total, raw, "<= 1.15x");
            const zstd = await backup(pg, minio, name, "sql", "zstd");
            ratio(zstd.total, raw, "<= 1.15x");
            console.log(`  => stored bytes zstd / gzip: ${(zstd.bytes / gzip.bytes).toFixed(2)}x; dump CPU zstd / gzip: ${(zstd.dump.cpuS / gzip.dump.cpuS).toFixed(2)}x`);
            const dir = await backup(pg, minio, name, "directory", "zstd");
            ratio(dir.total, zstd.total);

            // Restores into fresh clusters: psql replay of the sql set vs pg_restore -j of the directory set.
            for (const [format, prefix] of [["sql", "bench-sql-zstd"], ["directory", "bench-directory-zstd"]] as const) {
                const target = await startPostgres({ password: pg.password, settings: { max_wal_size: "4GB", fsync: "off", synchronous_commit: "off", full_page_writes: "off" } });
                const staging = makeTempDir("bench-restore");
                try {
                    const ids = (await minio.list(`${prefix}/postgres/`)).map((k) => k.split("/")[2]);
                    const fetch = job(SCRIPT.fetch, "bash", { ...minio.env(), GGB_S3_PREFIX: prefix, GGB_COMPONENT: "postgres", GGB_STAGING_DIR: staging, GGB_BACKUP_ID: ids[0] });
                    await measure(`restore ${format}: fetch and verify`, fetch.start, fetch.pid);
                    const apply = job(SCRIPT.restorePostgres, "busybox", { ...target.env(), GGB_STAGING_DIR: staging, GGB_PG_JOBS: String(os.cpus().length) });
                    const m = await measure(`restore ${format}: apply (${format === "sql" ? "psql replay" : `pg_restore -j ${os.cpus().length}`})`, apply.start, apply.pid);
                    (format === "sql" ? (restoreSql = m) : (restoreDir = m));
                } finally {
                    removeTempDir(staging);
                    await target.destroy();
                }
            }
            if (restoreSql && restoreDir) ratio(restoreDir, restoreSql, "<= 0.5x");
        }
        console.log("\npeak RSS of the dump pipeline (shell + pg_dumpall + compressor):");
        for (const [label, mb] of rssByScale) console.log(`  ${label.padEnd(40)} ${mb.toFixed(1)} MB  (goal: flat, < 64 MB)`);
    } finally {
        for (const s of servers.reverse()) await s.destroy().catch(() => undefined);
    }
}

let restoreSql: Measure | undefined;
let restoreDir: Measure | undefined;

main().catch((e) => {
    console.error(`bench failed: ${(e as Error).message}`);
    process.exitCode = 1;
});
