/**
 * Which environment variables each jobs/*.sh script reads, found in its text:
 * - `$NAME` / `${NAME...}` expansions and the names given to `need`, in the script and in the
 *   jobs/lib.sh functions it calls (transitively);
 * - the variables the tools it runs read on its behalf: libpq (psql, pg_dump, pg_dumpall,
 *   pg_restore) reads PG*, the aws CLI reads AWS_*, redis-cli reads REDISCLI_AUTH.
 * Only names of the contract's families count: GGB_*, PG*, REDISCLI_AUTH, AWS_*. Names a script
 * assigns itself (GGB_STEP, PGCONNECT_TIMEOUT) are internal, not inputs.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { contractEnv, scriptLibraries } from "../../sources/registry";
import { scriptsDir } from "../../harness/jobRunner";

export const ENV_FAMILY = /^(GGB_[A-Z0-9_]+|PG[A-Z0-9_]+|REDISCLI_AUTH|AWS_[A-Z0-9_]+)$/;
const CONTRACT = contractEnv().map((e) => e.name);

/** The scripts a container runs (lib.sh is sourced by them). */
export const SCRIPTS: readonly string[] = fs
    .readdirSync(scriptsDir())
    .filter((f) => f.endsWith(".sh") && !scriptLibraries().includes(f))
    .sort();

/** Script text without full-line comments (which may name variables in prose). */
export function code(file: string): string {
    return fs
        .readFileSync(path.join(scriptsDir(), file), "utf8")
        .split("\n")
        .filter((l) => !/^\s*#/.test(l))
        .join("\n");
}

/** Every env-family name mentioned anywhere in the code (the plain grep). */
export function mentioned(text: string): Set<string> {
    return new Set([...text.matchAll(/\b([A-Z][A-Z0-9_]*)\b/g)].map((m) => m[1]).filter((n) => ENV_FAMILY.test(n)));
}

/** Names the scripts assign (`NAME=...`, `export NAME=...`): internal variables. */
export function assigned(text: string): Set<string> {
    return new Set([...text.matchAll(/^\s*(?:export\s+)?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]).filter((n) => ENV_FAMILY.test(n)));
}

function directReads(text: string): Set<string> {
    const names = new Set<string>();
    for (const m of text.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)) names.add(m[1]);
    for (const m of text.matchAll(/^\s*need\s+([A-Z0-9_ ]+)$/gm)) for (const n of m[1].trim().split(/\s+/)) names.add(n);
    const tool = (re: RegExp, prefix: (n: string) => boolean): void => {
        if (re.test(text)) for (const n of CONTRACT.filter(prefix)) names.add(n);
    };
    tool(/\b(psql|pg_dump|pg_dumpall|pg_restore)\b/, (n) => n.startsWith("PG"));
    tool(/\bGGB_AWS\b|\baws\b/, (n) => n.startsWith("AWS_"));
    tool(/\bredis-cli\b/, (n) => n === "REDISCLI_AUTH");
    return names;
}

/** Functions of lib.sh and of the files it sources: name -> body. */
function libFunctions(): Map<string, string> {
    const fns = new Map<string, string>();
    for (const file of scriptLibraries()) {
        for (const m of code(file).matchAll(/^([a-z_][a-z0-9_]*)\(\) \{\n([\s\S]*?)\n\}$/gm)) fns.set(m[1], m[2]);
    }
    return fns;
}

/** The env-family variables `script` reads (internal ones excluded). */
export function reads(script: string): Set<string> {
    const fns = libFunctions();
    const internal = internalNames();
    const out = new Set<string>();
    const seen = new Set<string>();
    const visit = (text: string): void => {
        for (const n of directReads(text)) out.add(n);
        for (const [fn, body] of fns) {
            if (!seen.has(fn) && new RegExp(`(^|[^A-Za-z0-9_])${fn}($|[^A-Za-z0-9_(])`, "m").test(text)) {
                seen.add(fn);
                visit(body);
            }
        }
    };
    visit(code(script));
    return new Set([...out].filter((n) => ENV_FAMILY.test(n) && !internal.has(n)));
}

/** Names assigned anywhere in jobs/ (lib.sh included). */
export function internalNames(): Set<string> {
    const all = new Set<string>();
    for (const f of [...SCRIPTS, ...scriptLibraries()]) for (const n of assigned(code(f))) all.add(n);
    return all;
}
