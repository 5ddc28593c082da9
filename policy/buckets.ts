/**
 * The backup buckets of a stack and the S3 settings resources attached to them, for
 * gitguardian-backup-bucket-secure and gitguardian-backup-retention.
 *
 * A bucket is a backup bucket when it is a descendant of a GitGuardianBackupPolicy, is tagged
 * `app.kubernetes.io/part-of: pulumi-gitguardian-backup`, or is the GGB_S3_BUCKET of one of this
 * package's CronJobs (existingBucket mode with the bucket declared in the same stack).
 *
 * A settings resource (BucketVersioning, BucketPolicy, ...) belongs to a bucket when its `bucket`
 * input depends on that bucket (propertyDependencies: the link that survives preview, where the
 * bucket id is unknown), or names it literally, or, with neither known, when it is the bucket's child.
 */
import { PART_OF } from "../core/pod";
import { S3_ENV } from "../core/contract";
import { ancestorOfType, asWorkload, at, BACKUP_POLICY_TYPE, containersOf, envValues, isPackageLabeled, isUnknown, PackResource, plain } from "./model";

/** The S3 resource name of a type token, V2 suffix dropped: `aws:s3/bucketVersioningV2:BucketVersioningV2` → `BucketVersioning`. */
export function s3Kind(type: string): string | undefined {
    const m = /^aws:s3\/[A-Za-z0-9]+:([A-Za-z0-9]+)$/.exec(type);
    return m ? m[1].replace(/V2$/, "") : undefined;
}

export interface Attached {
    resource: PackResource;
    props: any;
}

export interface BackupBucket {
    resource: PackResource;
    props: any;
    /** The bucket name when known (explicit `bucket`), for messages and literal links. */
    bucketName?: string;
    /** Why it is a backup bucket. */
    why: string;
    /** Settings resources attached to it, by s3Kind. */
    attached: Map<string, Attached[]>;
}

export function display(b: BackupBucket): string {
    return b.bucketName ? `bucket "${b.bucketName}" (${b.resource.name})` : `bucket ${b.resource.name}`;
}

/** Bucket names the package's CronJobs upload to. */
function uploadTargets(resources: PackResource[]): Set<string> {
    const names = new Set<string>();
    for (const r of resources) {
        const w = asWorkload(r);
        if (!w || !isPackageLabeled(w)) continue;
        for (const { container } of containersOf(w)) {
            for (const v of envValues(container, S3_ENV.bucket.name)) if (typeof v === "string") names.add(v);
        }
    }
    return names;
}

function linked(s: PackResource, sProps: any, b: PackResource, bName: string | undefined): boolean {
    const deps = s.propertyDependencies?.bucket;
    if (deps?.some((d) => d.urn === b.urn)) return true;
    const v = at(sProps, "bucket");
    if (typeof v === "string") return bName !== undefined && v === bName;
    return !deps?.length && s.parent?.urn === b.urn;
}

export function backupBuckets(resources: PackResource[]): BackupBucket[] {
    const targets = uploadTargets(resources);
    const buckets: BackupBucket[] = [];
    for (const r of resources) {
        if (s3Kind(r.type) !== "Bucket") continue;
        const props = plain(r.props);
        const name = at(props, "bucket");
        const bucketName = typeof name === "string" ? name : undefined;
        const tags = at(props, "tags");
        let why: string | undefined;
        const owner = ancestorOfType(r, BACKUP_POLICY_TYPE);
        if (owner) why = `created by GitGuardianBackupPolicy "${owner.name}"`;
        else if (!isUnknown(tags) && at(tags, "app.kubernetes.io/part-of") === PART_OF) why = `tagged app.kubernetes.io/part-of: ${PART_OF}`;
        else if (bucketName && targets.has(bucketName)) why = "the GitGuardianBackupPolicy CronJobs upload to it";
        if (why) buckets.push({ resource: r, props, bucketName, why, attached: new Map() });
    }
    if (buckets.length === 0) return buckets;
    for (const r of resources) {
        const kind = s3Kind(r.type);
        if (!kind || kind === "Bucket") continue;
        const props = plain(r.props);
        for (const b of buckets) {
            if (!linked(r, props, b.resource, b.bucketName)) continue;
            const list = b.attached.get(kind) ?? [];
            list.push({ resource: r, props });
            b.attached.set(kind, list);
        }
    }
    return buckets;
}
