/**
 * A throwaway redis-server on 127.0.0.1 with a random port and a requirepass, its data in a temp
 * folder (or a given one). It can be stopped and started again on the same folder and port, which
 * is how the tests prove what Redis loads at start (RDB vs AOF). A minimal binary-safe RESP client
 * is included so values and DUMP payloads are compared as bytes.
 */
import * as fs from "node:fs";
import * as net from "node:net";
import * as tls from "node:tls";
import * as path from "node:path";
import { freePort } from "./ports";
import { ServerProcess, makeTempDir, randomToken, removeTempDir, spawnServer, waitFor } from "./proc";

export const REDIS_SERVER = process.env.GGB_REDIS_SERVER ?? "/usr/bin/redis-server";

export interface RedisOptions {
    password?: string;
    /** appendonly yes|no (default no). */
    appendonly?: boolean;
    /** Data folder (default: a fresh temp folder). */
    dir?: string;
    port?: number;
    /** Create the folder and port but do not start the server yet. */
    startNow?: boolean;
    /** Serve TLS only (tls-port; no plain port) with this certificate; clients are not asked for one. */
    tls?: { cert: string; key: string; ca: string };
    /** More server arguments (e.g. `--rename-command SYNC ""`, as managed services block it). */
    extraArgs?: string[];
}

export type Reply = Buffer | number | null | Error | Reply[];

export interface RedisServer {
    readonly host: "127.0.0.1";
    readonly port: number;
    readonly password: string;
    readonly dir: string;
    readonly appendonly: boolean;
    /** The contract's connection variables: GGB_REDIS_HOST, GGB_REDIS_PORT, REDISCLI_AUTH. */
    env(): Record<string, string>;
    /** One command on a fresh connection (authenticated); errors come back as Error values. */
    command(...args: (string | Buffer | number)[]): Promise<Reply>;
    /** A connected, authenticated client for many commands. */
    connect(): Promise<RedisClient>;
    isRunning(): boolean;
    start(): Promise<void>;
    /** SIGTERM (Redis saves per its config and exits), SIGKILL after the timeout. */
    stop(): Promise<void>;
    /** Stops the server and removes its folder (unless the folder was given). */
    destroy(): Promise<void>;
    logTail(): string;
}

export async function startRedis(opts: RedisOptions = {}): Promise<RedisServer> {
    const password = opts.password ?? `redis-${randomToken()}`;
    const root = makeTempDir("redis");
    const dir = opts.dir ?? path.join(root, "data");
    fs.mkdirSync(dir, { recursive: true });
    const port = opts.port ?? (await freePort());
    const appendonly = opts.appendonly ?? false;
    const tlsFiles = opts.tls && writeTlsFiles(root, opts.tls);
    const args = [
        ...(tlsFiles ? ["--port", "0", "--tls-port", String(port), "--tls-cert-file", tlsFiles.cert, "--tls-key-file", tlsFiles.key, "--tls-ca-cert-file", tlsFiles.ca, "--tls-auth-clients", "no"] : ["--port", String(port)]),
        "--bind", "127.0.0.1",
        "--requirepass", password,
        "--dir", dir,
        "--dbfilename", "dump.rdb",
        "--appendonly", appendonly ? "yes" : "no",
        "--save", "",
        "--daemonize", "no",
        "--logfile", "",
        "--databases", "16",
        // A replica's snapshot (redis-cli --rdb) starts at once instead of after the default 5 s
        // wait for other replicas: the same snapshot, sooner.
        "--repl-diskless-sync-delay", "0",
        ...(opts.extraArgs ?? []),
    ];
    let proc: ServerProcess | undefined;
    const connect = async (): Promise<RedisClient> => {
        const c = await RedisClient.connect(port, "127.0.0.1", opts.tls?.ca);
        const auth = await c.call("AUTH", password);
        if (auth instanceof Error) {
            c.close();
            throw auth;
        }
        return c;
    };
    const command = async (...a: (string | Buffer | number)[]): Promise<Reply> => {
        const c = await connect();
        try {
            return await c.call(...a);
        } finally {
            c.close();
        }
    };
    const start = async (): Promise<void> => {
        proc = spawnServer(REDIS_SERVER, args, { logFile: path.join(root, "redis.log") });
        const p = proc;
        await waitFor(
            `redis-server on port ${port}`,
            async () => {
                const r = await command("PING");
                return Buffer.isBuffer(r) && r.toString() === "PONG";
            },
            { alive: () => p.isRunning(), detail: () => p.logTail(), timeoutMs: 30_000, intervalMs: 50 },
        );
    };
    const stop = async (): Promise<void> => {
        await proc?.stop("SIGTERM", 10_000);
    };
    if (opts.startNow ?? true) await start();
    return {
        host: "127.0.0.1",
        port,
        password,
        dir,
        appendonly,
        env: () => ({ GGB_REDIS_HOST: "127.0.0.1", GGB_REDIS_PORT: String(port), REDISCLI_AUTH: password }),
        command,
        connect,
        isRunning: () => proc?.isRunning() ?? false,
        start,
        stop,
        destroy: async () => {
            await stop();
            removeTempDir(root);
        },
        logTail: () => proc?.logTail(30) ?? "",
    };
}

function writeTlsFiles(root: string, t: { cert: string; key: string; ca: string }): { cert: string; key: string; ca: string } {
    const files = { cert: path.join(root, "tls.crt"), key: path.join(root, "tls.key"), ca: path.join(root, "ca.crt") };
    fs.writeFileSync(files.cert, t.cert);
    fs.writeFileSync(files.key, t.key, { mode: 0o600 });
    fs.writeFileSync(files.ca, t.ca);
    return files;
}

/** A minimal RESP2 client: binary-safe arguments and replies, one request at a time. */
export class RedisClient {
    private buffer = Buffer.alloc(0);
    private waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void } | undefined;
    private closedError: Error | undefined;

    private constructor(private readonly socket: net.Socket) {
        socket.on("data", (chunk) => {
            this.buffer = Buffer.concat([this.buffer, chunk]);
            this.drain();
        });
        const fail = (e: Error): void => {
            this.closedError = e;
            const w = this.waiting;
            this.waiting = undefined;
            w?.reject(e);
        };
        socket.on("error", fail);
        socket.on("close", () => fail(new Error("connection closed")));
    }

    /** A connection; over TLS, verified against `tlsCa`, when it is given. */
    static connect(port: number, host = "127.0.0.1", tlsCa?: string): Promise<RedisClient> {
        return new Promise((resolve, reject) => {
            const socket = tlsCa ? tls.connect({ host, port, ca: tlsCa, servername: host === "127.0.0.1" ? undefined : host }) : net.connect({ host, port });
            socket.once(tlsCa ? "secureConnect" : "connect", () => {
                socket.removeListener("error", reject);
                resolve(new RedisClient(socket));
            });
            socket.once("error", reject);
        });
    }

    call(...args: (string | Buffer | number)[]): Promise<Reply> {
        if (this.closedError) return Promise.reject(this.closedError);
        if (this.waiting) return Promise.reject(new Error("RedisClient: one request at a time"));
        const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
        for (const a of args) {
            const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a));
            parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from("\r\n"));
        }
        return new Promise((resolve, reject) => {
            this.waiting = { resolve, reject };
            this.socket.write(Buffer.concat(parts));
            this.drain();
        });
    }

    close(): void {
        this.socket.destroy();
    }

    private drain(): void {
        if (!this.waiting) return;
        const parsed = parseReply(this.buffer, 0);
        if (!parsed) return;
        this.buffer = this.buffer.subarray(parsed.end);
        const w = this.waiting;
        this.waiting = undefined;
        w.resolve(parsed.value);
    }
}

function parseReply(buf: Buffer, at: number): { value: Reply; end: number } | undefined {
    const eol = buf.indexOf("\r\n", at);
    if (eol < 0) return undefined;
    const type = String.fromCharCode(buf[at]);
    const line = buf.subarray(at + 1, eol).toString();
    const next = eol + 2;
    switch (type) {
        case "+":
            return { value: Buffer.from(line), end: next };
        case "-":
            return { value: new Error(line), end: next };
        case ":":
            return { value: Number(line), end: next };
        case "$": {
            const n = Number(line);
            if (n < 0) return { value: null, end: next };
            if (buf.length < next + n + 2) return undefined;
            return { value: Buffer.from(buf.subarray(next, next + n)), end: next + n + 2 };
        }
        case "*": {
            const n = Number(line);
            if (n < 0) return { value: null, end: next };
            const items: Reply[] = [];
            let pos = next;
            for (let i = 0; i < n; i++) {
                const item = parseReply(buf, pos);
                if (!item) return undefined;
                items.push(item.value);
                pos = item.end;
            }
            return { value: items, end: pos };
        }
        default:
            throw new Error(`RESP: unexpected reply type ${JSON.stringify(type)}`);
    }
}

/** A reply as text (bulk strings and simple strings), for assertions. */
export function text(r: Reply): string {
    if (r instanceof Error) throw r;
    if (Buffer.isBuffer(r)) return r.toString();
    return String(r);
}
