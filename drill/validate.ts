/**
 * Validation and defaults of the drill argument, at construction like the rest of the policy's:
 * a bad value fails `pulumi preview` naming the argument, the value and what is allowed.
 */
import { EncryptionSpec, resolveDrillDecryption } from "../encryption/validate";
import { FieldRules } from "../core/fields";
import { maxIntervalHours } from "../core/schedule";
import type { PartBackupSpec } from "../sources/part";
import { partNamed } from "../sources/registry";
import { DrillPick, RestoreDrill } from "./args";

export const DRILL_DEFAULTS = {
    pick: DrillPick.Latest,
    // A daily backup drilled daily: two days find the newest set even when last night's failed.
    windowDays: 2,
    deadlineSeconds: 3_600,
    scratchSize: "20Gi",
    resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "2", memory: "4Gi" } },
} as const;

/** Seconds the report step is given after the drill's deadline (Job activeDeadlineSeconds = deadline + this). */
export const REPORT_GRACE_SECONDS = 300;

export interface DrillSpec {
    schedule: string;
    pick: DrillPick;
    windowDays: number;
    deadlineSeconds: number;
    /** The parts drilled, in the registry's order: backed up, with a drill step. */
    parts: PartBackupSpec[];
    scratchSize: string;
    resources: { requests: { [k: string]: string }; limits: { [k: string]: string } };
    /** The identity's Secret, when the sets are encrypted. */
    decryption?: { identitySecret: { name: string; key: string } };
}

/**
 * The drill's spec, or undefined when none is declared. `components` are the policy's enabled
 * parts; `schedule` validates a cron schedule as the policy's are.
 */
export function resolveDrill(
    value: RestoreDrill | undefined,
    components: readonly PartBackupSpec[],
    f: FieldRules,
    schedule: (argument: string, value: unknown) => string,
    timeZone: string,
    encryption?: EncryptionSpec,
): DrillSpec | undefined {
    if (value === undefined) return undefined;
    const d = f.object("drill", value, "allowed: an object with schedule and the drill's settings") as unknown as RestoreDrill;
    const drillable = components.filter((c) => partNamed(c.component)?.drill);
    const names = drillable.map((c) => c.component);
    let parts = drillable;
    if (d.parts !== undefined) {
        if (!Array.isArray(d.parts) || d.parts.length === 0) f.bad("drill.parts", d.parts, `allowed: a non-empty list of ${names.join(", ")}`);
        d.parts.forEach((p, i) => {
            if (!names.includes(p)) f.bad(`drill.parts[${i}]`, p, `allowed: a part this policy backs up that has a drill step: ${names.join(", ") || "none"}`);
        });
        parts = drillable.filter((c) => d.parts!.includes(c.component));
    }
    if (parts.length === 0) f.bad("drill", "no part to drill", `the policy backs up no part with a drill step (postgres, redis, kots have one)`);
    const resources = d.resources ?? {};
    for (const [kind, values] of Object.entries({ requests: resources.requests ?? {}, limits: resources.limits ?? {} })) {
        for (const [k, q] of Object.entries(values)) f.quantity(`drill.resources.${kind}.${k}`, q, "allowed: a Kubernetes quantity such as 500m or 1Gi");
    }
    const windowDays = f.ruleInt("drill.windowDays", d.windowDays, "drillWindowDays", DRILL_DEFAULTS.windowDays);
    // A part backed up less often than the window would fail every drill between two of its runs.
    for (const c of parts) {
        const gap = maxIntervalHours(c.schedule, timeZone);
        if (gap > windowDays * 24) {
            f.bad("drill.windowDays", windowDays, `the ${c.component} schedule ${JSON.stringify(c.schedule)} leaves gaps of ${gap} h, so the drill would find no set in its window between two runs; allowed: at least ${Math.ceil(gap / 24)} (days)`);
        }
    }
    return {
        schedule: schedule("drill.schedule", d.schedule),
        pick: f.oneOf("drill.pick", d.pick, DrillPick, DRILL_DEFAULTS.pick),
        windowDays,
        deadlineSeconds: f.ruleInt("drill.deadlineSeconds", d.deadlineSeconds, "drillDeadlineSeconds", DRILL_DEFAULTS.deadlineSeconds),
        parts,
        scratchSize: f.quantity("drill.scratchSize", d.scratchSize ?? DRILL_DEFAULTS.scratchSize),
        decryption: resolveDrillDecryption(d.decryption, encryption, f),
        resources: {
            requests: { ...DRILL_DEFAULTS.resources.requests, ...(resources.requests ?? {}) },
            limits: { ...DRILL_DEFAULTS.resources.limits, ...(resources.limits ?? {}) },
        },
    };
}
