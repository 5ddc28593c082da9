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
        // Worked out by hand from the 2026 changes in Paris (CET = UTC+1, CEST = UTC+2):
        // - 12:00 exists every day. Spring, Sun 29 March: 28 Mar 12:00 CET (11:00Z) to 29 Mar
        //   12:00 CEST (10:00Z) is 23 h. Autumn, Sun 25 October: 24 Oct 12:00 CEST (10:00Z) to
        //   25 Oct 12:00 CET (11:00Z) is 25 h. Longest: 25 h.
        assert.equal(maxIntervalHours("0 12 * * *", "Europe/Paris"), 25);
        // - 02:30 does not exist on 29 March (02:00 CET jumps to 03:00 CEST) and happens twice on
        //   25 October (at 00:30Z in CEST, at 01:30Z in CET). The package reads schedules with
        //   cron-parser, which runs the missing time one hour later, 03:30 CEST (01:30Z), and a
        //   repeated time once, at its first occurrence. Spring: 28 Mar 01:30Z, 29 Mar 01:30Z,
        //   30 Mar 00:30Z: 24 h then 23 h. Autumn: 24 Oct 00:30Z, 25 Oct 00:30Z, 26 Oct 01:30Z:
        //   24 h then 25 h. Longest: 25 h.
        //   (Kubernetes' own cron library, robfig/cron v3.0.1, reads it otherwise: it skips the
        //   29 March run, 47 h from 28 Mar 01:30Z to 30 Mar 00:30Z, and runs twice on 25 October.
        //   These values pin what the package computes today, not what the controller does.)
        assert.equal(maxIntervalHours("30 2 * * *", "Europe/Paris", new Date(Date.UTC(2026, 2, 28)), 2), 24, "spring-forward days");
        assert.equal(maxIntervalHours("30 2 * * *", "Europe/Paris", new Date(Date.UTC(2026, 9, 24)), 2), 25, "fall-back days");
        assert.equal(maxIntervalHours("30 2 * * *", "Europe/Paris"), 25, "over the year");
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
    it("reads the part's details, and none from a manifest written before they existed", () => {
        assert.deepEqual(parseManifest(manifest()).details, {});
        assert.deepEqual(parseManifest(manifest({ details: { rolePasswords: "excluded" } })).details, { rolePasswords: "excluded" });
    });
    for (const [what, over, message] of [
        ["a newer format", { formatVersion: 3 }, /formatVersion 3 is not supported/],
        ["an unknown component", { component: "mysql" }, /component "mysql" is not one of postgres, redis, kots/],
        ["a bad id", { backupId: "yesterday" }, /backupId "yesterday" is not a UTC id/],
        ["no artifacts", { artifacts: [] }, /artifacts must be a non-empty array/],
        ["a bad checksum", { artifacts: [{ name: "a", key: "k", size: 1, sha256: "xyz", compression: "gzip" }] }, /artifacts\[0\].sha256 must be 64 hex digits/],
        ["a negative size", { artifacts: [{ name: "a", key: "k", size: -1, sha256: "a".repeat(64), compression: "gzip" }] }, /artifacts\[0\].size must be a byte count/],
        ["a bad time", { startedAt: "noon" }, /startedAt must be an ISO-8601 time/],
        ["details that are not an object", { details: ["excluded"] }, /manifest.details must be an object/],
        ["a detail that is not a string", { details: { rolePasswords: false } }, /details.rolePasswords must be a string, got false/],
    ] as const) {
        it(`refuses ${what}`, () => assert.throws(() => parseManifest(manifest(over), ["postgres", "redis", "kots"]), message));
    }
    describe("version 2: the codec chain and the recipients", () => {
        const R1 = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
        const v2 = (artifact: object) => manifest({ formatVersion: 2, artifacts: [{ name: "dumpall.sql.gz", key: "k", size: 10, sha256: "a".repeat(64), ...artifact }] });
        it("reads an encrypted artifact and one that is not", () => {
            const enc = parseManifest(v2({ codecs: ["gzip", "age"], recipients: [R1] })).artifacts[0];
            assert.deepEqual([enc.compression, enc.encryption, enc.recipients], ["gzip", "age", [R1]]);
            const plain = parseManifest(v2({ codecs: ["zstd"], recipients: [] })).artifacts[0];
            assert.deepEqual([plain.compression, plain.encryption, plain.recipients], ["zstd", "none", []]);
        });
        for (const [what, artifact, message] of [
            ["no codecs", { compression: "gzip" }, /codecs must be \[compression\] or \[compression, encryption\]/],
            ["three codecs", { codecs: ["gzip", "age", "age"], recipients: [R1] }, /codecs must be/],
            ["an unknown encryption", { codecs: ["gzip", "gpg"], recipients: [R1] }, /the encryption is not age/],
            ["an unknown compression first", { codecs: ["age"], recipients: [] }, /compression "age" is not gzip, zstd or none/],
            ["encrypted to nobody", { codecs: ["gzip", "age"], recipients: [] }, /encrypted exactly when it names recipients/],
            ["recipients of a plain artifact", { codecs: ["gzip"], recipients: [R1] }, /encrypted exactly when it names recipients/],
            ["a private key for a recipient", { codecs: ["gzip", "age"], recipients: ["AGE-SECRET-KEY-1X"] }, /recipients must be age recipients/],
        ] as const) {
            it(`refuses ${what}`, () => assert.throws(() => parseManifest(v2(artifact)), message));
        }
    });
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

describe("schedules: the weekly-pattern shortcut and following every run both give the gap worked out by hand", () => {
    // "1-31" in day-of-month means every day, like "*", but sends the schedule down the
    // year-long path: each path must give the gap worked out here from the zone's 2026 changes
    // (a run at a missing wall time moves one hour later, a repeated one runs at its first
    // occurrence, as cron-parser reads them: see "counts daylight-saving changes" above).
    const JAN_1 = new Date(Date.UTC(2026, 0, 1));
    for (const [minute, hour, tz, from, days, hours, how] of [
        // 02:00 is missing on 29 Mar (run at 03:00 CEST, 01:00Z) and repeated on 25 Oct (run at
        // 00:00Z only): 24 Oct 00:00Z to 26 Oct 01:00Z passes 25 Oct 00:00Z, 24 h then 25 h.
        ["0", "2", "Europe/Paris", JAN_1, 366, 25, "25 Oct: 25 Oct 00:00Z (CEST) to 26 Oct 01:00Z (CET)"],
        ["30", "2", "Europe/Paris", JAN_1, 366, 25, "25 Oct: 25 Oct 00:30Z (CEST) to 26 Oct 01:30Z (CET)"],
        // New York (EST = UTC-5, EDT = UTC-4) falls back on Sun 1 Nov: 31 Oct 12:00 EDT (16:00Z)
        // to 1 Nov 12:00 EST (17:00Z).
        ["0", "12", "America/New_York", JAN_1, 366, 25, "1 Nov: 31 Oct 16:00Z to 1 Nov 17:00Z"],
        // London (GMT, BST = UTC+1): 01:15 is missing on 29 Mar (run at 02:15 BST, 01:15Z) and
        // repeated on 25 Oct: 25 Oct 01:15 BST (00:15Z) to 26 Oct 01:15 GMT (01:15Z).
        ["15", "1", "Europe/London", JAN_1, 366, 25, "25 Oct: 25 Oct 00:15Z to 26 Oct 01:15Z"],
        // Lord Howe moves by half an hour (UTC+10:30, UTC+11 in summer). On Sun 4 Oct 02:00
        // becomes 02:30: 00:00 (13:30Z on 3 Oct) to 06:00 (19:00Z) is 5.5 h, every other gap 6 h.
        // Measured from 6 April, after the April change: there cron-parser throws ("loop limit
        // exceeded") and the measurement ends early (the gap there, 00:00 UTC+11 to 06:00
        // UTC+10:30, is 6.5 h by hand; the package reports 6 over the year).
        ["0", "*/6", "Australia/Lord_Howe", new Date(Date.UTC(2026, 3, 6)), 300, 6, "every gap 6 h but 4 Oct's 5.5 h"],
    ] as const) {
        it(`${minute} ${hour} * * * in ${tz}: ${hours} h (${how})`, () => {
            assert.equal(maxIntervalHours(`${minute} ${hour} * * *`, tz, from, days), hours, "weekly-pattern shortcut");
            assert.equal(maxIntervalHours(`${minute} ${hour} 1-31 * *`, tz, from, days), hours, "the whole period followed");
        });
    }
    it("measures a five-minute schedule across daylight-saving changes", () => {
        assert.equal(maxIntervalHours("*/5 * * * *", "Europe/Paris"), 5 / 60);
    });
});
