#!/usr/bin/env node
/**
 * Compiles the CLI into dist/ once (`npm run build`; `prepare` and `npm test` run it), each file
 * transpiled on its own as ts-node's transpile-only mode does. dist/.build.json records each source's
 * size and mtime: bin/astro-db.js uses dist/ only while they match. Plain JavaScript: it runs before
 * anything is compiled. See README "Performance".
 */
"use strict";
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
/** What the CLI loads: the library, the stack program, the commands, the policy rules `plan --policy` runs and the servers `demo` starts. */
const SOURCES = ["engines", "components", "stacks", "cli", "policy", "test/support"];
const MANIFEST = ".build.json";
const ENTRY = path.join("cli", "main.js");

function sourcesUnder(root, dir) {
    const abs = path.join(root, dir);
    if (!fs.existsSync(abs)) return [];
    return fs.readdirSync(abs, { withFileTypes: true }).flatMap((e) => {
        const rel = path.join(dir, e.name);
        if (e.isDirectory()) return sourcesUnder(root, rel);
        return e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [rel] : [];
    });
}

function compilerOptions(ts, root) {
    const { config, error } = ts.readConfigFile(path.join(root, "tsconfig.json"), ts.sys.readFile);
    if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, "\n"));
    const parsed = ts.parseJsonConfigFileContent(config, ts.sys, root);
    // Source maps beside the code: `ASTRO_DB_DEBUG=1 astro-db ...` maps stacks back to the .ts files.
    return { ...parsed.options, sourceMap: true, inlineSourceMap: false, declaration: false, noEmit: false };
}

/** Compile every source under `root` into `root`/dist; returns how many files. */
function build(root = ROOT) {
    const ts = require("typescript");
    const dist = path.join(root, "dist");
    const options = compilerOptions(ts, root);
    const files = SOURCES.flatMap((d) => sourcesUnder(root, d)).sort();
    const tmp = fs.mkdtempSync(path.join(root, ".dist-"));
    const manifest = { files: {} };
    try {
        for (const rel of files) {
            const src = path.join(root, rel);
            const stat = fs.statSync(src);
            const js = rel.replace(/\.ts$/, ".js");
            const { outputText, sourceMapText } = ts.transpileModule(fs.readFileSync(src, "utf8"), { compilerOptions: options, fileName: src, reportDiagnostics: false });
            const out = path.join(tmp, js);
            fs.mkdirSync(path.dirname(out), { recursive: true });
            fs.writeFileSync(out, outputText);
            if (sourceMapText) {
                const map = JSON.parse(sourceMapText);
                map.sources = [path.relative(path.dirname(path.join(dist, js)), src).split(path.sep).join("/")];
                fs.writeFileSync(`${out}.map`, JSON.stringify(map));
            }
            manifest.files[rel.split(path.sep).join("/")] = { size: stat.size, mtimeMs: stat.mtimeMs };
        }
        fs.writeFileSync(path.join(tmp, MANIFEST), JSON.stringify(manifest, null, 1) + "\n");
        // Replace the old build only once the new one is complete.
        fs.rmSync(dist, { recursive: true, force: true });
        fs.renameSync(tmp, dist);
    } catch (err) {
        fs.rmSync(tmp, { recursive: true, force: true });
        throw err;
    }
    return files.length;
}

/** dist/cli/main.js if dist/ exists and every source it was built from is unchanged (size and mtime), else undefined. */
function builtEntry(root = ROOT) {
    const dist = path.join(root, "dist");
    let manifest;
    try {
        manifest = JSON.parse(fs.readFileSync(path.join(dist, MANIFEST), "utf8"));
    } catch {
        return undefined;
    }
    for (const [rel, built] of Object.entries(manifest.files)) {
        const now = fs.statSync(path.join(root, rel), { throwIfNoEntry: false });
        if (!now || now.size !== built.size || now.mtimeMs !== built.mtimeMs) return undefined;
    }
    return path.join(dist, ENTRY);
}

if (require.main === module) {
    const t0 = Date.now();
    const n = build();
    console.log(`astro-db: compiled ${n} files into dist/ in ${Date.now() - t0} ms`);
}

module.exports = { build, builtEntry };
