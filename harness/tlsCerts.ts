/**
 * Throwaway TLS material for servers the tests start with TLS on (Redis): a CA, and server
 * certificates it signs for the names given, made with the openssl CLI in a temp folder. PEM text
 * only; nothing is kept.
 */
import { execa } from "execa";
import * as fs from "node:fs";
import * as path from "node:path";
import { makeTempDir, removeTempDir } from "./proc";

export interface TlsCa {
    /** PEM of the CA certificate. */
    cert: string;
    /** PEM of its key. */
    key: string;
}

export interface ServerCert {
    cert: string;
    key: string;
}

async function openssl(dir: string, ...args: string[]): Promise<void> {
    await execa("openssl", args, { cwd: dir, stdin: "ignore", timeout: 60_000 });
}

/** A self-signed CA named `name`. */
export async function makeCa(name = "ggb test CA"): Promise<TlsCa> {
    const dir = makeTempDir("tls-ca");
    try {
        await openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", `/CN=${name}`);
        return { cert: fs.readFileSync(path.join(dir, "ca.crt"), "utf8"), key: fs.readFileSync(path.join(dir, "ca.key"), "utf8") };
    } finally {
        removeTempDir(dir);
    }
}

/** A server certificate signed by `ca` for DNS names and IP addresses (`127.0.0.1`). */
export async function serverCert(ca: TlsCa, names: readonly string[]): Promise<ServerCert> {
    const dir = makeTempDir("tls-server");
    try {
        fs.writeFileSync(path.join(dir, "ca.crt"), ca.cert);
        fs.writeFileSync(path.join(dir, "ca.key"), ca.key, { mode: 0o600 });
        const san = names.map((n) => (/^[0-9.]+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(",");
        fs.writeFileSync(path.join(dir, "ext.cnf"), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`);
        await openssl(dir, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", `/CN=${names[0]}`);
        await openssl(dir, "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "ext.cnf");
        return { cert: fs.readFileSync(path.join(dir, "server.crt"), "utf8"), key: fs.readFileSync(path.join(dir, "server.key"), "utf8") };
    } finally {
        removeTempDir(dir);
    }
}
