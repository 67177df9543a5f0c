#!/usr/bin/env node
// Runs the CLI compiled into dist/ (scripts/build.js; `npm ci`/`npm install` run it as `prepare`)
// while it matches the sources; otherwise the TypeScript itself through ts-node, transpiling only
// (type-checking is `npm run typecheck`'s job). Neither path keeps a source-map hook: formatting
// stack traces through source maps cost a third of `plan`. ASTRO_DB_DEBUG=1 maps them.
const path = require("path");
const { builtEntry } = require("../scripts/build");
// Before anything loads @pulumi/pulumi: the parts of it the CLI never uses stay unloaded.
require("./lean-pulumi");

const debug = !!process.env.ASTRO_DB_DEBUG;
if (debug) process.setSourceMapsEnabled(true);

function sourceEntry() {
    const plain = Error.prepareStackTrace;
    require("ts-node").register({ transpileOnly: true, project: path.join(__dirname, "..", "tsconfig.json") });
    // ts-node always installs source-map-support; keep it only when asked for readable stacks.
    if (!debug) Error.prepareStackTrace = plain;
    return path.join(__dirname, "..", "cli", "main.ts");
}

// Exit only once stdout has drained: process.exit() right away cuts piped output at 64 KiB.
const exit = (code) => process.stdout.write("", () => process.exit(code));
require((process.env.ASTRO_DB_FROM_SOURCES ? undefined : builtEntry()) ?? sourceEntry()).main(process.argv).then(
    (code) => exit(code ?? 0),
    (err) => {
        // main() prints every error itself (masked); only a failure to load the CLI lands here.
        console.error(`astro-db: ${debug && err && err.stack ? err.stack : (err && err.message) || err}`);
        exit(2);
    },
);
