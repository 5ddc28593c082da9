/** The README's table of backed-up parts is the one the registry makes (sources/table.ts). */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { partsTable } from "../../sources/table";

describe("README: the table of parts", () => {
    it("is the registry's, between its markers", () => {
        const readme = fs.readFileSync(path.resolve(__dirname, "..", "..", "..", "README.md"), "utf8");
        const m = /<!-- parts table: begin -->\n([\s\S]*?)\n<!-- parts table: end -->/.exec(readme);
        assert.ok(m, "README.md has the parts table markers");
        assert.equal(m![1], partsTable(), "README's parts table is stale: replace it with the output of sources/table.ts partsTable()");
    });
});
