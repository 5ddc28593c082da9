/**
 * GitGuardianRestore: after a cluster wipe, `pulumi up` with this resource brings GitGuardian
 * back from the bucket (the sequence is in plan.ts). A Pulumi dynamic resource: the provider
 * object serialized into the state is tiny and loads this package's provider/runtime.js when it
 * runs, so the serialization captures a path and a package name, not the package.
 */
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as path from "node:path";
import { ArgumentError } from "../core/fields";
import { GitGuardianRestoreArgs } from "./args";
import { RestoreInputs, hasUnknown, resolveRestore } from "./validate";
import type { RestoredComponent, RestoreOutcome, StepReport } from "./runner";

/** Where the runtime is: this folder's runtime.js (absolute), else through the package name. */
const RUNTIME_PATH = path.join(__dirname, "runtime.js");
const RUNTIME_PACKAGE = "pulumi-gitguardian-backup/dist/restore/runtime.js";

/**
 * The dynamic provider object. Each method loads the runtime when it runs; nothing else is
 * captured. Only `runtimePath` and `runtimePackage` (strings) are serialized with it.
 */
export function restoreProvider(runtimePath: string = RUNTIME_PATH, runtimePackage: string = RUNTIME_PACKAGE): pulumi.dynamic.ResourceProvider {
    const load = (): Required<pulumi.dynamic.ResourceProvider> & { remove: NonNullable<pulumi.dynamic.ResourceProvider["delete"]> } => {
        try {
            return require(runtimePath);
        } catch (e) {
            if ((e as { code?: string }).code !== "MODULE_NOT_FOUND") throw e;
            return require(runtimePackage);
        }
    };
    return {
        check: (olds, news) => load().check(olds, news),
        diff: (id, olds, news) => load().diff(id, olds, news),
        create: (inputs) => load().create(inputs),
        update: (id, olds, news) => load().update(id, olds, news),
        delete: (id, props) => load().remove(id, props),
        read: (id, props) => load().read(id, props),
    };
}

let sharedProvider: pulumi.dynamic.ResourceProvider | undefined;

/** What a restore reports per component (the schema's RestoredComponent). */
export type RestoredComponentOutput = RestoredComponent;

export class GitGuardianRestore extends pulumi.dynamic.Resource {
    /** Id of the run that restored (or is restoring). */
    public readonly runId!: pulumi.Output<string>;
    /** `complete`, or `failed` while a run is stopped at a step. */
    public readonly status!: pulumi.Output<string>;
    /** Restored set per component: backupId, bytes, artifacts, checksums verified. */
    public readonly restored!: pulumi.Output<{ [component: string]: RestoredComponentOutput }>;
    /** Each step: name, done or skipped (resumed run), duration, bytes, what it did. */
    public readonly steps!: pulumi.Output<StepReport[]>;
    /** sha256 checksums compared with the manifests. */
    public readonly checksumsVerified!: pulumi.Output<number>;
    /** When the restore completed (ISO-8601). */
    public readonly completedAt!: pulumi.Output<string>;

    constructor(name: string, args: GitGuardianRestoreArgs, opts?: pulumi.CustomResourceOptions) {
        const props = restoreProps(name, args);
        super(
            (sharedProvider ??= restoreProvider()),
            name,
            { ...props, runId: undefined, status: undefined, restored: undefined, steps: undefined, checksumsVerified: undefined, completedAt: undefined },
            { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "kubeconfig", "kotsLicense", "kotsSharedPassword", "ageIdentity"] },
            "gitguardian-backup",
            "GitGuardianRestore",
        );
    }
}

/** The outputs of a complete restore (for typed consumers of the state). */
export type GitGuardianRestoreOutputs = RestoreOutcome;

/**
 * The resource's props from the args, in every language: the disabled parts dropped, the license
 * read from licenseFile, the secret values passed through `secret` (pulumi.secret here, the
 * engine's secret marker in the plugin). The TypeScript resource and the plugin's both use it.
 */
export function restoreInputs<S>(name: string, args: GitGuardianRestoreArgs, secret: (value: pulumi.Input<string>) => S): Record<string, pulumi.Input<unknown> | S> {
    const who = `GitGuardianRestore "${name}"`;
    if (!args || typeof args !== "object") throw new ArgumentError(who, "args", args, "allowed: an object with namespace, storage, backupId and at least one of postgres, redis, kots");
    const enabled = <T extends { enabled?: boolean }>(c: T | undefined): Omit<T, "enabled"> | undefined => {
        if (c === undefined || c === null || c.enabled === false) return undefined;
        const { enabled: _e, ...rest } = c;
        return rest;
    };
    const kotsArgs = enabled(args.kots);
    let kots: Record<string, unknown> | undefined;
    let license: S | undefined;
    let sharedPassword: S | undefined;
    if (kotsArgs) {
        const { install, ...rest } = kotsArgs;
        kots = { ...rest };
        if (install !== undefined && install !== null) {
            if ((install.licenseFile === undefined) === (install.license === undefined)) {
                throw new ArgumentError(who, "kots.install", Object.keys(install), "set exactly one of kots.install.licenseFile and kots.install.license");
            }
            if (install.licenseFile !== undefined) {
                const file = path.resolve(install.licenseFile);
                let text: string;
                try {
                    text = fs.readFileSync(file, "utf8");
                } catch (e) {
                    throw new ArgumentError(who, "kots.install.licenseFile", install.licenseFile, `allowed: a readable license file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message} at ${file})`);
                }
                license = secret(text);
            } else license = secret(install.license!);
            sharedPassword = secret(install.sharedPassword);
            kots.install = { ...(install.waitDuration !== undefined ? { waitDuration: install.waitDuration } : {}) };
        }
    }
    const { identity, ...decryptionSettings } = args.decryption ?? {};
    return {
        restoreName: name,
        namespace: args.namespace,
        storage: args.storage,
        backupId: args.backupId,
        postgres: enabled(args.postgres),
        redis: enabled(args.redis),
        kots,
        kotsLicense: license,
        kotsSharedPassword: sharedPassword,
        kubeconfig: args.kubeconfig === undefined || args.kubeconfig === null ? undefined : secret(args.kubeconfig),
        triggers: args.triggers,
        fetchImage: args.fetchImage,
        stagingSize: args.stagingSize,
        jobTimeoutSeconds: args.jobTimeoutSeconds,
        verify: args.verify,
        setWindowHours: args.setWindowHours,
        allowSetsApart: args.allowSetsApart,
        decryption: args.decryption === undefined || args.decryption === null ? undefined : decryptionSettings,
        ageIdentity: identity === undefined || identity === null ? undefined : secret(identity),
    };
}

/**
 * The resource's props from the args (restoreInputs), validated now for what is known (a preview
 * fails fast).
 */
export function restoreProps(name: string, args: GitGuardianRestoreArgs): Record<string, pulumi.Input<unknown>> {
    const props = restoreInputs(name, args, (v) => pulumi.secret(v));
    // Validate now what is known now (plain values); check() validates everything once resolved.
    const plain = (v: unknown) => v === undefined || (!pulumi.Output.isInstance(v) && !(v instanceof Promise) && !hasUnknown(v));
    const known: Record<string, unknown> = {};
    let complete = true;
    for (const [k, v] of Object.entries(props)) {
        if (plain(v) && !(v && typeof v === "object" && Object.values(v).some((x) => pulumi.Output.isInstance(x)))) known[k] = v;
        else complete = false;
    }
    if (complete) {
        resolveRestore(known as unknown as RestoreInputs);
    } else {
        // Secrets and storage may be Outputs: validate the rest with stand-ins that pass.
        const standIn = {
            ...known,
            storage: plain(props.storage) && known.storage ? known.storage : { bucketName: "stand-in", ambientIdentity: true },
            kotsLicense: "kind: License",
            kotsSharedPassword: "stand-in",
            ageIdentity: props.ageIdentity === undefined ? undefined : "AGE-SECRET-KEY-1STANDIN",
            kubeconfig: known.kubeconfig ?? undefined,
            triggers: known.triggers ?? undefined,
        };
        resolveRestore(standIn as unknown as RestoreInputs);
    }
    return props;
}
