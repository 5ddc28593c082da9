/**
 * The gitguardian-backup CrossGuard pack. `pulumi preview --policy-pack <this folder>` runs it:
 * the engine starts `@pulumi/pulumi/cmd/run-policy-pack` in the folder, which requires it (through
 * policy/package.json's `main`, the compiled dist/policy/index.js), and we then build the
 * PolicyPack.
 *
 * `new PolicyPack(...)` is not inert: it reads the version from `<cwd>/package.json` and starts
 * the analyzer gRPC server at once, printing its port and keeping the process alive. So it is
 * built only when the engine runs this module (or GGB_POLICY_PACK_SERVE=1 asks for it); a plain
 * `require` — a test, a tool listing the policies — gets the exports and no server.
 */
import { PolicyPack } from "@pulumi/policy";
import { PACK_DESCRIPTION, PACK_NAME, policies } from "./policies";

export { PACK_DESCRIPTION, PACK_NAME, policies } from "./policies";
export * from "./model";
export * from "./buckets";
export * from "./scheduleRequired";
export * from "./maxInterval";
export * from "./bucketSecure";
export * from "./retention";
export * from "./noInlineSecrets";
export * from "./jobHygiene";

const RUNNER = /[\\/]run-policy-pack([\\/]|$)/;

/**
 * True when the Pulumi engine's policy-pack runner is running this folder as the pack: the
 * runner (`@pulumi/pulumi/cmd/run-policy-pack`, which keeps its own path as argv[1]) required
 * this module itself. A pack of your own that imports these policies to compose them, or a
 * wrapper pack, is required by the runner in our stead, and builds its PolicyPack itself (a
 * process serves one pack only).
 */
export function startedByEngine(
    argv: readonly string[] = process.argv,
    env: NodeJS.ProcessEnv = process.env,
    requiredBy: string | undefined = module.parent?.filename,
): boolean {
    if (env.GGB_POLICY_PACK_SERVE === "0") return false;
    if (env.GGB_POLICY_PACK_SERVE === "1") return true;
    return RUNNER.test(argv[1] ?? "") && RUNNER.test(requiredBy ?? "");
}

/** Builds the PolicyPack, which serves it to the engine. Call once per process, from the pack folder. */
export function servePolicyPack(): PolicyPack {
    return new PolicyPack(PACK_NAME, { policies, description: PACK_DESCRIPTION, enforcementLevel: "advisory" });
}

if (startedByEngine()) servePolicyPack();
