/**
 * gitguardian-backup-max-interval: the recovery point a backup schedule really gives. The longest
 * gap between two runs of each backup CronJob, over a year and in the CronJob's timeZone
 * (daylight-saving changes included), must not exceed maxIntervalHours.
 *
 * A resource policy: it judges each CronJob before it is created or updated. CronJobs without a
 * valid, unsuspended schedule are left to gitguardian-backup-schedule-required.
 */
import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { maxIntervalHours } from "../core/schedule";
import { asBackupCronJob, describe, Findings, isUnknown, notApplicable, PackResource, resolveConfig, resourceValidation, scheduleState, Verdict } from "./model";

export const MAX_INTERVAL = "gitguardian-backup-max-interval";

export interface MaxIntervalConfig {
    [k: string]: number;
    /** Longest allowed gap between two runs, in hours. */
    maxIntervalHours: number;
}

export const MAX_INTERVAL_DEFAULTS: MaxIntervalConfig = { maxIntervalHours: 24 };

export const maxIntervalSchema: PolicyConfigSchema = {
    properties: {
        maxIntervalHours: {
            type: "number",
            exclusiveMinimum: 0,
            default: MAX_INTERVAL_DEFAULTS.maxIntervalHours,
            description: "Longest allowed gap between two runs of a backup schedule, in hours (the recovery point objective).",
        },
    },
};

const hours = (h: number) => (Number.isInteger(h) ? `${h}` : h.toFixed(1));

/** A schedule that meets a limit, for the message. */
function example(limit: number): string {
    if (limit >= 24) return '"0 2 * * *" for daily';
    if (limit >= 1) return `"0 */${Math.floor(limit)} * * *"`;
    return `"*/${Math.max(1, Math.floor(limit * 60))} * * * *"`;
}

/** Macros that fire every day (the others restrict days). */
const EVERY_DAY_MACROS = new Set(["@daily", "@midnight", "@hourly"]);

/** True when a schedule fires on every day: its day-of-month, month and day-of-week fields are all `*`. */
export function firesEveryDay(schedule: string): boolean {
    const s = schedule.trim();
    if (s.startsWith("@")) return EVERY_DAY_MACROS.has(s);
    const [, , dom, month, dow] = s.split(/\s+/);
    return (dom === "*" || dom === "?") && month === "*" && (dow === "*" || dow === "?");
}

export interface Gap {
    /** Longest gap between two runs, in hours. */
    hours: number;
    /** False when only a lower bound was computed (enough to fail the limit). */
    exact: boolean;
}

/**
 * The longest gap of a schedule, as core/schedule.ts maxIntervalHours counts it over a year,
 * without iterating a year of runs when the limit is clearly met or clearly missed (a year of
 * a 5-minute schedule is 105,000 runs, tens of seconds).
 *
 * A schedule that fires every day repeats daily in wall-clock time, so two days without a
 * daylight-saving change give its gap w exactly. A change of at most 2 hours can stretch a gap
 * to at most max(2w, w + 2): skipping the wall-clock hour that does not exist joins two gaps of
 * at most w, repeating one adds its length. So w > limit fails, max(2w, w + 2) <= limit passes,
 * and only schedules in between (infrequent ones, cheap to iterate) get the full year.
 */
export function worstGap(schedule: string, timeZone: string, limit: number): Gap {
    if (firesEveryDay(schedule)) {
        // Two windows half a year apart: at most one of them can hold a daylight-saving change.
        const w = Math.min(gapOver(schedule, timeZone, WINDOWS[0], 2), gapOver(schedule, timeZone, WINDOWS[1], 2));
        // Without any change of UTC offset in the year, the daily pattern is the whole story.
        if (!offsetChanges(timeZone)) return { hours: w, exact: true };
        if (w > limit) return { hours: w, exact: false };
        if (Math.max(2 * w, w + 2) <= limit) return { hours: w, exact: false };
        // In between: an infrequent schedule, cheap to follow over the whole year.
    }
    return { hours: gapOver(schedule, timeZone), exact: true };
}

/** The year maxIntervalHours looks at by default (from 2026-01-01), and two short windows half a year apart in it. */
const YEAR_START = new Date(Date.UTC(2026, 0, 1));
const WINDOWS = [new Date(Date.UTC(2026, 0, 10)), new Date(Date.UTC(2026, 6, 10))];

/** maxIntervalHours (over the default year when no window is given), remembered: a stack's CronJobs often share a schedule. */
const gaps = new Map<string, number>();
function gapOver(schedule: string, timeZone: string, from?: Date, days?: number): number {
    const key = JSON.stringify([schedule, timeZone, from?.getTime() ?? null, days ?? null]);
    let h = gaps.get(key);
    if (h === undefined) {
        h = from === undefined ? maxIntervalHours(schedule, timeZone) : maxIntervalHours(schedule, timeZone, from, days);
        if (gaps.size > 1000) gaps.clear();
        gaps.set(key, h);
    }
    return h;
}

/** True when a time zone changes its UTC offset during the year (daylight saving, or a change of zone rules). */
const offsetChangesCache = new Map<string, boolean>();
export function offsetChanges(timeZone: string): boolean {
    let changes = offsetChangesCache.get(timeZone);
    if (changes === undefined) {
        const format = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "longOffset" });
        const offset = (t: number) => format.formatToParts(new Date(t)).find((p) => p.type === "timeZoneName")?.value;
        const first = offset(YEAR_START.getTime());
        changes = false;
        for (let day = 1; day <= 366 && !changes; day++) changes = offset(YEAR_START.getTime() + day * 86_400_000) !== first;
        offsetChangesCache.set(timeZone, changes);
    }
    return changes;
}

export function checkMaxInterval(resource: PackResource, config?: Partial<MaxIntervalConfig>): Verdict {
    const cfg = resolveConfig(MAX_INTERVAL, MAX_INTERVAL_DEFAULTS, config);
    const b = asBackupCronJob(resource);
    if (!b) return notApplicable("not a backup CronJob");
    const f = new Findings();
    const s = scheduleState(b.props);
    if (isUnknown(s)) {
        f.unknown(s);
        return f.verdict();
    }
    if (!s.ok) return notApplicable(`the CronJob ${s.detail} (see gitguardian-backup-schedule-required)`);
    const limit = cfg.maxIntervalHours;
    const worst = worstGap(s.schedule, s.timeZone, limit);
    if (worst.hours <= limit) return f.verdict();
    const what = [...b.components].join(" and ");
    let dst = "";
    if (worst.exact && s.timeZone !== "Etc/UTC" && s.timeZone !== "UTC" && worstGap(s.schedule, "Etc/UTC", limit).hours <= limit) {
        dst = ` The longest gap falls on a daylight-saving change in ${s.timeZone}: use timeZone Etc/UTC, or allow ${hours(Math.ceil(worst.hours))} hours.`;
    }
    f.report(
        `${describe(b)} (backup of ${what}) runs on ${JSON.stringify(s.schedule)} (${s.timeZone}): up to ${worst.exact ? "" : "at least "}${hours(worst.hours)} hours between two runs, ` +
            `more than maxIntervalHours ${hours(limit)}. Run it at least every ${hours(limit)} hours ` +
            `(e.g. schedule ${example(limit)}), or raise maxIntervalHours in the policy config.${dst}`,
        resource.urn,
    );
    return f.verdict();
}

export const maxIntervalPolicy: ResourceValidationPolicy = {
    name: MAX_INTERVAL,
    description: "The longest gap between two runs of each backup schedule (its time zone included) is at most maxIntervalHours.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: maxIntervalSchema,
    validateResource: resourceValidation<MaxIntervalConfig>(checkMaxInterval),
};
