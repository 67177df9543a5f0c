import * as assert from "assert";
import { spawnSync } from "child_process";
import * as path from "path";

describe("astro-db --help", () => {
    it("loads neither Pulumi nor a database driver: each command loads its implementation only when it runs", function () {
        this.timeout(60_000);
        const root = path.join(__dirname, "..", "..", "..");
        const script = [
            "const M = require('module'); const load = M._load; const seen = new Set();",
            "M._load = function (r) { if (/^(@pulumi\\/|pg$|mysql2|zod$)/.test(r)) seen.add(r); return load.apply(this, arguments); };",
            "require('ts-node').register({ transpileOnly: true });",
            "require('./cli/main.ts').main(['node', 'astro-db', ...process.argv.slice(1)]).then((code) => { process.stderr.write('LOADED ' + JSON.stringify([...seen]) + '\\n'); process.exitCode = code; });",
        ].join("\n");
        for (const args of [["--help"], ["apply", "--help"], ["plan", "--help"]]) {
            const r = spawnSync(process.execPath, ["-e", script, "--", ...args], { cwd: root, encoding: "utf8" });
            assert.strictEqual(r.status, 0, r.stderr);
            assert.match(r.stdout, /Usage: astro-db/);
            assert.deepStrictEqual(JSON.parse(/LOADED (.*)/.exec(r.stderr)![1]), [], args.join(" "));
        }
    });
});
