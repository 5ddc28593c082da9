/** Free TCP ports on the loopback address. */
import * as net from "node:net";

const handedOut = new Set<number>();

/**
 * A port nothing listens on at 127.0.0.1 right now (the kernel picks it). Ports already handed
 * out by this process are not handed out again, so two servers started together never collide.
 */
export async function freePort(): Promise<number> {
    for (let attempt = 0; attempt < 50; attempt++) {
        const port = await new Promise<number>((resolve, reject) => {
            const server = net.createServer();
            server.unref();
            server.once("error", reject);
            server.listen({ host: "127.0.0.1", port: 0, exclusive: true }, () => {
                const address = server.address() as net.AddressInfo;
                server.close(() => resolve(address.port));
            });
        });
        if (!handedOut.has(port)) {
            handedOut.add(port);
            return port;
        }
    }
    throw new Error("no free port found on 127.0.0.1");
}

/** True when something accepts TCP connections at 127.0.0.1:port. */
export function isListening(port: number, host = "127.0.0.1"): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect({ host, port });
        socket.once("connect", () => {
            socket.destroy();
            resolve(true);
        });
        socket.once("error", () => resolve(false));
    });
}
