/**
 * gitguardian-backup-retention: no lifecycle rule of a backup bucket (see buckets.ts) deletes
 * sets, or their noncurrent versions, before minRetentionDays; and, with requireObjectLock, the
 * bucket has an Object Lock configuration. A bucket without any expiration keeps its sets for
 * ever, which meets the minimum (cost is not this policy's business).
 */
import type { PolicyConfigSchema, StackValidationPolicy } from "@pulumi/policy";
import { BackupBucket, backupBuckets, display } from "./buckets";
import { asWorkload, at, containersOf, describe as describeWorkload, envValues, Findings, isPackageLabeled, labelsOf, isUnknown, notApplicable, PackResource, resolveConfig, stackValidation, Unknown, Verdict } from "./model";
import { LABELS, PRUNE_COMPONENT } from "../core/pod";
import { PRUNE_ENV } from "../core/contract";

export const RETENTION = "gitguardian-backup-retention";

export interface RetentionConfig {
    [k: string]: number | boolean;
    minRetentionDays: number;
    requireObjectLock: boolean;
}

export const RETENTION_DEFAULTS: RetentionConfig = { minRetentionDays: 7, requireObjectLock: false };

export const retentionSchema: PolicyConfigSchema = {
    properties: {
        minRetentionDays: {
            type: "integer",
            minimum: 1,
            default: RETENTION_DEFAULTS.minRetentionDays,
            description: "Fewest days a backup set (and a noncurrent version of it) is kept before a lifecycle rule may expire it.",
        },
        requireObjectLock: {
            type: "boolean",
            default: RETENTION_DEFAULTS.requireObjectLock,
            description: "Require an S3 Object Lock configuration on every backup bucket.",
        },
    },
};

/** An expiring rule, in the shape of both BucketLifecycleConfiguration rules and the bucket's inline lifecycleRules. */
interface Expiry {
    source: string;
    rule: string;
    days?: number;
    date?: string;
    noncurrentDays?: number;
}

function enabled(rule: unknown, inline: boolean): boolean | undefined {
    const v = inline ? at(rule, "enabled") : at(rule, "status");
    if (isUnknown(v)) return undefined;
    return inline ? v !== false : v !== "Disabled";
}

function expiries(b: BackupBucket, onUnknown: (u: Unknown) => void): Expiry[] {
    const out: Expiry[] = [];
    const add = (source: string, rules: unknown, inline: boolean) => {
        if (isUnknown(rules)) return onUnknown(rules);
        if (!Array.isArray(rules)) return;
        rules.forEach((rule, i) => {
            const on = enabled(rule, inline);
            if (on === false) return;
            const days = at(rule, "expiration", "days");
            const date = at(rule, "expiration", "date");
            const noncurrentDays = inline ? at(rule, "noncurrentVersionExpiration", "days") : at(rule, "noncurrentVersionExpiration", "noncurrentDays");
            for (const v of [days, date, noncurrentDays]) if (isUnknown(v)) onUnknown(v);
            const id = at(rule, "id");
            out.push({
                source,
                rule: typeof id === "string" && id ? `rule "${id}"` : `rule ${i}`,
                ...(typeof days === "number" && days > 0 ? { days } : {}),
                ...(typeof date === "string" && date ? { date } : {}),
                ...(typeof noncurrentDays === "number" && noncurrentDays > 0 ? { noncurrentDays } : {}),
            });
        });
    };
    add(`the bucket's lifecycleRules`, at(b.props, "lifecycleRules"), true);
    for (const a of b.attached.get("BucketLifecycleConfiguration") ?? []) add(`BucketLifecycleConfiguration ${a.resource.name}`, at(a.props, "rules"), false);
    return out;
}

function objectLocked(b: BackupBucket): boolean | Unknown {
    const inline = at(b.props, "objectLockConfiguration", "objectLockEnabled");
    if (inline === "Enabled") return true;
    let unknown: Unknown | undefined;
    for (const a of b.attached.get("BucketObjectLockConfiguration") ?? []) {
        const v = at(a.props, "objectLockEnabled");
        if (isUnknown(v)) unknown ??= v;
        else if (v === undefined || v === "Enabled") return true;
    }
    return unknown ?? false;
}

export function checkRetention(resources: PackResource[], config?: Partial<RetentionConfig>): Verdict {
    const cfg = resolveConfig(RETENTION, RETENTION_DEFAULTS, config);
    const buckets = backupBuckets(resources);
    if (buckets.length === 0) return notApplicable("the stack has no backup bucket");
    const f = new Findings();
    const min = cfg.minRetentionDays;
    for (const b of buckets) {
        const where = `${display(b)}, ${b.why}`;
        for (const e of expiries(b, (u) => f.unknown(u))) {
            if (e.days !== undefined && e.days < min) {
                f.report(`${where}: ${e.source} ${e.rule} expires backup sets after ${e.days} days, fewer than minRetentionDays ${min}. Set expiration.days (GitGuardianBackupPolicy \`retentionDays\`) to ${min} or more.`, b.resource.urn);
            }
            if (e.noncurrentDays !== undefined && e.noncurrentDays < min) {
                f.report(`${where}: ${e.source} ${e.rule} expires noncurrent versions after ${e.noncurrentDays} days, fewer than minRetentionDays ${min}: an overwritten or deleted set would be gone too soon. Set it to ${min} or more.`, b.resource.urn);
            }
            if (e.date !== undefined) {
                f.report(`${where}: ${e.source} ${e.rule} expires every backup set on ${e.date}: use expiration.days (${min} or more) instead of a date.`, b.resource.urn);
            }
        }
        if (cfg.requireObjectLock) {
            const locked = objectLocked(b);
            if (isUnknown(locked)) f.unknown(locked);
            else if (!locked) {
                f.report(
                    `${where}: no Object Lock configuration, and requireObjectLock is set. Set \`storage.createBucket.objectLock: { mode: "GOVERNANCE", days: ${min} }\` in GitGuardianBackupPolicy args, or add aws.s3.BucketObjectLockConfiguration (the bucket needs objectLockEnabled: true).`,
                    b.resource.urn,
                );
            }
        }
    }
    // The package's retention job deletes sets older than its GGB_RETENTION_DAYS (lifecycle rules
    // no longer expire current sets): the same minimum holds for it.
    for (const r of resources) {
        const w = asWorkload(r);
        if (!w || w.kind !== "CronJob" || !isPackageLabeled(w) || labelsOf(w)[LABELS.component] !== PRUNE_COMPONENT) continue;
        for (const { container } of containersOf(w)) {
            for (const days of envValues(container, PRUNE_ENV.retentionDays.name)) {
                if (isUnknown(days)) f.unknown(days);
                else if (typeof days === "string" && Number(days) < min) {
                    f.report(`${describeWorkload(w)} (the retention job) deletes sets after ${days} days, fewer than minRetentionDays ${min}. Set GitGuardianBackupPolicy \`retentionDays\` to ${min} or more.`, r.urn);
                }
            }
        }
    }
    return f.verdict();
}

export const retentionPolicy: StackValidationPolicy = {
    name: RETENTION,
    description: "Backup bucket lifecycle rules keep sets at least minRetentionDays; with requireObjectLock, the bucket has Object Lock.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: retentionSchema,
    validateStack: stackValidation<RetentionConfig>(checkRetention),
};
