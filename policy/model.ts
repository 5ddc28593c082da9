/**
 * What every policy of the pack shares: the shape of a resource as the engine hands it over,
 * preview unknowns turned into data, Kubernetes pod templates, and how a CronJob is recognised as
 * a backup of postgres, redis or kots (by this package's labels, or by the command it runs).
 *
 * Nothing here imports @pulumi/policy at run time: the checks are pure functions of plain data,
 * so tests call them on recorded resources and only policy/index.ts starts the analyzer server.
 */
import type { ResourceValidation, StackValidation } from "@pulumi/policy";
import { Component, MOUNT } from "../core/contract";
import { LABELS, PART_OF, partOfComponentLabel } from "../core/pod";
import { isTimeZone, scheduleProblem } from "../core/schedule";
import { BACKUP_POLICY_TYPE } from "../core/types";
import { backupParts } from "../sources/registry";

export { BACKUP_POLICY_TYPE };

/** The value of `app.kubernetes.io/part-of` on every object (and the tag on every bucket) of this package. */
export { LABELS, PART_OF };

/** A resource as the engine hands it to a policy: @pulumi/policy's PolicyResource without its helpers. */
export interface PackResource {
    type: string;
    /** Inputs (resource policies, and stack policies in preview) or outputs (stack policies after an update). */
    props: Record<string, any>;
    urn: string;
    name: string;
    parent?: PackResource;
    dependencies?: PackResource[];
    propertyDependencies?: Record<string, PackResource[]>;
}

export interface Violation {
    message: string;
    /** The resource at fault (stack policies); omitted for the stack as a whole. */
    urn?: string;
}

/** What a check found. */
export interface Verdict {
    violations: Violation[];
    /** Values the verdict needed that are unknown until the update (preview only). */
    unknowns: Unknown[];
    /** Set when nothing in the input is the policy's business. */
    notApplicable?: string;
}

/** A value that is not known during preview (an output of a resource not created yet). */
export class Unknown {
    constructor(
        /** Property path, e.g. `.spec.schedule`. */
        readonly path: string,
        /** The UnknownValueError @pulumi/policy threw when the value was read, if it came through its proxy. */
        readonly error?: Error,
    ) {}
}

export function isUnknown(v: unknown): v is Unknown {
    return v instanceof Unknown;
}

/** The sentinels of unknown values in serialized properties (@pulumi/policy proxy.ts, @pulumi/pulumi rpc.ts). */
const UNKNOWN_SENTINELS = new Set([
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
    "030794c1-ac77-496b-92df-f27374a8bd58",
    "e48ece36-62e2-4504-bad9-02848725956a",
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
]);

function isUnknownValueError(e: unknown): e is Error {
    return e instanceof Error && Array.isArray((e as { props?: unknown }).props) && "unknownTypeSentinel" in e;
}

/**
 * A plain copy of resource properties. @pulumi/policy wraps props in a proxy that throws as soon
 * as an unknown value is read; here every unknown becomes an `Unknown` (keeping the error), so a
 * check can judge what is known and defer only what it really needs.
 */
export function plain(value: unknown, path = ""): any {
    if (typeof value === "string" && UNKNOWN_SENTINELS.has(value)) return new Unknown(path || ".");
    if (value === null || typeof value !== "object") return value;
    if (Array.isArray(value)) {
        const out: unknown[] = [];
        for (let i = 0; i < value.length; i++) out.push(read(value, i, `${path}[${i}]`));
        return out;
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return value; // assets, archives, policy Secrets
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) out[key] = read(value as Record<string, unknown>, key, `${path}.${key}`);
    return out;
}

function read(container: any, key: string | number, path: string): unknown {
    let v: unknown;
    try {
        v = container[key];
    } catch (e) {
        if (isUnknownValueError(e)) return new Unknown(path, e);
        throw e;
    }
    return plain(v, path);
}

/** The value at a path of a plain object: undefined when absent, the Unknown when a step is unknown. */
export function at(obj: unknown, ...keys: (string | number)[]): any {
    let cur: any = obj;
    for (const k of keys) {
        if (isUnknown(cur)) return cur;
        if (cur === null || typeof cur !== "object") return undefined;
        cur = cur[k];
    }
    return cur;
}

/** Collects violations and the unknowns a verdict depended on. */
export class Findings {
    readonly violations: Violation[] = [];
    readonly unknowns: Unknown[] = [];
    report(message: string, urn?: string): void {
        this.violations.push(urn === undefined ? { message } : { message, urn });
    }
    unknown(u: Unknown): void {
        this.unknowns.push(u);
    }
    verdict(): Verdict {
        return { violations: this.violations, unknowns: this.unknowns };
    }
}

export function notApplicable(reason: string): Verdict {
    return { violations: [], unknowns: [], notApplicable: reason };
}

// ---- configuration ---------------------------------------------------------------------------

type ConfigValue = number | boolean | string | string[] | { [k: string]: string };

/**
 * The config of a policy: the defaults with what the user set on top, each value checked against
 * its default's type. The engine validates `--policy-pack-config` against configSchema too; this
 * keeps the pure functions safe when they are called directly.
 */
export function resolveConfig<C extends { [k: string]: ConfigValue }>(policy: string, defaults: C, given: object | undefined): C {
    const out: { [k: string]: ConfigValue } = { ...defaults };
    for (const [key, value] of Object.entries(given ?? {})) {
        if (key === "enforcementLevel" || value === undefined) continue;
        if (!(key in defaults)) throw new Error(`${policy}: unknown config property ${JSON.stringify(key)}; known: ${Object.keys(defaults).join(", ")}`);
        const d = defaults[key];
        const ok = Array.isArray(d)
            ? Array.isArray(value) && value.every((x) => typeof x === "string")
            : typeof d === "object"
              ? typeof value === "object" && value !== null && !Array.isArray(value) && Object.values(value).every((x) => typeof x === "string")
              : typeof value === typeof d && (typeof value !== "number" || Number.isFinite(value));
        if (!ok) throw new Error(`${policy}: config ${key} = ${JSON.stringify(value)} is invalid; expected a value like ${JSON.stringify(d)}`);
        out[key] = value as ConfigValue;
    }
    return out as C;
}

// ---- the engine side -------------------------------------------------------------------------

/** Hands a verdict to @pulumi/policy: violations are reported; a needed unknown defers the policy to the update. */
function deliver(v: Verdict, report: (message: string, urn?: string) => void, markNotApplicable: (reason?: string) => never): void {
    for (const x of v.violations) report(x.message, x.urn);
    // Rethrowing @pulumi/policy's own UnknownValueError makes it add its advisory
    // "can't run policy ... during preview" note; the update then judges the real values.
    const deferred = v.unknowns.find((u) => u.error)?.error;
    if (deferred) throw deferred;
    if (v.notApplicable !== undefined && v.violations.length === 0) markNotApplicable(v.notApplicable);
}

export function resourceValidation<C extends object>(check: (r: PackResource, config: Partial<C>) => Verdict): ResourceValidation {
    return (args, report) => {
        const verdict = check({ type: args.type, props: args.props, urn: args.urn, name: args.name }, args.getConfig<Partial<C>>());
        deliver(verdict, report, (reason) => args.notApplicable(reason));
    };
}

export function stackValidation<C extends object>(check: (rs: PackResource[], config: Partial<C>) => Verdict): StackValidation {
    return (args, report) => {
        const verdict = check(args.resources, args.getConfig<Partial<C>>());
        deliver(verdict, report, (reason) => args.notApplicable(reason));
    };
}

// ---- Kubernetes ------------------------------------------------------------------------------

/** The kind of a Kubernetes resource type token (`kubernetes:batch/v1:CronJob` → `CronJob`). */
export function k8sKind(type: string): string | undefined {
    return /^kubernetes:[^:]+\/[^:]+:([A-Za-z]+)$/.exec(type)?.[1];
}

/** Where the pod spec sits in each workload kind. */
const POD_SPEC_PATH: Record<string, string[]> = {
    CronJob: ["spec", "jobTemplate", "spec", "template", "spec"],
    Job: ["spec", "template", "spec"],
    Deployment: ["spec", "template", "spec"],
    StatefulSet: ["spec", "template", "spec"],
    DaemonSet: ["spec", "template", "spec"],
    ReplicaSet: ["spec", "template", "spec"],
    ReplicationController: ["spec", "template", "spec"],
    Pod: ["spec"],
};

export const WORKLOAD_KINDS = Object.keys(POD_SPEC_PATH);

/** A Kubernetes workload, its props made plain. */
export interface Workload {
    resource: PackResource;
    kind: string;
    props: any;
    /** `namespace/name` when known, else the Pulumi name. */
    display: string;
}

export function asWorkload(r: PackResource): Workload | undefined {
    const kind = k8sKind(r.type);
    if (!kind || !POD_SPEC_PATH[kind]) return undefined;
    const props = plain(r.props);
    const name = at(props, "metadata", "name");
    const ns = at(props, "metadata", "namespace");
    const display = typeof name === "string" ? (typeof ns === "string" ? `${ns}/${name}` : name) : r.name;
    return { resource: r, kind, props, display };
}

export function describe(w: Workload): string {
    return `${w.kind} "${w.display}"`;
}

export interface ContainerRef {
    /** `containers[0]`, `initContainers[1]`. */
    slot: string;
    name: string;
    container: any;
}

/** The plain values a container's env gives `name` (an unknown one as it is; a secretKeyRef has none). */
export function envValues(container: unknown, name: string): unknown[] {
    const env = at(container, "env");
    return Array.isArray(env) ? env.filter((e) => at(e, "name") === name).map((e) => at(e, "value")).filter((v) => v !== undefined) : [];
}

export function containersOf(w: Workload): ContainerRef[] {
    const podSpec = at(w.props, ...POD_SPEC_PATH[w.kind]);
    const out: ContainerRef[] = [];
    for (const list of ["initContainers", "containers"]) {
        const cs = at(podSpec, list);
        if (!Array.isArray(cs)) continue;
        cs.forEach((c, i) => out.push({ slot: `${list}[${i}]`, name: typeof at(c, "name") === "string" ? at(c, "name") : `${list}[${i}]`, container: c }));
    }
    return out;
}

/** Command and args of a container as one line (unknown parts left out). */
export function commandLine(c: unknown): string {
    const parts = [at(c, "command"), at(c, "args")].flatMap((p) => (Array.isArray(p) ? p : []));
    return parts.filter((p): p is string => typeof p === "string").join(" ");
}

/** The labels of a workload and of its pod templates, merged. */
export function labelsOf(w: Workload): Record<string, unknown> {
    const podSpecPath = POD_SPEC_PATH[w.kind];
    const sources = [at(w.props, "metadata", "labels")];
    // The metadata beside each nested spec on the way to the pod spec (jobTemplate, template).
    for (let i = 1; i < podSpecPath.length; i++) {
        if (podSpecPath[i] === "spec") sources.push(at(w.props, ...podSpecPath.slice(0, i), "metadata", "labels"));
    }
    const out: Record<string, unknown> = {};
    for (const s of sources) if (s && typeof s === "object" && !isUnknown(s)) Object.assign(out, s);
    return out;
}

/** True when the workload carries `app.kubernetes.io/part-of: pulumi-gitguardian-backup`. */
export function isPackageLabeled(w: Workload): boolean {
    return labelsOf(w)[LABELS.partOf] === PART_OF;
}

const SCRIPT_RE = new RegExp(`${MOUNT.scripts.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}/[A-Za-z0-9._-]+\\.sh\\b`);

/** True when a container runs one of this package's scripts (`/scripts/*.sh`). */
export function runsPackageScript(c: unknown): boolean {
    return SCRIPT_RE.test(commandLine(c));
}

/** What a container's command gives away about the part it backs up: the part's own tool, or its dump script. */
function backsUp(part: { name: string; dumpScript: string; recognise: { command: RegExp } }, line: string): boolean {
    return part.recognise.command.test(line) || line.includes(`${MOUNT.scripts}/${part.dumpScript}`);
}

/** How a backup CronJob was recognised. */
export type BackupEvidence = "labels" | "command";

export interface BackupCronJob extends Workload {
    components: Set<Component>;
    evidence: BackupEvidence;
    /** The GitGuardianBackupPolicy that declared it, when it is a child of one. */
    owner?: PackResource;
}

/** The nearest ancestor of a given type. */
export function ancestorOfType(r: PackResource, type: string): PackResource | undefined {
    for (let p = r.parent; p; p = p.parent) if (p.type === type) return p;
    return undefined;
}

/**
 * A CronJob that backs up GitGuardian: one of this package's (its labels say which component),
 * or a hand-written one whose container runs pg_dump(all), redis-cli --rdb or kots download (or
 * one of our dump scripts).
 */
export function asBackupCronJob(r: PackResource): BackupCronJob | undefined {
    if (k8sKind(r.type) !== "CronJob") return undefined;
    const w = asWorkload(r)!;
    const labels = labelsOf(w);
    const owner = ancestorOfType(r, BACKUP_POLICY_TYPE);
    // Our CronJobs say which part they back up in a label: any part, registered here or not.
    const labelled = labels[LABELS.partOf] === PART_OF ? partOfComponentLabel(labels[LABELS.component]) : undefined;
    if (labelled) return { ...w, components: new Set([labelled]), evidence: "labels", owner };
    const components = new Set<Component>();
    for (const { container } of containersOf(w)) {
        const line = commandLine(container);
        for (const part of backupParts()) if (backsUp(part, line)) components.add(part.name);
    }
    return components.size > 0 ? { ...w, components, evidence: "command", owner } : undefined;
}

export function backupCronJobs(resources: PackResource[]): BackupCronJob[] {
    return resources.map(asBackupCronJob).filter((b): b is BackupCronJob => b !== undefined);
}

/**
 * A stack that backs GitGuardian up also has what `present` looks for (a drill, alert rules):
 * one finding, `missing(number of backup CronJobs)`, on the first backup CronJob when it does not.
 */
export function requireBesideBackups(resources: PackResource[], present: (r: PackResource) => boolean, missing: (backups: number) => string): Verdict {
    const backups = backupCronJobs(resources);
    if (backups.length === 0) return notApplicable("the stack declares no backup");
    const f = new Findings();
    if (!resources.some(present)) f.report(missing(backups.length), backups[0].resource.urn);
    return f.verdict();
}

/** The schedule of a CronJob as Kubernetes would run it. */
export type ScheduleState =
    | { ok: true; schedule: string; timeZone: string }
    | { ok: false; problem: "suspended" | "missing" | "invalid"; detail: string }
    | Unknown;

export function scheduleState(props: unknown): ScheduleState {
    const suspend = at(props, "spec", "suspend");
    if (isUnknown(suspend)) return suspend;
    if (suspend === true) return { ok: false, problem: "suspended", detail: "is suspended (spec.suspend: true)" };
    const schedule = at(props, "spec", "schedule");
    if (isUnknown(schedule)) return schedule;
    if (typeof schedule !== "string" || schedule.trim() === "") return { ok: false, problem: "missing", detail: "has no schedule" };
    const tz = at(props, "spec", "timeZone");
    if (isUnknown(tz)) return tz;
    const timeZone = typeof tz === "string" && tz !== "" ? tz : "Etc/UTC";
    if (!isTimeZone(timeZone)) return { ok: false, problem: "invalid", detail: `has timeZone ${JSON.stringify(timeZone)}, which is not an IANA time zone` };
    const problem = scheduleProblem(schedule, timeZone);
    if (problem) return { ok: false, problem: "invalid", detail: `has schedule ${JSON.stringify(schedule)}, which Kubernetes will not run: ${problem}` };
    return { ok: true, schedule: schedule.trim(), timeZone };
}
