/**
 * The value rules both languages check (core/valueRules.ts): the same good and bad values fed to
 * TypeScript (passesRule, and the argument checks built on it) and to the scripts (value_ok of
 * the generated rules.sh, under busybox sh and dash) give the same verdict, and the verdict is
 * the one written here by hand.
 */
import * as assert from "node:assert/strict";
import { execa } from "execa";
import * as path from "node:path";
import { passesRule, VALUE_RULES, ValueRuleName } from "../../core/valueRules";
import { FieldRules } from "../../core/fields";
import { scriptsDir } from "../../harness/jobRunner";

/** Per rule: values that must pass, values that must not. */
const CASES: Record<ValueRuleName, { good: string[]; bad: string[] }> = {
    backupId: { good: ["20261127T020000Z"], bad: ["2026-11-27T02:00:00Z", "20261127T020000", "20261127T020000Zx", "", "20261127t020000Z"] },
    partName: { good: ["postgres", "helm-values", "a1"], bad: ["Postgres", "-redis", "redis-", "a", "x".repeat(31), "my_part", "1st"] },
    prefix: {
        good: ["gitguardian", "a/b", "team.prod/gg-backups", "x".repeat(200)],
        bad: ["", "/a", "a/", "a//b", "a/../b", "..", "./a", "a/.", "a/./b", "a b", "a$b", "x".repeat(201), "a\nb"],
    },
    bucket: { good: ["gitguardian-backups", "a.b.c", "abc"], bad: ["ab", "Bucket", "-abc", "abc-", "a_b", "x".repeat(64), "not a bucket"] },
    namespace: { good: ["gitguardian", "gg-1"], bad: ["-gg", "GG", "gg.prod", "x".repeat(64), "--help"] },
    k8sName: { good: ["gim-secrets", "kotsadm-encryption", "a.b"], bad: ["Bad_Name", "-x", "x.", "", "a..b", "x".repeat(254)] },
    appSlug: { good: ["gitguardian", "gitguardian-seal"], bad: ["-gitguardian", "--namespace", "Git", "a_b"] },
    artifactName: { good: ["dumpall.sql.gz", "db-0001.tar", "_x"], bad: [".fetch-complete", "a/b", "", "a b", "x".repeat(129)] },
    parallelJobs: { good: ["1", "2", "64"], bad: ["0", "65", "99", "01", "-1", "1.5", "two", ""] },
    retentionDays: { good: ["1", "14", "36500"], bad: ["0", "36501", "99999", "014", "7d", "-1", ""] },
    keepLast: { good: ["1", "3", "100"], bad: ["0", "101", "999", "03", "1.5", ""] },
    connectTimeout: { good: ["1", "600", "9999"], bad: ["0", "10000", "060", "1e3", ""] },
    uploadPartSizeMiB: { good: ["8", "128", "5120"], bad: ["7", "5", "5121", "9999", "0128", "64.5", "128M", ""] },
    drillPick: { good: ["latest", "random"], bad: ["Latest", "latestrandom", "latest|random", "", "newest"] },
    drillWindowDays: { good: ["1", "2", "365"], bad: ["0", "366", "02", "1.5", "7d", ""] },
    drillDeadlineSeconds: { good: ["60", "3600", "86400"], bad: ["59", "86401", "0", "600s", "6e2", ""] },
    gzipLevel: { good: ["1", "9"], bad: ["0", "10", "19"] },
    ageRecipient: {
        good: ["age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p", "age1y3ulyqfrmzdvjyp9rjl7d0r4ptfr8v6wydzn8dne95yhc7ffzyuq49kr8s"],
        // bech32 has no b, i, o or 1 after the separator; a private key is no recipient.
        bad: ["age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8", "age1bl3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p", "AGE-SECRET-KEY-1QL3Z7HJY54PW3HYWW5AYYFG7ZQGVC7W3J2ELW8ZMRJ2KG5SFN9AQMCAC8P", "ssh-ed25519 AAAA", "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p "],
    },
    zstdLevel: { good: ["1", "3", "19"], bad: ["0", "20", "22"] },
};

/** The scripts' verdicts for one rule, one line per value ("ok" or "bad"), from value_ok. */
async function shVerdicts(shell: "busybox" | "dash", rule: string, values: string[]): Promise<string[]> {
    const script = `die() { echo "die: $*"; exit 3; }
. "${path.join(scriptsDir(), "rules.sh")}"
rule=$1; shift
for v in "$@"; do if value_ok "$rule" "$v"; then echo ok; else echo bad; fi; done`;
    const [file, args] = shell === "busybox" ? ["/usr/bin/busybox", ["sh", "-c", script, "sh", rule, ...values]] : ["/usr/bin/dash", ["-c", script, "sh", rule, ...values]];
    const r = await execa(file, args, { env: { PATH: "/usr/bin:/bin" }, extendEnv: false });
    return r.stdout.split("\n");
}

describe("value rules: one table, the same verdict in TypeScript and in the scripts", function () {
    it("every rule of the table has cases here", () => {
        assert.deepEqual(Object.keys(CASES).sort(), Object.keys(VALUE_RULES).sort());
    });

    for (const [rule, { good, bad }] of Object.entries(CASES) as [ValueRuleName, { good: string[]; bad: string[] }][]) {
        it(`${rule}: ${good.length} good and ${bad.length} bad values, same verdict in both languages`, async () => {
            const values = [...good, ...bad];
            const expected = values.map((_, i) => (i < good.length ? "ok" : "bad"));
            assert.deepEqual(values.map((v) => (passesRule(rule, v) ? "ok" : "bad")), expected, `TypeScript verdicts for ${rule}`);
            for (const shell of ["busybox", "dash"] as const) {
                assert.deepEqual(await shVerdicts(shell, rule, values), expected, `${shell} verdicts for ${rule}`);
            }
        });
    }

    it("the argument checks use the table: the message is the rule's, the value is named", () => {
        const f = new FieldRules('GitGuardianBackupPolicy "gg"');
        assert.throws(() => f.bucket("storage.existingBucket.name", "ab"), new RegExp(`argument storage.existingBucket.name = "ab" is invalid; ${VALUE_RULES.bucket.allowed.replace(/[().]/g, "\\$&")}`));
        assert.throws(() => f.ruleInt("postgres.parallelJobs", 65, "parallelJobs", 2), /postgres\.parallelJobs = 65 is invalid; allowed: a whole number from 1 to 64/);
        assert.equal(f.ruleInt("postgres.parallelJobs", 64, "parallelJobs", 2), 64);
    });
});
