/**
 * The plugin's provider: GitGuardianBackupPolicy through Construct (the ComponentProvider of
 * @pulumi/pulumi), and GitGuardianRestore as a custom resource whose check, diff, create, update,
 * read and delete run the same implementation as the TypeScript dynamic resource
 * (restore/runtime.ts), so a YAML, Go, Python, C# or Java program restores as a TypeScript one
 * does. The engine sends this provider the program's arguments as they are written
 * (GitGuardianRestoreArgs); check turns them into the resource's inputs with restoreInputs, as
 * the TypeScript resource's constructor does, and keeps every secret the engine's secret.
 */
import type { ComponentResourceOptions, Inputs } from "@pulumi/pulumi";
import type * as provider from "@pulumi/pulumi/provider";
import { ComponentProvider } from "@pulumi/pulumi/provider/experimental/provider";
import { ArgumentError } from "../core/fields";
import { RESTORE_TYPE } from "../core/types";
import type { GitGuardianRestoreArgs } from "../restore/args";
import { restoreInputs } from "../restore/restore";
import { SECRET_INPUTS } from "../restore/runtime";
import { withRestoreResource } from "./schema";

type Runtime = typeof import("../restore/runtime");

/** The engine's mark of a secret value in the properties it sends a provider that accepts secrets. */
const SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

const isSecret = (v: unknown): v is { value: unknown } => !!v && typeof v === "object" && (v as Record<string, unknown>)[SIG] === SECRET_SIG;
const secret = (value: unknown) => ({ [SIG]: SECRET_SIG, value });

/** The value without secret marks, and whether it held any. */
export function unwrapSecrets(value: unknown): { value: unknown; secret: boolean } {
    if (isSecret(value)) return { value: unwrapSecrets(value.value).value, secret: true };
    if (Array.isArray(value)) {
        const items = value.map(unwrapSecrets);
        return { value: items.map((i) => i.value), secret: items.some((i) => i.secret) };
    }
    if (value && typeof value === "object") {
        let any = false;
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) {
            const u = unwrapSecrets(v);
            out[k] = u.value;
            any ||= u.secret;
        }
        return { value: out, secret: any };
    }
    return { value, secret: false };
}

const plain = (props: unknown): Record<string, unknown> => (unwrapSecrets(props ?? {}).value ?? {}) as Record<string, unknown>;

/** The resource's name from its URN (`urn:pulumi:<stack>::<project>::<type>::<name>`). */
export function urnName(urn: string): string {
    return urn.split("::").pop() ?? urn;
}

export interface PluginProviderOptions {
    component: ComponentProvider;
    /** The restore's implementation. Default: restore/runtime.ts with its Kubernetes and S3 defaults. */
    runtime?: () => Pick<Runtime, "check" | "diff" | "create" | "update" | "read" | "remove">;
}

export class PluginProvider implements provider.Provider {
    readonly version: string;
    private inferred?: Promise<string>;
    private readonly component: ComponentProvider;
    private readonly runtime: NonNullable<PluginProviderOptions["runtime"]>;

    constructor(options: PluginProviderOptions) {
        this.component = options.component;
        this.version = options.component.version;
        // Loaded when a restore is first touched: a program that only declares backups never loads it.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        this.runtime = options.runtime ?? (() => require("../restore/runtime") as Runtime);
    }

    getSchema(): Promise<string> {
        return (this.inferred ??= this.component.getSchema().then(withRestoreResource));
    }

    construct(name: string, type: string, inputs: Inputs, options: ComponentResourceOptions): Promise<provider.ConstructResult> {
        if (type === RESTORE_TYPE) throw new Error(`${RESTORE_TYPE} is a custom resource of this plugin, not a component: it is not constructed`);
        return this.component.construct(name, type, inputs, options);
    }

    async check(urn: string, olds: unknown, news: Record<string, unknown>): Promise<provider.CheckResult> {
        this.restoreOnly(urn);
        const name = urnName(urn);
        const args = plain(news);
        let inputs: Record<string, unknown>;
        try {
            inputs = restoreInputs(name, args as unknown as GitGuardianRestoreArgs, (v) => v) as Record<string, unknown>;
        } catch (e) {
            if (e instanceof ArgumentError) return { inputs: news, failures: [{ property: /argument (\S+)/.exec(e.message)?.[1]?.split(/[.[]/)[0] ?? "", reason: e.message }] };
            throw e;
        }
        for (const k of Object.keys(inputs)) if (inputs[k] === undefined) delete inputs[k];
        const result = await this.runtime().check(plain(olds), inputs);
        return { inputs: this.secretsKept(news, (result.inputs ?? inputs) as Record<string, unknown>), failures: result.failures };
    }

    async diff(id: string, urn: string, olds: unknown, news: unknown): Promise<provider.DiffResult> {
        this.restoreOnly(urn);
        return this.runtime().diff(id, plain(olds), plain(news));
    }

    async create(urn: string, inputs: unknown): Promise<provider.CreateResult> {
        this.restoreOnly(urn);
        return this.runtime().create(plain(inputs));
    }

    async update(id: string, urn: string, olds: unknown, news: unknown): Promise<provider.UpdateResult> {
        this.restoreOnly(urn);
        return this.runtime().update(id, plain(olds), plain(news));
    }

    async read(id: string, urn: string, props?: unknown): Promise<provider.ReadResult> {
        this.restoreOnly(urn);
        return this.runtime().read(id, plain(props));
    }

    async delete(id: string, urn: string, props: unknown): Promise<void> {
        this.restoreOnly(urn);
        await this.runtime().remove(id, plain(props));
    }

    /** Only the restore is a custom resource here; the engine sends nothing else, but say so if it did. */
    private restoreOnly(urn: string): void {
        const type = urn.split("::")[2]?.split("$").pop();
        if (type !== RESTORE_TYPE) throw new Error(`unknown resource type ${type} (${urn}): this plugin's only custom resource is ${RESTORE_TYPE}`);
    }

    /**
     * The checked inputs with the secret props secret, and every other one that held a secret in
     * the program's arguments (a storage built from a secret Output, say) secret as a whole: the
     * engine encrypts them in the state.
     */
    private secretsKept(news: Record<string, unknown>, inputs: Record<string, unknown>): Record<string, unknown> {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(inputs)) {
            const held = (SECRET_INPUTS as readonly string[]).includes(k) || (k in news && unwrapSecrets(news[k]).secret);
            out[k] = held && v !== undefined ? secret(v) : v;
        }
        return out;
    }
}
