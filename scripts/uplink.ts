/**
 * A TCP proxy that limits the bytes sent towards its target (all connections together) to a
 * rate: the benchmark puts it in front of MinIO to stand for a node's uplink to a remote S3,
 * where the upload is bound by the network rather than by the CPU of the node.
 */
import * as net from "node:net";

export interface Uplink {
    /** http://127.0.0.1:<port>, to use as the S3 endpoint. */
    endpoint: string;
    close(): Promise<void>;
}

export async function startUplink(target: { host: string; port: number }, bytesPerSecond: number): Promise<Uplink> {
    // One token bucket for every connection: the aws CLI uploads parts over several at once.
    let nextFree = Date.now();
    const sockets = new Set<net.Socket>();
    const server = net.createServer((client) => {
        const upstream = net.connect(target.port, target.host);
        for (const s of [client, upstream]) {
            sockets.add(s);
            s.on("close", () => sockets.delete(s));
            s.on("error", () => {
                client.destroy();
                upstream.destroy();
            });
        }
        client.on("data", (chunk: Buffer) => {
            const now = Date.now();
            const start = Math.max(now, nextFree);
            nextFree = start + (chunk.length / bytesPerSecond) * 1000;
            if (start <= now) {
                upstream.write(chunk);
                return;
            }
            // This connection waits for its turn; its chunks stay in order.
            client.pause();
            setTimeout(() => {
                upstream.write(chunk);
                client.resume();
            }, start - now);
        });
        client.on("end", () => setTimeout(() => upstream.end(), Math.max(0, nextFree - Date.now())));
        upstream.pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    return {
        endpoint: `http://127.0.0.1:${port}`,
        close: () =>
            new Promise<void>((resolve) => {
                for (const s of sockets) s.destroy();
                server.close(() => resolve());
            }),
    };
}
