/** One test per bad-input rule: construction fails before any resource, naming argument, value and what is allowed. */
import * as assert from "node:assert/strict";
import { GitGuardianBackupPolicy } from "../../backup/backupPolicy";
import { resolvePolicy } from "../../backup/validate";
import { GitGuardianBackupPolicyArgs } from "../../backup/args";
import { runUnderMocks } from "../../harness/mocks";
import { awsArgs, minioArgs } from "./fixtures";

function rejects(args: GitGuardianBackupPolicyArgs, message: RegExp, name = "gg") {
    assert.throws(() => resolvePolicy(name, args), message);
}

describe("GitGuardianBackupPolicy input validation", () => {
    it("accepts the documented example", () => {
        const spec = resolvePolicy("gitguardian", minioArgs());
        assert.deepEqual(spec.components.map((c) => c.component), ["postgres", "redis", "kots"]);
    });

    it("fails in the constructor, before any resource is registered", async () => {
        const { resources } = await runUnderMocks(() => {
            assert.throws(() => new GitGuardianBackupPolicy("gg", minioArgs({ schedule: "every night" })), /argument schedule = "every night" is invalid/);
        });
        assert.equal(resources.length, 0);
    });

    it("requires a schedule (no default)", () => {
        rejects({ ...minioArgs(), schedule: undefined as unknown as string }, /argument schedule = undefined is invalid; a schedule is required \(there is no default\); allowed: 5 cron fields/);
    });

    for (const [bad, why] of [
        ["every night", /unknown alias|fields/],
        ["0 2 * *", /it has 4 fields, Kubernetes takes 5/],
        ["0 0 2 * * *", /it has 6 fields/],
        ["61 2 * * *", /Constraint error|invalid/i],
        ["0 2 L * *", /Kubernetes has no L, W or #/],
        ["@sometimes", /unknown macro @sometimes/],
        ["TZ=UTC 0 2 * * *", /time zones belong in timeZone/],
        ["", /it is empty/],
    ] as const) {
        it(`rejects the cron schedule ${JSON.stringify(bad)}`, () => {
            assert.throws(() => resolvePolicy("gg", minioArgs({ schedule: bad })), (e: Error) => {
                assert.match(e.message, new RegExp(`argument schedule = ${JSON.stringify(JSON.stringify(bad)).slice(1, -1).replace(/[*()]/g, "\\$&")} is invalid`));
                assert.match(e.message, why);
                assert.match(e.message, /allowed: 5 cron fields/);
                return true;
            });
        });
    }

    it("accepts macros and names", () => {
        for (const s of ["@daily", "@midnight", "@hourly", "30 1 * * MON-FRI", "0 */6 * * *", "0 2 ? * SUN"]) {
            assert.equal(resolvePolicy("gg", minioArgs({ schedule: s })).components[0].schedule, s);
        }
    });

    it("validates a component's own schedule", () => {
        rejects(minioArgs({ redis: { host: "redis", schedule: "nope" } }), /argument redis.schedule = "nope" is invalid/);
    });

    it("rejects an unknown time zone", () => {
        rejects(minioArgs({ timeZone: "Mars/Olympus" }), /argument timeZone = "Mars\/Olympus" is invalid; allowed: an IANA time zone/);
    });

    it("rejects retentionDays below 1 or fractional", () => {
        rejects(minioArgs({ retentionDays: 0 }), /argument retentionDays = 0 is invalid; allowed: a whole number from 1 to 36500/);
        rejects(minioArgs({ retentionDays: 1.5 }), /argument retentionDays = 1.5 is invalid/);
        rejects({ ...minioArgs(), retentionDays: undefined as unknown as number }, /argument retentionDays = null is invalid/);
    });

    it("rejects bad Kubernetes names", () => {
        rejects(minioArgs({ namespace: "GitGuardian" }), /argument namespace = "GitGuardian" is invalid; allowed: a Kubernetes namespace name/);
        rejects(minioArgs({ namespace: "$(touch /tmp/pwned)" }), /argument namespace = "\$\(touch \/tmp\/pwned\)" is invalid/);
        rejects(minioArgs({ postgres: { host: "pg", passwordSecret: { name: "Bad_Name", key: "k" } } }), /argument postgres.passwordSecret.name = "Bad_Name" is invalid/);
        rejects(minioArgs({ kots: { image: "kotsadm/kotsadm:v1", secrets: ["gim-secrets", "a/b"] } }), /argument kots.secrets\[1\] = "a\/b" is invalid/);
    });

    it("rejects a name whose CronJob names would be too long", () => {
        rejects(minioArgs(), /argument name = "a-very-long-gitguardian-backup-policy-name" is invalid; the CronJob name "a-very-long-gitguardian-backup-policy-name-backup-postgres" must be a DNS label of at most 52 characters/, "a-very-long-gitguardian-backup-policy-name");
    });

    it("rejects an unsafe prefix", () => {
        for (const prefix of ["/abs", "trailing/", "a//b", "../up", "has space", "semi;colon"]) {
            rejects(minioArgs({ storage: { prefix, existingBucket: { name: "bucket" } } }), new RegExp(`argument storage.prefix = ${JSON.stringify(prefix).replace(/[./]/g, "\\$&")} is invalid; allowed: letters, digits`));
        }
    });

    it("requires at least one component", () => {
        rejects(minioArgs({ postgres: undefined, redis: undefined, kots: undefined }), /argument postgres\/redis\/kots = "none enabled" is invalid; enable at least one of postgres, redis and kots/);
        rejects(minioArgs({ postgres: { enabled: false, host: "pg", passwordSecret: { name: "p", key: "k" } }, redis: undefined, kots: undefined }), /enable at least one/);
    });

    it("rejects empty or malformed images", () => {
        rejects(minioArgs({ kots: { image: "" } }), /argument kots.image = "" is invalid; allowed: a non-empty container image reference/);
        rejects(minioArgs({ uploaderImage: "bad image" }), /argument uploaderImage = "bad image" is invalid/);
        rejects(minioArgs({ postgres: { host: "pg", image: "", passwordSecret: { name: "p", key: "k" } } }), /argument postgres.image = "" is invalid/);
    });

    it("refuses a kotsadm image older than KOTS 1.121.0, which has no kots download --current", () => {
        rejects(minioArgs({ kots: { image: "kotsadm/kotsadm:v1.120.3" } }), /argument kots.image = "kotsadm\/kotsadm:v1.120.3" is invalid; KOTS 1.120.3 has no `kots download --current`.*v1\.121\.0/);
        rejects(minioArgs({ kots: { image: "registry.example/kotsadm/kotsadm:1.99.0@sha256:" + "a".repeat(64) } }), /KOTS 1.99.0 has no/);
        for (const image of ["kotsadm/kotsadm:v1.121.0", "kotsadm/kotsadm:v1.124.0", "kotsadm/kotsadm:v2.0.0", "kotsadm/kotsadm@sha256:" + "b".repeat(64)]) {
            assert.doesNotThrow(() => resolvePolicy("gitguardian", minioArgs({ kots: { image } })), image);
        }
    });

    it("makes storage options mutually exclusive", () => {
        rejects(minioArgs({ storage: { createBucket: { region: "eu-west-1" }, existingBucket: { name: "bucket" } } }), /argument storage = \["createBucket","existingBucket"\] is invalid; set exactly one of storage.createBucket and storage.existingBucket/);
        rejects(minioArgs({ storage: {} }), /set exactly one of/);
        rejects(awsArgs({ createIamUser: true, existingSecret: { name: "s" } }), /argument storage.createBucket.credentials = \["createIamUser","existingSecret"\] is invalid; set at most one of irsa, createIamUser, existingSecret/);
    });

    it("rejects bad bucket settings", () => {
        rejects(minioArgs({ storage: { existingBucket: { name: "Bad_Bucket" } } }), /argument storage.existingBucket.name = "Bad_Bucket" is invalid/);
        rejects(minioArgs({ storage: { existingBucket: { name: "bucket", endpoint: "ftp://x" } } }), /argument storage.existingBucket.endpoint = "ftp:\/\/x" is invalid; allowed: an http\(s\) URL/);
        rejects(minioArgs({ storage: { existingBucket: { name: "bucket", endpoint: "http://user:pw@minio:9000" } } }), /without credentials/);
        rejects(minioArgs({ storage: { createBucket: { region: "europe" } } }), /argument storage.createBucket.region = "europe" is invalid; allowed: an AWS region/);
        rejects(minioArgs({ storage: { createBucket: { region: "eu-west-1", objectLock: { mode: "FOREVER" as never, days: 1 } } } }), /argument storage.createBucket.objectLock.mode = "FOREVER" is invalid; allowed: "GOVERNANCE", "COMPLIANCE"/);
        rejects(minioArgs({ storage: { createBucket: { region: "eu-west-1", objectLock: { mode: "COMPLIANCE", days: 31 } } } }), /argument storage.createBucket.objectLock.days = 31 is invalid; allowed: a whole number from 1 to 30/);
    });

    it("rejects hostile values in hosts and slugs", () => {
        for (const hostile of ["$(touch /tmp/pwned)", "`id`", "a'b", 'a"b', "a\nb", "a b"]) {
            rejects(minioArgs({ postgres: { host: hostile, passwordSecret: { name: "p", key: "k" } } }), /argument postgres.host = .* is invalid; allowed: a host name/);
            rejects(minioArgs({ redis: { host: hostile } }), /argument redis.host = .* is invalid/);
            rejects(minioArgs({ kots: { appSlug: hostile, image: "kotsadm/kotsadm:v1" } }), /argument kots.appSlug = .* is invalid/);
        }
    });

    it("rejects bad enum values, ports and limits", () => {
        rejects(minioArgs({ postgres: { host: "pg", format: "tar" as never, passwordSecret: { name: "p", key: "k" } } }), /argument postgres.format = "tar" is invalid; allowed: "sql", "directory"/);
        rejects(minioArgs({ postgres: { host: "pg", rolePasswords: "never" as never, passwordSecret: { name: "p", key: "k" } } }), /argument postgres.rolePasswords = "never" is invalid; allowed: "auto", "include", "exclude"/);
        rejects(minioArgs({ compression: "bzip2" as never }), /argument compression = "bzip2" is invalid; allowed: "gzip", "zstd", "none"/);
        rejects(minioArgs({ redis: { host: "r", port: 70000 } }), /argument redis.port = 70000 is invalid; allowed: a whole number from 1 to 65535/);
        rejects(minioArgs({ backoffLimit: 11 }), /argument backoffLimit = 11 is invalid; allowed: a whole number from 0 to 10/);
        rejects(minioArgs({ staging: { size: "lots" } }), /argument staging.size = "lots" is invalid; allowed: a Kubernetes quantity/);
        rejects(minioArgs({ resources: { limits: { memory: "1 GB" } } }), /argument resources.limits.memory = "1 GB" is invalid/);
    });

    it("rejects a bad redis.tls, naming the field", () => {
        rejects(minioArgs({ redis: { host: "r", tls: "yes" as never } }), /argument redis.tls = "yes" is invalid; allowed: an object with enabled, caSecret, serverName/);
        rejects(minioArgs({ redis: { host: "r", tls: { ca: "pem" } as never } }), /argument redis.tls.ca = "pem" is invalid; allowed keys: enabled, caSecret, serverName/);
        rejects(minioArgs({ redis: { host: "r", tls: { enabled: "true" as never } } }), /argument redis.tls.enabled = "true" is invalid; allowed: true or false/);
        rejects(minioArgs({ redis: { host: "r", tls: { caSecret: { name: "Bad Name", key: "ca.crt" } } } }), /argument redis.tls.caSecret/);
        rejects(minioArgs({ redis: { host: "r", tls: { serverName: "-oProxyCommand=x" } } }), /argument redis.tls.serverName = "-oProxyCommand=x" is invalid; allowed: a host name or IP address/);
    });

    it("warns about a plain-http endpoint, not about https or AWS", () => {
        assert.deepEqual(resolvePolicy("gg", minioArgs({})).warnings.length, 1);
        assert.match(resolvePolicy("gg", minioArgs({})).warnings[0], /^GitGuardianBackupPolicy "gg": storage\.existingBucket\.endpoint http:\/\/\S+ is plain http: the dumps, and the encryption-key Secrets with them, cross the network in clear \(inside the cluster too\); use an https:\/\/ endpoint$/);
        const tls = minioArgs({});
        tls.storage = { existingBucket: { ...tls.storage!.existingBucket!, endpoint: "https://minio.example:9000" } };
        assert.deepEqual(resolvePolicy("gg", tls).warnings, []);
        assert.deepEqual(resolvePolicy("gg", awsArgs({})).warnings, []);
    });

    it("sizes the upload's parts and checks that they fit in the containers' memory limit", () => {
        assert.equal(resolvePolicy("gg", minioArgs({})).uploadPartSizeMiB, 128);
        assert.equal(resolvePolicy("gg", minioArgs({ uploadPartSizeMiB: 512, resources: { limits: { memory: "6Gi" } } })).uploadPartSizeMiB, 512);
        rejects(minioArgs({ uploadPartSizeMiB: 5 }), /argument uploadPartSizeMiB = 5 is invalid; allowed: a whole number of MiB from 8 to 5120/);
        rejects(minioArgs({ uploadPartSizeMiB: 64.5 }), /argument uploadPartSizeMiB = 64.5 is invalid/);
        // 11 parts of 128 MiB and the CLI's 256 MiB: 1664Mi. The old default limit (1Gi) is refused.
        rejects(minioArgs({ resources: { limits: { memory: "1Gi" } } }), /argument resources.limits.memory = "1Gi" is invalid; allowed: at least 1664Mi with uploadPartSizeMiB 128 \(the upload holds up to 11 parts in memory/);
        assert.equal(resolvePolicy("gg", minioArgs({ resources: { limits: { memory: "1664Mi" } } })).resources.limits.memory, "1664Mi");
        rejects(minioArgs({ resources: { limits: { memory: "1744830463" } } }), /resources.limits.memory = "1744830463" is invalid; allowed: at least 1664Mi/);
        assert.equal(resolvePolicy("gg", minioArgs({ uploadPartSizeMiB: 64, resources: { limits: { memory: "1Gi" } } })).uploadPartSizeMiB, 64);
    });
});
