/**
 * A throwaway PostgreSQL 15 cluster on 127.0.0.1 with a random port: superuser `postgres` with a
 * password, scram-sha-256 authentication over TCP (and on its private Unix socket). As root, the
 * cluster runs as the `ggbtest` account (PostgreSQL refuses root).
 */
import { execa } from "execa";
import * as fs from "node:fs";
import * as path from "node:path";
import { freePort } from "./ports";
import { ServerProcess, asServerUser, chownToServer, makeTempDir, minimalEnv, randomToken, removeTempDir, spawnServer, waitFor } from "./proc";

export const PG_BIN = process.env.GGB_PG_BIN ?? "/usr/lib/postgresql/15/bin";
export const pgBin = (name: string): string => path.join(PG_BIN, name);

export interface PostgresOptions {
    /** Password of `postgres` (random when unset). */
    password?: string;
    /** Extra `-c name=value` server settings. */
    settings?: Record<string, string>;
}

export interface PostgresServer {
    readonly host: "127.0.0.1";
    readonly port: number;
    readonly user: "postgres";
    readonly password: string;
    readonly dataDir: string;
    /** The contract's connection variables for a job: PGHOST, PGPORT, PGUSER, PGPASSWORD. */
    env(overrides?: Partial<Record<"PGHOST" | "PGPORT" | "PGUSER" | "PGPASSWORD", string>>): Record<string, string>;
    /** Runs SQL with psql (-X -A -t, ON_ERROR_STOP), as `postgres` unless `as` says; returns stdout; throws with stderr. */
    psql(sql: string, opts?: { db?: string; fieldSeparator?: string; as?: { user: string; password: string } }): Promise<string>;
    /** Rows of a query, fields split on tab. */
    rows(sql: string, db?: string): Promise<string[][]>;
    /** pg_dumpall of the whole cluster (text). */
    dumpall(args?: string[]): Promise<string>;
    isRunning(): boolean;
    /** Starts the server again on the same data dir and port after `stop` or `kill`. */
    start(): Promise<void>;
    /** Fast shutdown (SIGINT), SIGKILL after the timeout; the data dir stays. */
    stop(): Promise<void>;
    /**
     * Sends a signal to the postmaster and waits for it to exit (SIGQUIT: immediate shutdown).
     * The server runs with synchronous_commit=off: what was committed in the last few hundred
     * milliseconds may be lost unless a CHECKPOINT (or a synchronous commit) followed it.
     */
    kill(signal: NodeJS.Signals): Promise<void>;
    /** Stops the server and removes every file it had. */
    destroy(): Promise<void>;
}

/** One initdb per password, copied for every further cluster: initdb is the slow part. */
const templates = new Map<string, Promise<string>>();

async function template(password: string): Promise<string> {
    let t = templates.get(password);
    if (!t) {
        t = (async () => {
            const root = makeTempDir("pgtemplate");
            const pwfile = path.join(root, "pwfile");
            fs.writeFileSync(pwfile, password + "\n", { mode: 0o600 });
            chownToServer(root);
            const data = path.join(root, "data");
            const [file, argv] = asServerUser(pgBin("initdb"), ["-D", data, "-U", "postgres", `--pwfile=${pwfile}`, "--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"]);
            await execa(file, argv, { env: minimalEnv(), extendEnv: false, cwd: root });
            fs.rmSync(pwfile);
            return data;
        })();
        templates.set(password, t);
    }
    return t;
}

/** `dbname='...'`: a database name as a connection string (a bare name holding '=' is parsed as one). */
export function conninfoDb(name: string): string {
    return `dbname='${name.replace(/[\\']/g, (c) => "\\" + c)}'`;
}

export async function startPostgres(opts: PostgresOptions = {}): Promise<PostgresServer> {
    const password = opts.password ?? `pg-${randomToken()}`;
    const root = makeTempDir("pg");
    const dataDir = path.join(root, "data");
    const socketDir = path.join(root, "run");
    await execa("cp", ["-a", await template(password), dataDir]);
    fs.mkdirSync(socketDir);
    chownToServer(root);
    const port = await freePort();
    const settings: Record<string, string> = {
        listen_addresses: "127.0.0.1",
        port: String(port),
        unix_socket_directories: socketDir,
        fsync: "off",
        synchronous_commit: "off",
        full_page_writes: "off",
        max_connections: "40",
        shared_buffers: "32MB",
        max_wal_size: "256MB",
        ...opts.settings,
    };
    const args = ["-D", dataDir, ...Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`])];
    const clientEnv = (as = { user: "postgres", password }): NodeJS.ProcessEnv => minimalEnv({ PGHOST: "127.0.0.1", PGPORT: String(port), PGUSER: as.user, PGPASSWORD: as.password, PGCONNECT_TIMEOUT: "5" });

    let proc: ServerProcess | undefined;
    const start = async (): Promise<void> => {
        proc = spawnServer(pgBin("postgres"), args, { logFile: path.join(root, "postgres.log"), asServerUser: true });
        const p = proc;
        await waitFor(
            `PostgreSQL on port ${port}`,
            async () => (await execa(pgBin("pg_isready"), ["-q", "-h", "127.0.0.1", "-p", String(port)], { reject: false })).exitCode === 0,
            { alive: () => p.isRunning(), detail: () => p.logTail(), timeoutMs: 30_000 },
        );
    };
    const stop = async (): Promise<void> => {
        // SIGTERM is PostgreSQL's "smart" shutdown, which waits for every client to leave;
        // SIGINT ("fast") disconnects them, which is what a test teardown wants.
        await proc?.stop("SIGINT", 15_000);
    };
    const psql = async (sql: string, o: { db?: string; fieldSeparator?: string; as?: { user: string; password: string } } = {}): Promise<string> => {
        const r = await execa(pgBin("psql"), ["-X", "-w", "-q", "-A", "-t", "-F", o.fieldSeparator ?? "\t", "-v", "ON_ERROR_STOP=1", "-d", conninfoDb(o.db ?? "postgres"), "-f", "-"], {
            input: sql,
            env: clientEnv(o.as),
            extendEnv: false,
            reject: false,
        });
        if (r.exitCode !== 0) throw new Error(`psql on port ${port} (db ${o.db ?? "postgres"}, as ${o.as?.user ?? "postgres"}) failed: ${r.stderr}`);
        return r.stdout;
    };
    await start();
    return {
        host: "127.0.0.1",
        port,
        user: "postgres",
        password,
        dataDir,
        env: (o = {}) => ({ PGHOST: "127.0.0.1", PGPORT: String(port), PGUSER: "postgres", PGPASSWORD: password, ...o }),
        psql,
        rows: async (sql, db) =>
            (await psql(sql, { db }))
                .split("\n")
                .filter((l) => l !== "")
                .map((l) => l.split("\t")),
        dumpall: async (extra = []) => {
            const r = await execa(pgBin("pg_dumpall"), ["-w", "--quote-all-identifiers", ...extra], { env: clientEnv(), extendEnv: false, maxBuffer: 512 * 1024 * 1024 });
            return r.stdout;
        },
        isRunning: () => proc?.isRunning() ?? false,
        start,
        stop,
        kill: async (signal) => {
            if (!proc?.isRunning()) return;
            proc.child.kill(signal);
            await proc.exited;
        },
        destroy: async () => {
            await stop();
            removeTempDir(root);
        },
    };
}
