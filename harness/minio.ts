/**
 * A throwaway MinIO server on 127.0.0.1 with a random port and root credentials, with one bucket
 * created. The binary comes from scripts/tools/build.sh (built from the Go module proxy and
 * cached by version there; this module only asks it where). Objects are listed, read, written
 * and deleted through the real aws CLI (/usr/bin/aws --endpoint-url), as the jobs do.
 */
import { execa } from "execa";
import * as fs from "node:fs";
import * as path from "node:path";
import { freePort } from "./ports";
import { ServerProcess, makeTempDir, minimalEnv, randomToken, removeTempDir, spawnServer, waitFor } from "./proc";
import { toolDir } from "./tools";

/** The aws CLI the tests use (not the pyenv shim that may come first on PATH). */
export const AWS_BIN = "/usr/bin/aws";
export const REGION = "us-east-1";

/** Path of the MinIO binary: `scripts/tools/build.sh minio` builds it when missing (minutes). */
export async function minioBin(): Promise<string> {
    return process.env.GGB_MINIO_BIN ?? path.join(await toolDir("minio"), "minio");
}

export interface AwsResult {
    exitCode: number;
    stdout: Buffer;
    stderr: string;
}

export interface MinioServer {
    readonly endpoint: string;
    readonly port: number;
    readonly accessKey: string;
    readonly secretKey: string;
    readonly bucket: string;
    /**
     * The contract's S3 variables for a job against this server (GGB_S3_ENDPOINT, AWS_*,
     * GGB_S3_BUCKET, GGB_AWS); GGB_S3_PREFIX is the caller's.
     */
    env(overrides?: Record<string, string>): Record<string, string>;
    /** Runs /usr/bin/aws --endpoint-url <endpoint> ARGS with the root credentials. */
    aws(args: string[], opts?: { input?: Buffer | string; reject?: boolean }): Promise<AwsResult>;
    createBucket(name: string): Promise<void>;
    /** Keys under a prefix (recursive), sorted. */
    list(prefix?: string, bucket?: string): Promise<string[]>;
    get(key: string, bucket?: string): Promise<Buffer>;
    put(key: string, body: Buffer | string, bucket?: string): Promise<void>;
    delete(key: string, bucket?: string): Promise<void>;
    isRunning(): boolean;
    stop(): Promise<void>;
    destroy(): Promise<void>;
}

export async function startMinio(opts: { accessKey?: string; secretKey?: string; bucket?: string } = {}): Promise<MinioServer> {
    const bin = await minioBin();
    const accessKey = opts.accessKey ?? `ggbroot${randomToken(3)}`;
    const secretKey = opts.secretKey ?? `secret-${randomToken(8)}`;
    const bucket = opts.bucket ?? `ggb-${randomToken(4)}`;
    const root = makeTempDir("minio");
    const port = await freePort();
    const consolePort = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const proc: ServerProcess = spawnServer(bin, ["server", "--quiet", "--address", `127.0.0.1:${port}`, "--console-address", `127.0.0.1:${consolePort}`, path.join(root, "data")], {
        logFile: path.join(root, "minio.log"),
        env: minimalEnv({ HOME: root, MINIO_ROOT_USER: accessKey, MINIO_ROOT_PASSWORD: secretKey, MINIO_BROWSER: "off", MINIO_UPDATE: "off", MINIO_CI_CD: "1" }),
    });
    await waitFor(
        `MinIO on port ${port}`,
        async () => (await fetch(`${endpoint}/minio/health/ready`)).ok,
        { alive: () => proc.isRunning(), detail: () => proc.logTail(), timeoutMs: 60_000 },
    );
    const awsEnv = minimalEnv({
        HOME: root,
        AWS_ACCESS_KEY_ID: accessKey,
        AWS_SECRET_ACCESS_KEY: secretKey,
        AWS_DEFAULT_REGION: REGION,
        AWS_CONFIG_FILE: "/dev/null",
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
        AWS_PAGER: "",
    });
    const aws = async (args: string[], o: { input?: Buffer | string; reject?: boolean } = {}): Promise<AwsResult> => {
        const r = await execa(AWS_BIN, ["--endpoint-url", endpoint, ...args], {
            env: awsEnv,
            extendEnv: false,
            reject: false,
            input: o.input,
            encoding: "buffer",
            maxBuffer: 1024 * 1024 * 1024,
        });
        const result = { exitCode: r.exitCode ?? -1, stdout: Buffer.from(r.stdout), stderr: Buffer.from(r.stderr).toString() };
        if ((o.reject ?? true) && result.exitCode !== 0) throw new Error(`aws ${args.join(" ")} failed (exit ${result.exitCode}): ${result.stderr}`);
        return result;
    };
    const server: MinioServer = {
        endpoint,
        port,
        accessKey,
        secretKey,
        bucket,
        env: (o = {}) => ({
            GGB_S3_ENDPOINT: endpoint,
            GGB_S3_BUCKET: bucket,
            GGB_AWS: AWS_BIN,
            // The aws-cli image's other tool the S3 steps use (busybox stand-ins have no jq on PATH).
            GGB_JQ: "/usr/bin/jq",
            AWS_ACCESS_KEY_ID: accessKey,
            AWS_SECRET_ACCESS_KEY: secretKey,
            AWS_DEFAULT_REGION: REGION,
            ...o,
        }),
        aws,
        createBucket: async (name) => {
            await aws(["s3api", "create-bucket", "--bucket", name]);
        },
        list: async (prefix = "", b = bucket) => {
            const r = await aws(["s3api", "list-objects-v2", "--bucket", b, "--prefix", prefix, "--output", "json"]);
            const text = r.stdout.toString().trim();
            if (!text) return [];
            const parsed = JSON.parse(text) as { Contents?: { Key: string }[] };
            return (parsed.Contents ?? []).map((o) => o.Key).sort();
        },
        // Read whole into a file, not streamed through `s3 cp KEY -`: a streamed read once came
        // back a byte short under load (CI, kots.test), which the test then blamed on the upload.
        get: async (key, b = bucket) => {
            const file = path.join(root, `get-${randomToken()}`);
            try {
                const r = await aws(["s3api", "get-object", "--bucket", b, "--key", key, file, "--output", "json"]);
                const stored = (JSON.parse(r.stdout.toString()) as { ContentLength: number }).ContentLength;
                const data = fs.readFileSync(file);
                if (data.length !== stored) throw new Error(`read ${data.length} bytes of ${key}, stored with ${stored}`);
                return data;
            } finally {
                fs.rmSync(file, { force: true });
            }
        },
        put: async (key, body, b = bucket) => {
            await aws(["s3", "cp", "--only-show-errors", "-", `s3://${b}/${key}`], { input: body });
        },
        delete: async (key, b = bucket) => {
            await aws(["s3", "rm", "--only-show-errors", `s3://${b}/${key}`]);
        },
        isRunning: () => proc.isRunning(),
        stop: () => proc.stop("SIGTERM", 10_000),
        destroy: async () => {
            await proc.stop("SIGTERM", 10_000);
            removeTempDir(root);
        },
    };
    await server.createBucket(bucket);
    return server;
}
