/**
 * A proxy on loopback in front of a real server (the kube-apiserver over TLS, MinIO over plain
 * HTTP) that misbehaves on cue: the next requests that match get a status (429 with
 * Retry-After, 5xx), a reset connection, no answer at all, or are forwarded and then lose their
 * answer (the server acted, the client never hears of it). Every other request is forwarded
 * as is. What it did is recorded, so a test checks that each fault was met.
 */
import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";

export type Fault =
    | { kind: "status"; status: number; retryAfter?: string }
    | { kind: "reset" }
    /** No answer: the request is held until the client gives up (or the proxy stops). */
    | { kind: "stall" }
    /** Forwarded, the server's answer then dropped and the connection reset. */
    | { kind: "lose-answer" };

export interface FaultRecord {
    fault: Fault["kind"];
    status?: number;
    method: string;
    path: string;
}

export interface FaultProxy {
    readonly url: string;
    /** The faults met so far, in order. */
    readonly met: FaultRecord[];
    /** Queues faults for the next requests that `match` (default: every request). */
    inject(faults: Fault[], match?: (method: string, path: string) => boolean): void;
    /** Faults still queued. */
    pending(): number;
    stop(): Promise<void>;
}

export interface FaultProxyOptions {
    /** Where requests go: `https://127.0.0.1:6443` or `http://127.0.0.1:9000`. */
    target: string;
    /** CA of an https target. */
    targetCa?: string;
    /** Serve TLS with this certificate and key (the target's own, so its CA still verifies). */
    tls?: { cert: string; key: string };
}

export async function startFaultProxy(opts: FaultProxyOptions): Promise<FaultProxy> {
    const target = new URL(opts.target);
    const queue: { fault: Fault; match: (method: string, path: string) => boolean }[] = [];
    const met: FaultRecord[] = [];
    const held = new Set<http.ServerResponse>();

    const forward = (req: http.IncomingMessage, res: http.ServerResponse, loseAnswer: boolean) => {
        const client = target.protocol === "https:" ? https : http;
        const upstream = client.request(
            {
                host: target.hostname,
                port: target.port,
                method: req.method,
                path: req.url,
                // The Host header is kept as the client sent it: S3 signatures cover it.
                headers: req.headers,
                ca: opts.targetCa,
            },
            (answer) => {
                if (loseAnswer) {
                    answer.resume();
                    answer.on("end", () => req.socket.destroy());
                    return;
                }
                res.writeHead(answer.statusCode ?? 502, answer.headers);
                answer.pipe(res);
            },
        );
        upstream.on("error", () => req.socket.destroy());
        req.pipe(upstream);
    };

    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
        const method = req.method ?? "GET";
        const path = req.url ?? "/";
        const i = queue.findIndex((q) => q.match(method, path));
        if (i < 0) return forward(req, res, false);
        const [{ fault }] = queue.splice(i, 1);
        met.push({ fault: fault.kind, ...(fault.kind === "status" ? { status: fault.status } : {}), method, path });
        switch (fault.kind) {
            case "status":
                req.resume();
                res.writeHead(fault.status, { "content-type": "application/json", ...(fault.retryAfter !== undefined ? { "retry-after": fault.retryAfter } : {}) });
                res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", reason: "InjectedFault", message: `fault proxy: ${fault.status}`, code: fault.status }));
                return;
            case "reset":
                req.socket.destroy();
                return;
            case "stall":
                req.resume();
                held.add(res);
                res.on("close", () => held.delete(res));
                return;
            case "lose-answer":
                return forward(req, res, true);
        }
    };

    const server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, handler) : http.createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        url: `${opts.tls ? "https" : "http"}://127.0.0.1:${port}`,
        met,
        inject(faults, match = () => true) {
            for (const fault of faults) queue.push({ fault, match });
        },
        pending: () => queue.length,
        async stop() {
            for (const res of held) res.socket?.destroy();
            server.closeAllConnections();
            await new Promise<void>((resolve) => server.close(() => resolve()));
        },
    };
}
