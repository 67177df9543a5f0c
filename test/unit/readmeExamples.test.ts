/**
 * The README's examples are what the code does: the Plan JSON example is the real `plan --format
 * json` output (keys sorted at every level, the resource shown byte for byte), and the Component API
 * snippet type-checks against the project as written (`astro-db/components` mapped to
 * components/index.ts, as a dependent project resolves it).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { captureCli } from "../support/cli";
import { readReadme } from "../support/readme";

const ROOT = path.resolve(__dirname, "..", "..");

/** The first fenced block of `lang` after `heading`. */
function blockAfter(readme: string, heading: string, lang: string): string {
    const at = readme.indexOf(heading);
    assert.ok(at >= 0, `README has no "${heading}"`);
    const m = new RegExp("```" + lang + "\\n([\\s\\S]*?)\\n```").exec(readme.slice(at));
    assert.ok(m, `no \`\`\`${lang} block after "${heading}"`);
    return m[1];
}

/** Paths of objects whose keys are not in sorted order. */
function unsortedKeys(value: unknown, at = "$"): string[] {
    if (Array.isArray(value)) return value.flatMap((v, i) => unsortedKeys(v, `${at}[${i}]`));
    if (value === null || typeof value !== "object") return [];
    const keys = Object.keys(value);
    const own = keys.join() === [...keys].sort().join() ? [] : [`${at}: ${keys.join(", ")}`];
    return [...own, ...keys.flatMap((k) => unsortedKeys((value as Record<string, unknown>)[k], `${at}.${k}`))];
}

describe("README examples", function () {
    this.timeout(300_000);
    const readme = readReadme();

    it("Plan JSON: keys sorted as the README says, and its resource and retention are the real plan's", async () => {
        const r = await captureCli(["plan", "--stack", "prod", "--format", "json"]);
        assert.equal(r.code, 0, r.err);
        const real = JSON.parse(r.out) as { resources: { name: string }[]; outputs: Record<string, Record<string, unknown>> };
        assert.deepEqual(unsortedKeys(real), [], "plan --format json does not sort its keys");
        const example = JSON.parse(blockAfter(readme, "## Plan JSON", "json")) as typeof real;
        assert.deepEqual(unsortedKeys(example), [], "the README's example does not sort its keys");
        assert.deepEqual(Object.keys(example), Object.keys(real));
        for (const shown of example.resources) assert.deepEqual(shown, real.resources.find((x) => x.name === shown.name));
        assert.deepEqual(example.outputs.retention, real.outputs.retention);
        assert.equal(example.outputs.valuesYaml, real.outputs.valuesYaml);
        for (const [release, shown] of Object.entries(example.outputs.deployments)) {
            const actual = real.outputs.deployments[release] as Record<string, unknown>;
            for (const [k, v] of Object.entries(shown as Record<string, unknown>)) if (k !== "…") assert.deepEqual(v, actual[k], `outputs.deployments.${release}.${k}`);
        }
    });

    it("Component API: the snippet type-checks as written", () => {
        const dir = path.join(ROOT, ".astro-db");
        fs.mkdirSync(dir, { recursive: true });
        const file = path.join(dir, `readme-snippet-${process.pid}.ts`);
        fs.writeFileSync(file, blockAfter(readme, "## Component API", "ts"));
        try {
            const config = ts.readConfigFile(path.join(ROOT, "tsconfig.json"), ts.sys.readFile);
            const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
            const options: ts.CompilerOptions = { ...parsed.options, noEmit: true, baseUrl: ROOT, paths: { "astro-db/components": ["components/index.ts"] } };
            const program = ts.createProgram([file], options);
            const diagnostics = [...program.getSyntacticDiagnostics(program.getSourceFile(file)), ...program.getSemanticDiagnostics(program.getSourceFile(file))];
            const text = diagnostics.map((d) => `line ${d.file ? d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1 : "?"}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
            assert.deepEqual(text, [], "the README's Component API snippet does not compile");
        } finally {
            fs.rmSync(file, { force: true });
        }
    });
});
