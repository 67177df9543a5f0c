import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

// scripts/build.js is plain JavaScript (it runs before anything is compiled).
const { build, builtEntry } = require("../../../scripts/build") as { build(root: string): number; builtEntry(root: string): string | undefined };

/** A tiny project: tsconfig, an entry point and one module it imports. */
function project(): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "astro-db-build-"));
    fs.writeFileSync(path.join(root, "tsconfig.json"), JSON.stringify({ compilerOptions: { target: "ES2022", module: "commonjs", strict: true, esModuleInterop: true } }));
    fs.mkdirSync(path.join(root, "cli"));
    fs.mkdirSync(path.join(root, "components"));
    fs.writeFileSync(path.join(root, "components", "answer.ts"), "export const answer: number = 42;\n");
    fs.writeFileSync(path.join(root, "cli", "main.ts"), 'import { answer } from "../components/answer";\nexport async function main(): Promise<number> { return answer; }\n');
    return root;
}

describe("the CLI's build (dist/)", () => {
    it("compiles the sources into dist/ and the built entry point runs", async () => {
        const root = project();
        assert.strictEqual(build(root), 2);
        const entry = builtEntry(root);
        assert.strictEqual(entry, path.join(root, "dist", "cli", "main.js"));
        assert.strictEqual(await (require(entry!) as { main(): Promise<number> }).main(), 42);
    });

    it("is not used once a source changed or disappeared after the build, so an edit is never hidden", () => {
        const root = project();
        build(root);
        fs.appendFileSync(path.join(root, "components", "answer.ts"), "export const other = 1;\n");
        assert.strictEqual(builtEntry(root), undefined);
        build(root);
        assert.ok(builtEntry(root));
        fs.rmSync(path.join(root, "components", "answer.ts"));
        assert.strictEqual(builtEntry(root), undefined);
    });

    it("is not used when there is none", () => {
        assert.strictEqual(builtEntry(project()), undefined);
    });
});
