/**
 * restore-redis.sh killed at every filesystem step (issue #13): the Job of the restore can be
 * killed at any moment (a timeout, an eviction), and Redis is then started on whatever the volume
 * holds. Stand-ins for the commands that change files (mv, ln, cp, rm, mkdir, rmdir) count their
 * calls and SIGKILL the script's shell at the k-th, before doing it; after each kill a real
 * redis-server is started on the data folder and must hold exactly the old keys or exactly the
 * new ones, and a second run (the Job's retry) must then complete the restore.
 */
import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { PART_SCRIPT } from "../../sources";
import { POSIX_SHELLS, Shell, explain, runJob } from "../../harness/jobRunner";
import { makeTempDir, removeTempDir } from "../../harness/proc";
import { RedisServer, startRedis, text } from "../../harness/redis";
import { snapshot } from "./redisFixture";

const COUNTED = ["mv", "ln", "cp", "rm", "mkdir", "rmdir"];

/** A folder of stand-ins to put first on PATH, and the counter they share. */
function killSwitch(): { dir: string; arm(k: number): void; calls(): string[]; killed(): string } {
    const dir = makeTempDir("redis-swap-standins");
    for (const name of COUNTED) {
        // #!/bin/sh with builtins only, so counting needs no counted command; the shell running
        // the script is the stand-in's parent (the script calls them outside any subshell).
        const body = [
            "#!/bin/sh",
            `d='${dir}'`,
            `printf '%s\\n' "${name} $*" >>"$d/calls"`,
            'read -r n <"$d/count"',
            "n=$((n + 1))",
            `printf '%s\\n' "$n" >"$d/count"`,
            'read -r at <"$d/kill-at"',
            `if [ "$n" = "$at" ]; then printf '%s\\n' "${name} $*" >"$d/killed"; kill -KILL "$PPID"; exit 137; fi`,
            'PATH=${PATH#"$d":}',
            `exec ${name} "$@"`,
            "",
        ].join("\n");
        fs.writeFileSync(path.join(dir, name), body, { mode: 0o755 });
    }
    return {
        dir,
        arm(k) {
            fs.writeFileSync(path.join(dir, "count"), "0\n");
            fs.writeFileSync(path.join(dir, "kill-at"), `${k}\n`);
            fs.writeFileSync(path.join(dir, "calls"), "");
            fs.rmSync(path.join(dir, "killed"), { force: true });
        },
        calls: () => fs.readFileSync(path.join(dir, "calls"), "utf8").split("\n").filter((l) => l !== ""),
        killed: () => fs.readFileSync(path.join(dir, "killed"), "utf8").trim(),
    };
}

type Keys = Record<string, string>;

/** Every key of every database with its type and value, in key order (SCAN's order varies). */
async function keysOf(server: RedisServer): Promise<Keys> {
    const out: Keys = {};
    for (const [key, state] of Object.entries(await snapshot(server)).sort(([a], [b]) => (a < b ? -1 : 1))) out[key] = `${state.type}:${state.value}`;
    return out;
}

async function write(server: RedisServer, label: "old" | "new", from: number, to: number): Promise<void> {
    const c = await server.connect();
    try {
        await c.call("SET", "shared", label);
        for (let i = from; i < to; i++) await c.call("SET", `${label}:${i}`, `${label} value ${i}`);
        await c.call("HSET", `${label}:hash`, "f", label);
        await c.call("SELECT", 3);
        await c.call("RPUSH", `${label}:db3`, label, String(to));
    } finally {
        c.close();
    }
}

/** What a server started on `dir` holds. */
async function loadedFrom(dir: string, appendonly: boolean): Promise<Keys> {
    const server = await startRedis({ dir, appendonly });
    try {
        return await keysOf(server);
    } finally {
        await server.destroy();
    }
}

function copyOf(dir: string, label: string): string {
    const copy = makeTempDir(label);
    fs.cpSync(dir, copy, { recursive: true });
    return copy;
}

describe("redis: restore-redis.sh killed at any step leaves a server that starts on the old data or the new", function () {
    this.timeout(600_000);
    let staging: string;
    let newKeys: Keys;
    /** Old data as an AOF (a rewritten base, then an increment) and as an RDB of the same keys. */
    let oldAof: { dir: string; keys: Keys };
    /** Old data as an RDB only, no AOF folder (a server that ran with appendonly no). */
    let oldRdb: { dir: string; keys: Keys };

    before(async function () {
        const fresh = await startRedis();
        try {
            await write(fresh, "new", 0, 40);
            await fresh.command("SAVE");
            newKeys = await keysOf(fresh);
            const rdb = fs.readFileSync(path.join(fresh.dir, "dump.rdb"));
            // The set as restore-fetch.sh leaves it verified: the artifact and its list (name key size sha256 codec).
            staging = makeTempDir("redis-swap-staging");
            fs.writeFileSync(path.join(staging, "dump.rdb"), rdb);
            const list = `dump.rdb set/dump.rdb ${rdb.length} ${createHash("sha256").update(rdb).digest("hex")} none\n`;
            fs.writeFileSync(path.join(staging, ".artifacts"), list);
            fs.writeFileSync(path.join(staging, ".fetch-complete"), list);
        } finally {
            await fresh.destroy();
        }

        const aof = await startRedis({ appendonly: true });
        try {
            await write(aof, "old", 0, 20);
            // A rewrite moves the AOF to seq 2, so the new files must be numbered above it.
            await aof.command("BGREWRITEAOF");
            for (let i = 0; ; i++) {
                const persistence = text(await aof.command("INFO", "persistence"));
                if (/aof_rewrite_in_progress:0/.test(persistence) && /aof_rewrite_scheduled:0/.test(persistence) && /aof_last_bgrewrite_status:ok/.test(persistence)) break;
                assert.ok(i < 300, `the AOF rewrite did not finish: ${persistence}`);
                await new Promise((r) => setTimeout(r, 50));
            }
            await write(aof, "old", 20, 30);
            await aof.command("SAVE");
            const keys = await keysOf(aof);
            await aof.stop();
            const manifest = fs.readFileSync(path.join(aof.dir, "appendonlydir", "appendonly.aof.manifest"), "utf8");
            assert.match(manifest, /seq 2 type b/, manifest);
            oldAof = { dir: copyOf(aof.dir, "redis-swap-old-aof"), keys };
        } finally {
            await aof.destroy();
        }
        assert.deepEqual(await loadedFrom(copyOf(oldAof.dir, "redis-swap-check"), true), oldAof.keys, "the old AOF loads");
        assert.deepEqual(await loadedFrom(copyOf(oldAof.dir, "redis-swap-check"), false), oldAof.keys, "the old RDB loads");

        const plain = await startRedis();
        try {
            await write(plain, "old", 0, 25);
            await plain.command("SAVE");
            oldRdb = { dir: copyOf(plain.dir, "redis-swap-old-rdb"), keys: await keysOf(plain) };
        } finally {
            await plain.destroy();
        }
        assert.notDeepEqual(oldAof.keys, newKeys);
    });

    after(() => {
        for (const d of [staging, oldAof?.dir, oldRdb?.dir]) if (d) removeTempDir(d);
    });

    const restore = (shell: Shell, data: string, standIns?: string) =>
        runJob(PART_SCRIPT.restoreRedis, { shell, env: { GGB_STAGING_DIR: staging, GGB_REDIS_DATA_DIR: data, GGB_OVERWRITE: "true" }, pathPrefix: standIns ? [standIns] : [] });

    /** Which data a server started in each mode finds: "old", "new", or the test fails. */
    async function which(data: string, modes: boolean[], old: Keys, when: string): Promise<string[]> {
        const seen: string[] = [];
        for (const appendonly of modes) {
            const mode = `appendonly ${appendonly ? "yes" : "no"}`;
            let keys: Keys;
            try {
                keys = await loadedFrom(data, appendonly);
            } catch (e) {
                throw new Error(`${when}: redis-server (${mode}) did not start: ${(e as Error).message}\nfolder: ${fs.readdirSync(data).join(", ")}`);
            }
            if (JSON.stringify(keys) === JSON.stringify(old)) seen.push("old");
            else if (JSON.stringify(keys) === JSON.stringify(newKeys)) seen.push("new");
            else assert.fail(`${when}: redis-server (${mode}) holds neither the old nor the new data: ${Object.keys(keys).length} keys (${Object.keys(keys).slice(0, 8).join(", ")})\nfolder: ${fs.readdirSync(data).join(", ")}`);
        }
        return seen;
    }

    const cases = [
        { what: "appendonly yes (old data in an AOF folder and an RDB)", old: () => oldAof, modes: [true, false] },
        { what: "appendonly no (old data in an RDB only)", old: () => oldRdb, modes: [false] },
    ];
    for (const c of cases) {
        for (const shell of POSIX_SHELLS) {
            it(`${c.what}, under ${shell}: old or new after a kill at every step, new after a retry`, async function () {
                const { dir: template, keys: old } = c.old();
                const sw = killSwitch();
                const history: string[] = [];
                for (let k = 1; ; k++) {
                    assert.ok(k < 100, "the script ends within 100 counted calls");
                    const data = copyOf(template, "redis-swap-data");
                    try {
                        sw.arm(k);
                        const r = await restore(shell, data, sw.dir);
                        if (sw.calls().length < k) {
                            // Not killed: the whole run, every counted call done.
                            assert.equal(r.exitCode, 0, explain(r));
                            assert.deepEqual(await which(data, c.modes, old, "after a complete run"), c.modes.map(() => "new"));
                            if (c.modes.includes(true)) {
                                const live = fs.readdirSync(path.join(data, "appendonlydir")).sort();
                                assert.deepEqual(live, ["appendonly.aof.3.base.rdb", "appendonly.aof.3.incr.aof", "appendonly.aof.manifest"], "the live AOF folder names only the new files");
                            }
                            await assertKeptOld(data, c.modes, old);
                            break;
                        }
                        assert.equal(r.exitCode, -1, `killed at call ${k} (${sw.killed()}): ${explain(r)}`);
                        const at = `killed before call ${k} (${sw.killed()})`;
                        history.push(`${(await which(data, c.modes, old, at)).join("/")} ${sw.killed()}`);
                        // The Job's retry, from wherever the kill left the volume.
                        const again = await restore(shell, data);
                        assert.equal(again.exitCode, 0, `retry after a kill before call ${k}: ${explain(again)}`);
                        assert.deepEqual(await which(data, c.modes, old, `retry after a kill before call ${k}`), c.modes.map(() => "new"));
                    } finally {
                        removeTempDir(data);
                    }
                }
                // The stand-ins did intercept the script: the RDB's switch was one of the kill points.
                assert.ok(history.some((h) => /mv -f \S+\/\.dump\.rdb\.restoring \S+\/dump\.rdb$/.test(h)), history.join("\n"));
                // Per mode, old until its switch, new from then on.
                for (const [i, appendonly] of c.modes.entries()) {
                    const seen = history.map((h) => h.split(" ")[0].split("/")[i]);
                    assert.ok(seen.indexOf("new") === -1 || seen.slice(seen.indexOf("new")).every((s) => s === "new"), `appendonly ${appendonly ? "yes" : "no"}: ${history.join("\n")}`);
                }
                removeTempDir(sw.dir);
            });
        }
    }

    /** The .before-restore copies, put back under the live names, hold the old data. */
    async function assertKeptOld(data: string, modes: boolean[], old: Keys): Promise<void> {
        const entries = fs.readdirSync(data);
        const kept = makeTempDir("redis-swap-kept");
        try {
            for (const live of ["dump.rdb", ...(modes.includes(true) ? ["appendonlydir"] : [])]) {
                const aside = entries.filter((e) => e.startsWith(`${live}.before-restore-`));
                assert.equal(aside.length, 1, `one copy of ${live}: ${entries.join(", ")}`);
                fs.cpSync(path.join(data, aside[0]), path.join(kept, live), { recursive: true });
            }
            assert.deepEqual(await which(kept, modes, old, "the .before-restore copies"), modes.map(() => "old"));
        } finally {
            removeTempDir(kept);
        }
    }
});
