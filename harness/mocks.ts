/**
 * Runs a Pulumi program under `pulumi.runtime.setMocks` and records every resource the engine
 * would be asked to register: type, name, inputs, parent. Mocks prove the resource graph only;
 * what the engine and API server accept is proven by the engine tests.
 */
import * as pulumi from "@pulumi/pulumi";

export interface RecordedResource {
    type: string;
    name: string;
    inputs: any;
    urn: string;
    parent?: string;
    custom: boolean;
}

/** Outputs an AWS or Kubernetes resource would get back from its provider. */
function fakeOutputs(type: string, name: string, inputs: any): { id: string; state: any } {
    const id = inputs.bucket && type === "aws:s3/bucket:Bucket" ? inputs.bucket : `${name}-id`;
    switch (type) {
        case "aws:s3/bucket:Bucket": {
            const bucket = inputs.bucket ?? `${inputs.bucketPrefix ?? name}abc123`;
            return { id: bucket, state: { ...inputs, bucket, arn: `arn:aws:s3:::${bucket}` } };
        }
        case "aws:iam/role:Role":
            return { id, state: { ...inputs, arn: `arn:aws:iam::123456789012:role/${name}`, name } };
        case "aws:iam/user:User":
            return { id, state: { ...inputs, arn: `arn:aws:iam::123456789012:user/${name}`, name } };
        case "aws:iam/accessKey:AccessKey":
            return { id: "AKIAFAKEFAKEFAKE", state: { ...inputs, secret: "fake-secret-access-key" } };
        default:
            return { id, state: inputs };
    }
}

let chain: Promise<unknown> = Promise.resolve();

/**
 * Runs `program` under mocks and returns the resources it registered (component included).
 * Programs run one after another: the mocks are process-global.
 */
export function runUnderMocks<T>(program: () => T, options: { preview?: boolean } = {}): Promise<{ resources: RecordedResource[]; result: T }> {
    const run = chain.then(async () => {
        const resources: RecordedResource[] = [];
        await pulumi.runtime.setMocks(
            {
                newResource(args: pulumi.runtime.MockResourceArgs) {
                    const { id, state } = fakeOutputs(args.type, args.name, args.inputs);
                    resources.push({ type: args.type, name: args.name, inputs: args.inputs, urn: `urn:pulumi:test::test::${args.type}::${args.name}`, custom: args.custom ?? true });
                    return { id, state };
                },
                call(args: pulumi.runtime.MockCallArgs) {
                    return args.inputs;
                },
            },
            "test",
            "test",
            options.preview ?? false,
        );
        const result = program();
        await settle(() => resources.length);
        return { resources, result };
    });
    chain = run.catch(() => undefined);
    return run;
}

/** Waits until the count stops growing across a few turns of the event loop. */
async function settle(count: () => number): Promise<void> {
    let last = -1;
    let stable = 0;
    while (stable < 5) {
        await new Promise((r) => setTimeout(r, 10));
        const now = count();
        stable = now === last ? stable + 1 : 0;
        last = now;
    }
}

/** The resolved value of an Output (undefined while unknown). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply((v) => resolve(v)));
}

export function byType(resources: RecordedResource[], type: string): RecordedResource[] {
    return resources.filter((r) => r.type === type);
}

export function oneOfType(resources: RecordedResource[], type: string): RecordedResource {
    const found = byType(resources, type);
    if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`);
    return found[0];
}
