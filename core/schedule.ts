/**
 * Cron schedules as Kubernetes CronJobs read them (5 fields or a macro, robfig/cron's standard
 * parser), checked and iterated with cron-parser. Shared by the component's validation and the
 * policy pack's recovery-point check, so both judge a schedule the same way.
 */
import { CronExpressionParser } from "cron-parser";

/** Macros Kubernetes accepts; @midnight is @daily. */
const MACROS: Record<string, string> = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
};

export const SCHEDULE_ALLOWED =
    'allowed: 5 cron fields "minute hour day-of-month month day-of-week" (e.g. "0 2 * * *") or one of ' +
    Object.keys(MACROS).join(", ");

/** Returns why a schedule is not one Kubernetes runs, or undefined when it is. */
export function scheduleProblem(schedule: string, timeZone = "Etc/UTC"): string | undefined {
    const expr = schedule.trim();
    if (expr === "") return "it is empty";
    if (/^(CRON_)?TZ=/.test(expr)) return "time zones belong in timeZone, not in the schedule";
    let fields = expr;
    if (expr.startsWith("@")) {
        const macro = MACROS[expr];
        if (!macro) return `unknown macro ${expr}`;
        fields = macro;
    }
    const parts = fields.split(/\s+/);
    if (parts.length !== 5) return `it has ${parts.length} fields, Kubernetes takes 5`;
    // robfig/cron (Kubernetes) has no L, W or # (cron-parser has): refuse them so preview fails, not the API server.
    const rest = parts.map((p, i) => (i >= 3 ? p.replace(/[A-Za-z]{3}/g, "") : p));
    if (rest.some((p) => /[^0-9*,\-/?]/.test(p))) return "only digits, * , - / ? and month or day names are allowed (Kubernetes has no L, W or #)";
    try {
        CronExpressionParser.parse(fields, { tz: timeZone, strict: false });
    } catch (e) {
        return (e as Error).message;
    }
    return undefined;
}

/** True when timeZone is an IANA zone this runtime (and Kubernetes' tzdata) knows. */
export function isTimeZone(timeZone: string): boolean {
    if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(timeZone)) return false;
    try {
        new Intl.DateTimeFormat("en-US", { timeZone });
        return true;
    } catch {
        return false;
    }
}

/**
 * The longest gap, in hours, between two consecutive runs of a schedule over `days` days from
 * `from`, in its time zone (daylight-saving changes included). This is the recovery point
 * objective the schedule actually gives.
 *
 * A schedule whose day-of-month and month fields are `*` repeats weekly in wall-clock time, so
 * a 15-day window gives every gap of its pattern, and windows around each change of the zone's
 * UTC offset give the gaps that a change stretches or shortens: exact, without iterating a
 * year of a 5-minute schedule (105,000 runs). Other schedules are followed over the year.
 */
export function maxIntervalHours(schedule: string, timeZone = "Etc/UTC", from = new Date(Date.UTC(2026, 0, 1)), days = 366): number {
    const problem = scheduleProblem(schedule, timeZone);
    if (problem) throw new Error(`schedule ${JSON.stringify(schedule)} is invalid: ${problem}`);
    const fields = MACROS[schedule.trim()] ?? schedule.trim();
    const [, , dayOfMonth, month] = fields.split(/\s+/);
    const any = (f: string) => f === "*" || f === "?";
    const start = from.getTime();
    const end = start + days * DAY;
    if (!(any(dayOfMonth) && any(month)) || days <= 15) return longestGap(fields, timeZone, start, end, days) / HOUR;
    let worst = longestGap(fields, timeZone, start, start + 15 * DAY, days);
    for (const change of offsetChanges(timeZone, start, end)) {
        worst = Math.max(worst, longestGap(fields, timeZone, Math.max(start, change - 8 * DAY), Math.min(end, change + 8 * DAY), days));
    }
    return worst / HOUR;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * The longest gap between consecutive runs whose earlier run falls in [start, end); the run
 * after `end` is looked for up to `lookAheadDays` later (a yearly run's gap is seen whole).
 */
function longestGap(fields: string, timeZone: string, start: number, end: number, lookAheadDays: number): number {
    const it = CronExpressionParser.parse(fields, { tz: timeZone, currentDate: new Date(start - 1), endDate: new Date(end + lookAheadDays * DAY) });
    let previous: number | undefined;
    let worst = 0;
    while (it.hasNext()) {
        const t = it.next().getTime();
        if (previous !== undefined) worst = Math.max(worst, t - previous);
        if (t >= end) break;
        previous = t;
    }
    return previous === undefined || worst === 0 ? Infinity : worst;
}

/** The days (as times) on which the zone's UTC offset differs from the day before. */
function offsetChanges(timeZone: string, start: number, end: number): number[] {
    const format = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "longOffset" });
    const offset = (t: number) => format.formatToParts(new Date(t)).find((p) => p.type === "timeZoneName")?.value;
    const changes: number[] = [];
    let last = offset(start);
    for (let t = start + DAY; t <= end; t += DAY) {
        const now = offset(t);
        if (now !== last) changes.push(t);
        last = now;
    }
    return changes;
}
