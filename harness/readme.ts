/**
 * The README's code examples, read by the tests that prove them (the language examples compile,
 * preview or match the schema), so an example cannot drift from what was tested.
 */
import * as fs from "node:fs";
import * as path from "node:path";

const README = path.resolve(__dirname, "..", "..", "README.md");

/** The body of the README's one ```<fence> block whose first line starts with `firstLine`. */
export function readmeExample(fence: string, firstLine: string): string {
    const text = fs.readFileSync(README, "utf8");
    const blocks = [...text.matchAll(new RegExp("^```" + fence + "\\n([\\s\\S]*?)^```$", "gm"))].map((m) => m[1]).filter((b) => b.startsWith(firstLine));
    if (blocks.length !== 1) throw new Error(`README.md has ${blocks.length} \`\`\`${fence} blocks starting with ${JSON.stringify(firstLine)}, expected one`);
    return blocks[0];
}
