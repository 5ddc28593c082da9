/**
 * Bounded retries of the restore's Kubernetes calls. A restore runs for hours through an API
 * server that is upgraded, throttles (429 with Retry-After) or drops a connection now and then;
 * one such answer must not end it. Retried: network errors, a call without an answer within
 * its timeout, 429, 500, 502, 503, 504. Everything else (403, 404, 409, 422...) is an answer
 * and goes back to the caller at once.
 */

/** How calls are retried; every bound has a default, tests make them short. */
export interface RetryPolicy {
    /** Attempts per call, the first included. Default 6. */
    attempts: number;
    /** Delay before the first retry; doubled for each further one (with jitter). Default 500 ms. */
    firstDelayMs: number;
    /** Cap of the computed delay. Default 20 s. */
    maxDelayMs: number;
    /** Cap of a server's Retry-After: a larger one is waited this long. Default 60 s. */
    maxRetryAfterMs: number;
    /** How long one attempt may go without an answer. Default 60 s. */
    callTimeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, firstDelayMs: 500, maxDelayMs: 20_000, maxRetryAfterMs: 60_000, callTimeoutMs: 60_000 };

const RETRIED_STATUS = new Set([429, 500, 502, 503, 504]);

/** An attempt that got no answer within the policy's callTimeoutMs. */
export class CallTimeoutError extends Error {
    constructor(ms: number) {
        super(`no answer within ${ms / 1000} s`);
        this.name = "CallTimeoutError";
    }
}

/** HTTP status of a client-node error (undefined for a network error). */
export function statusOf(e: unknown): number | undefined {
    const code = (e as { code?: unknown }).code;
    return typeof code === "number" ? code : undefined;
}

/** Retry-After of an error's response (seconds, or an HTTP date), in ms; undefined when absent. */
export function retryAfterMs(e: unknown, now = Date.now()): number | undefined {
    const headers = (e as { headers?: Record<string, string | undefined> }).headers;
    const raw = headers ? Object.entries(headers).find(([k]) => k.toLowerCase() === "retry-after")?.[1] : undefined;
    if (raw === undefined) return undefined;
    const seconds = Number(raw);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const at = Date.parse(raw);
    return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * Whether an error is worth another attempt: no answer, or an answer that says "later". "No
 * answer" is our timeout, or the network error of undici's fetch (client-node's transport):
 * `TypeError: fetch failed` with the socket error as `cause`, or a system error's string code.
 * A bug's TypeError has neither and is not retried.
 */
export function isTransient(e: unknown): boolean {
    const status = statusOf(e);
    if (status !== undefined) return RETRIED_STATUS.has(status);
    if (e instanceof CallTimeoutError) return true;
    const err = e as { cause?: unknown; code?: unknown };
    return err?.cause !== undefined || typeof err?.code === "string";
}

/** Waits for `p`, or rejects with CallTimeoutError after `ms` (the request itself is left to end on its own). */
function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new CallTimeoutError(ms)), ms);
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** What withRetry tells about a retry: the call, the error's text, the attempt and the wait. */
export type RetryNotice = (what: string, reason: string, attempt: number, waitMs: number) => void;

/**
 * `fn` under the policy: each attempt bounded by callTimeoutMs, transient failures retried with
 * exponential backoff (or the server's Retry-After, capped). The error of the last attempt is
 * rethrown with `attempts` and `retried` set, so the caller's message can say how long it tried.
 */
export async function withRetry<T>(what: string, fn: () => Promise<T>, policy: RetryPolicy, describe: (e: unknown) => string, notice?: RetryNotice, sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))): Promise<T> {
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
        try {
            return await withTimeout(fn(), policy.callTimeoutMs);
        } catch (e) {
            if (attempt >= policy.attempts || !isTransient(e)) {
                Object.assign(e as object, { attempts: attempt, triedMs: Date.now() - started });
                throw e;
            }
            const backoff = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** (attempt - 1));
            const after = retryAfterMs(e);
            // Jitter spreads the retries of several restores; a server's Retry-After is kept as said (capped).
            const waitMs = after !== undefined ? Math.min(after, policy.maxRetryAfterMs) : Math.round(backoff / 2 + (Math.random() * backoff) / 2);
            notice?.(what, describe(e), attempt, waitMs);
            await sleep(waitMs);
        }
    }
}
