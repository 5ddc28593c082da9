/**
 * The Redis source data of the round-trip tests, and a per-key comparison of two servers
 * (DUMP payload and expiry of every key in every logical database).
 */
import * as assert from "node:assert/strict";
import { RedisClient, RedisServer, Reply, text } from "../../harness/redis";

/** Logical databases the fixture fills. */
export const FIXTURE_DBS = [0, 1, 2, 7];

const ALL_BYTES = Buffer.from([...Array(256).keys()]);

function pseudoRandom(n: number, seed: number): Buffer {
    const out = Buffer.alloc(n);
    let x = seed >>> 0 || 1;
    for (let i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        out[i] = x & 0xff;
    }
    return out;
}

async function ok(c: RedisClient, ...args: (string | Buffer | number)[]): Promise<Reply> {
    const r = await c.call(...args);
    if (r instanceof Error) throw new Error(`${args.map(String).join(" ").slice(0, 80)}: ${r.message}`);
    return r;
}

/** Fills the server: every data type, binary keys and values, TTLs, several databases. */
export async function populateRedis(server: RedisServer): Promise<void> {
    const c = await server.connect();
    try {
        await ok(c, "SELECT", 0);
        // Strings, binary-safe in keys and values.
        await ok(c, "SET", "str:all-bytes", ALL_BYTES);
        await ok(c, "SET", Buffer.concat([Buffer.from("key:"), ALL_BYTES]), "binary key");
        await ok(c, "SET", "str:empty", "");
        await ok(c, "SET", "str:int", "1234567890");
        await ok(c, "SET", "str:unicode ✓ ключ", "värde 日本語 🚀");
        await ok(c, "SET", "str:big", pseudoRandom(200_000, 7));
        // Hashes: a small (listpack) and a large (hashtable) one.
        await ok(c, "HSET", "hash:small", "a", "1", "b", ALL_BYTES, "ü", "x");
        const bigHash: (string | Buffer)[] = [];
        for (let i = 0; i < 600; i++) bigHash.push(`field:${i}`, pseudoRandom(40, i + 1));
        await ok(c, "HSET", "hash:big", ...bigHash);
        // Lists.
        await ok(c, "RPUSH", "list:small", "one", "two", ALL_BYTES, "");
        const bigList: string[] = [];
        for (let i = 0; i < 5000; i++) bigList.push(`item-${i}-${"x".repeat(i % 50)}`);
        await ok(c, "RPUSH", "list:big", ...bigList);
        // Sets: intset, and a large hashtable set.
        await ok(c, "SADD", "set:ints", 1, 2, 3, 42, -7, 1_000_000);
        const bigSet: string[] = [];
        for (let i = 0; i < 1000; i++) bigSet.push(`member-${i}`);
        await ok(c, "SADD", "set:big", ...bigSet);
        await ok(c, "SADD", "set:small", "α", "β", ALL_BYTES);
        // Sorted sets: listpack and skiplist.
        await ok(c, "ZADD", "zset:small", 1, "a", 2.5, "b", -3, "c", "inf", "top");
        const bigZset: (string | number)[] = [];
        for (let i = 0; i < 800; i++) bigZset.push(i * 1.5 - 100, `m${i}`);
        await ok(c, "ZADD", "zset:big", ...bigZset);
        // A stream with two consumer groups, delivered-but-unacknowledged entries and an ack.
        for (let i = 1; i <= 50; i++) await ok(c, "XADD", "stream:events", `1700000000000-${i}`, "kind", `k${i % 3}`, "payload", pseudoRandom(16, i));
        await ok(c, "XGROUP", "CREATE", "stream:events", "workers", "0");
        await ok(c, "XGROUP", "CREATE", "stream:events", "audit", "$");
        await ok(c, "XREADGROUP", "GROUP", "workers", "alice", "COUNT", 10, "STREAMS", "stream:events", ">");
        await ok(c, "XREADGROUP", "GROUP", "workers", "bob", "COUNT", 5, "STREAMS", "stream:events", ">");
        await ok(c, "XACK", "stream:events", "workers", "1700000000000-1", "1700000000000-2");
        // Keys with TTLs (relative and absolute) and one without.
        await ok(c, "SET", "ttl:hour", "expires in an hour", "PX", 3_600_000);
        await ok(c, "HSET", "ttl:hash", "f", "v");
        await ok(c, "PEXPIREAT", "ttl:hash", Date.now() + 86_400_000);
        await ok(c, "SET", "ttl:far", "far", "EXAT", 4_102_444_800);
        // Other logical databases.
        for (const db of FIXTURE_DBS.slice(1)) {
            await ok(c, "SELECT", db);
            await ok(c, "SET", `db${db}:string`, `value in db ${db}`);
            await ok(c, "RPUSH", `db${db}:list`, "a", "b", String(db));
            await ok(c, "SET", `db${db}:ttl`, "x", "PX", 7_200_000);
        }
    } finally {
        c.close();
    }
}

export interface KeyState {
    type: string;
    encoding: string;
    dump: Buffer;
    pttl: number;
    pexpiretime: number;
    /** Order-independent rendering of the value (for encodings whose DUMP order is not stable). */
    value: string;
}

/** Every key of every logical database: hex key -> state. */
export async function snapshot(server: RedisServer): Promise<Record<string, KeyState>> {
    const c = await server.connect();
    const out: Record<string, KeyState> = {};
    try {
        const keyspace = text(await ok(c, "INFO", "keyspace"));
        const dbs = [...keyspace.matchAll(/^db(\d+):/gm)].map((m) => Number(m[1]));
        for (const db of dbs) {
            await ok(c, "SELECT", db);
            let cursor = "0";
            const keys: Buffer[] = [];
            do {
                const [next, batch] = (await ok(c, "SCAN", cursor, "COUNT", 1000)) as [Buffer, Buffer[]];
                cursor = next.toString();
                keys.push(...batch);
            } while (cursor !== "0");
            for (const key of keys) {
                const type = text(await ok(c, "TYPE", key));
                out[`db${db}:${key.toString("hex")}`] = {
                    type,
                    encoding: text(await ok(c, "OBJECT", "ENCODING", key)),
                    dump: (await ok(c, "DUMP", key)) as Buffer,
                    pttl: (await ok(c, "PTTL", key)) as number,
                    pexpiretime: (await ok(c, "PEXPIRETIME", key)) as number,
                    value: await renderValue(c, type, key),
                };
            }
        }
    } finally {
        c.close();
    }
    return out;
}

async function renderValue(c: RedisClient, type: string, key: Buffer): Promise<string> {
    const hex = (r: Reply): string => (Buffer.isBuffer(r) ? r.toString("hex") : JSON.stringify(r));
    const list = async (...args: (string | number | Buffer)[]): Promise<string[]> => ((await ok(c, ...args)) as Reply[]).map(hex);
    switch (type) {
        case "string":
            return hex(await ok(c, "GET", key));
        case "hash": {
            const flat = await list("HGETALL", key);
            const pairs: string[] = [];
            for (let i = 0; i < flat.length; i += 2) pairs.push(`${flat[i]}=${flat[i + 1]}`);
            return pairs.sort().join(",");
        }
        case "list":
            return (await list("LRANGE", key, 0, -1)).join(",");
        case "set":
            return (await list("SMEMBERS", key)).sort().join(",");
        case "zset":
            return (await list("ZRANGE", key, 0, -1, "WITHSCORES")).join(",");
        case "stream":
            return JSON.stringify([await list("XRANGE", key, "-", "+"), await ok(c, "XINFO", "GROUPS", key)], (_k, v) =>
                v && v.type === "Buffer" ? Buffer.from(v.data).toString() : v,
            );
        default:
            return `unexpected type ${type}`;
    }
}

/**
 * The restored keys equal the source's: same key set; per key the DUMP payload (for the
 * hashtable and skiplist encodings, whose DUMP follows a per-process hash order, the values
 * compared order-independently instead), the absolute expiry (PEXPIRETIME) exactly, and the
 * remaining TTL (PTTL) within the time that passed between the two snapshots.
 */
export function assertSameKeys(restored: Record<string, KeyState>, source: Record<string, KeyState>, elapsedMs: number): void {
    assert.deepEqual(Object.keys(restored).sort(), Object.keys(source).sort(), "same keys in the same databases");
    for (const [key, s] of Object.entries(source)) {
        const r = restored[key];
        assert.equal(r.type, s.type, `${key}: type`);
        assert.equal(r.value, s.value, `${key}: value`);
        if (s.encoding === "hashtable" || s.encoding === "skiplist") {
            assert.equal(r.encoding, s.encoding, `${key}: encoding`);
        } else {
            assert.ok(r.dump.equals(s.dump), `${key}: DUMP payload differs (encoding ${s.encoding} -> ${r.encoding})`);
        }
        assert.equal(r.pexpiretime, s.pexpiretime, `${key}: PEXPIRETIME`);
        if (s.pttl < 0) {
            assert.equal(r.pttl, s.pttl, `${key}: PTTL`);
        } else {
            assert.ok(r.pttl <= s.pttl && r.pttl >= s.pttl - elapsedMs - 1000, `${key}: PTTL ${r.pttl} vs source ${s.pttl} (${elapsedMs} ms apart)`);
        }
    }
}
