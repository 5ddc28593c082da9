/**
 * Field rules shared by every argument check of the package (GitGuardianBackupPolicy and
 * GitGuardianRestore): one place for the patterns and for the message form
 * `<resource>: argument <path> = <value> is invalid; <what is allowed>`.
 */
import { passesRule, VALUE_RULES, ValueRuleName } from "./valueRules";

/** Names as a sentence's list: "a, b and c". */
export function andList(names: readonly string[]): string {
    return names.length < 2 ? names.join("") : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

export class ArgumentError extends Error {
    constructor(resource: string, argument: string, value: unknown, allowed: string) {
        super(`${resource}: argument ${argument} = ${JSON.stringify(value)} is invalid; ${allowed}`);
        this.name = "ArgumentError";
    }
}

/** Patterns checked by TypeScript alone; those the scripts check too are in core/valueRules.ts. */
export const PATTERNS = {
    dnsLabel: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
    host: /^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$|^\[?[0-9a-fA-F:.]+\]?$/,
    secretKey: /^[-._a-zA-Z0-9]+$/,
    image: /^[a-z0-9]+([._\-/:@][A-Za-z0-9]+)*$/,
    quantity: /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m)?$/,
    awsRegion: /^[a-z]{2}(-[a-z]+)+-[0-9]+$/,
    region: /^[a-z0-9-]+$/,
    pgRole: /^[A-Za-z_][A-Za-z0-9_$.-]*$/,
} as const;

const QUANTITY_FACTORS: Record<string, number> = { "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60, m: 1e-3 };

/** A Kubernetes quantity (already validated) in bytes. */
export function quantityBytes(q: string): number {
    const m = /^([0-9]+(?:\.[0-9]+)?)([a-zA-Z]*)$/.exec(q);
    const factor = m ? QUANTITY_FACTORS[m[2]] : undefined;
    if (!m || factor === undefined) throw new Error(`internal: '${q}' is not a quantity`);
    return Number(m[1]) * factor;
}

/** The warning for an S3 endpoint without TLS (undefined for https:// or AWS's own endpoints). */
export function plainHttpWarning(who: string, argument: string, endpoint: string | undefined): string | undefined {
    if (!endpoint || !/^http:\/\//i.test(endpoint)) return undefined;
    return `${who}: ${argument} ${endpoint} is plain http: the dumps, and the encryption-key Secrets with them, cross the network in clear (inside the cluster too); use an https:// endpoint`;
}

/** Checks of one resource's arguments; every failure throws an ArgumentError naming `who`. */
export class FieldRules {
    constructor(readonly who: string) {}

    bad(argument: string, value: unknown, allowed: string): never {
        throw new ArgumentError(this.who, argument, value, allowed);
    }

    text(argument: string, value: unknown, pattern: RegExp, allowed: string, max = 253): string {
        if (typeof value !== "string" || value.length > max || !pattern.test(value)) this.bad(argument, value, allowed);
        return value as string;
    }

    int(argument: string, value: unknown, fallback: number, min: number, max: number): number {
        if (value === undefined) return fallback;
        if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
            this.bad(argument, value, `allowed: a whole number from ${min} to ${max}`);
        }
        return value as number;
    }

    bool(argument: string, value: unknown, fallback: boolean): boolean {
        if (value === undefined) return fallback;
        if (typeof value !== "boolean") this.bad(argument, value, "allowed: true or false");
        return value as boolean;
    }

    /** An overwrite: the id of the one set it is for (a boolean would outlive the restore it was meant for). */
    overwriteFor(argument: string, value: unknown): string | undefined {
        if (value === undefined) return undefined;
        if (value === true) {
            this.bad(argument, value, `allowed: the id of the set this overwrite is for, such as 20261127T020101Z (the preview's plan names it); true is not accepted, as a later restore of another set would overwrite again unasked`);
        }
        if (value === false) return undefined;
        if (!passesRule("backupId", value)) this.bad(argument, value, `allowed: the id of the set this overwrite is for, such as 20261127T020101Z`);
        return value as string;
    }

    /** A section of the args: a plain object. */
    object(argument: string, value: unknown, allowed: string): Record<string, unknown> {
        if (!value || typeof value !== "object" || Array.isArray(value)) this.bad(argument, value, allowed);
        return value as Record<string, unknown>;
    }

    oneOf<T extends string>(argument: string, value: unknown, choices: Record<string, T>, fallback?: T): T {
        if (value === undefined && fallback !== undefined) return fallback;
        const allowed = Object.values(choices);
        if (!allowed.includes(value as T)) this.bad(argument, value, `allowed: ${allowed.map((c) => JSON.stringify(c)).join(", ")}`);
        return value as T;
    }

    /** A value checked by a rule of the table both languages share (core/valueRules.ts). */
    rule(argument: string, value: unknown, rule: ValueRuleName): string {
        if (typeof value !== "string" || !passesRule(rule, value)) this.bad(argument, value, VALUE_RULES[rule].allowed);
        return value as string;
    }

    /** A whole number within a range of the shared table. */
    ruleInt(argument: string, value: unknown, rule: ValueRuleName, fallback: number): number {
        if (value === undefined) return fallback;
        if (typeof value !== "number" || !passesRule(rule, value)) this.bad(argument, value, VALUE_RULES[rule].allowed);
        return value as number;
    }

    namespace(argument: string, value: unknown): string {
        return this.rule(argument, value, "namespace");
    }

    k8sName(argument: string, value: unknown): string {
        return this.rule(argument, value, "k8sName");
    }

    appSlug(argument: string, value: unknown): string {
        return this.rule(argument, value, "appSlug");
    }

    host(argument: string, value: unknown): string {
        return this.text(argument, value, PATTERNS.host, "allowed: a host name or IP address (letters, digits, '-', '.')");
    }

    port(argument: string, value: unknown, fallback: number): number {
        return this.int(argument, value, fallback, 1, 65535);
    }

    pgUser(argument: string, value: unknown): string {
        return this.text(argument, value, PATTERNS.pgRole, "allowed: a PostgreSQL role name (letters, digits, '_', '$', '.', '-')", 63);
    }

    secretRef(argument: string, ref: unknown): { name: string; key: string } {
        if (!ref || typeof ref !== "object") this.bad(argument, ref, "allowed: { name, key } of a Secret in the namespace");
        const r = ref as { name?: unknown; key?: unknown };
        return {
            name: this.k8sName(`${argument}.name`, r.name),
            key: this.text(`${argument}.key`, r.key, PATTERNS.secretKey, "allowed: a Secret key (letters, digits, '-', '_', '.')"),
        };
    }

    credentialsSecret(argument: string, s: unknown): { name: string; accessKeyIdKey: string; secretAccessKeyKey: string } {
        if (!s || typeof s !== "object") this.bad(argument, s, "allowed: { name, accessKeyIdKey?, secretAccessKeyKey? } of a Secret in the namespace");
        const c = s as { name?: unknown; accessKeyIdKey?: unknown; secretAccessKeyKey?: unknown };
        return {
            name: this.k8sName(`${argument}.name`, c.name),
            accessKeyIdKey: this.text(`${argument}.accessKeyIdKey`, c.accessKeyIdKey ?? "AWS_ACCESS_KEY_ID", PATTERNS.secretKey, "allowed: a Secret key"),
            secretAccessKeyKey: this.text(`${argument}.secretAccessKeyKey`, c.secretAccessKeyKey ?? "AWS_SECRET_ACCESS_KEY", PATTERNS.secretKey, "allowed: a Secret key"),
        };
    }

    image(argument: string, value: unknown, fallback?: string): string {
        if (value === undefined && fallback !== undefined) return fallback;
        return this.text(argument, value, PATTERNS.image, "allowed: a non-empty container image reference such as postgres:16-alpine", 512);
    }

    quantity(argument: string, value: unknown, allowed = "allowed: a Kubernetes quantity such as 20Gi"): string {
        return this.text(argument, value, PATTERNS.quantity, allowed);
    }

    bucket(argument: string, value: unknown): string {
        return this.rule(argument, value, "bucket");
    }

    prefix(argument: string, value: unknown): string {
        return this.rule(argument, value, "prefix");
    }

    region(argument: string, value: unknown): string {
        return this.text(argument, value, PATTERNS.region, "allowed: a region name such as us-east-1", 63);
    }

    /** An http(s) URL without credentials, query or fragment, and nothing a shell would read. */
    endpoint(argument: string, value: unknown): string {
        let ok = false;
        try {
            const url = new URL(value as string);
            ok = (url.protocol === "https:" || url.protocol === "http:") && url.username === "" && url.password === "" && url.search === "" && url.hash === "";
        } catch {
            ok = false;
        }
        if (!ok || typeof value !== "string" || /[\s"'`$\\]/.test(value)) this.bad(argument, value, "allowed: an http(s) URL without credentials, e.g. https://minio.example:9000");
        return value as string;
    }
}
