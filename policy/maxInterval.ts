/**
 * gitguardian-backup-max-interval: the recovery point a backup schedule really gives. The longest
 * gap between two runs of each backup CronJob, over a year and in the CronJob's timeZone
 * (daylight-saving changes included), must not exceed maxIntervalHours.
 *
 * A resource policy: it judges each CronJob before it is created or updated. CronJobs without a
 * valid, unsuspended schedule are left to gitguardian-backup-schedule-required.
 */
import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { DEFAULT_RECOVERY_POINT_HOURS } from "../core/recoveryPoint";
import { maxIntervalHours } from "../core/schedule";
import { asBackupCronJob, describe, Findings, isUnknown, notApplicable, PackResource, resolveConfig, resourceValidation, scheduleState, Verdict } from "./model";

export const MAX_INTERVAL = "gitguardian-backup-max-interval";

export interface MaxIntervalConfig {
    [k: string]: number;
    /** Longest allowed gap between two runs, in hours. */
    maxIntervalHours: number;
}

/** The recovery point objective the alert rules (alerts/) watch by default, too. */
export const MAX_INTERVAL_DEFAULTS: MaxIntervalConfig = { maxIntervalHours: DEFAULT_RECOVERY_POINT_HOURS };

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

/** maxIntervalHours, remembered: a stack's CronJobs often share a schedule. */
const gaps = new Map<string, number>();
export function worstGap(schedule: string, timeZone: string): number {
    const key = `${timeZone} ${schedule}`;
    let h = gaps.get(key);
    if (h === undefined) {
        h = maxIntervalHours(schedule, timeZone);
        if (gaps.size > 1000) gaps.clear();
        gaps.set(key, h);
    }
    return h;
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
    const worst = worstGap(s.schedule, s.timeZone);
    if (worst <= limit) return f.verdict();
    const what = [...b.components].join(" and ");
    let dst = "";
    if (s.timeZone !== "Etc/UTC" && s.timeZone !== "UTC" && worstGap(s.schedule, "Etc/UTC") <= limit) {
        dst = ` The longest gap falls on a daylight-saving change in ${s.timeZone}: use timeZone Etc/UTC, or allow ${hours(Math.ceil(worst))} hours.`;
    }
    f.report(
        `${describe(b)} (backup of ${what}) runs on ${JSON.stringify(s.schedule)} (${s.timeZone}): up to ${hours(worst)} hours between two runs, ` +
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
