// The restore's retry policy (restore/retry.ts) on its own: which errors are retried, how long
// it waits, and what the last error carries. test/restore/transient.test.ts drives it through a
// real API server and MinIO behind a fault proxy.
import { strict as assert } from "node:assert";
import { CallTimeoutError, DEFAULT_RETRY, isTransient, retryAfterMs, withRetry } from "../../restore/retry";

/** A client-node ApiException as it reaches the executor: numeric code, response headers. */
function apiError(code: number, headers: Record<string, string> = {}): Error {
    return Object.assign(new Error(`HTTP-Code: ${code}`), { code, headers });
}

describe("restore retry policy", () => {
    it("retries no answer and 'later', not the other answers nor a bug", () => {
        const socket = Object.assign(new TypeError("fetch failed"), { cause: Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" }) });
        assert.equal(isTransient(socket), true, "undici network error");
        assert.equal(isTransient(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" })), true, "system error");
        assert.equal(isTransient(new CallTimeoutError(1000)), true, "timeout");
        for (const code of [429, 500, 502, 503, 504]) assert.equal(isTransient(apiError(code)), true, String(code));
        for (const code of [400, 401, 403, 404, 409, 410, 422]) assert.equal(isTransient(apiError(code)), false, String(code));
        assert.equal(isTransient(new TypeError("Cannot read properties of undefined (reading 'metadata')")), false, "a bug is not retried");
    });

    it("reads Retry-After as seconds or as an HTTP date, in any case of the header's name", () => {
        assert.equal(retryAfterMs(apiError(429, { "retry-after": "3" })), 3000);
        assert.equal(retryAfterMs(apiError(429, { "Retry-After": "0" })), 0);
        const now = Date.parse("2026-12-03T10:00:00Z");
        assert.equal(retryAfterMs(apiError(503, { "retry-after": "Thu, 03 Dec 2026 10:00:07 GMT" }), now), 7000);
        assert.equal(retryAfterMs(apiError(503, { "retry-after": "Thu, 03 Dec 2026 09:59:00 GMT" }), now), 0, "a date in the past: at once");
        assert.equal(retryAfterMs(apiError(503, { "retry-after": "soon" })), undefined);
        assert.equal(retryAfterMs(apiError(503)), undefined);
    });

    it("waits the backoff or the capped Retry-After, and the last error says how often it tried", async () => {
        const waits: number[] = [];
        const notices: string[] = [];
        const answers = [apiError(503), apiError(429, { "retry-after": "600" }), apiError(502), apiError(500)];
        let calls = 0;
        const policy = { ...DEFAULT_RETRY, attempts: 4, firstDelayMs: 1000, maxDelayMs: 1500, maxRetryAfterMs: 5000 };
        const err = await withRetry("reading Job ns/x", async () => { throw answers[calls++]; }, policy, (e) => (e as Error).message,
            (what, reason, attempt, waitMs) => notices.push(`${what} ${reason} ${attempt} ${waitMs}`),
            async (ms) => { waits.push(ms); }).then(() => undefined, (e: unknown) => e as Error & { attempts?: number; triedMs?: number });
        assert.equal(calls, 4, "4 attempts");
        assert.equal(err, answers[3], "the last attempt's error is rethrown");
        assert.equal(err?.attempts, 4);
        assert.equal(typeof err?.triedMs, "number");
        assert.equal(waits.length, 3);
        assert.ok(waits[0] >= 500 && waits[0] <= 1000, `first backoff jittered in [500, 1000]: ${waits[0]}`);
        assert.equal(waits[1], 5000, "Retry-After 600 s capped at maxRetryAfterMs");
        assert.ok(waits[2] >= 750 && waits[2] <= 1500, `third backoff capped at maxDelayMs, jittered: ${waits[2]}`);
        assert.match(notices[1], /^reading Job ns\/x HTTP-Code: 429 2 5000$/);
    });

    it("gives a final answer back at once, and bounds an attempt that never answers", async () => {
        let calls = 0;
        const denied = await withRetry("x", async () => { calls++; throw apiError(403); }, DEFAULT_RETRY, String, undefined, async () => undefined).catch((e: unknown) => e as { attempts?: number });
        assert.equal(calls, 1);
        assert.equal(denied.attempts, 1);
        calls = 0;
        const hung = await withRetry("x", () => { calls++; return new Promise<never>(() => undefined); }, { ...DEFAULT_RETRY, attempts: 2, callTimeoutMs: 50 }, String, undefined, async () => undefined).catch((e: unknown) => e);
        assert.equal(calls, 2);
        assert.ok(hung instanceof CallTimeoutError, String(hung));
    });
});
