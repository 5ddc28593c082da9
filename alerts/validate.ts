/** Validation and defaults of the alerts argument, at construction like the rest of the policy's. */
import { FieldRules } from "../core/fields";
import { DEFAULT_RECOVERY_POINT_HOURS } from "../core/recoveryPoint";
import { maxIntervalHours } from "../core/schedule";
import { BackupAlerts } from "./args";

export const ALERT_DEFAULTS = { for: "10m", severity: "critical" } as const;

export interface AlertsSpec {
    recoveryPointHours: number;
    labels: { [k: string]: string };
    ruleLabels: { [k: string]: string };
    for: string;
}

/** Prometheus' duration syntax, as `for` takes it. */
const DURATION = /^([0-9]+(ms|[smhdwy]))+$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * The alerts' spec, or undefined when none are declared. `schedules` are the backup CronJobs'
 * (with the time zone): the recovery point must not be shorter than the longest gap any of them
 * leaves, or the alert would fire between two good runs.
 */
export function resolveAlerts(value: BackupAlerts | undefined, schedules: { part: string; schedule: string }[], timeZone: string, f: FieldRules): AlertsSpec | undefined {
    if (value === undefined) return undefined;
    const a = f.object("alerts", value, "allowed: an object with the alerts' settings") as unknown as BackupAlerts;
    const hours = a.recoveryPointHours ?? DEFAULT_RECOVERY_POINT_HOURS;
    if (typeof hours !== "number" || !(hours > 0) || hours > 24 * 366) f.bad("alerts.recoveryPointHours", hours, "allowed: a number of hours above 0, at most a year");
    for (const { part, schedule } of schedules) {
        const gap = maxIntervalHours(schedule, timeZone);
        if (gap > hours) {
            f.bad("alerts.recoveryPointHours", hours, `the ${part} schedule ${JSON.stringify(schedule)} leaves gaps of ${gap} h, so the alert would fire between two good runs; allowed: at least ${gap} (the policy pack's max-interval policy holds schedules to the same number)`);
        }
    }
    /** A map of strings; with `names`, each key a Prometheus label name. */
    const labels = (argument: string, m: unknown, names?: RegExp): { [k: string]: string } => {
        if (m === undefined) return {};
        const o = f.object(argument, m, "allowed: a map of label names to strings");
        for (const [k, v] of Object.entries(o)) {
            if ((names && !names.test(k)) || typeof v !== "string") f.bad(`${argument}.${k}`, v, `allowed: a string value${names ? " under a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)" : ""}`);
        }
        return o as { [k: string]: string };
    };
    const forDuration = a.for ?? ALERT_DEFAULTS.for;
    if (typeof forDuration !== "string" || !DURATION.test(forDuration)) f.bad("alerts.for", forDuration, "allowed: a Prometheus duration such as 10m or 1h30m");
    return { recoveryPointHours: hours, labels: labels("alerts.labels", a.labels, LABEL_NAME), ruleLabels: labels("alerts.ruleLabels", a.ruleLabels), for: forDuration };
}
