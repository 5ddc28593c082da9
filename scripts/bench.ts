/**
 * `npm run bench` (not a test): the backup and restore paths on a generated database, with
 * ratios against baselines measured in the same run.
 *
 *   GGB_BENCH_SCALE   pgbench scale of the large database (default 70, about 1 GB)
 *   GGB_BENCH_SMALL   pgbench scale of the small one, for the memory comparison (default 10)
 *   GGB_BENCH_UPLINK_MBPS  rate of the throttled uplink of the last comparison (default 40 MB/s)
 *   GGB_BENCH_ROUNDS  rounds of the backup comparison (default 3; ratios are per round, the
 *                     median is reported: this machine's speed drifts by 10-20 % between runs)
 *   GGB_BENCH_ONLY    `encryption`: only the encrypted job against the unencrypted one (pgbench
 *                     and hex data), and the restore's decryption cost
 *
 * On each dataset (pgbench data, compresses about 120:1; hex text of the same size, about 2:1;
 * each at two sizes; and the large hex data uploaded through a throttled uplink, as to a remote
 * S3), in the same rounds: the floors (raw `pg_dumpall > /dev/null`; `pg_dumpall | zstd >
 * /dev/null`, the dump and our compressor), our backup job as the CronJob's pod runs it (dump and
 * upload containers side by side) and as the staged design ran it, and the pipelines people run
 * today, reimplemented from their command lines (the Zalando operator's logical backup, the
 * runbook's gzip-then-upload, pg_back's per-database files): a table of medians per dataset with
 * wall time, CPU of the pipeline's processes, the servers' CPU apart, peak RSS (summed over the
 * process tree, sampled from /proc) and stored bytes. Then restores (ours of the sql and the
 * directory sets, against `aws s3 cp - | gunzip | psql` and `pg_restore -j` from a local file),
 * gzip vs zstd, age encryption, the upload step's parts alone (the aws CLI against rclone, GNU
 * against busybox fan-out), and the peak RSS of the job's containers at two sizes. The output
 * ends with the goals, one line each, met or MISSED.
 */
import { execa } from "execa";
import { PART_SCRIPT } from "../sources";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SCRIPT } from "../core/contract";
import { runJob } from "../harness/jobRunner";
import { MinioServer, startMinio } from "../harness/minio";
import { PG_BIN, pgBin, PostgresServer, startPostgres } from "../harness/postgres";
import { makeTempDir, removeTempDir } from "../harness/proc";
import { ageDir, rcloneBin } from "../harness/tools";
import { startUplink } from "./uplink";

interface Measure {
    label: string;
    wallS: number;
    cpuS: number;
    peakRssMB: number;
    /** Busy CPU seconds of the whole machine (the servers included). */
    machineCpuS: number;
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

/** Busy CPU seconds of the machine since boot (/proc/stat: everything but idle and iowait). */
function machineBusy(): number {
    const f = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    return (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) / CLK_TCK;
}

function print(m: Measure): void {
    console.log(
        `  ${m.label.padEnd(56)} ${m.wallS.toFixed(2).padStart(6)} s wall ${m.cpuS.toFixed(2).padStart(6)} s CPU ${m.machineCpuS.toFixed(2).padStart(6)} s machine ${m.peakRssMB.toFixed(1).padStart(6)} MB peak RSS`,
    );
}

/**
 * Runs `start`, sampling the RSS of the process trees rooted at `pids()` every 25 ms; CPU is
 * that of this process's reaped children (the job's whole tree, waited for by its shells).
 */
async function measure(label: string, start: () => Promise<unknown>, pids: () => number[], quiet = false): Promise<Measure> {
    const before = process.hrtime.bigint();
    const cpuBefore = childCpu();
    const busyBefore = machineBusy();
    let peak = 0;
    const timer = setInterval(() => {
        peak = Math.max(peak, pids().reduce((n, p) => n + treeUsage(p).rss, 0));
    }, 25);
    try {
        await start();
    } finally {
        clearInterval(timer);
    }
    const m = { label, wallS: Number(process.hrtime.bigint() - before) / 1e9, cpuS: childCpu() - cpuBefore, peakRssMB: peak / 1048576, machineCpuS: machineBusy() - busyBefore };
    if (!quiet) print(m);
    return m;
}

/** A command measured as one process tree (its exit must be 0). */
function command(label: string, file: string, args: string[], env: Record<string, string>, quiet = false): Promise<Measure> {
    let pid: number | undefined;
    return measure(
        label,
        async () => {
            const p = execa(file, args, { env, stdout: "ignore", stderr: "pipe" });
            pid = p.pid;
            await p;
        },
        () => (pid ? [pid] : []),
        quiet,
    );
}

/** CPU seconds of every reaped child process of this one (getrusage(RUSAGE_CHILDREN) through /proc/self/stat). */
function childCpu(): number {
    const stat = fs.readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[13]) + Number(fields[14])) / CLK_TCK;
}

function ratio(label: string, a: number, b: number, goal?: string): void {
    console.log(`  => ${label}: ${(a / b).toFixed(2)}x wall${goal ? `  (goal ${goal})` : ""}`);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The goals of issue 18, each a ratio from this run and its limit; printed last, one line each. */
const goals: { what: string; value: number; limit: number; strict: boolean }[] = [];
/** A goal: `value` ≤ `limit` (or < with `strict`). */
function goal(what: string, value: number, limit: number, strict = false): void {
    goals.push({ what, value, limit, strict });
}
function printGoals(): void {
    console.log("\ngoals (ratios from this run):");
    for (const g of goals) {
        const met = g.strict ? g.value < g.limit : g.value <= g.limit;
        console.log(`  ${met ? "met   " : "MISSED"} ${g.what}: ${g.value.toFixed(2)}x (goal ${g.strict ? "<" : "<="} ${g.limit}x)`);
    }
}

interface JobRun {
    whole: Measure;
    /** Peak RSS of the dump container's tree (shell + pg_dumpall/pg_dump + compressor). */
    dumpRssMB: number;
    uploadRssMB: number;
    bytes: number;
}

/** The backup job as the CronJob's pod runs it: the dump and upload steps side by side. */
async function streamedJob(pg: PostgresServer, minio: MinioServer, label: string, format: "sql" | "directory", compression: "gzip" | "zstd", endpoint = minio.endpoint, uploadEnv: Record<string, string> = {}): Promise<JobRun> {
    const staging = makeTempDir("bench-staging");
    const encrypted = uploadEnv.GGB_ENCRYPTION_RECIPIENTS !== undefined;
    const prefix = `bench-${label}-${format}-${compression}${encrypted ? "-age" : ""}`;
    try {
        const pids: { dump?: number; upload?: number } = {};
        let dumpPeak = 0;
        let uploadPeak = 0;
        const sampler = setInterval(() => {
            if (pids.dump) dumpPeak = Math.max(dumpPeak, treeUsage(pids.dump).rss);
            if (pids.upload) uploadPeak = Math.max(uploadPeak, treeUsage(pids.upload).rss);
        }, 25);
        const common = { GGB_COMPONENT: "postgres", GGB_STAGING_DIR: staging };
        const whole = await measure(
            `${label}: backup job ${format}/${compression}${encrypted ? "/age" : ""}, streamed`,
            async () => {
                const [dump, upload] = await Promise.all([
                    runJob(PART_SCRIPT.dump.postgres, {
                        shell: "busybox",
                        env: { ...pg.env(), ...common, GGB_PG_FORMAT: format, GGB_PG_JOBS: String(os.cpus().length), GGB_COMPRESSION: compression },
                        timeoutMs: 3_600_000,
                        onSpawn: (pid) => (pids.dump = pid),
                    }),
                    runJob(SCRIPT.upload, { shell: "bash", env: { ...minio.env({ GGB_S3_ENDPOINT: endpoint }), ...common, GGB_S3_PREFIX: prefix, ...uploadEnv }, timeoutMs: 3_600_000, onSpawn: (pid) => (pids.upload = pid) }),
                ]);
                for (const r of [dump, upload]) if (r.exitCode !== 0) throw new Error(`${label}: ${r.script} failed: ${r.stderr.slice(-500)}`);
            },
            () => [pids.dump, pids.upload].filter((p): p is number => p !== undefined),
        );
        clearInterval(sampler);
        const keys = await minio.list(`${prefix}/postgres/`);
        const manifest = keys.filter((k) => k.endsWith("/manifest.json")).sort().pop()!;
        const m = JSON.parse((await minio.get(manifest)).toString()) as { artifacts: { size: number }[] };
        const bytes = m.artifacts.reduce((n, a) => n + a.size, 0);
        return { whole, dumpRssMB: dumpPeak / 1048576, uploadRssMB: uploadPeak / 1048576, bytes };
    } finally {
        removeTempDir(staging);
    }
}

/**
 * The staged design this package used before streaming, with plain commands: dump and compress
 * to the volume (zstd -T0, as that design did), then checksum, upload, and write the manifest
 * (two aws CLI runs after the dump).
 */
async function stagedJob(pg: PostgresServer, minio: MinioServer, label: string, endpoint = minio.endpoint): Promise<Measure> {
    const staging = makeTempDir("bench-staged");
    try {
        const aws = `/usr/bin/aws --endpoint-url ${endpoint}`;
        const script = [
            "set -e",
            `pg_dumpall -w --quote-all-identifiers | zstd -q -c -T0 -3 > "$1/dumpall.sql.zst"`,
            `sum=$(sha256sum "$1/dumpall.sql.zst")`,
            `${aws} s3 cp --only-show-errors "$1/dumpall.sql.zst" "s3://${minio.bucket}/bench-staged/$2/dumpall.sql.zst"`,
            `printf '{"sha256":"%s"}' "$sum" | ${aws} s3 cp --only-show-errors - "s3://${minio.bucket}/bench-staged/$2/manifest.json"`,
        ].join("\n");
        const env = { ...pg.env(), ...minio.env(), PATH: `${PG_BIN}:/usr/bin:/bin`, HOME: staging } as Record<string, string>;
        delete env.GGB_S3_BUCKET;
        return await command(`${label}: backup job sql/zstd, staged`, "/bin/sh", ["-c", script, "staged", staging, String(Date.now())], env);
    } finally {
        removeTempDir(staging);
    }
}

/**
 * The pipelines people run today, reimplemented from their command lines, uploading to the same
 * MinIO (issue 18): the Zalando postgres-operator's logical backup (`pg_dumpall | pigz | aws s3
 * cp - --expected-size <sum of pg_database_size / 5>`: streamed, no checksum, no manifest), the
 * runbook's (`pg_dumpall | gzip > file`, then `aws s3 cp file`), and pg_back's way (a `pg_dump
 * -Fc` file per database and the globals, a sha256 file beside each, then one recursive upload).
 * Returns the measure, the bytes each stored and the key of its (first) object.
 */
type Peer = "zalando" | "runbook" | "pgback";
const PEER_LABEL: Record<Peer, string> = {
    zalando: "Zalando logical backup (pg_dumpall | pigz | aws s3 cp -)",
    runbook: "runbook (pg_dumpall | gzip > file; aws s3 cp file)",
    pgback: "pg_back way (pg_dump -Fc per database, sha256 files, aws s3 cp --recursive)",
};
async function peerBackup(pg: PostgresServer, minio: MinioServer, peer: Peer, endpoint = minio.endpoint): Promise<{ m: Measure; bytes: number; key: string }> {
    const work = makeTempDir(`bench-${peer}`);
    try {
        const prefix = `bench-${peer}/${Date.now()}`;
        const key = peer === "pgback" ? `${prefix}/postgres.dump` : `${prefix}/dumpall.sql.gz`;
        const url = `s3://${minio.bucket}/${key}`;
        const aws = `/usr/bin/aws --endpoint-url ${endpoint}`;
        const expected = (await pg.psql("SELECT (sum(pg_database_size(datname)) / 5)::bigint FROM pg_database")).trim();
        const scripts: Record<Peer, string> = {
            zalando: `set -o pipefail; pg_dumpall | pigz | ${aws} s3 cp - "${url}" --expected-size ${expected}`,
            runbook: `set -e; pg_dumpall | gzip > "$1/dumpall.sql.gz"; ${aws} s3 cp "$1/dumpall.sql.gz" "${url}"`,
            pgback: [
                "set -e",
                `for db in $(psql -Atc "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate" postgres); do pg_dump -Fc -f "$1/$db.dump" "$db"; done`,
                `pg_dumpall --globals-only > "$1/pg_globals.sql"`,
                `cd "$1"; for f in *; do sha256sum "$f" > "$f.sha256"; done`,
                `${aws} s3 cp --only-show-errors --recursive "$1" "s3://${minio.bucket}/${prefix}/"`,
            ].join("\n"),
        };
        const env = { ...pg.env(), ...minio.env(), PATH: `${PG_BIN}:/usr/bin:/bin`, HOME: work } as Record<string, string>;
        const m = await command(`peer: ${PEER_LABEL[peer]}`, "/bin/bash", ["-c", scripts[peer], peer, work], env);
        const listed = await minio.aws(["s3", "ls", "--recursive", "--summarize", `s3://${minio.bucket}/${prefix}/`]);
        const total = /Total Size: (\d+)/.exec(listed.stdout.toString());
        if (!total) throw new Error(`${peer}: no total size in ${listed.stdout.toString()}`);
        return { m, bytes: Number(total[1]), key };
    } finally {
        removeTempDir(work);
    }
}

/**
 * The upload step's parts alone, on the bytes of one artifact (medians of `rounds`): the S3 client
 * (the jobs' aws CLI against rclone, a Go client that starts in milliseconds), and the fan-out
 * and checksums of jobs/upload.sh (tee into sha256sum and wc -c over FIFOs) with the GNU userland
 * of the aws-cli image against busybox's, the userland of alpine-based images such as rclone's.
 */
async function compareUploadParts(minio: MinioServer, key: string, rounds: number): Promise<void> {
    const dir = makeTempDir("bench-uploaders");
    try {
        const file = path.join(dir, "artifact");
        fs.writeFileSync(file, await minio.get(key));
        console.log(`  the upload step's parts alone, on one ${(fs.statSync(file).size / 1048576).toFixed(1)} MB artifact`);
        const env = { ...minio.env(), PATH: "/usr/bin:/bin", HOME: dir };
        // The fan-out of jobs/upload.sh, its output discarded: $2 is "" (GNU) or "busybox ".
        const fanOut = `mkfifo "$3/s" "$3/c"; $2sha256sum <"$3/s" >/dev/null & $2wc -c <"$3/c" >/dev/null & $2cat "$1" | $2tee "$3/s" "$3/c" >/dev/null; wait; rm -f "$3/s" "$3/c"`;
        const clients: [string, string][] = [
            ["aws s3 cp -", `/usr/bin/aws --endpoint-url ${minio.endpoint} s3 cp --only-show-errors - s3://${minio.bucket}/bench-uploaders/aws`],
            ["rclone rcat", `${await rcloneBin()} --config /dev/null --quiet --s3-provider Other --s3-endpoint ${minio.endpoint} --s3-env-auth --s3-no-check-bucket --s3-no-head --s3-chunk-size 16M rcat :s3:${minio.bucket}/bench-uploaders/rclone`],
            ["fan-out, GNU userland", `sh -c '${fanOut}' fan-out "$1" "" "${dir}"`],
            ["fan-out, busybox userland", `sh -c '${fanOut}' fan-out "$1" "busybox " "${dir}"`],
        ];
        const wall = new Map<string, number[]>();
        const cpu = new Map<string, number[]>();
        for (let round = 1; round <= rounds; round++) {
            for (const [name, cmd] of clients) {
                const m = await command(`${name} (round ${round})`, "/bin/sh", ["-c", `${cmd} < "$1"`, "upload", file], env);
                wall.set(name, [...(wall.get(name) ?? []), m.wallS]);
                cpu.set(name, [...(cpu.get(name) ?? []), m.cpuS]);
            }
        }
        for (const [a, b] of [["rclone rcat", "aws s3 cp -"], ["fan-out, busybox userland", "fan-out, GNU userland"]]) {
            console.log(`  => ${a} / ${b}: ${(median(wall.get(a)!) / median(wall.get(b)!)).toFixed(2)}x wall, ${(median(cpu.get(a)!) / median(cpu.get(b)!)).toFixed(2)}x CPU (medians)`);
        }
    } finally {
        removeTempDir(dir);
    }
}

/** Medians of a pipeline's rounds in the same-run table. */
interface Row {
    wall: number[];
    cpu: number[];
    servers: number[];
    rss: number[];
    bytes: number[];
}

/**
 * Rounds, on one database, of the floors (raw `pg_dumpall > /dev/null`; the dump and our
 * compressor, nothing else), our backup job (streamed, and the staged design), and the peers'
 * pipelines; ratios per round, medians printed as one side-by-side table (wall, CPU of every
 * process of the pipeline, the servers' CPU apart, peak RSS, stored bytes), then the issue's
 * goals for this dataset. Returns the last streamed run and the Zalando peer's last object.
 */
async function compareBackups(pg: PostgresServer, minio: MinioServer, label: string, rounds: number, opts: { endpoint?: string; floorGoal?: boolean } = {}): Promise<{ last: JobRun; zalandoKey: string }> {
    const endpoint = opts.endpoint ?? minio.endpoint;
    const pgEnv = { ...pg.env(), PATH: `${PG_BIN}:/usr/bin:/bin` };
    const rows = new Map<string, Row>();
    const add = (name: string, m: Measure, bytes = 0) => {
        const r = rows.get(name) ?? { wall: [], cpu: [], servers: [], rss: [], bytes: [] };
        r.wall.push(m.wallS);
        r.cpu.push(m.cpuS);
        r.servers.push(Math.max(0, m.machineCpuS - m.cpuS));
        r.rss.push(m.peakRssMB);
        r.bytes.push(bytes);
        rows.set(name, r);
    };
    const per = { zalandoWall: [] as number[], zalandoCpu: [] as number[], zalandoBytes: [] as number[], runbook: [] as number[], pgback: [] as number[], floor: [] as number[], raw: [] as number[] };
    let last: JobRun | undefined;
    let zalandoKey = "";
    for (let round = 1; round <= rounds; round++) {
        console.log(`  round ${round} of ${rounds}`);
        const raw = await command("floor: raw pg_dumpall > /dev/null", pgBin("pg_dumpall"), ["-w"], pgEnv);
        // The job's own compressor and flags (jobs/codec.sh: zstd -3, single-threaded).
        const floor = await command("floor: pg_dumpall | zstd -3 > /dev/null", "/bin/sh", ["-c", "set -e; pg_dumpall -w --quote-all-identifiers | zstd -q -c --single-thread -3 > /dev/null"], pgEnv);
        last = await streamedJob(pg, minio, label, "sql", "zstd", endpoint);
        const staged = await stagedJob(pg, minio, label, endpoint);
        const zalando = await peerBackup(pg, minio, "zalando", endpoint);
        const runbook = await peerBackup(pg, minio, "runbook", endpoint);
        const pgback = await peerBackup(pg, minio, "pgback", endpoint);
        zalandoKey = zalando.key;
        add("floor: raw pg_dumpall > /dev/null", raw);
        add("floor: pg_dumpall | zstd > /dev/null", floor);
        add("our backup job (streamed, sql/zstd)", last.whole, last.bytes);
        add("our backup job, staged design", staged);
        add(`peer: ${PEER_LABEL.zalando}`, zalando.m, zalando.bytes);
        add(`peer: ${PEER_LABEL.runbook}`, runbook.m, runbook.bytes);
        add(`peer: ${PEER_LABEL.pgback}`, pgback.m, pgback.bytes);
        per.zalandoWall.push(last.whole.wallS / zalando.m.wallS);
        per.zalandoCpu.push(last.whole.cpuS / zalando.m.cpuS);
        per.zalandoBytes.push(last.bytes / zalando.bytes);
        per.runbook.push(last.whole.wallS / runbook.m.wallS);
        per.pgback.push(last.whole.wallS / pgback.m.wallS);
        per.floor.push(last.whole.wallS / floor.wallS);
        per.raw.push(last.whole.wallS / raw.wallS);
    }
    console.log(`\n  ${label}, medians of ${rounds} rounds:`);
    console.log(`  ${"pipeline".padEnd(84)}  wall s   CPU s  servers s  peak RSS MB  stored MB`);
    for (const [name, r] of rows) {
        const bytes = median(r.bytes);
        console.log(
            `  ${name.padEnd(84)} ${median(r.wall).toFixed(2).padStart(7)} ${median(r.cpu).toFixed(2).padStart(7)} ${median(r.servers).toFixed(2).padStart(10)} ${median(r.rss).toFixed(1).padStart(12)} ${bytes ? (bytes / 1048576).toFixed(1).padStart(10) : "         -"}`,
        );
    }
    const show = (what: string, xs: number[]) => console.log(`  => ${what}: ${median(xs).toFixed(2)}x (median of ${xs.map((x) => x.toFixed(2)).join(", ")})`);
    show("our job / raw pg_dumpall, wall", per.raw);
    show("our job / pg_dumpall | zstd, wall", per.floor);
    show("our job / Zalando, wall", per.zalandoWall);
    show("our job / Zalando, CPU", per.zalandoCpu);
    show("our job / Zalando, stored bytes", per.zalandoBytes);
    show("our job / runbook, wall", per.runbook);
    show("our job / pg_back way, wall", per.pgback);
    goal(`${label}: backup job wall / Zalando logical backup`, median(per.zalandoWall), 0.6);
    goal(`${label}: backup job stored bytes / Zalando logical backup`, median(per.zalandoBytes), 1, true);
    goal(`${label}: backup job CPU-seconds per GB / Zalando logical backup's`, median(per.zalandoCpu), 0.6);
    if (opts.floorGoal) goal(`${label}: backup job wall / dump-and-compress floor (pg_dumpall | zstd)`, median(per.floor), 1.15);
    return { last: last!, zalandoKey };
}

/**
 * Restores of one database into fresh clusters: ours (the fetch step, which downloads and checks
 * every sha256 before anything is applied, then the apply step) of the sql set and of the
 * directory set, against the naive streamed restore (`aws s3 cp s3://… - | gunzip | psql`, of the
 * Zalando peer's object: nothing is checked before the target is written) and `pg_restore -j`
 * from a local custom-format file (no download at all).
 */
async function compareRestores(pg: PostgresServer, minio: MinioServer, label: string, zalandoKey: string, settings: Record<string, string>): Promise<void> {
    const jobs = os.cpus().length;
    const fresh = () => startPostgres({ password: pg.password, settings });
    const ours: Partial<Record<"sql" | "directory", number>> = {};
    const applies: Partial<Record<"sql" | "directory", number>> = {};
    for (const format of ["sql", "directory"] as const) {
        const prefix = `bench-${label}-${format}-zstd`;
        const target = await fresh();
        const staging = makeTempDir("bench-restore");
        try {
            const id = (await minio.list(`${prefix}/postgres/`)).filter((k) => k.endsWith("/manifest.json")).sort().pop()!.split("/")[2];
            let pid: number | undefined;
            const tree = () => (pid ? [pid] : []);
            const fetchEnv = { ...minio.env(), GGB_S3_PREFIX: prefix, GGB_COMPONENT: "postgres", GGB_STAGING_DIR: staging, GGB_BACKUP_ID: id };
            const fetched = await measure(`${label}: our restore ${format}: fetch and verify`, () => runJob(SCRIPT.fetch, { shell: "bash", env: fetchEnv, timeoutMs: 3_600_000, onSpawn: (p) => (pid = p) }), tree);
            const applyEnv = { ...target.env(), GGB_STAGING_DIR: staging, GGB_PG_JOBS: String(jobs) };
            const applied = await measure(
                `${label}: our restore ${format}: apply (${format === "sql" ? "psql replay" : `pg_restore -j ${jobs}`})`,
                async () => {
                    const r = await runJob(PART_SCRIPT.restorePostgres, { shell: "busybox", env: applyEnv, timeoutMs: 3_600_000, onSpawn: (p) => (pid = p) });
                    if (r.exitCode !== 0) throw new Error(`restore ${format} failed: ${r.stderr.slice(-500)}`);
                },
                tree,
            );
            ours[format] = fetched.wallS + applied.wallS;
            applies[format] = applied.wallS;
        } finally {
            removeTempDir(staging);
            await target.destroy();
        }
    }
    const naiveTarget = await fresh();
    let naive: Measure;
    try {
        const env = { ...naiveTarget.env(), ...minio.env(), PATH: `${PG_BIN}:/usr/bin:/bin`, HOME: os.tmpdir() } as Record<string, string>;
        naive = await command(`${label}: naive restore (aws s3 cp - | gunzip | psql)`, "/bin/bash", ["-c", `set -o pipefail; /usr/bin/aws --endpoint-url ${minio.endpoint} s3 cp "s3://${minio.bucket}/${zalandoKey}" - | gunzip | psql -q -d postgres >/dev/null 2>&1`], env);
    } finally {
        await naiveTarget.destroy();
    }
    const local = makeTempDir("bench-local-dump");
    const localTarget = await fresh();
    let localRestore: Measure;
    try {
        await execa(pgBin("pg_dump"), ["-Fc", "-f", path.join(local, "postgres.dump"), "postgres"], { env: pg.env() });
        localRestore = await command(`${label}: pg_restore -j ${jobs} from a local file`, pgBin("pg_restore"), ["-j", String(jobs), "-d", "postgres", path.join(local, "postgres.dump")], { ...localTarget.env(), PATH: `${PG_BIN}:/usr/bin:/bin` });
    } finally {
        removeTempDir(local);
        await localTarget.destroy();
    }
    console.log(`  => ${label}: our restore sql ${ours.sql!.toFixed(2)} s, directory ${ours.directory!.toFixed(2)} s; naive streamed ${naive.wallS.toFixed(2)} s; pg_restore -j from a local file ${localRestore.wallS.toFixed(2)} s`);
    ratio(`${label}: restore apply, directory (pg_restore -j) / sql (psql replay)`, applies.directory!, applies.sql!, "<= 0.5x");
    goal(`${label}: our restore (sql set: fetch, verify, apply) / naive streamed restore`, ours.sql! / naive.wallS, 1.15);
    goal(`${label}: our restore (directory set) / naive streamed restore`, ours.directory! / naive.wallS, 1.15);
}

/**
 * The encrypted backup job (age in the upload step, to one recipient) against the same job
 * unencrypted, on the same database, alternating within each round; then the restore's fetch
 * step of each set (download, verify, and for the encrypted one, decrypt with age).
 */
async function compareEncryption(pg: PostgresServer, minio: MinioServer, label: string, rounds: number): Promise<void> {
    const dir = await ageDir();
    const keys = makeTempDir("bench-age");
    try {
        const keyFile = path.join(keys, "key.txt");
        await execa(path.join(dir, "age-keygen"), ["-o", keyFile]);
        const recipient = (await execa(path.join(dir, "age-keygen"), ["-y", keyFile])).stdout.trim();
        const age = { GGB_ENCRYPTION_RECIPIENTS: recipient, GGB_AGE: path.join(dir, "age") };
        const wall: number[] = [];
        const cpu: number[] = [];
        for (let round = 1; round <= rounds; round++) {
            console.log(`  round ${round} of ${rounds}`);
            // Which goes first alternates: the machine's drift then lands on both.
            const runPlain = () => streamedJob(pg, minio, label, "sql", "zstd");
            const runSealed = () => streamedJob(pg, minio, label, "sql", "zstd", minio.endpoint, age);
            let plain: JobRun, sealed: JobRun;
            if (round % 2) {
                plain = await runPlain();
                sealed = await runSealed();
            } else {
                sealed = await runSealed();
                plain = await runPlain();
            }
            wall.push(sealed.whole.wallS / plain.whole.wallS);
            cpu.push(sealed.whole.cpuS / plain.whole.cpuS);
        }
        const show = (what: string, xs: number[]) => console.log(`  => ${what}: ${median(xs).toFixed(2)}x (median of ${xs.map((x) => x.toFixed(2)).join(", ")})  (goal <= 1.10x)`);
        show(`${label}: backup job encrypted (age) / unencrypted, wall`, wall);
        show(`${label}: backup job encrypted (age) / unencrypted, CPU of the job's processes`, cpu);
        const fetch: Record<string, Measure> = {};
        for (const [what, prefix, env] of [["unencrypted", `bench-${label}-sql-zstd`, {}], ["encrypted", `bench-${label}-sql-zstd-age`, { GGB_AGE: age.GGB_AGE, GGB_AGE_IDENTITY_FILE: keyFile }]] as const) {
            const staging = makeTempDir("bench-fetch");
            try {
                const id = (await minio.list(`${prefix}/postgres/`)).filter((k) => k.endsWith("/manifest.json")).sort().pop()!.split("/")[2];
                let pid: number | undefined;
                fetch[what] = await measure(
                    `${label}: restore fetch and verify, ${what}${what === "encrypted" ? " (then age -d)" : ""}`,
                    async () => {
                        const r = await runJob(SCRIPT.fetch, { shell: "bash", env: { ...minio.env(), GGB_S3_PREFIX: prefix, GGB_COMPONENT: "postgres", GGB_STAGING_DIR: staging, GGB_BACKUP_ID: id, ...env }, timeoutMs: 3_600_000, onSpawn: (p) => (pid = p) });
                        if (r.exitCode !== 0) throw new Error(`fetch ${what} failed: ${r.stderr.slice(-500)}`);
                    },
                    () => (pid ? [pid] : []),
                );
            } finally {
                removeTempDir(staging);
            }
        }
        console.log(`  => ${label}: restore fetch encrypted / unencrypted: ${(fetch.encrypted.wallS / fetch.unencrypted.wallS).toFixed(2)}x wall, ${(fetch.encrypted.cpuS / fetch.unencrypted.cpuS).toFixed(2)}x CPU (the decryption's cost)`);
    } finally {
        removeTempDir(keys);
    }
}

async function main(): Promise<void> {
    const scale = Number(process.env.GGB_BENCH_SCALE ?? 70);
    const small = Number(process.env.GGB_BENCH_SMALL ?? 10);
    const rounds = Number(process.env.GGB_BENCH_ROUNDS ?? 3);
    const only = process.env.GGB_BENCH_ONLY;
    if (only !== undefined && only !== "encryption") throw new Error(`GGB_BENCH_ONLY=${only}: the one section that runs alone is encryption`);
    console.log(`machine: ${os.cpus().length} x ${os.cpus()[0]?.model}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, load ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`);
    const minio = await startMinio({ bucket: "bench" });
    const servers: { destroy(): Promise<void> }[] = [minio];
    const settings = { max_wal_size: "4GB", checkpoint_timeout: "30min", fsync: "off", synchronous_commit: "off", full_page_writes: "off" };
    /** A PostgreSQL for one dataset, destroyed when `use` ends. */
    const withDatabase = async (fill: (pg: PostgresServer) => Promise<void>, use: (pg: PostgresServer, size: string) => Promise<void>) => {
        const pg = await startPostgres({ settings });
        servers.push(pg);
        try {
            await fill(pg);
            const size = (await pg.psql("SELECT pg_size_pretty(pg_database_size('postgres'))")).trim();
            console.log(`  database size ${size}`);
            await use(pg, size);
        } finally {
            await pg.destroy();
            servers.splice(servers.indexOf(pg), 1);
        }
    };
    const pgbench = (s: number) => async (pg: PostgresServer) => {
        await execa(pgBin("pgbench"), ["-i", "-q", "-s", String(s), "-h", pg.host, "-p", String(pg.port), "-U", pg.user, "postgres"], { env: { PGPASSWORD: pg.password } });
    };
    // pgbench rows are mostly blanks (zstd stores them 120:1), so the bytes to upload are
    // negligible. Hex text of the same size compresses about 2:1: it shows what streaming saves
    // when the upload itself takes time.
    const hex = (s: number) => async (pg: PostgresServer) => {
        await pg.psql(`CREATE TABLE payloads AS SELECT g AS id, ${Array.from({ length: 8 }, (_, i) => `md5((g * ${i + 1})::text || random()::text)`).join(" || ")} AS payload FROM generate_series(1, ${s * 52_000}) g`);
    };
    try {
        const rss: JobRun[] = [];
        for (const [name, s] of [["small", small], ["large", scale]] as const) {
            console.log(`\n${name} database: pgbench -i -s ${s}`);
            await withDatabase(pgbench(s), async (pg) => {
                if (only === "encryption") {
                    if (name === "large") await compareEncryption(pg, minio, name, rounds);
                    return;
                }
                const { last, zalandoKey } = await compareBackups(pg, minio, name, rounds, { floorGoal: true });
                rss.push(last);
                if (name === "large") {
                    await compareEncryption(pg, minio, name, rounds);
                    await compareUploadParts(minio, (await minio.list("bench-large-sql-zstd/postgres/")).find((k) => k.endsWith(".zst"))!, rounds);
                    const pgEnv = { ...pg.env(), PATH: `${PG_BIN}:/usr/bin:/bin` };
                    const rawNow = await command("raw pg_dumpall > /dev/null", pgBin("pg_dumpall"), ["-w"], pgEnv, true);
                    const gzip = await streamedJob(pg, minio, name, "sql", "gzip");
                    ratio("backup job streamed (sql/gzip) / raw pg_dumpall (measured just before)", gzip.whole.wallS, rawNow.wallS);
                    console.log(`  => stored bytes zstd / gzip: ${(last.bytes / gzip.bytes).toFixed(2)}x; job CPU zstd / gzip: ${(last.whole.cpuS / gzip.whole.cpuS).toFixed(2)}x`);
                }
                await streamedJob(pg, minio, name, "directory", "zstd");
                await compareRestores(pg, minio, name, zalandoKey, settings);
            });
        }

        for (const [name, s] of [["hex-small", small], ["hex", scale]] as const) {
            console.log(`\n${name} database: ${s * 52_000} rows of 256 hex digits (about as large as pgbench scale ${s}, compresses about 2:1)`);
            await withDatabase(hex(s), async (pg) => {
                if (only === "encryption") {
                    if (name === "hex") await compareEncryption(pg, minio, name, rounds);
                    return;
                }
                await compareBackups(pg, minio, name, rounds, { floorGoal: true });
                if (name !== "hex") return;
                await compareEncryption(pg, minio, name, rounds);
                await compareUploadParts(minio, (await minio.list("bench-hex-sql-zstd/postgres/")).find((k) => k.endsWith(".zst"))!, rounds);
                // In production S3 is remote: the upload is bound by the node's uplink, not by its CPU
                // (nor does the S3 server's work land on the node, as MinIO's does here).
                const mbps = Number(process.env.GGB_BENCH_UPLINK_MBPS ?? 40);
                const uplink = await startUplink({ host: "127.0.0.1", port: Number(new URL(minio.endpoint).port) }, mbps * 1_000_000);
                try {
                    console.log(`\nhex database, uploads through a ${mbps} MB/s uplink (a throttling proxy in front of MinIO)`);
                    await compareBackups(pg, minio, "uplink", rounds, { endpoint: uplink.endpoint });
                } finally {
                    await uplink.close();
                }
            });
        }
        if (only === "encryption") return;
        console.log("\npeak RSS of the backup job's two containers (pgbench, small and large):");
        for (const [label, run] of [["small", rss[0]], ["large", rss[1]]] as const) {
            console.log(`  ${label.padEnd(8)} dump ${run.dumpRssMB.toFixed(1).padStart(5)} MB (shell + pg_dumpall + zstd)   upload ${run.uploadRssMB.toFixed(1).padStart(5)} MB (shell + aws CLI + tee, sha256sum)`);
        }
        goal("peak RSS of the dump container, large / small database", rss[1].dumpRssMB / rss[0].dumpRssMB, 1.25);
        goal("peak RSS of the upload container, large / small database", rss[1].uploadRssMB / rss[0].uploadRssMB, 1.25);
        printGoals();
    } finally {
        for (const s of servers.reverse()) await s.destroy().catch(() => undefined);
    }
}

main().catch((e) => {
    console.error(`bench failed: ${(e as Error).message}`);
    process.exitCode = 1;
});
