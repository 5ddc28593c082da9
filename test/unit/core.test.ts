/** The pure domain modules: schedules, manifests, backup-set selection. */
import * as assert from "node:assert/strict";
import { backupIdFor, backupIdTime, groupSets, parseSelector, selectSet } from "../../core/backupSet";
import { manifestKey, parseManifest, setKeyPrefix } from "../../core/manifest";
import { artifactInSet } from "../../restore/resolve";
import { isTimeZone, maxIntervalHours, scheduleProblem } from "../../core/schedule";

const manifest = (over: object = {}) =>
    JSON.stringify({
        formatVersion: 1,
        component: "postgres",
        backupId: "20261127T020000Z",
        startedAt: "2026-11-27T02:00:00Z",
        finishedAt: "2026-11-27T02:03:00Z",
        format: "sql",
        tool: { name: "pg_dumpall", version: "pg_dumpall (PostgreSQL) 16.4" },
        server: { version: "16.4" },
        artifacts: [{ name: "dumpall.sql.gz", key: "gitguardian/postgres/20261127T020000Z/dumpall.sql.gz", size: 10, sha256: "a".repeat(64), compression: "gzip" }],
        ...over,
    });

describe("schedules", () => {
    it("measures the longest gap between runs over a year", () => {
        assert.equal(maxIntervalHours("0 2 * * *"), 24);
        assert.equal(maxIntervalHours("0 */6 * * *"), 6);
        assert.equal(maxIntervalHours("@weekly"), 168);
        assert.equal(maxIntervalHours("0 2 * * MON-FRI"), 72);
    });
    it("counts daylight-saving changes in the schedule's time zone", () => {
        // 02:30 does not exist on the spring-forward day in Paris: a run is skipped or moved.
        assert.ok(maxIntervalHours("30 2 * * *", "Europe/Paris") >= 24);
        assert.equal(maxIntervalHours("0 12 * * *", "Europe/Paris"), 25);
    });
    it("refuses what Kubernetes would refuse", () => {
        assert.equal(scheduleProblem("0 2 * * *"), undefined);
        assert.match(scheduleProblem("0 2 * * 1#2")!, /no L, W or #/);
        assert.match(scheduleProblem("* * * *")!, /4 fields/);
        assert.equal(isTimeZone("Europe/Paris"), true);
        assert.equal(isTimeZone("Europe/Atlantis"), false);
    });
});

describe("manifest", () => {
    it("parses a manifest", () => {
        const m = parseManifest(manifest(), ["postgres", "redis", "kots"]);
        assert.equal(m.artifacts[0].size, 10);
        assert.equal(manifestKey("gitguardian", "postgres", m.backupId), "gitguardian/postgres/20261127T020000Z/manifest.json");
    });
    for (const [what, over, message] of [
        ["a newer format", { formatVersion: 2 }, /formatVersion 2 is not supported/],
        ["an unknown component", { component: "mysql" }, /component "mysql" is not one of postgres, redis, kots/],
        ["a bad id", { backupId: "yesterday" }, /backupId "yesterday" is not a UTC id/],
        ["no artifacts", { artifacts: [] }, /artifacts must be a non-empty array/],
        ["a bad checksum", { artifacts: [{ name: "a", key: "k", size: 1, sha256: "xyz", compression: "gzip" }] }, /artifacts\[0\].sha256 must be 64 hex digits/],
        ["a negative size", { artifacts: [{ name: "a", key: "k", size: -1, sha256: "a".repeat(64), compression: "gzip" }] }, /artifacts\[0\].size must be a byte count/],
        ["a bad time", { startedAt: "noon" }, /startedAt must be an ISO-8601 time/],
    ] as const) {
        it(`refuses ${what}`, () => assert.throws(() => parseManifest(manifest(over), ["postgres", "redis", "kots"]), message));
    }
    it("refuses text that is not JSON", () => assert.throws(() => parseManifest("{"), /invalid manifest: not JSON/));
    it("keeps an artifact's key inside its set: a run folder or none, no dot parts, the listed name", () => {
        const set = setKeyPrefix("gg", "postgres", "20261127T020000Z");
        assert.ok(artifactInSet(`${set}a1b2c3d4e5f6/dumpall.sql.gz`, "dumpall.sql.gz", set));
        assert.ok(artifactInSet(`${set}dumpall.sql.gz`, "dumpall.sql.gz", set));
        for (const key of [`${set}../20261126T020000Z/dumpall.sql.gz`, `${set}./dumpall.sql.gz`, `${set}run/other.sql.gz`, `${set}a/b/dumpall.sql.gz`, `gg/redis/20261127T020000Z/x/dumpall.sql.gz`, `${set}/dumpall.sql.gz`]) {
            assert.equal(artifactInSet(key, "dumpall.sql.gz", set), false, key);
        }
    });
});

describe("backup sets", () => {
    const keys = [
        "gg/postgres/20261101T020000Z/dumpall.sql.gz",
        "gg/postgres/20261101T020000Z/manifest.json",
        "gg/postgres/20261102T020000Z/dumpall.sql.gz",
        "gg/postgres/20261102T020000Z/manifest.json",
        "gg/postgres/20261103T020000Z/dumpall.sql.gz", // upload never finished: no manifest
        "gg/redis/20261103T020000Z/manifest.json",
        "gg/postgres/not-an-id/manifest.json",
    ];
    const sets = groupSets("gg", "postgres", keys);

    it("groups keys into sets and marks those without a manifest incomplete", () => {
        assert.deepEqual(sets.map((s) => [s.backupId, s.complete]), [["20261101T020000Z", true], ["20261102T020000Z", true], ["20261103T020000Z", false]]);
    });
    it("never chooses an incomplete set", () => {
        assert.equal(selectSet(sets, parseSelector("latest"), "postgres").backupId, "20261102T020000Z");
        assert.throws(() => selectSet(sets, parseSelector("20261103T020000Z"), "postgres"), /20261103T020000Z has no manifest \(incomplete/);
    });
    it("selects an exact id or the latest at or before a time", () => {
        assert.equal(selectSet(sets, parseSelector("20261101T020000Z"), "postgres").backupId, "20261101T020000Z");
        assert.equal(selectSet(sets, parseSelector("at-or-before:2026-11-02T01:59:59Z"), "postgres").backupId, "20261101T020000Z");
        assert.equal(selectSet(sets, parseSelector("at-or-before:2026-11-02T02:00:00Z"), "postgres").backupId, "20261102T020000Z");
        assert.throws(() => selectSet(sets, parseSelector("at-or-before:2026-10-01T00:00:00Z"), "postgres"), /no complete backup set matches at or before 2026-10-01T00:00:00.000Z; complete sets: 20261101T020000Z, 20261102T020000Z \(incomplete, ignored: 20261103T020000Z\)/);
        assert.throws(() => selectSet([], parseSelector("latest"), "redis"), /redis: no complete backup set matches any; there is no complete set/);
    });
    it("refuses a malformed selector, naming what is allowed", () => {
        assert.throws(() => parseSelector("yesterday"), /backupId "yesterday" is not a backup selector; allowed: "latest", an id like "20261127T020000Z", or "at-or-before:2026-11-20T12:00:00Z"/);
        assert.throws(() => parseSelector("at-or-before:soon"), /the time after "at-or-before:" is not ISO-8601/);
        assert.throws(() => parseSelector("20261399T020000Z"), /not a valid time/);
    });
    it("converts ids and times both ways", () => {
        const t = new Date("2026-11-27T02:00:05Z");
        assert.equal(backupIdFor(t), "20261127T020005Z");
        assert.equal(backupIdTime("20261127T020005Z").getTime(), t.getTime());
    });
});

describe("schedules: the weekly-pattern shortcut equals following the whole year", () => {
    // "1-31" in day-of-month means every day, like "*", but sends the schedule down the
    // year-long path: both paths must give the same gap.
    for (const [minute, hour, tz] of [
        ["0", "2", "Europe/Paris"],
        ["30", "2", "Europe/Paris"],
        ["0", "12", "America/New_York"],
        ["0", "*/6", "Australia/Lord_Howe"],
        ["15", "1", "Europe/London"],
    ] as const) {
        it(`${minute} ${hour} * * * in ${tz}`, () => {
            assert.equal(maxIntervalHours(`${minute} ${hour} * * *`, tz), maxIntervalHours(`${minute} ${hour} 1-31 * *`, tz));
        });
    }
    it("measures a five-minute schedule across daylight-saving changes", () => {
        assert.equal(maxIntervalHours("*/5 * * * *", "Europe/Paris"), 5 / 60);
    });
});
