/**
 * The one S3 read path of the package: the bucket as the restore, the catalog and the demo read
 * it (list, read a manifest, hash or download an artifact), with the AWS SDK v3: AWS, or any
 * S3-compatible store through an endpoint (path-style). Replacing the client is this file.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { pipeline } from "node:stream/promises";
import { Transform, type Readable } from "node:stream";

/** Where a bucket is. */
export interface BucketLocation {
    bucket: string;
    region: string;
    /** S3-compatible endpoint; empty or undefined for AWS. */
    endpoint?: string;
}

export interface ListedObject {
    key: string;
    size: number;
}

export interface ObjectStore {
    /** Every object under `prefix` (paginated). */
    list(prefix: string): Promise<ListedObject[]>;
    /** One object, whole (small ones: manifests). */
    get(key: string): Promise<Buffer>;
    /** Size and sha256 of an object, streamed (nothing kept); told the bytes read so far as they come. */
    hash(key: string, onProgress?: (bytes: number) => void): Promise<{ size: number; sha256: string }>;
    /** Downloads an object to `file`; returns its size and sha256. */
    download(key: string, file: string): Promise<{ size: number; sha256: string }>;
}

export interface S3Credentials {
    accessKeyId: string;
    secretAccessKey: string;
}

/** Short text of an SDK error: its name/code and message, never the credentials. */
export function s3ErrorText(e: unknown): string {
    const err = e as { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const status = err.$metadata?.httpStatusCode ? ` (HTTP ${err.$metadata.httpStatusCode})` : "";
    return `${err.name ?? err.Code ?? "Error"}${status}: ${err.message ?? String(e)}`;
}

/** How the S3 calls are bounded and retried. */
export interface S3Bounds {
    /** Attempts per request (the SDK's standard retry mode: throttling, 5xx, timeouts, resets). Default 5. */
    maxAttempts: number;
    /** Connecting may take this long. Default 10 s. */
    connectionTimeoutMs: number;
    /**
     * A connection may stay this long without a byte (a download's body included) before the
     * attempt is given up and retried. Default 60 s. Idle, not total: a large download of a
     * KOTS artifact takes as long as it needs while bytes flow.
     */
    idleTimeoutMs: number;
}

export const DEFAULT_S3_BOUNDS: S3Bounds = { maxAttempts: 5, connectionTimeoutMs: 10_000, idleTimeoutMs: 60_000 };

/** An ObjectStore on the bucket of `storage`; static credentials when given, else the AWS credential chain. */
export function s3Store(storage: BucketLocation, credentials?: S3Credentials, bounds: Partial<S3Bounds> = {}): ObjectStore {
    const b = { ...DEFAULT_S3_BOUNDS, ...bounds };
    // Loaded on first use: the SDK is large and only the plan and KOTS steps need it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sdk = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
    const client = new sdk.S3Client({
        region: storage.region,
        ...(storage.endpoint ? { endpoint: storage.endpoint, forcePathStyle: true } : {}),
        ...(credentials ? { credentials } : {}),
        // Checksums are ours (manifest sha256); the SDK's own response validation stays on.
        maxAttempts: b.maxAttempts,
        retryMode: "standard",
        // The SDK's node handler, given its bounds (without them a stalled store waits forever).
        // (The handler's requestTimeout bounds the whole exchange and only warns unless told to throw.)
        requestHandler: { connectionTimeout: b.connectionTimeoutMs, socketTimeout: b.idleTimeoutMs },
    });
    const where = (key: string) => `s3://${storage.bucket}/${key}`;
    const body = async (key: string): Promise<Readable> => {
        try {
            const r = await client.send(new sdk.GetObjectCommand({ Bucket: storage.bucket, Key: key }));
            return r.Body as Readable;
        } catch (e) {
            throw new Error(`reading ${where(key)} failed: ${s3ErrorText(e)}`);
        }
    };
    return {
        async list(prefix) {
            const out: ListedObject[] = [];
            let token: string | undefined;
            do {
                let r;
                try {
                    r = await client.send(new sdk.ListObjectsV2Command({ Bucket: storage.bucket, Prefix: prefix, ContinuationToken: token }));
                } catch (e) {
                    throw new Error(`listing s3://${storage.bucket}/${prefix} failed: ${s3ErrorText(e)}`);
                }
                for (const o of r.Contents ?? []) if (o.Key !== undefined) out.push({ key: o.Key, size: o.Size ?? 0 });
                token = r.IsTruncated ? r.NextContinuationToken : undefined;
            } while (token);
            return out;
        },
        async get(key) {
            const stream = await body(key);
            const chunks: Buffer[] = [];
            for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
            return Buffer.concat(chunks);
        },
        async hash(key, onProgress) {
            const stream = await body(key);
            const h = createHash("sha256");
            let size = 0;
            for await (const chunk of stream) {
                const b = chunk as Uint8Array;
                size += b.length;
                h.update(b);
                onProgress?.(size);
            }
            return { size, sha256: h.digest("hex") };
        },
        async download(key, file) {
            const stream = await body(key);
            const h = createHash("sha256");
            let size = 0;
            const hasher = new Transform({
                transform(chunk: Buffer, _encoding, done) {
                    size += chunk.length;
                    h.update(chunk);
                    done(null, chunk);
                },
            });
            await pipeline(stream, hasher, fs.createWriteStream(file, { mode: 0o600 }));
            return { size, sha256: h.digest("hex") };
        },
    };
}
