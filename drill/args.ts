/**
 * The public arguments of the restore drills (GitGuardianBackupPolicyArgs.drill). They follow the
 * component-provider rules (interfaces only, string choices as `as const` enums) so that every
 * Pulumi language gets the same API.
 */
import type { ResourceRequirements } from "../backup/args";
import type { DrillDecryption } from "../encryption/args";

/** Which complete set of each part a drill restores (AWS Backup's LATEST_WITHIN_WINDOW / RANDOM_WITHIN_WINDOW). */
export const DrillPick = { Latest: "latest", Random: "random" } as const;
export type DrillPick = (typeof DrillPick)[keyof typeof DrillPick];

/**
 * A scheduled restore drill: a CronJob whose pod fetches one complete set of each part, verifies
 * every sha256, restores it into scratch servers of its own (a PostgreSQL on an emptyDir, a
 * redis-server, the KOTS archive unpacked) with the restore's own scripts, checks what the backup
 * recorded (databases, roles, row counts, keys, the key Secrets), and writes the result to
 * `<prefix>/drills/<id>.json`. It never touches the live servers: nothing of it names one.
 */
export interface RestoreDrill {
    /** Cron schedule of the drill (5 fields or a macro), in the policy's time zone. Required. */
    schedule: string;
    /** Which complete set of each part: `latest` (default) or `random` within `windowDays`. */
    pick?: DrillPick;
    /** Days back the drill looks for sets; a part whose newest complete set is older fails the drill. 1 to 365. Default 2. */
    windowDays?: number;
    /** Seconds the drill may take before its unfinished checks are TIMED_OUT (60 to 86400). Default 3600. */
    deadlineSeconds?: number;
    /** The parts to drill, among those backed up that have a drill step. Default all of them. */
    parts?: string[];
    /** Size limit of the drill's scratch volume (the restored servers' data). Default `20Gi`. */
    scratchSize?: string;
    /** Resources of each scratch server's container. Default requests 250m/512Mi, limits 2 CPU/4Gi. */
    resources?: ResourceRequirements;
    /** The age identity the drill decrypts the sets with. Required when the policy's backups are encrypted, refused otherwise. */
    decryption?: DrillDecryption;
}
