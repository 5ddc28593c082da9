/**
 * Runs a Pulumi program under mocks and turns what it registered into the resources the policy
 * pack receives from the engine, then evaluates the pack's own policies on them.
 *
 * Fidelity: the resource monitor's registerResource is wrapped to keep each request as sent —
 * type, name, parent, dependencies, propertyDependencies and the serialized inputs, unknowns
 * (preview) included — and the inputs are decoded with @pulumi/policy's own deserializer and
 * unknown-checking proxy, as its analyzer server does. Programs run one at a time: the mock
 * monitor is process-global.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Policy, PolicyResource, ReportViolation, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { unknownCheckingProxy, UnknownValueError } from "@pulumi/policy";
import { policies } from "../../policy/policies";
import type { PackResource } from "../../policy/model";

const { deserializeProperties } = require("@pulumi/policy/deserialize") as { deserializeProperties(struct: unknown, proxySecrets: boolean): Record<string, any> };

export const PROJECT = "ggb";
export const STACK = "test";
export const STACK_URN = `urn:pulumi:${STACK}::${PROJECT}::pulumi:pulumi:Stack::${PROJECT}-${STACK}`;

export interface Registration {
    urn: string;
    type: string;
    name: string;
    parent: string;
    dependencies: string[];
    propertyDependencies: Record<string, string[]>;
    object: unknown;
}

/** Outputs a provider would return; in preview, computed outputs are left out (so they are unknown). */
function fakeOutputs(type: string, name: string, inputs: any, preview: boolean): { id: string; state: any } {
    switch (type) {
        case "aws:s3/bucket:Bucket": {
            if (preview && !inputs.bucket) return { id: "", state: { ...inputs } };
            const bucket = inputs.bucket ?? `${inputs.bucketPrefix ?? name}abc123`;
            return { id: bucket, state: { ...inputs, bucket, ...(preview ? {} : { arn: `arn:aws:s3:::${bucket}` }) } };
        }
        case "aws:iam/user:User":
            return { id: `${name}-id`, state: { ...inputs, name, arn: `arn:aws:iam::123456789012:user/${name}` } };
        case "aws:iam/role:Role":
            return { id: `${name}-id`, state: { ...inputs, name, arn: `arn:aws:iam::123456789012:role/${name}` } };
        case "aws:iam/accessKey:AccessKey":
            return { id: "AKIAFAKEFAKEFAKE", state: { ...inputs, secret: "fake-secret" } };
        default:
            return { id: `${name}-id`, state: inputs };
    }
}

let queue: Promise<unknown> = Promise.resolve();

/** Runs `program` under mocks; returns the registered resources as the pack sees them (a Stack resource as root). */
export async function runProgram(program: () => unknown, options: { preview?: boolean } = {}): Promise<PackResource[]> {
    return toPolicyResources(await record(program, options));
}

/** Runs `program` under mocks; returns the registration requests as the engine received them. */
export function record(program: () => unknown, options: { preview?: boolean } = {}): Promise<Registration[]> {
    const run = queue.then(async () => {
        const preview = options.preview ?? false;
        const registrations: Registration[] = [];
        let pending = 0;
        await pulumi.runtime.setMocks(
            {
                newResource: (args) => fakeOutputs(args.type, args.name, args.inputs, preview),
                call: (args) => args.inputs,
            },
            PROJECT,
            STACK,
            preview,
        );
        const monitor = pulumi.runtime.getMonitor() as any;
        const register = monitor.registerResource.bind(monitor);
        monitor.registerResource = (req: any, callback: (err: unknown, resp: any) => void) => {
            pending++;
            register(req, (err: unknown, resp: any) => {
                pending--;
                if (!err) {
                    const propertyDependencies: Record<string, string[]> = {};
                    req.getPropertydependenciesMap().forEach((v: any, k: string) => (propertyDependencies[k] = v.getUrnsList()));
                    registrations.push({
                        urn: resp.getUrn(),
                        type: req.getType(),
                        name: req.getName(),
                        parent: req.getParent(),
                        dependencies: req.getDependenciesList(),
                        propertyDependencies,
                        object: req.getObject(),
                    });
                }
                callback(err, resp);
            });
        };
        await program();
        // Registrations trickle in as inputs resolve: wait until none is in flight and the count holds.
        let last = -1;
        for (let stable = 0; stable < 4; ) {
            await new Promise((r) => setTimeout(r, 5));
            stable = pending === 0 && registrations.length === last ? stable + 1 : 0;
            last = registrations.length;
        }
        return registrations;
    });
    queue = run.catch(() => undefined);
    return run;
}

/** The engine's view: props through @pulumi/policy's deserializer and proxy, parents and dependencies as objects. */
export function toPolicyResources(registrations: Registration[]): PackResource[] {
    const stack: PackResource = { type: "pulumi:pulumi:Stack", name: `${PROJECT}-${STACK}`, urn: STACK_URN, props: {}, dependencies: [], propertyDependencies: {} };
    const byUrn = new Map<string, PackResource>([[stack.urn, stack]]);
    const out = registrations.map((r) => {
        const res: PackResource = {
            type: r.type,
            name: r.name,
            urn: r.urn,
            props: unknownCheckingProxy(deserializeProperties(r.object, false)),
            dependencies: [],
            propertyDependencies: {},
        };
        byUrn.set(r.urn, res);
        return res;
    });
    registrations.forEach((r, i) => {
        const res = out[i];
        res.parent = byUrn.get(r.parent || stack.urn);
        res.dependencies = r.dependencies.map((u) => byUrn.get(u)).filter((x): x is PackResource => x !== undefined);
        for (const [k, urns] of Object.entries(r.propertyDependencies)) {
            res.propertyDependencies![k] = urns.map((u) => byUrn.get(u)).filter((x): x is PackResource => x !== undefined);
        }
    });
    return [stack, ...out];
}

export interface Diagnostic {
    policy: string;
    message: string;
    urn?: string;
}

export interface Evaluation {
    violations: Diagnostic[];
    /** Policies that needed a value unknown in preview (the engine reports them as advisory "can't run"). */
    deferred: { policy: string; message: string }[];
    /** Policies that declared themselves not applicable (stack policies), with the reason. */
    notApplicable: { policy: string; reason?: string }[];
    /** Messages of one policy. */
    of(policy: string): string[];
}

class NotApplicable extends Error {
    constructor(readonly reason?: string) {
        super(reason);
    }
}

const isStackPolicy = (p: Policy): p is StackValidationPolicy => typeof (p as StackValidationPolicy).validateStack === "function";

/** Runs every policy of the pack on the resources, as the analyzer server would. config: policy name → its config. */
export async function evaluate(resources: PackResource[], config: Record<string, object> = {}): Promise<Evaluation> {
    const violations: Diagnostic[] = [];
    const deferred: Evaluation["deferred"] = [];
    const notApplicable: Evaluation["notApplicable"] = [];
    const common = (p: Policy) => ({
        stackTags: new Map<string, string>(),
        getConfig: <T extends object>() => (config[p.name] ?? {}) as T,
        notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason);
        },
    });
    const guard = async (p: Policy, f: () => Promise<void> | void, perResource = false) => {
        try {
            await f();
        } catch (e) {
            if (e instanceof NotApplicable) {
                if (!perResource) notApplicable.push({ policy: p.name, reason: e.reason });
            } else if (e instanceof UnknownValueError) deferred.push({ policy: p.name, message: (e as Error).message });
            else throw e;
        }
    };
    for (const p of policies) {
        if (isStackPolicy(p)) {
            const report: ReportViolation = (message, urn) => violations.push({ policy: p.name, message, ...(urn ? { urn } : {}) });
            await guard(p, () => p.validateStack({ ...common(p), resources: resources as PolicyResource[] }, report));
            continue;
        }
        const rp = p as ResourceValidationPolicy;
        const validations = [rp.validateResource ?? []].flat();
        for (const r of resources) {
            const report: ReportViolation = (message) => violations.push({ policy: p.name, message, urn: r.urn });
            for (const v of validations) {
                await guard(p, () =>
                    v(
                        {
                            ...common(p),
                            type: r.type,
                            props: r.props,
                            urn: r.urn,
                            name: r.name,
                            opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
                            isType: () => false,
                            asType: () => undefined,
                        },
                        report,
                    ),
                    true,
                );
            }
        }
    }
    return {
        violations,
        deferred,
        notApplicable,
        of: (policy) => violations.filter((v) => v.policy === policy).map((v) => v.message),
    };
}
