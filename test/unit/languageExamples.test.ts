/**
 * The README's Python, C# and Java examples (whose SDKs are not built here) read as the SDKs
 * generated from the plugin's schema would: every class is the schema's resource or
 * `<schema type>Args`, every argument a property of the class it is given to, named by that
 * language's rule (Python snake_case, C# PascalCase, Java camelCase builder methods), and every
 * nested class the type the schema gives that property. A renamed argument or type in the
 * TypeScript Args fails here until the examples follow. (YAML is previewed and Go compiled,
 * through the real engine: test/engine/yaml.test.ts, test/engine/go.test.ts.)
 */
import * as assert from "node:assert/strict";
import { readmeExample } from "../../harness/readme";
import { pluginProvider } from "../../plugin/componentHost";

interface Property {
    $ref?: string;
}
interface Schema {
    name: string;
    resources: Record<string, { inputProperties: Record<string, Property> }>;
    types: Record<string, { properties: Record<string, Property> }>;
}

/** What a class of an SDK takes: a resource's inputs or a type's properties. */
interface Frame {
    token: string;
    properties: Record<string, Property>;
}

/** Walks an example: classes opened and closed, arguments given to the innermost open class. */
class ExampleChecker {
    readonly problems: string[] = [];
    readonly seen = new Set<string>();
    private readonly stack: (Frame | undefined)[] = [];
    /** The type the last argument expects (the class given to it must be that one). */
    private expected?: string;

    constructor(
        private readonly schema: Schema,
        private readonly language: string,
        private readonly toSchemaName: (name: string) => string,
    ) {}

    /** `className` opens: a resource (GitGuardianRestore) or an input class (`<Type>Args`). */
    open(className: string): void {
        const resource = `${this.schema.name}:index:${className}`;
        const type = `${this.schema.name}:index:${className.replace(/Args$/, "")}`;
        let frame: Frame | undefined;
        if (this.schema.resources[resource]) frame = { token: resource, properties: this.schema.resources[resource].inputProperties };
        else if (/Args$/.test(className) && this.schema.resources[type]) frame = { token: type, properties: this.schema.resources[type].inputProperties };
        else if (/Args$/.test(className) && this.schema.types[type]) frame = { token: type, properties: this.schema.types[type].properties };
        else this.problems.push(`${this.language}: ${className} is no class of the SDK (no resource ${resource}, no type ${type})`);
        if (frame && this.expected && !this.schema.resources[frame.token] && `#/types/${frame.token}` !== this.expected) {
            this.problems.push(`${this.language}: ${className} given where the schema expects ${this.expected.replace("#/types/", "")}`);
        }
        if (frame) this.seen.add(frame.token);
        this.expected = undefined;
        this.stack.push(frame);
    }

    /** An anonymous scope (a call, a block) that is no class of the SDK. */
    openOther(): void {
        this.stack.push(undefined);
    }

    close(): void {
        this.stack.pop();
        this.expected = undefined;
    }

    /** An argument given to the innermost class, if it is one of the SDK's. */
    argument(name: string): void {
        const frame = this.stack[this.stack.length - 1];
        if (!frame) return;
        const schemaName = this.toSchemaName(name);
        const p = frame.properties[schemaName];
        if (!p) this.problems.push(`${this.language}: ${name} (${schemaName}) is no argument of ${frame.token}: ${Object.keys(frame.properties).join(", ")}`);
        this.expected = p?.$ref;
        this.seen.add(`${frame.token}.${schemaName}`);
    }

    /** The innermost class again (C#'s `new() {` of a resource's own Args). */
    reopen(): void {
        this.stack.push(this.stack[this.stack.length - 1]);
    }

    /** The class the last argument opens is the innermost open class's expected one (C#'s `new()`). */
    openExpected(): void {
        if (this.expected) this.open(this.expected.replace(`#/types/${this.schema.name}:index:`, "") + "Args");
        else this.openOther();
    }
}

const camel = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);
const fromSnake = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Python: `ggb.<Class>(`, keyword arguments `snake_case=`. */
function checkPython(text: string, c: ExampleChecker): void {
    for (const m of text.matchAll(/ggb\.(\w+)\(|\b([a-z_][a-z0-9_]*)=(?!=)|\(|\)/g)) {
        if (m[1]) c.open(m[1]);
        else if (m[2]) c.argument(m[2]);
        else if (m[0] === "(") c.openOther();
        else c.close();
    }
}

/** C#: `new GitGuardianBackup.<Resource>(`, `new() {` typed by the argument it is given to, `Pascal = `. */
function checkCsharp(text: string, c: ExampleChecker): void {
    let resourceArgsNext = false;
    for (const m of text.matchAll(/new GitGuardianBackup\.(\w+)\(|new\(\)\s*\{|\b([A-Z]\w*)\s*=(?![=>])|[{}()]/g)) {
        if (m[1]) {
            c.open(m[1]);
            resourceArgsNext = true; // its `new() {` is the resource's own Args
        } else if (m[0].startsWith("new()")) {
            if (resourceArgsNext) c.reopen();
            else c.openExpected();
            resourceArgsNext = false;
        }
        else if (m[2]) c.argument(m[2]);
        else if (m[0] === "{" || m[0] === "(") c.openOther();
        else c.close();
    }
}

/** Java: `<Class>Args.builder()` opens, `.build()` closes, `.camel(` arguments of a chain. */
function checkJava(text: string, c: ExampleChecker): void {
    for (const m of text.matchAll(/\b(\w+Args)\.builder\(\)|(?<![\w"])\.(\w+)\(/g)) {
        if (m[1]) c.open(m[1]);
        else if (m[2] === "build") c.close();
        else c.argument(m[2]);
    }
}

describe("the README's Python, C# and Java examples use the names the SDKs generate from the schema", function () {
    this.timeout(120_000);
    let schema: Schema;
    before(async () => {
        schema = JSON.parse(await pluginProvider().getSchema()) as Schema;
    });

    const cases: [string, string, string, (name: string) => string, (text: string, c: ExampleChecker) => void][] = [
        ["Python", "python", "# Python", fromSnake, checkPython],
        ["C#", "csharp", "// C#", camel, checkCsharp],
        ["Java", "java", "// Java", (n) => n, checkJava],
    ];
    for (const [language, fence, firstLine, toSchemaName, check] of cases) {
        it(`${language}: every class and argument is the schema's, both resources declared`, () => {
            const c = new ExampleChecker(schema, language, toSchemaName);
            check(readmeExample(fence, firstLine), c);
            assert.deepEqual(c.problems, []);
            for (const r of ["GitGuardianBackupPolicy", "GitGuardianRestore"]) assert.ok(c.seen.has(`${schema.name}:index:${r}`), `the ${language} example declares ${r}`);
            assert.ok(c.seen.has(`${schema.name}:index:GitGuardianRestore.backupId`) && c.seen.has(`${schema.name}:index:KotsInstall.sharedPassword`), `the ${language} example's restore is checked down to its arguments`);
        });
    }
});
