import * as assert from "node:assert/strict";
import { BUCKET_SECURE, checkBucketSecure, deniesInsecureTransport } from "../../policy/bucketSecure";
import { backupBuckets } from "../../policy/buckets";
import { checkRetention, RETENTION } from "../../policy/retention";
import { tlsOnlyPolicy } from "../../backup/storage";
import { evaluate, runProgram } from "./harness";
import { component, goodArgs, rawBucket, SECURE, OBSERVED } from "./programs";

describe(BUCKET_SECURE, () => {
    it("passes the bucket the component creates, and links its settings by dependency", async () => {
        const resources = await runProgram(component(goodArgs("createBucket")));
        const [b, ...more] = backupBuckets(resources);
        assert.equal(more.length, 0);
        assert.match(b.why, /created by GitGuardianBackupPolicy "gg"/);
        assert.deepEqual(
            [...b.attached.keys()].sort(),
            ["BucketLifecycleConfiguration", "BucketPolicy", "BucketPublicAccessBlock", "BucketServerSideEncryptionConfiguration", "BucketVersioning"],
        );
        assert.deepEqual(checkBucketSecure(resources).violations, []);
    });

    it("in preview (bucket id and ARN unknown) still links by propertyDependencies, and defers only the unknown policy text", async () => {
        const resources = await runProgram(component(goodArgs("createBucket", OBSERVED)), { preview: true });
        const result = await evaluate(resources);
        assert.deepEqual(result.violations, []);
        // The TLS policy is built from the bucket ARN: unknown until the update, so @pulumi/policy reports "can't run during preview".
        assert.deepEqual(result.deferred.map((d) => d.policy), [BUCKET_SECURE]);
        assert.match(result.deferred[0].message, /string value at \.policy can't be known during preview/);
    });

    it("fails a hand-written tagged bucket without versioning, encryption, public-access block and TLS policy", async () => {
        const resources = await runProgram(() => rawBucket({ name: "gg-raw-backups" }));
        const msgs = (await evaluate(resources)).of(BUCKET_SECURE);
        assert.deepEqual(msgs, [
            'bucket "gg-raw-backups" (gg-raw-backups), tagged app.kubernetes.io/part-of: pulumi-gitguardian-backup: versioning is not Enabled. To fix, add aws.s3.BucketVersioning with `versioningConfiguration: { status: "Enabled" }`.',
            'bucket "gg-raw-backups" (gg-raw-backups), tagged app.kubernetes.io/part-of: pulumi-gitguardian-backup: default encryption is not configured. To fix, add aws.s3.BucketServerSideEncryptionConfiguration with a rule `applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }` (or "aws:kms").',
            'bucket "gg-raw-backups" (gg-raw-backups), tagged app.kubernetes.io/part-of: pulumi-gitguardian-backup: public access is not fully blocked. To fix, add aws.s3.BucketPublicAccessBlock with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets all true.',
            'bucket "gg-raw-backups" (gg-raw-backups), tagged app.kubernetes.io/part-of: pulumi-gitguardian-backup: requests without TLS are not denied. To fix, add aws.s3.BucketPolicy with a statement `{ Effect: "Deny", Principal: "*", Action: "s3:*", Condition: { Bool: { "aws:SecureTransport": "false" } } }`.',
        ]);
    });

    it("passes a hand-written bucket with every setting, and ignores untagged buckets", async () => {
        const resources = await runProgram(() => {
            rawBucket({ name: "gg-raw-backups", ...SECURE });
            rawBucket({ name: "website-assets", tags: { team: "web" } });
        });
        assert.deepEqual((await evaluate(resources)).of(BUCKET_SECURE), []);
        const none = await runProgram(() => rawBucket({ name: "website-assets", tags: {} }));
        assert.match(checkBucketSecure(none).notApplicable ?? "", /no backup bucket/);
    });

    it("judges the bucket a component's jobs upload to (existingBucket declared in the same stack)", async () => {
        const resources = await runProgram(() => {
            rawBucket({ name: "gg-backups", tags: {}, versioning: true, encryption: true, publicAccessBlock: true });
            component(goodArgs("existingBucket"))();
        });
        const msgs = (await evaluate(resources)).of(BUCKET_SECURE);
        assert.equal(msgs.length, 1, msgs.join("\n"));
        assert.match(msgs[0], /^bucket "gg-backups" \(gg-backups\), the GitGuardianBackupPolicy CronJobs upload to it: requests without TLS are not denied\./);
    });

    it("fails a backup bucket with forceDestroy: the component's own, and a hand-written one", async () => {
        const forced = goodArgs("createBucket");
        forced.storage = { ...forced.storage, createBucket: { ...forced.storage!.createBucket!, forceDestroy: true } };
        const msgs = (await evaluate(await runProgram(component(forced)))).of(BUCKET_SECURE);
        assert.equal(msgs.length, 1, msgs.join("\n"));
        assert.match(msgs[0], /^bucket \S+, created by GitGuardianBackupPolicy "gg": forceDestroy is true: `pulumi destroy`, or a replacement of the bucket, deletes every set in it\. To fix, remove forceDestroy/);
        const raw = await runProgram(() => rawBucket({ name: "gg-raw-backups", ...SECURE, forceDestroy: true }));
        assert.deepEqual((await evaluate(raw)).of(BUCKET_SECURE).map((m) => /: (forceDestroy is true):/.exec(m)?.[1] ?? m), ["forceDestroy is true"]);
        // Left out or false: kept.
        const kept = goodArgs("createBucket");
        kept.storage = { ...kept.storage, createBucket: { ...kept.storage!.createBucket!, forceDestroy: false } };
        assert.deepEqual((await evaluate(await runProgram(component(kept)))).of(BUCKET_SECURE), []);
    });

    it("recognises TLS-only documents", () => {
        assert.equal(deniesInsecureTransport(tlsOnlyPolicy("arn:aws:s3:::b")), true);
        const allow = JSON.parse(tlsOnlyPolicy("arn:aws:s3:::b"));
        allow.Statement[0].Effect = "Allow";
        assert.equal(deniesInsecureTransport(JSON.stringify(allow)), false);
        const onlyBob = JSON.parse(tlsOnlyPolicy("arn:aws:s3:::b"));
        onlyBob.Statement[0].Principal = { AWS: "arn:aws:iam::1:user/bob" };
        assert.equal(deniesInsecureTransport(onlyBob), false);
        assert.equal(deniesInsecureTransport("not json"), false);
    });
});

describe(RETENTION, () => {
    it("passes the component's 14-day lifecycle", async () => {
        const resources = await runProgram(component(goodArgs("createBucket")));
        assert.deepEqual(checkRetention(resources).violations, []);
    });

    it("fails a 3-day retentionDays of the component (its validation allows 1 and up), and minRetentionDays 3 lets it pass", async () => {
        const resources = await runProgram(component(goodArgs("createBucket", { retentionDays: 3 })));
        const msgs = (await evaluate(resources)).of(RETENTION);
        assert.equal(msgs.length, 2, msgs.join("\n"));
        assert.match(msgs[0], /^bucket gg-backups, created by GitGuardianBackupPolicy "gg": BucketLifecycleConfiguration gg-backups-retention rule "expire-deleted-sets" expires noncurrent versions after 3 days, fewer than minRetentionDays 7/);
        assert.match(msgs[1], /^CronJob "gitguardian\/gg-backup-prune" \(the retention job\) deletes sets after 3 days, fewer than minRetentionDays 7\. Set GitGuardianBackupPolicy `retentionDays` to 7 or more\.$/);
        assert.deepEqual((await evaluate(resources, { [RETENTION]: { minRetentionDays: 3 } })).of(RETENTION), []);
    });

    it("fails a hand-written 2-day lifecycle; a bucket with no expiration keeps sets for ever", async () => {
        const short = await runProgram(() => rawBucket({ ...SECURE, expirationDays: 2 }));
        const msgs = checkRetention(short).violations.map((v) => v.message);
        assert.equal(msgs.length, 2, msgs.join("\n"));
        assert.match(msgs[0], /^bucket "gg-raw-backups" \(gg-raw-backups\), tagged app\.kubernetes\.io\/part-of: pulumi-gitguardian-backup: BucketLifecycleConfiguration gg-raw-backups-lifecycle rule "expire" expires backup sets after 2 days/);
        const forever = await runProgram(() => rawBucket(SECURE));
        assert.deepEqual(checkRetention(forever).violations, []);
    });

    it("requireObjectLock: fails without an Object Lock configuration, passes with one", async () => {
        const cfg = { [RETENTION]: { requireObjectLock: true } };
        const plainBucket = await runProgram(component(goodArgs("createBucket")));
        const msgs = (await evaluate(plainBucket, cfg)).of(RETENTION);
        assert.equal(msgs.length, 1, msgs.join("\n"));
        assert.match(msgs[0], /: no Object Lock configuration, and requireObjectLock is set\. Set `storage\.createBucket\.objectLock: \{ mode: "GOVERNANCE", days: 7 \}`/);
        const locked = await runProgram(
            component(goodArgs("createBucket", { storage: { createBucket: { region: "eu-west-1", objectLock: { mode: "GOVERNANCE", days: 7 } } } })),
        );
        assert.deepEqual((await evaluate(locked, cfg)).of(RETENTION), []);
        const rawLocked = await runProgram(() => rawBucket({ ...SECURE, objectLock: true }));
        assert.deepEqual(checkRetention(rawLocked, { requireObjectLock: true }).violations, []);
    });
});
