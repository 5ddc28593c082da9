/**
 * Transient failures of the API server and of the bucket (issue #13, item 8), through
 * harness/faultProxy.ts in front of a real kube-apiserver (TLS, its own serving certificate)
 * and a real MinIO: 429 with Retry-After, 500/502/503/504, reset connections, requests that
 * get no answer, and a create whose answer is lost after the server made the object. The
 * restore's Kubernetes calls (restore/retry.ts through KubernetesExecutor) and its S3 reads
 * (core/objectStore.ts) go through; an answer that is not transient (403) is not retried, and
 * retries end after the policy's attempts with a message that says so.
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { execa } from "execa";
import { s3Store } from "../../core/objectStore";
import { FaultProxy, startFaultProxy } from "../../harness/faultProxy";
import { KubeCluster, kubeconfigText, kubeUnavailable, startKube } from "../../harness/kube";
import { MinioServer, REGION, startMinio } from "../../harness/minio";
import { REPO_ROOT } from "../../harness/jobRunner";
import { KubernetesExecutor, loadKubeConfig } from "../../restore/kubernetes";
import type { RetryPolicy } from "../../restore/retry";

const NS = "transient";
/** Short bounds, so a stalled request is given up in 1.5 s rather than a minute. */
const FAST: Partial<RetryPolicy> = { attempts: 6, firstDelayMs: 50, maxDelayMs: 200, callTimeoutMs: 1500 };

describe("transient API server and bucket failures: bounded retries through a fault proxy", function () {
    this.timeout(600_000);
    let kube: KubeCluster;
    let minio: MinioServer;
    let apiProxy: FaultProxy;
    let s3Proxy: FaultProxy;

    before(async function () {
        this.timeout(1_200_000);
        if (await kubeUnavailable()) {
            // Cached by version: instant once built (scripts/tools/build.sh kube kwok).
            await execa("bash", [path.join(REPO_ROOT, "scripts/tools/build.sh"), "kube", "kwok"], { stdout: "ignore", stderr: "inherit" });
        }
        [kube, minio] = await Promise.all([startKube(), startMinio()]);
        await kube.createNamespace(NS);
        apiProxy = await startFaultProxy({ target: kube.server, targetCa: kube.ca, tls: { cert: kube.ca, key: kube.servingKey } });
        s3Proxy = await startFaultProxy({ target: minio.env().GGB_S3_ENDPOINT! });
    });
    after(async () => {
        await Promise.all([apiProxy?.stop(), s3Proxy?.stop()]);
        await Promise.all([kube?.stop(), minio?.destroy()]);
    });

    /** An executor whose API server is the proxy, and the retry lines it tells. */
    function executor(retry: Partial<RetryPolicy> = FAST) {
        const lines: string[] = [];
        const ex = new KubernetesExecutor(loadKubeConfig(kubeconfigText(apiProxy.url, kube.ca, kube.adminToken)), { retry, onRetry: (l) => lines.push(l) });
        return { ex, lines };
    }
    const secrets = (method: string, p: string) => p.startsWith(`/api/v1/namespaces/${NS}/secrets`) && (method === "POST" || method === "GET");

    it("Kubernetes calls go through 429 (Retry-After honoured), 500, 502, 503, 504, a reset and a request without an answer", async function () {
        const { ex, lines } = executor();
        const data = { token: Buffer.from("first").toString("base64") };
        await ex.createSecret(NS, { apiVersion: "v1", kind: "Secret", metadata: { name: "through-faults" }, data });
        // Five faults: the sixth and last attempt of the policy gets the answer.
        apiProxy.inject([{ kind: "status", status: 429, retryAfter: "1" }, { kind: "status", status: 503 }, { kind: "reset" }, { kind: "stall" }, { kind: "status", status: 502 }], secrets);
        assert.deepEqual(await ex.readSecretData(NS, "through-faults"), data);
        assert.equal(apiProxy.pending(), 0, "every fault was met");
        assert.equal(lines.length, 5, lines.join("\n"));
        assert.match(lines[0], /^reading Secret transient\/through-faults: HTTP 429 InjectedFault: fault proxy: 429; attempt 2 of 6 in 1\.0 s$/, "the server's Retry-After is the wait");
        assert.match(lines[1], /HTTP 503/);
        assert.match(lines[3], /: no answer within 1\.5 s; attempt 5 of 6/);

        // The progress record (server-side apply, through the object API) and a scale-free list.
        apiProxy.inject([{ kind: "status", status: 504 }, { kind: "reset" }, { kind: "status", status: 500 }], (m, p) => p.includes("/configmaps") && m !== "GET");
        const record = { runId: "r1", backupIds: { postgres: "20261203T000000Z" }, steps: {}, memo: {} };
        await ex.writeProgress(NS, "restore-a", record);
        assert.deepEqual(await ex.readProgress(NS, "restore-a"), record);
        assert.equal(apiProxy.pending(), 0);
    });

    it("a create whose answer is lost is retried and finds the Secret it made; another Secret of that name is a conflict", async function () {
        const { ex, lines } = executor();
        const data = { key: Buffer.from("the set's key").toString("base64") };
        apiProxy.inject([{ kind: "lose-answer" }], (m, p) => m === "POST" && p.startsWith(`/api/v1/namespaces/${NS}/secrets`));
        await ex.createSecret(NS, { apiVersion: "v1", kind: "Secret", metadata: { name: "lost-answer" }, data });
        assert.equal(apiProxy.met.at(-1)?.fault, "lose-answer");
        assert.equal(lines.length, 1, lines.join("\n"));
        assert.deepEqual(await ex.readSecretData(NS, "lost-answer"), data);
        // Not a retry: a Secret that was there before with other data is refused as before.
        await assert.rejects(ex.createSecret(NS, { apiVersion: "v1", kind: "Secret", metadata: { name: "lost-answer" }, data: { key: "b3RoZXI=" } }), /creating Secret transient\/lost-answer: HTTP 409 AlreadyExists/);
    });

    it("an answer that is not transient (403) is not retried; retries end after the policy's attempts and say so", async function () {
        const { ex, lines } = executor({ ...FAST, attempts: 3 });
        apiProxy.inject([{ kind: "status", status: 403 }], secrets);
        await assert.rejects(ex.readSecretData(NS, "through-faults"), (e: Error) => /^reading Secret transient\/through-faults: HTTP 403 InjectedFault: fault proxy: 403$/.test(e.message));
        assert.equal(lines.length, 0);
        apiProxy.inject([{ kind: "status", status: 503 }, { kind: "status", status: 503 }, { kind: "status", status: 503 }, { kind: "status", status: 503 }], secrets);
        await assert.rejects(ex.readSecretData(NS, "through-faults"), (e: Error) => /^reading Secret transient\/through-faults: HTTP 503 InjectedFault: fault proxy: 503 \(after 3 attempts over \d+ s\)$/.test(e.message));
        assert.equal(lines.length, 2);
        assert.equal(apiProxy.pending(), 1, "the fourth 503 was never asked for");
        await ex.readSecretData(NS, "through-faults"); // meets the queued 503 and retries it
        assert.equal(apiProxy.pending(), 0);
    });

    it("with one attempt (no retries, as before this policy) the first 429 ends the call", async function () {
        const { ex } = executor({ ...FAST, attempts: 1 });
        apiProxy.inject([{ kind: "status", status: 429, retryAfter: "1" }], secrets);
        await assert.rejects(ex.readSecretData(NS, "through-faults"), /HTTP 429/);
    });

    it("S3 reads go through 503, 500, a reset and a request without an answer; a store that keeps failing ends after maxAttempts", async function () {
        const env = minio.env();
        const location = { bucket: minio.bucket, region: REGION, endpoint: s3Proxy.url };
        const credentials = { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! };
        await minio.put("transient/probe.json", '{"ok":true}');
        const store = s3Store(location, credentials, { idleTimeoutMs: 1500, connectionTimeoutMs: 1500 });
        s3Proxy.inject([{ kind: "status", status: 503 }, { kind: "reset" }, { kind: "stall" }, { kind: "status", status: 500 }]);
        assert.deepEqual(
            (await store.list("transient/")).map((o) => o.key),
            ["transient/probe.json"],
        );
        assert.equal((await store.get("transient/probe.json")).toString(), '{"ok":true}');
        assert.equal(s3Proxy.pending(), 0);
        assert.deepEqual(
            s3Proxy.met.map((m) => m.status ?? m.fault),
            [503, "reset", "stall", 500],
        );

        const few = s3Store(location, credentials, { maxAttempts: 2, idleTimeoutMs: 1500 });
        s3Proxy.inject([{ kind: "status", status: 503 }, { kind: "status", status: 503 }, { kind: "status", status: 503 }]);
        await assert.rejects(few.get("transient/probe.json"), /^Error: reading s3:\/\/[^ ]+\/transient\/probe\.json failed: .*\(HTTP 503\)/);
        assert.equal(s3Proxy.pending(), 1, "two attempts, not more");
        await store.get("transient/probe.json");
    });
});
