/**
 * gitguardian-backup-schedule-required: a stack that runs GitGuardian must back up postgres,
 * redis and kots on a schedule Kubernetes will actually run.
 *
 * A stack "runs GitGuardian" when it holds a GitGuardianBackupPolicy, a GitGuardianRestore, a
 * GitGuardian workload (by namespace or labels), a Helm release of GitGuardian, or a backup
 * CronJob (ours, or a hand-written one in a GitGuardian namespace). Each required component then
 * needs at least one backup CronJob — from GitGuardianBackupPolicy (by its labels) or hand-written
 * (by its command: pg_dumpall, redis-cli --rdb, kots download) — with a non-empty, valid,
 * unsuspended schedule, once any CronJobPatch of it (server-side apply) is applied.
 */
import type { PolicyConfigSchema, StackValidationPolicy } from "@pulumi/policy";
import { Component } from "../core/contract";
import { backupParts, partNamed, requiredPartNames } from "../sources/registry";
import {
    asWorkload,
    at,
    BACKUP_POLICY_TYPE,
    BackupCronJob,
    backupCronJobs,
    describe,
    Findings,
    isPackageLabeled,
    isUnknown,
    k8sKind,
    notApplicable,
    PackResource,
    plain,
    resolveConfig,
    scheduleState,
    stackValidation,
    Verdict,
} from "./model";

export const SCHEDULE_REQUIRED = "gitguardian-backup-schedule-required";

export interface ScheduleRequiredConfig {
    [k: string]: string[] | { [k: string]: string };
    /** Components that must be backed up. */
    requiredComponents: string[];
    /** Namespaces whose workloads are GitGuardian's. */
    namespaces: string[];
    /** Labels (all must match) that mark a workload as GitGuardian's. */
    workloadLabels: { [k: string]: string };
    /** Workload kinds that count. */
    workloadKinds: string[];
}

export const SCHEDULE_REQUIRED_DEFAULTS: ScheduleRequiredConfig = {
    // Each part's descriptor decides whether it is required by default (sources/part.ts).
    requiredComponents: requiredPartNames(),
    namespaces: ["gitguardian"],
    workloadLabels: { "app.kubernetes.io/part-of": "gitguardian" },
    workloadKinds: ["Deployment", "StatefulSet"],
};

export const scheduleRequiredSchema: PolicyConfigSchema = {
    properties: {
        requiredComponents: {
            type: "array",
            items: { type: "string", enum: backupParts().map((p) => p.name) },
            uniqueItems: true,
            default: SCHEDULE_REQUIRED_DEFAULTS.requiredComponents,
            description: "Components that need a scheduled backup (a Helm install without KOTS: [\"postgres\", \"redis\"]).",
        },
        namespaces: {
            type: "array",
            items: { type: "string" },
            default: SCHEDULE_REQUIRED_DEFAULTS.namespaces,
            description: "A workload (see workloadKinds) in one of these namespaces is a GitGuardian workload.",
        },
        workloadLabels: {
            type: "object",
            additionalProperties: { type: "string" },
            default: SCHEDULE_REQUIRED_DEFAULTS.workloadLabels,
            description: "A workload carrying all these labels is a GitGuardian workload ({} turns the label match off).",
        },
        workloadKinds: {
            type: "array",
            items: { type: "string" },
            default: SCHEDULE_REQUIRED_DEFAULTS.workloadKinds,
            description: "Kubernetes kinds that count as GitGuardian workloads.",
        },
    },
};

/** The example a message suggests. */
const EXAMPLE_SCHEDULE = '"0 2 * * *"';

/** What a part's hand-written backup runs, for the messages. */
const handWritten = (part: Component) => partNamed(part)?.recognise.handWritten ?? `a backup of ${part}`;

/** The args that enable a part in GitGuardianBackupPolicy, for the messages. */
const enableArg = (part: Component) => partNamed(part)?.recognise.enableArg ?? `\`${part}: { ... }\``;

/** True for a GitGuardianRestore: its type token says so (a component, or a dynamic resource with a type name), or a dynamic resource's inputs carry `kind: "GitGuardianRestore"`. */
export function isRestore(r: PackResource): boolean {
    if (r.type.includes("GitGuardianRestore")) return true;
    if (!r.type.startsWith("pulumi-nodejs:dynamic")) return false;
    let props: Record<string, unknown>;
    try {
        props = { provider: r.props.__provider, kind: r.props.kind };
    } catch {
        return false; // unknown during preview: not a literal kind
    }
    return props.provider !== undefined && props.kind === "GitGuardianRestore";
}

/** Why the stack counts as running GitGuardian (empty: it does not). */
export function gitGuardianEvidence(resources: PackResource[], cfg: ScheduleRequiredConfig, backups: BackupCronJob[]): string[] {
    const evidence: string[] = [];
    for (const r of resources) {
        if (r.type === BACKUP_POLICY_TYPE) evidence.push(`GitGuardianBackupPolicy "${r.name}"`);
        else if (isRestore(r)) evidence.push(`GitGuardianRestore "${r.name}"`);
    }
    const inScope = (ns: unknown, labels: unknown): boolean => {
        if (typeof ns === "string" && cfg.namespaces.includes(ns)) return true;
        const wanted = Object.entries(cfg.workloadLabels);
        return wanted.length > 0 && labels !== null && typeof labels === "object" && !isUnknown(labels) && wanted.every(([k, v]) => (labels as Record<string, unknown>)[k] === v);
    };
    for (const r of resources) {
        const kind = k8sKind(r.type);
        if (kind && cfg.workloadKinds.includes(kind)) {
            const w = asWorkload(r);
            if (w && !isPackageLabeled(w) && inScope(at(w.props, "metadata", "namespace"), at(w.props, "metadata", "labels"))) evidence.push(describe(w));
            else if (!w) {
                // A kind without a pod template (a custom resource kind the user listed): namespace and labels only.
                const meta = { ns: safe(() => r.props.metadata?.namespace), labels: safe(() => r.props.metadata?.labels) };
                if (inScope(meta.ns, meta.labels)) evidence.push(`${kind} "${r.name}"`);
            }
        }
        if (/^kubernetes:helm\.sh\/v\d+:(Release|Chart)$/.test(r.type)) {
            const chart = safe(() => r.props.chart);
            const ns = safe(() => r.props.namespace);
            if ((typeof chart === "string" && /gitguardian/i.test(chart)) || (typeof ns === "string" && cfg.namespaces.includes(ns))) {
                evidence.push(`Helm ${r.type.split(":")[2]} "${r.name}"`);
            }
        }
    }
    for (const b of backups) {
        const ns = at(b.props, "metadata", "namespace");
        if (b.evidence === "labels" || inScope(ns, at(b.props, "metadata", "labels"))) evidence.push(`backup ${describe(b)}`);
    }
    return evidence;
}

function safe<T>(f: () => T): T | undefined {
    try {
        return f();
    } catch {
        return undefined;
    }
}

/** The stack check: see the file comment. */
export function checkScheduleRequired(resources: PackResource[], config?: Partial<ScheduleRequiredConfig>): Verdict {
    const cfg = resolveConfig(SCHEDULE_REQUIRED, SCHEDULE_REQUIRED_DEFAULTS, config);
    const backups = backupCronJobs(resources);
    const evidence = gitGuardianEvidence(resources, cfg, backups);
    if (evidence.length === 0) return notApplicable("the stack runs no GitGuardian (no GitGuardianBackupPolicy, GitGuardianRestore or GitGuardian workload)");
    const components = resources.filter((r) => r.type === BACKUP_POLICY_TYPE);
    const patches = cronJobPatches(resources);
    const f = new Findings();
    for (const component of cfg.requiredComponents as Component[]) {
        const candidates = backups.filter((b) => b.components.has(component));
        const states = candidates.map((b) => ({ b, s: scheduleState(patched(b, patches)) }));
        if (states.some(({ s }) => !isUnknown(s) && s.ok)) continue;
        const unknown = states.map(({ s }) => s).find(isUnknown);
        if (unknown) {
            f.unknown(unknown);
            continue;
        }
        const lead = `no scheduled backup of ${component}`;
        if (candidates.length === 0) {
            f.report(`${lead}: ${missingAdvice(component, components, evidence)}`);
            continue;
        }
        for (const { b, s } of states) {
            if (isUnknown(s) || s.ok) continue;
            const key = cronJobKey(b.props);
            const by = (key && patches.get(key)?.map((p) => `CronJobPatch "${p.resource.name}"`)) || [];
            const after = by.length ? ` once ${by.join(" and ")} ${by.length > 1 ? "are" : "is"} applied` : "";
            f.report(`${lead}: ${describe(b)} ${s.detail}${after}. ${fixAdvice(component, b, s.problem)}`, b.resource.urn);
        }
    }
    return f.verdict();
}

/** Server-side-apply patches of CronJobs (`kubernetes:batch/v1:CronJobPatch`), by namespace/name. */
function cronJobPatches(resources: PackResource[]): Map<string, { resource: PackResource; spec: any }[]> {
    const out = new Map<string, { resource: PackResource; spec: any }[]>();
    for (const r of resources) {
        if (k8sKind(r.type) !== "CronJobPatch") continue;
        const props = plain(r.props);
        const key = cronJobKey(props);
        if (!key) continue;
        const spec = at(props, "spec");
        out.set(key, [...(out.get(key) ?? []), { resource: r, spec }]);
    }
    return out;
}

function cronJobKey(props: unknown): string | undefined {
    const name = at(props, "metadata", "name");
    const ns = at(props, "metadata", "namespace");
    if (typeof name !== "string" || isUnknown(ns)) return undefined;
    return `${typeof ns === "string" && ns ? ns : "default"}/${name}`;
}

/** A CronJob's props with what patches of it set on the schedule (a patch can suspend it). */
function patched(b: BackupCronJob, patches: Map<string, { spec: any }[]>): unknown {
    const key = cronJobKey(b.props);
    const list = key ? patches.get(key) : undefined;
    if (!list?.length) return b.props;
    const spec = { ...(at(b.props, "spec") ?? {}) };
    for (const p of list) {
        for (const field of ["schedule", "suspend", "timeZone"]) {
            const v = at(p.spec, field);
            if (v !== undefined) spec[field] = v;
        }
    }
    return { ...b.props, spec };
}

function missingAdvice(component: Component, policies: PackResource[], evidence: string[]): string {
    if (policies.length > 0) {
        const names = policies.map((p) => `"${p.name}"`).join(", ");
        return (
            `GitGuardianBackupPolicy ${names} has no ${component} backup (it is disabled or left out). ` +
            `Enable \`${component}\`: add ${enableArg(component)} to its args (it runs on the policy's \`schedule\`, e.g. ${EXAMPLE_SCHEDULE}), ` +
            `or declare a CronJob that runs ${handWritten(component)} on a schedule.`
        );
    }
    return (
        `the stack runs GitGuardian (${evidence.slice(0, 3).join(", ")}${evidence.length > 3 ? ", ..." : ""}) but no CronJob backs up ${component}. ` +
        `Add a GitGuardianBackupPolicy with \`schedule: ${EXAMPLE_SCHEDULE}\` in its args and ${enableArg(component)} enabled, ` +
        `or a CronJob that runs ${handWritten(component)} with \`schedule: ${EXAMPLE_SCHEDULE}\`.`
    );
}

function fixAdvice(component: Component, b: BackupCronJob, problem: "suspended" | "missing" | "invalid"): string {
    const ours = b.evidence === "labels";
    switch (problem) {
        case "suspended":
            return ours
                ? "Set `suspend: false`: remove the transformation or patch that suspends the CronJob of GitGuardianBackupPolicy."
                : "Set `spec.suspend: false` (or leave it out).";
        case "missing":
            return ours
                ? `Add \`schedule: ${EXAMPLE_SCHEDULE}\` to GitGuardianBackupPolicy args (or \`${component}.schedule\`).`
                : `Add \`schedule: ${EXAMPLE_SCHEDULE}\` to its spec.`;
        case "invalid":
            return ours
                ? `Set a valid \`schedule\` (or \`${component}.schedule\`) in GitGuardianBackupPolicy args: 5 cron fields such as ${EXAMPLE_SCHEDULE}, or a macro such as @daily.`
                : `Set spec.schedule to 5 cron fields such as ${EXAMPLE_SCHEDULE}, or a macro such as @daily, and spec.timeZone to an IANA zone.`;
    }
}

export const scheduleRequiredPolicy: StackValidationPolicy = {
    name: SCHEDULE_REQUIRED,
    description: "A stack running GitGuardian has a backup CronJob for postgres, redis and kots, each with a valid, unsuspended schedule.",
    enforcementLevel: "mandatory",
    severity: "critical",
    configSchema: scheduleRequiredSchema,
    validateStack: stackValidation<ScheduleRequiredConfig>(checkScheduleRequired),
};
