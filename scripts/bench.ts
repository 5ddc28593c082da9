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
 * Prints wall time, CPU time (of the job's processes; "machine" adds the servers') and peak RSS
 * (summed over a process tree, sampled from /proc) of: raw `pg_dumpall > /dev/null`; the same
 * into a pipe; the whole backup job as the CronJob's pod runs it (dump and upload containers
 * side by side, streaming) and as the staged design ran it (dump to the volume, then upload),
 * on pgbench data (compresses about 120:1), on hex data of the same size (about 2:1), and on
 * hex data uploaded through a throttled uplink (a network-bound upload, as to a remote S3);
 * gzip vs zstd; sql vs directory format for backup and restore; the upload step's parts alone
 * (the aws CLI against rclone, the GNU userland's fan-out against busybox's); and the peak RSS of
 * the dump pipeline at two sizes.
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
 * cp - --expected-size <sum of pg_database_size / 5>`: streamed, no checksum, no manifest) and
 * the runbook's (`pg_dumpall | gzip > file`, then `aws s3 cp file`). Returns the measure and the
 * bytes each stored.
 */
async function peerBackup(pg: PostgresServer, minio: MinioServer, peer: "zalando" | "runbook", endpoint = minio.endpoint): Promise<{ m: Measure; bytes: number }> {
    const work = makeTempDir(`bench-${peer}`);
    try {
        const key = `bench-${peer}/${Date.now()}/dumpall.sql.gz`;
        const url = `s3://${minio.bucket}/${key}`;
        const aws = `/usr/bin/aws --endpoint-url ${endpoint}`;
        const expected = (await pg.psql("SELECT (sum(pg_database_size(datname)) / 5)::bigint FROM pg_database")).trim();
        const script =
            peer === "zalando"
                ? `set -o pipefail; pg_dumpall | pigz | ${aws} s3 cp - "${url}" --expected-size ${expected}`
                : `set -e; pg_dumpall | gzip > "$1/dumpall.sql.gz"; ${aws} s3 cp "$1/dumpall.sql.gz" "${url}"`;
        const env = { ...pg.env(), ...minio.env(), PATH: `${PG_BIN}:/usr/bin:/bin`, HOME: work } as Record<string, string>;
        const label = peer === "zalando" ? "peer: Zalando logical backup (pg_dumpall | pigz | aws s3 cp -)" : "peer: runbook (pg_dumpall | gzip > file; aws s3 cp file)";
        const m = await command(label, "/bin/bash", ["-c", script, peer, work], env);
        const head = await minio.aws(["s3api", "head-object", "--bucket", minio.bucket, "--key", key, "--output", "json"]);
        return { m, bytes: Number((JSON.parse(head.stdout.toString()) as { ContentLength: number }).ContentLength) };
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

/**
 * Rounds of raw dump / dump into a pipe / streamed job / staged job on one database; ratios
 * per round against that round's raw dump, medians printed. Returns the last streamed run.
 */
async function compareBackups(pg: PostgresServer, minio: MinioServer, label: string, rounds: number, endpoint = minio.endpoint): Promise<JobRun> {
    const pgEnv = { ...pg.env(), PATH: `${PG_BIN}:/usr/bin:/bin` };
    const ratios = { streamed: [] as number[], staged: [] as number[], pipe: [] as number[], zalando: [] as number[], runbook: [] as number[], zalandoBytes: [] as number[] };
    let last: JobRun | undefined;
    for (let round = 1; round <= rounds; round++) {
        console.log(`  round ${round} of ${rounds}`);
        const raw = await command("raw pg_dumpall > /dev/null", pgBin("pg_dumpall"), ["-w"], pgEnv);
        const pipe = await command("pg_dumpall | cat > /dev/null (any pipe)", "/bin/sh", ["-c", "pg_dumpall -w | cat > /dev/null"], pgEnv);
        last = await streamedJob(pg, minio, label, "sql", "zstd", endpoint);
        const staged = await stagedJob(pg, minio, label, endpoint);
        const zalando = await peerBackup(pg, minio, "zalando", endpoint);
        const runbook = await peerBackup(pg, minio, "runbook", endpoint);
        ratios.zalando.push(last.whole.wallS / zalando.m.wallS);
        ratios.runbook.push(last.whole.wallS / runbook.m.wallS);
        ratios.zalandoBytes.push(last.bytes / zalando.bytes);
        ratios.pipe.push(pipe.wallS / raw.wallS);
        ratios.streamed.push(last.whole.wallS / raw.wallS);
        ratios.staged.push(staged.wallS / raw.wallS);
    }
    const show = (what: string, xs: number[], goal?: string) =>
        console.log(`  => ${what}: ${median(xs).toFixed(2)}x wall (median of ${xs.map((x) => x.toFixed(2)).join(", ")})${goal ? `  (goal ${goal})` : ""}`);
    console.log(`  ${label}: ${(last!.bytes / 1048576).toFixed(1)} MB stored per set`);
    show("backup job streamed (sql/zstd) / raw pg_dumpall > /dev/null", ratios.streamed, "<= 1.15x");
    show("backup job staged (sql/zstd) / raw pg_dumpall > /dev/null", ratios.staged);
    show("pg_dumpall | cat / raw pg_dumpall > /dev/null", ratios.pipe);
    // The comparison a user makes: what they run today, same data, same round.
    show("backup job streamed (sql/zstd) / Zalando logical backup (pigz)", ratios.zalando, "< 1x");
    show("backup job streamed (sql/zstd) / runbook (gzip to a file, then upload)", ratios.runbook, "< 1x");
    console.log(`  => stored bytes, backup job / Zalando logical backup: ${median(ratios.zalandoBytes).toFixed(2)}x (median of ${ratios.zalandoBytes.map((x) => x.toFixed(2)).join(", ")})`);
    return last!;
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
    try {
        const rss: [string, JobRun][] = [];
        for (const [name, s] of [["small", small], ["large", scale]] as const) {
            const pg = await startPostgres({ settings });
            servers.push(pg);
            console.log(`\n${name} database: pgbench -i -s ${s}`);
            await execa(pgBin("pgbench"), ["-i", "-q", "-s", String(s), "-h", pg.host, "-p", String(pg.port), "-U", pg.user, "postgres"], { env: { PGPASSWORD: pg.password } });
            const size = (await pg.psql("SELECT pg_size_pretty(pg_database_size('postgres'))")).trim();
            console.log(`  database size ${size}`);
            const pgEnv = { ...pg.env(), PATH: `${PG_BIN}:/usr/bin:/bin` };
            if (name === "small") {
                if (only === "encryption") {
                    await pg.destroy();
                    servers.pop();
                    continue;
                }
                await command("raw pg_dumpall > /dev/null", pgBin("pg_dumpall"), ["-w"], pgEnv);
                rss.push([`${name} (scale ${s}, ${size})`, await streamedJob(pg, minio, name, "sql", "zstd")]);
                await pg.destroy();
                servers.pop();
                continue;
            }

            if (only === "encryption") {
                await compareEncryption(pg, minio, name, rounds);
                await pg.destroy();
                servers.pop();
                continue;
            }
            const last = await compareBackups(pg, minio, name, rounds);
            await compareEncryption(pg, minio, name, rounds);
            rss.push([`${name} (scale ${s}, ${size})`, last]);
            await compareUploadParts(minio, (await minio.list("bench-large-sql-zstd/postgres/")).find((k) => k.endsWith(".zst"))!, rounds);
            const rawNow = await command("raw pg_dumpall > /dev/null", pgBin("pg_dumpall"), ["-w"], pgEnv, true);
            const gzip = await streamedJob(pg, minio, name, "sql", "gzip");
            ratio("backup job streamed (sql/gzip) / raw pg_dumpall (measured just before)", gzip.whole.wallS, rawNow.wallS);
            console.log(`  => stored bytes zstd / gzip: ${(last.bytes / gzip.bytes).toFixed(2)}x; job CPU zstd / gzip: ${(last.whole.cpuS / gzip.whole.cpuS).toFixed(2)}x`);
            const dir = await streamedJob(pg, minio, name, "directory", "zstd");
            ratio("backup job directory/zstd / sql/zstd", dir.whole.wallS, last.whole.wallS);

            // Restores into fresh clusters: psql replay of the sql set vs pg_restore -j of the directory set.
            const restores: Partial<Record<"sql" | "directory", Measure>> = {};
            for (const [format, prefix] of [["sql", "bench-large-sql-zstd"], ["directory", "bench-large-directory-zstd"]] as const) {
                const target = await startPostgres({ password: pg.password, settings });
                const staging = makeTempDir("bench-restore");
                try {
                    const id = (await minio.list(`${prefix}/postgres/`)).find((k) => k.endsWith("/manifest.json"))!.split("/")[2];
                    let pid: number | undefined;
                    const tree = () => (pid ? [pid] : []);
                    const fetchEnv = { ...minio.env(), GGB_S3_PREFIX: prefix, GGB_COMPONENT: "postgres", GGB_STAGING_DIR: staging, GGB_BACKUP_ID: id };
                    await measure(`restore ${format}: fetch and verify`, () => runJob(SCRIPT.fetch, { shell: "bash", env: fetchEnv, timeoutMs: 3_600_000, onSpawn: (p) => (pid = p) }), tree);
                    const applyEnv = { ...target.env(), GGB_STAGING_DIR: staging, GGB_PG_JOBS: String(os.cpus().length) };
                    restores[format] = await measure(
                        `restore ${format}: apply (${format === "sql" ? "psql replay" : `pg_restore -j ${os.cpus().length}`})`,
                        async () => {
                            const r = await runJob(PART_SCRIPT.restorePostgres, { shell: "busybox", env: applyEnv, timeoutMs: 3_600_000, onSpawn: (p) => (pid = p) });
                            if (r.exitCode !== 0) throw new Error(`restore ${format} failed: ${r.stderr.slice(-500)}`);
                        },
                        tree,
                    );
                } finally {
                    removeTempDir(staging);
                    await target.destroy();
                }
            }
            ratio("restore directory (pg_restore -j) / restore sql (psql replay)", restores.directory!.wallS, restores.sql!.wallS, "<= 0.5x");
            await pg.destroy();
            servers.pop();
        }

        // pgbench rows are mostly blanks (zstd stores them 120:1), so the bytes to upload are
        // negligible. The same comparison on data that compresses about 2:1 (hex text), of the
        // same size, shows what streaming saves when the upload itself takes time.
        const pg = await startPostgres({ settings });
        servers.push(pg);
        const rows = scale * 52_000;
        console.log(`\nhex database: ${rows} rows of 256 hex digits (about as large as scale ${scale}, compresses about 2:1)`);
        await pg.psql(`CREATE TABLE payloads AS SELECT g AS id, ${Array.from({ length: 8 }, (_, i) => `md5((g * ${i + 1})::text || random()::text)`).join(" || ")} AS payload FROM generate_series(1, ${rows}) g`);
        console.log(`  database size ${(await pg.psql("SELECT pg_size_pretty(pg_database_size('postgres'))")).trim()}`);
        if (only === "encryption") {
            await compareEncryption(pg, minio, "hex", rounds);
            return;
        }
        await compareBackups(pg, minio, "hex", rounds);
        await compareEncryption(pg, minio, "hex", rounds);
        await compareUploadParts(minio, (await minio.list("bench-hex-sql-zstd/postgres/")).find((k) => k.endsWith(".zst"))!, rounds);

        // In production S3 is remote: the upload is bound by the node's uplink, not by its CPU
        // (nor does the S3 server's work land on the node, as MinIO's does here).
        const mbps = Number(process.env.GGB_BENCH_UPLINK_MBPS ?? 40);
        const uplink = await startUplink({ host: "127.0.0.1", port: Number(new URL(minio.endpoint).port) }, mbps * 1_000_000);
        try {
            console.log(`\nhex database, uploads through a ${mbps} MB/s uplink (a throttling proxy in front of MinIO)`);
            await compareBackups(pg, minio, "uplink", rounds, uplink.endpoint);
        } finally {
            await uplink.close();
        }
        console.log("\npeak RSS of the backup job's two containers:");
        for (const [label, run] of rss) {
            console.log(`  ${label.padEnd(30)} dump ${run.dumpRssMB.toFixed(1).padStart(5)} MB (shell + pg_dumpall + zstd; goal: flat, < 64 MB)   upload ${run.uploadRssMB.toFixed(1).padStart(5)} MB (shell + aws CLI + tee, sha256sum)`);
        }
    } finally {
        for (const s of servers.reverse()) await s.destroy().catch(() => undefined);
    }
}

main().catch((e) => {
    console.error(`bench failed: ${(e as Error).message}`);
    process.exitCode = 1;
});
