/**
 * THE REGISTRY OF BACKED-UP PARTS, in restore order. Everything that differs per part derives
 * from this list: the component's CronJobs and output names, the scripts ConfigMap, the env
 * contract, the backup jobs' RBAC, the policy pack's recognition of backup CronJobs and its
 * default required parts, and the restore order. A new part is a folder under sources/ with a
 * descriptor (sources/part.ts), added here.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { EnvVarSpec, SCRIPT, SCRIPT_LIBRARIES, SHARED_ENV } from "../core/contract";
import { jobsDir } from "../core/paths";
import { passesRule, rulesScript, VALUE_RULES } from "../core/valueRules";
import { kotsPart } from "./kots";
import type { BackupPart } from "./part";
import { postgresPart } from "./postgres";
import { redisPart } from "./redis";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyPart = BackupPart<any, any>;

const parts: AnyPart[] = [postgresPart, redisPart, kotsPart];
const BUILT_IN: ReadonlySet<string> = new Set(parts.map((p) => p.name));

/** The registered parts, in restore order. */
export function backupParts(): readonly AnyPart[] {
    return parts;
}

export function partNames(): string[] {
    return parts.map((p) => p.name);
}

export function partNamed(name: string): AnyPart | undefined {
    return parts.find((p) => p.name === name);
}

/** The names of the parts the schedule-required policy asks for by default. */
export function requiredPartNames(): string[] {
    return parts.filter((p) => p.requiredBySchedulePolicy).map((p) => p.name);
}

/**
 * Adds a part after the built-in ones (a test's, or an extension's). Its name, scripts and env
 * must not clash with those of a registered part.
 */
export function registerPart(part: AnyPart): void {
    if (!passesRule("partName", part.name)) throw new Error(`part name ${JSON.stringify(part.name)} is invalid; ${VALUE_RULES.partName.allowed}`);
    if (partNamed(part.name)) throw new Error(`a part named ${part.name} is registered already`);
    const taken = new Set(Object.keys(scriptBundle()));
    for (const s of partScripts(part)) if (taken.has(s)) throw new Error(`part ${part.name}: script ${s} is another part's`);
    parts.push(part);
}

/** Removes a part added by registerPart (tests clean up after themselves). */
export function unregisterPart(name: string): void {
    if (BUILT_IN.has(name)) throw new Error(`part ${name} is built in`);
    const i = parts.findIndex((p) => p.name === name);
    if (i >= 0) parts.splice(i, 1);
}

/** Every variable of the env contract: the shared ones and each part's, once each. */
export function contractEnv(): EnvVarSpec[] {
    const all = [...SHARED_ENV, ...parts.flatMap((p) => Object.values(p.env) as EnvVarSpec[])];
    return all.filter((e, i) => all.findIndex((o) => o.name === e.name) === i);
}

/** The script files of every part and of jobs/, by file name. */
export function scriptFiles(): { [file: string]: string } {
    const files: { [file: string]: string } = {};
    const add = (dir: string, file: string) => {
        if (files[file]) throw new Error(`script ${file} is in ${files[file]} and in ${dir}`);
        files[file] = path.join(dir, file);
    };
    for (const file of fs.readdirSync(jobsDir()).filter((f) => f.endsWith(".sh")).sort()) add(jobsDir(), file);
    for (const p of parts) for (const file of partScripts(p)) add(p.scriptsDir, file);
    return files;
}

function partScripts(p: AnyPart): string[] {
    return [p.dumpScript, ...p.restoreScripts, ...(p.drill ? [p.drill.script] : []), ...(p.libraries ?? [])];
}

/** The files the scripts source, the shared ones and every part's: no container runs one itself. */
export function scriptLibraries(): string[] {
    return [...SCRIPT_LIBRARIES, ...parts.flatMap((p) => p.libraries ?? [])];
}

/**
 * The data of the scripts ConfigMap: jobs/*.sh, each part's scripts, and rules.sh generated from
 * the value rules table. Flat, as the containers see them under /scripts.
 */
export function scriptBundle(): { [file: string]: string } {
    const bundle: { [file: string]: string } = {};
    for (const [file, at] of Object.entries(scriptFiles())) bundle[file] = fs.readFileSync(at, "utf8");
    bundle[SCRIPT.rules] = rulesScript();
    return Object.fromEntries(Object.entries(bundle).sort(([a], [b]) => a.localeCompare(b)));
}
