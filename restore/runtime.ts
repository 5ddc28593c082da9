/**
 * The dynamic provider's implementation, loaded at run time by the small provider object of
 * restore.ts (so Pulumi's closure serialization captures only a path, not this module graph).
 *
 * - check: validates with the policy's rules and messages; at preview, resolves the sets and
 *   logs the plan (a missing complete set fails the preview; an unreachable bucket only warns).
 * - diff: a changed backupId or triggers replaces; other changes are cosmetic (no re-run).
 * - create: runs the restore sequence (plan.ts). A failed step fails the create with the step,
 *   the reason and the earlier steps' results; the resource is kept with that partial state, and
 *   the next `pulumi up` resumes (update) where it stopped.
 * - update: resumes an incomplete run; otherwise records the cosmetic change only.
 * - delete: does nothing to the cluster, and says so.
 *
 * Secrets (kubeconfig, KOTS license and password) are inputs only: never outputs, logs or errors.
 */
import { AGE_SECRET_KEY } from "../encryption/validate";
import type * as pulumiTypes from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as path from "node:path";
import { ArgumentError, plainHttpWarning } from "../core/fields";
import { RestoreExecutor } from "./executor";
import { privateTempDir } from "./tempDir";
import { RestoreFailedError, RestoreOutcome, StepReport, runRestore } from "./runner";
import { restorePlan } from "./sequence";
import { describeSets, resolveSets, setsApartProblem, setSpreadHours } from "./resolve";
import { ObjectStore, s3Store } from "../core/objectStore";
import { RestoreInputs, RestoreSpec, hasUnknown, resolveRestore } from "./validate";

type DynamicProvider = pulumiTypes.dynamic.ResourceProvider;

/** Props never returned as outputs. */
export const SECRET_INPUTS = ["kubeconfig", "kotsLicense", "kotsSharedPassword", "ageIdentity"] as const;

export interface Logger {
    info(message: string): void;
    warn(message: string): void;
}

/** The bucket could not be reached or its credentials read (as opposed to: it has no usable set). */
export class StoreUnavailableError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "StoreUnavailableError";
    }
}

export interface RuntimeDeps {
    /** The executor of a restore. Default: the Kubernetes executor on the kubeconfig input or the ambient one. */
    executor?: (inputs: RestoreInputs, spec: RestoreSpec) => RestoreExecutor | Promise<RestoreExecutor>;
    /** The bucket. Default: S3 with the credentials Secret's keys, or the AWS credential chain. */
    store?: (spec: RestoreSpec, executor: RestoreExecutor) => Promise<ObjectStore>;
    log?: Logger;
}

/** pulumi.log, loaded when first used (it is loaded already in the dynamic provider process). */
function pulumiLog(): Logger {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { log } = require("@pulumi/pulumi") as typeof pulumiTypes;
    return { info: (m) => void log.info(m), warn: (m) => void log.warn(m) };
}

async function defaultExecutor(inputs: RestoreInputs): Promise<RestoreExecutor> {
    const { KubernetesExecutor, loadKubeConfig } = await import("./kubernetes.js");
    const log = pulumiLog();
    return new KubernetesExecutor(loadKubeConfig(inputs.kubeconfig), { onRetry: (line) => log.info(`retrying: ${line}`) });
}

/** The S3 store of a restore, with the credentials of storage.credentialsSecret when set. */
export async function defaultStore(spec: RestoreSpec, executor: RestoreExecutor): Promise<ObjectStore> {
    const cs = spec.storage.credentialsSecret;
    if (!cs) return s3Store(spec.storage);
    let id: string | undefined;
    let key: string | undefined;
    try {
        id = await executor.readSecretKey(spec.namespace, cs.name, cs.accessKeyIdKey);
        key = await executor.readSecretKey(spec.namespace, cs.name, cs.secretAccessKeyKey);
    } catch (e) {
        throw new StoreUnavailableError(`storage.credentialsSecret: cannot read Secret ${spec.namespace}/${cs.name}: ${(e as Error).message}`);
    }
    if (!id || !key) {
        const lacking = [!id ? cs.accessKeyIdKey : "", !key ? cs.secretAccessKeyKey : ""].filter(Boolean).join(" and ");
        throw new StoreUnavailableError(`storage.credentialsSecret: Secret ${spec.namespace}/${cs.name} is missing or has no ${lacking}; the restore reads it to list and verify the sets`);
    }
    const store = s3Store(spec.storage, { accessKeyId: id, secretAccessKey: key });
    return store;
}

/** Replaces every secret value (and the credentials inside a kubeconfig) with [secret]. */
export function redactor(inputs: Partial<RestoreInputs>): (text: string) => string {
    const values = new Set<string>();
    if (inputs.kotsSharedPassword) values.add(inputs.kotsSharedPassword);
    if (inputs.ageIdentity) values.add(inputs.ageIdentity.trim());
    if (inputs.kotsLicense) {
        values.add(inputs.kotsLicense.trim());
        for (const line of inputs.kotsLicense.split("\n")) {
            const v = line.replace(/^[^:]*:\s*/, "").trim();
            if (v.length >= 20) values.add(v);
        }
    }
    if (inputs.kubeconfig) {
        for (const m of inputs.kubeconfig.matchAll(/^\s*(?:token|client-key-data|client-certificate-data|password|id-token|refresh-token|client-secret):\s*["']?([^"'\s]+)/gm)) {
            if (m[1].length >= 6) values.add(m[1]);
        }
    }
    const sorted = [...values].sort((a, b) => b.length - a.length);
    return (text: string) => {
        let out = text;
        for (const v of sorted) out = out.split(v).join("[secret]");
        // Any age private key, the Secret-held one too, should a tool ever print one.
        return out.replace(new RegExp(AGE_SECRET_KEY.source, "g"), "[secret]");
    };
}

/** The inputs as they may appear in the state's outputs: without the secrets. */
export function publicInputs(inputs: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(inputs)) {
        if ((SECRET_INPUTS as readonly string[]).includes(k) || k === "__provider") continue;
        out[k] = v;
    }
    return out;
}

function stable(value: unknown): string {
    if (Array.isArray(value)) return `[${value.map(stable).join(",")}]`;
    if (value && typeof value === "object") {
        return `{${Object.keys(value)
            .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
            .sort()
            .map((k) => `${JSON.stringify(k)}:${stable((value as Record<string, unknown>)[k])}`)
            .join(",")}}`;
    }
    return JSON.stringify(value);
}

/** Inputs whose change restores again. */
export const REPLACE_ON = ["backupId", "triggers"] as const;
/** Props that are outputs of a run, not inputs. */
const OUTPUT_KEYS = ["runId", "status", "restored", "steps", "checksumsVerified", "completedAt", "durationMs", "failedStep", "reason"];

export interface RestoreProviderOutputs extends Record<string, unknown> {
    runId: string;
    status: "complete" | "failed";
    restored: RestoreOutcome["restored"];
    steps: StepReport[];
}

/** The provider's implementation with the given dependencies (the defaults talk to Kubernetes and S3). */
export function makeRuntime(deps: RuntimeDeps = {}): Required<Pick<DynamicProvider, "check" | "diff" | "create" | "update" | "delete" | "read">> {
    const log = (): Logger => deps.log ?? pulumiLog();
    const executorFor = (inputs: RestoreInputs, spec: RestoreSpec) => (deps.executor ? deps.executor(inputs, spec) : defaultExecutor(inputs));
    const storeFor = (spec: RestoreSpec, ex: RestoreExecutor) => (deps.store ? deps.store(spec, ex) : defaultStore(spec, ex));

    async function run(inputs: RestoreInputs, id?: string): Promise<{ id: string; outs: Record<string, unknown> }> {
        const spec = resolveRestore(inputs);
        const redact = redactor(inputs);
        const executor = await executorFor(inputs, spec);
        const { loadYaml, dumpYaml } = await import("@kubernetes/client-node");
        let kubeconfigDir: string | undefined;
        const kotsEnv: Record<string, string> = {};
        if (inputs.kubeconfig && spec.components.includes("kots")) {
            kubeconfigDir = privateTempDir("kubeconfig");
            const file = path.join(kubeconfigDir, "kubeconfig");
            fs.writeFileSync(file, inputs.kubeconfig, { mode: 0o600 });
            kotsEnv.KUBECONFIG = file;
        }
        try {
            const outcome = await runRestore(spec, {
                executor,
                store: () => storeFor(spec, executor),
                log: log(),
                redact,
                yaml: { load: (t) => loadYaml(t), dump: (o) => dumpYaml(o) },
                kotsEnv,
                kotsLicense: inputs.kotsLicense,
                kotsSharedPassword: inputs.kotsSharedPassword,
                ageIdentity: inputs.ageIdentity,
            });
            return { id: id ?? `${spec.namespace}/${outcome.runId}`, outs: { ...publicInputs(inputs as unknown as Record<string, unknown>), ...outcome } };
        } catch (e) {
            if (e instanceof RestoreFailedError) {
                // Kept in the state as a resource that failed to initialise: the next `pulumi up` updates (resumes) it.
                const failure = new Error(e.message) as Error & { id?: string; properties?: Record<string, unknown>; reasons?: string[] };
                failure.id = id ?? `${spec.namespace}/${e.runId}`;
                failure.properties = {
                    ...publicInputs(inputs as unknown as Record<string, unknown>),
                    // These become the resource's outputs in the state. The dynamic-provider host
                    // adds the serialized provider to a create's outputs only when it succeeds; it
                    // reads it back from the outputs on refresh and delete, and without it fails
                    // with "code must be a string, not undefined".
                    __provider: (inputs as unknown as Record<string, unknown>).__provider,
                    runId: e.runId,
                    status: "failed",
                    failedStep: e.failedStep,
                    reason: e.reason,
                    steps: e.steps,
                    restored: e.restored,
                };
                failure.reasons = [e.message];
                throw failure;
            }
            throw new Error(redact(`GitGuardianRestore "${spec.name}": ${(e as Error).message}`));
        } finally {
            if (kubeconfigDir) fs.rmSync(kubeconfigDir, { recursive: true, force: true });
        }
    }

    return {
        async check(olds: Record<string, unknown>, news: Record<string, unknown>) {
            const inputs = news as unknown as RestoreInputs;
            if (hasUnknown(news)) return { inputs: news };
            let spec: RestoreSpec;
            try {
                spec = resolveRestore(inputs);
            } catch (e) {
                if (e instanceof ArgumentError) {
                    const argument = /argument (\S+)/.exec(e.message)?.[1] ?? "args";
                    return { inputs: news, failures: [{ property: argument.split(/[.[]/)[0], reason: e.message }] };
                }
                throw e;
            }
            const insecure = plainHttpWarning(`GitGuardianRestore "${spec.name}"`, "storage.endpoint", spec.storage.endpoint);
            if (insecure) log().warn(insecure);
            // Preview of the plan, when this is a new restore (or its backupId/triggers changed).
            const same = olds && olds.backupId === news.backupId && stable(olds.triggers ?? {}) === stable(news.triggers ?? {}) && olds.status === "complete";
            if (!same) {
                const say = log();
                const redact = redactor(inputs);
                try {
                    const executor = await executorFor(inputs, spec);
                    let store: ObjectStore;
                    try {
                        store = await storeFor(spec, executor);
                    } catch (e) {
                        throw e instanceof StoreUnavailableError ? e : new StoreUnavailableError((e as Error).message);
                    }
                    const sets = await resolveSets(
                        {
                            list: (p) => store.list(p).catch((e) => Promise.reject(new StoreUnavailableError((e as Error).message))),
                            get: (k) => store.get(k).catch((e) => Promise.reject(new StoreUnavailableError((e as Error).message))),
                            hash: store.hash,
                            download: store.download,
                        },
                        spec.storage.prefix,
                        spec.components,
                        spec.selector,
                    );
                    const apart = spec.allowSetsApart ? undefined : setsApartProblem([...sets.values()], spec.setWindowHours);
                    if (apart) return { inputs: news, failures: [{ property: "backupId", reason: `GitGuardianRestore "${spec.name}": ${apart}` }] };
                    const spread = `started within ${setSpreadHours(sets.values()).toFixed(1)} h${spec.allowSetsApart ? "" : ` (setWindowHours ${spec.setWindowHours})`}`;
                    say.info(`GitGuardianRestore "${spec.name}": plan: ${describeSets(sets.values())}; ${spread}; steps: ${restorePlan(spec).map((s) => s.name).join(" → ")}`);
                } catch (e) {
                    const text = redact((e as Error).message);
                    if (e instanceof StoreUnavailableError || !/no complete backup set|no manifest|manifest|refusing|missing from the bucket/.test(text)) {
                        say.warn(`GitGuardianRestore "${spec.name}": the plan could not be resolved at preview (${text}); it is resolved again when the restore runs`);
                    } else {
                        return { inputs: news, failures: [{ property: "backupId", reason: `GitGuardianRestore "${spec.name}": ${text}` }] };
                    }
                }
            }
            return { inputs: news };
        },

        async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
            const replaces = REPLACE_ON.filter((k) => stable(olds[k] ?? (k === "triggers" ? {} : undefined)) !== stable(news[k] ?? (k === "triggers" ? {} : undefined)));
            const ignore = new Set<string>([...SECRET_INPUTS, ...OUTPUT_KEYS, "__provider", ...REPLACE_ON]);
            const keys = new Set([...Object.keys(olds), ...Object.keys(news)].filter((k) => !ignore.has(k)));
            const cosmetic = [...keys].filter((k) => stable(olds[k]) !== stable(news[k]));
            const incomplete = olds.status !== "complete";
            return { changes: replaces.length > 0 || cosmetic.length > 0 || incomplete, replaces: [...replaces], deleteBeforeReplace: false };
        },

        async create(inputs: Record<string, unknown>) {
            return run(inputs as unknown as RestoreInputs);
        },

        async update(id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
            const inputs = news as unknown as RestoreInputs;
            if (olds.status === "complete") {
                log().info(`GitGuardianRestore "${inputs.restoreName}": only cosmetic inputs changed; the restore of run ${String(olds.runId)} is not run again (change backupId or triggers to restore again)`);
                const kept: Record<string, unknown> = {};
                for (const k of OUTPUT_KEYS) if (olds[k] !== undefined) kept[k] = olds[k];
                return { outs: { ...publicInputs(news), ...kept } };
            }
            log().info(`GitGuardianRestore "${inputs.restoreName}": run ${String(olds.runId ?? "")} stopped at step ${String(olds.failedStep ?? "?")}; resuming it`);
            const { outs } = await run(inputs, id);
            return { outs };
        },

        async delete(_id: string, props: Record<string, unknown>) {
            log().info(
                `GitGuardianRestore "${String(props.restoreName)}": deleting the resource does nothing to the cluster: the restored data, the finished Jobs and the record in ConfigMap ${String(props.namespace)}/gitguardian-restore-progress stay`,
            );
            // A run that stopped in the Redis step may have left the StatefulSet at 0 replicas.
            const sts = (props.redis as { statefulSet?: string } | undefined)?.statefulSet;
            if (props.status === "failed" && props.failedStep === "redis" && sts) {
                log().warn(
                    `GitGuardianRestore "${String(props.restoreName)}": its run stopped in the redis step, which may have left StatefulSet ${String(props.namespace)}/${sts} at 0 replicas; ` +
                        `once no restore Job pod runs, scale it back with: kubectl scale statefulset ${sts} --namespace ${String(props.namespace)} --replicas=<n> (the count it had is in ConfigMap gitguardian-restore-progress, key ${String(props.restoreName)}, under memo)`,
                );
            }
        },

        async read(id: string, props?: Record<string, unknown>) {
            return { id, props: props ?? {} };
        },
    };
}

const defaultRuntime = makeRuntime();
export const check = defaultRuntime.check;
export const diff = defaultRuntime.diff;
export const create = defaultRuntime.create;
export const update = defaultRuntime.update;
export const read = defaultRuntime.read;
// `delete` is a reserved word: exported under its name through the object.
export const remove = defaultRuntime.delete;
export { defaultRuntime as runtime };
