/**
 * The Go side of the every-language tests: the Go SDK generated from the plugin's schema (as
 * `pulumi package get-schema` returns it) by plugin/gosdk, which calls the code generator
 * pulumi-language-go uses (that plugin is not served here), and the Go program of
 * test/fixtures/goProgram compiled against it. The program runs through the real engine with the
 * Go Automation API's inline programs, which need no language host.
 */
import { execa } from "execa";
import * as fs from "node:fs";
import * as path from "node:path";
import { Engine } from "./pulumi";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const GENERATOR = path.join(REPO_ROOT, "plugin", "gosdk");
const FIXTURE = path.join(REPO_ROOT, "test", "fixtures", "goProgram");
/** The module path the fixture's go.mod requires and replaces with ./sdk. */
export const GO_SDK_MODULE = "example.com/gitguardian-backup";

/** The same flags as scripts/tools/build.sh, so the Pulumi packages its CLI build compiled are reused from the build cache. */
const goEnv = (extra: Record<string, string> = {}) => ({ ...process.env, CGO_ENABLED: "0", GOTOOLCHAIN: process.env.GOTOOLCHAIN ?? "auto", ...extra });

export interface GoReport {
    result: string;
    changes: Record<string, number> | null;
    outputs?: Record<string, unknown>;
    secretOutputs?: string[];
    stdout: string;
    /** The diagnostic events' messages (up only). */
    diagnostics?: string[];
}

export interface GoRun {
    exitCode: number;
    stderr: string;
    /** Set when the program exited 0. */
    report?: GoReport;
}

export interface GoProgram {
    /** The generated SDK module (go.mod and gitguardianbackup/). */
    readonly sdkDir: string;
    /** Builds a `main.go` of the user's own (the README's) against the generated SDK; throws with the compiler's errors. */
    compile(mainGo: string): Promise<void>;
    /** `up`, `preview` or `destroy` of stack `stack` with this configuration. */
    run(action: "up" | "preview" | "destroy", stack: string, config: Record<string, { value: string; secret?: boolean }>): Promise<GoRun>;
}

async function go(args: string[], cwd: string, env: Record<string, string> = {}): Promise<void> {
    const r = await execa("go", args, { cwd, env: goEnv(env), reject: false, all: true });
    if (r.exitCode !== 0) throw new Error(`go ${args.join(" ")} (in ${cwd}) failed (exit ${r.exitCode}):\n${String(r.all).split("\n").slice(-30).join("\n")}`);
}

/** The plugin's schema as the CLI retrieves it from the plugin executable. */
export async function pluginSchema(engine: Engine, cwd: string): Promise<string> {
    // Outside the repository, whose root holds both a Pulumi.yaml (the demo) and PulumiPlugin.yaml.
    const r = await execa(engine.pulumi, ["package", "get-schema", path.join(REPO_ROOT, "bin", "pulumi-resource-gitguardian-backup")], { cwd, env: engine.env, extendEnv: false, reject: false });
    if (r.exitCode !== 0) throw new Error(`pulumi package get-schema failed (exit ${r.exitCode}): ${r.stderr}`);
    return r.stdout;
}

/** Writes the Go SDK of `schemaJson` into `outDir` with plugin/gosdk (built into `workDir`). */
export async function generateGoSdk(schemaJson: string, workDir: string, outDir: string): Promise<void> {
    const generator = path.join(workDir, "gosdk");
    await go(["build", "-trimpath", "-o", generator, "."], GENERATOR);
    const schemaFile = path.join(workDir, "schema.json");
    fs.writeFileSync(schemaFile, schemaJson);
    const r = await execa(generator, ["-schema", schemaFile, "-module", GO_SDK_MODULE, "-out", outDir], { reject: false });
    if (r.exitCode !== 0) throw new Error(`plugin/gosdk failed (exit ${r.exitCode}): ${r.stderr}`);
}

/** Generates the SDK from the plugin's schema and builds the fixture program against it, in `workDir`. */
export async function buildGoProgram(engine: Engine, workDir: string): Promise<GoProgram> {
    const programDir = path.join(workDir, "program");
    const sdkDir = path.join(programDir, "sdk");
    fs.mkdirSync(programDir, { recursive: true });
    for (const f of fs.readdirSync(FIXTURE)) fs.copyFileSync(path.join(FIXTURE, f), path.join(programDir, f));
    await generateGoSdk(await pluginSchema(engine, workDir), workDir, sdkDir);
    const bin = path.join(workDir, "goProgram");
    // -mod=mod: the generated SDK's own requirements are added to the copy's go.sum.
    await go(["build", "-trimpath", "-o", bin, "."], programDir, { GOFLAGS: "-mod=mod" });
    return {
        sdkDir,
        async compile(mainGo) {
            const dir = fs.mkdtempSync(path.join(workDir, "main-"));
            for (const f of ["go.mod", "go.sum"]) fs.copyFileSync(path.join(programDir, f), path.join(dir, f));
            fs.writeFileSync(path.join(dir, "main.go"), mainGo);
            await go(["mod", "edit", `-replace=${GO_SDK_MODULE}=${sdkDir}`], dir);
            await go(["vet", "."], dir, { GOFLAGS: "-mod=mod" });
            await go(["build", "-trimpath", "-o", path.join(dir, "main"), "."], dir, { GOFLAGS: "-mod=mod" });
        },
        async run(action, stack, config) {
            const r = await execa(bin, [action], { env: { ...engine.env, GGB_STACK: stack, GGB_CONFIG: JSON.stringify(config) }, extendEnv: false, reject: false });
            return { exitCode: r.exitCode ?? -1, stderr: r.stderr, report: r.exitCode === 0 ? (JSON.parse(r.stdout) as GoReport) : undefined };
        },
    };
}
