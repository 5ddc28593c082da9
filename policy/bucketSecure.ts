/**
 * gitguardian-backup-bucket-secure: a backup bucket (see buckets.ts) has versioning Enabled,
 * default encryption, all four public-access blocks, and a bucket policy that denies requests
 * without TLS (`aws:SecureTransport` = false), and no `forceDestroy`. Each may come from its own resource
 * (BucketVersioning, BucketServerSideEncryptionConfiguration, BucketPublicAccessBlock,
 * BucketPolicy, V2 names too) or, where the provider still has one, the bucket's inline argument.
 */
import type { PolicyConfigSchema, StackValidationPolicy } from "@pulumi/policy";
import { Attached, BackupBucket, backupBuckets, display } from "./buckets";
import { at, Findings, isUnknown, notApplicable, PackResource, resolveConfig, stackValidation, Unknown, Verdict } from "./model";

export const BUCKET_SECURE = "gitguardian-backup-bucket-secure";

export interface BucketSecureConfig {
    [k: string]: never;
}

export const bucketSecureSchema: PolicyConfigSchema = { properties: {} };

const PUBLIC_ACCESS_BLOCKS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const;
const SSE_ALGORITHMS = ["AES256", "aws:kms", "aws:kms:dsse"];

type Judged = { ok: true } | { ok: false; why: string } | Unknown;

function some(list: Attached[] | undefined, judge: (a: Attached) => Judged): Judged {
    let unknown: Unknown | undefined;
    let bad: string | undefined;
    for (const a of list ?? []) {
        const j = judge(a);
        if (isUnknown(j)) unknown ??= j;
        else if (j.ok) return j;
        else bad ??= j.why;
    }
    return unknown ?? { ok: false, why: bad ?? "missing" };
}

function versioning(b: BackupBucket): Judged {
    if (at(b.props, "versioning", "enabled") === true) return { ok: true };
    return some(b.attached.get("BucketVersioning"), ({ props }) => {
        const status = at(props, "versioningConfiguration", "status");
        if (isUnknown(status)) return status;
        return status === "Enabled" ? { ok: true } : { ok: false, why: `status is ${JSON.stringify(status ?? null)}` };
    });
}

function sseRules(rules: unknown): Judged {
    if (isUnknown(rules)) return rules;
    const list = Array.isArray(rules) ? rules : rules ? [rules] : [];
    for (const rule of list) {
        const alg = at(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm");
        if (isUnknown(alg)) return alg;
        if (SSE_ALGORITHMS.includes(alg)) return { ok: true };
    }
    return { ok: false, why: "no rule sets applyServerSideEncryptionByDefault.sseAlgorithm" };
}

function encryption(b: BackupBucket): Judged {
    const inline = sseRules(at(b.props, "serverSideEncryptionConfiguration", "rule"));
    if (!isUnknown(inline) && inline.ok) return inline;
    return some(b.attached.get("BucketServerSideEncryptionConfiguration"), ({ props }) => sseRules(at(props, "rules")));
}

function publicAccess(b: BackupBucket): Judged {
    return some(b.attached.get("BucketPublicAccessBlock"), ({ props }) => {
        const off: string[] = [];
        for (const k of PUBLIC_ACCESS_BLOCKS) {
            const v = at(props, k);
            if (isUnknown(v)) return v;
            if (v !== true) off.push(k);
        }
        return off.length === 0 ? { ok: true } : { ok: false, why: `${off.join(", ")} not true` };
    });
}

const isFalse = (v: unknown) => v === false || v === "false" || (Array.isArray(v) && v.length > 0 && v.every((x) => x === false || x === "false"));
const isEveryone = (p: unknown) => p === "*" || (Array.isArray(p) && p.includes("*")) || (p !== null && typeof p === "object" && [at(p, "AWS")].flat().includes("*"));

/** True when a policy document (JSON text or object) denies everyone any request with aws:SecureTransport false. */
export function deniesInsecureTransport(doc: unknown): boolean {
    let d = doc;
    if (typeof d === "string") {
        try {
            d = JSON.parse(d);
        } catch {
            return false;
        }
    }
    const statements = [at(d, "Statement")].flat().filter((s) => s && typeof s === "object");
    return statements.some((s) => {
        if (at(s, "Effect") !== "Deny" || !isEveryone(at(s, "Principal"))) return false;
        const cond = at(s, "Condition");
        const bool = at(cond, "Bool") ?? at(cond, "BoolIfExists");
        return isFalse(at(bool, "aws:SecureTransport"));
    });
}

function tlsOnly(b: BackupBucket): Judged {
    const inline = at(b.props, "policy");
    if (!isUnknown(inline) && inline !== undefined && deniesInsecureTransport(inline)) return { ok: true };
    return some(b.attached.get("BucketPolicy"), ({ props }) => {
        const doc = at(props, "policy");
        if (isUnknown(doc)) return doc;
        return deniesInsecureTransport(doc) ? { ok: true } : { ok: false, why: "no statement denies aws:SecureTransport false to everyone" };
    });
}

// The sets are the only copy of a lost cluster's data: a bucket that `pulumi destroy` (or a
// replacement, after a rename or a late Object Lock) may empty is not a backup bucket. CrossGuard
// does not tell a policy which operation is planned, so the setting that allows it is refused.
function keptOnDestroy(b: BackupBucket): Judged {
    const v = at(b.props, "forceDestroy");
    if (isUnknown(v)) return v;
    return v === true ? { ok: false, why: "missing" } : { ok: true };
}

const RULES: { judge: (b: BackupBucket) => Judged; what: string; fix: string }[] = [
    { judge: versioning, what: "versioning is not Enabled", fix: 'add aws.s3.BucketVersioning with `versioningConfiguration: { status: "Enabled" }`' },
    {
        judge: encryption,
        what: "default encryption is not configured",
        fix: 'add aws.s3.BucketServerSideEncryptionConfiguration with a rule `applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }` (or "aws:kms")',
    },
    {
        judge: publicAccess,
        what: "public access is not fully blocked",
        fix: "add aws.s3.BucketPublicAccessBlock with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets all true",
    },
    {
        judge: keptOnDestroy,
        what: "forceDestroy is true: `pulumi destroy`, or a replacement of the bucket, deletes every set in it",
        fix: "remove forceDestroy (a GitGuardianBackupPolicy keeps its bucket on destroy unless storage.createBucket.forceDestroy is set; empty the bucket by hand when it really must go)",
    },
    {
        judge: tlsOnly,
        what: "requests without TLS are not denied",
        fix: 'add aws.s3.BucketPolicy with a statement `{ Effect: "Deny", Principal: "*", Action: "s3:*", Condition: { Bool: { "aws:SecureTransport": "false" } } }`',
    },
];

export function checkBucketSecure(resources: PackResource[], config?: Partial<BucketSecureConfig>): Verdict {
    resolveConfig(BUCKET_SECURE, {}, config);
    const buckets = backupBuckets(resources);
    if (buckets.length === 0) return notApplicable("the stack has no backup bucket");
    const f = new Findings();
    for (const b of buckets) {
        for (const rule of RULES) {
            const j = rule.judge(b);
            if (isUnknown(j)) f.unknown(j);
            else if (!j.ok) f.report(`${display(b)}, ${b.why}: ${rule.what}${j.why === "missing" ? "" : ` (${j.why})`}. To fix, ${rule.fix}.`, b.resource.urn);
        }
    }
    return f.verdict();
}

export const bucketSecurePolicy: StackValidationPolicy = {
    name: BUCKET_SECURE,
    description: "Backup buckets have versioning, default encryption, every public-access block and a TLS-only bucket policy, and no forceDestroy.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: bucketSecureSchema,
    validateStack: stackValidation<BucketSecureConfig>(checkBucketSecure),
};
