/**
 * Value rules that both languages check, declared once: TypeScript validates arguments with them
 * at construction (core/fields.ts), and the scripts check the same variables before they act
 * (`check_value RULE NAME VALUE` in the generated rules.sh, which ships in the scripts ConfigMap
 * beside jobs/lib.sh). A test feeds the same good and bad values to both and expects the same
 * verdict, so the two cannot drift again (bucket names and parallel jobs once did).
 *
 * Patterns are POSIX extended regular expressions that mean the same in JavaScript (no
 * look-arounds, no \d, no lazy quantifiers), matched against the whole value; `forbid` patterns
 * must match nowhere in it; a value never holds a newline.
 */
export interface ValueRule {
    /** Whole-value pattern (ERE, anchored by the checker). */
    readonly pattern: string;
    /** Patterns that must match nowhere in the value (ERE, unanchored). */
    readonly forbid?: readonly string[];
    /** Longest value allowed, in characters. */
    readonly maxLength: number;
    /** For whole numbers: the inclusive range (the pattern keeps them short enough for sh arithmetic). */
    readonly range?: readonly [number, number];
    /** What is allowed, as TypeScript's argument errors say it. */
    readonly allowed: string;
    /** What a good value is, as the scripts' one-line reasons say it: `NAME 'VALUE' is not <what>`. */
    readonly what: string;
}

const DNS_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";

export const VALUE_RULES = {
    /** A set's id: a UTC timestamp, sortable as text. */
    backupId: { pattern: "[0-9]{8}T[0-9]{6}Z", maxLength: 16, allowed: "allowed: a UTC id like 20261127T020000Z", what: "a UTC id like 20261127T020000Z" },
    /** The name of a backed-up part (its CronJob, key folder and manifest component). */
    partName: { pattern: "[a-z][a-z0-9-]*[a-z0-9]", maxLength: 30, allowed: "allowed: a part name (lower-case letters, digits, '-')", what: "a part name (lower-case letters, digits, '-')" },
    prefix: {
        pattern: "[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*",
        forbid: ["\\.\\.", "(^|/)\\.(/|$)"],
        maxLength: 200,
        allowed: "allowed: letters, digits, '-', '_', '.' in '/'-separated parts, without leading or trailing '/' and without '.' or '..' parts", what: "a key prefix (letters, digits, '-', '_', '.' in '/'-separated parts, no leading, trailing or double slash, no '.' or '..' part)",
    },
    bucket: { pattern: "[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", maxLength: 63, allowed: "allowed: an S3 bucket name (3-63 lower-case letters, digits, '.', '-')", what: "a valid bucket name" },
    namespace: { pattern: DNS_LABEL, maxLength: 63, allowed: "allowed: a Kubernetes namespace name (lower-case letters, digits and '-', at most 63 characters)", what: "a Kubernetes namespace name" },
    k8sName: {
        pattern: `${DNS_LABEL}(\\.${DNS_LABEL})*`,
        maxLength: 253,
        allowed: "allowed: a Kubernetes name (lower-case letters, digits, '-' and '.', at most 253 characters)", what: "a Kubernetes name",
    },
    appSlug: { pattern: DNS_LABEL, maxLength: 63, allowed: "allowed: a KOTS app slug such as gitguardian (lower-case letters, digits, '-')", what: "a KOTS app slug" },
    /** A file name inside a set: no path, no leading '.' (the fetch step's own files start with one). */
    artifactName: { pattern: "[A-Za-z0-9_][A-Za-z0-9._-]*", maxLength: 128, allowed: "allowed: a plain file name (letters, digits, '.', '_', '-'; not starting with '.')", what: "a plain file name" },
    parallelJobs: { pattern: "[1-9][0-9]?", range: [1, 64], maxLength: 2, allowed: "allowed: a whole number from 1 to 64", what: "a number of parallel jobs (1 to 64)" },
    /** The part size of streamed uploads: S3 takes parts of 5 MiB to 5 GiB, at most 10,000 per object. */
    uploadPartSizeMiB: { pattern: "[1-9][0-9]{0,3}", range: [8, 5120], maxLength: 4, allowed: "allowed: a whole number of MiB from 8 to 5120", what: "a part size in MiB (8 to 5120)" },
    /** Days a set is kept before the retention job may delete it. */
    retentionDays: { pattern: "[1-9][0-9]{0,4}", range: [1, 36500], maxLength: 5, allowed: "allowed: a whole number from 1 to 36500", what: "a number of days (1 to 36500)" },
    /** Complete sets of a part the retention job keeps whatever their age. */
    keepLast: { pattern: "[1-9][0-9]{0,2}", range: [1, 100], maxLength: 3, allowed: "allowed: a whole number from 1 to 100", what: "a number of sets (1 to 100)" },
    /** Which complete set a restore drill takes: the newest, or any within the window (AWS Backup's LATEST_WITHIN_WINDOW / RANDOM_WITHIN_WINDOW). */
    drillPick: { pattern: "latest|random", maxLength: 6, allowed: "allowed: latest or random", what: "latest or random" },
    /** How far back a drill looks for a set: also how old the newest set may be before the drill fails. */
    drillWindowDays: { pattern: "[1-9][0-9]{0,2}", range: [1, 365], maxLength: 3, allowed: "allowed: a whole number of days from 1 to 365", what: "a number of days (1 to 365)" },
    /** The seconds a drill may take, its recovery time objective's ceiling (a day at most). */
    drillDeadlineSeconds: { pattern: "[1-9][0-9]{1,4}", range: [60, 86400], maxLength: 5, allowed: "allowed: a whole number of seconds from 60 to 86400", what: "a number of seconds (60 to 86400)" },
    /** An age X25519 recipient (a public key, bech32): what a set is encrypted to, and its fingerprint in the manifest. */
    ageRecipient: { pattern: "age1[02-9ac-hj-np-z]{58}", maxLength: 62, allowed: "allowed: an age X25519 recipient (age1 and 58 bech32 characters, as age-keygen prints it)", what: "an age X25519 recipient (age1...)" },
    connectTimeout: { pattern: "[1-9][0-9]{0,3}", range: [1, 9999], maxLength: 4, allowed: "allowed: a whole number of seconds from 1 to 9999", what: "a number of seconds (1 to 9999)" },
    gzipLevel: { pattern: "[1-9]", range: [1, 9], maxLength: 1, allowed: "allowed: a gzip level from 1 to 9", what: "a gzip level (1 to 9)" },
    zstdLevel: { pattern: "[1-9][0-9]?", range: [1, 19], maxLength: 2, allowed: "allowed: a zstd level from 1 to 19", what: "a zstd level (1 to 19)" },
} as const satisfies Record<string, ValueRule>;

export type ValueRuleName = keyof typeof VALUE_RULES;

const compiled = new Map<string, { whole: RegExp; forbid: RegExp[] }>();

/** True when `value` passes the rule (the TypeScript side of the table). */
export function passesRule(name: ValueRuleName, value: unknown): boolean {
    const rule: ValueRule = VALUE_RULES[name];
    let re = compiled.get(name);
    if (!re) {
        re = { whole: new RegExp(`^(?:${rule.pattern})$`), forbid: (rule.forbid ?? []).map((f) => new RegExp(f)) };
        compiled.set(name, re);
    }
    const text = typeof value === "number" && Number.isInteger(value) ? String(value) : value;
    if (typeof text !== "string" || text.includes("\n") || text.length > rule.maxLength) return false;
    if (!re.whole.test(text) || re.forbid.some((f) => f.test(text))) return false;
    if (rule.range) {
        if (typeof value !== "number" && typeof value !== "string") return false;
        const n = Number(text);
        return n >= rule.range[0] && n <= rule.range[1];
    }
    return true;
}

/** `text` as one sh word. */
function shQuote(text: string): string {
    return `'${text.replace(/'/g, "'\\''")}'`;
}

/** rules.sh: the table as sh, for jobs/lib.sh (generated into the scripts ConfigMap). */
export function rulesScript(): string {
    const cases = Object.entries(VALUE_RULES as Record<string, ValueRule>).map(([name, r]) => {
        const forbid = (r.forbid ?? []).join("\n");
        const [min, max] = r.range ?? ["", ""];
        return `\t${name}) _cv_re=${shQuote(r.pattern)} _cv_forbid=${shQuote(forbid)} _cv_max=${r.maxLength} _cv_lo=${shQuote(String(min))} _cv_hi=${shQuote(String(max))} _cv_what=${shQuote(r.what)} ;;`;
    });
    return `# shellcheck shell=sh
# Generated from core/valueRules.ts (the value rules both languages check): change the table, not this file.

# value_ok RULE VALUE: true when VALUE passes RULE; leaves the rule's words in _cv_what.
value_ok() {
\tcase "$1" in
${cases.join("\n")}
\t*) die "internal: no value rule $1" ;;
\tesac
\tcase "$2" in *"
"*) return 1 ;; esac
\t[ "\${#2}" -le "$_cv_max" ] || return 1
\tprintf '%s\\n' "$2" | grep -Eqx -e "$_cv_re" || return 1
\tif [ -n "$_cv_forbid" ]; then
\t\twhile IFS= read -r _cv_f; do
\t\t\tif printf '%s\\n' "$2" | grep -Eq -e "$_cv_f"; then return 1; fi
\t\tdone <<_CV_
$_cv_forbid
_CV_
\tfi
\tif [ -n "$_cv_lo" ]; then
\t\t[ "$2" -ge "$_cv_lo" ] && [ "$2" -le "$_cv_hi" ] || return 1
\tfi
\treturn 0
}
`;
}
