// The stack program alone, as `npm run bench` times it: the resource graph under mocks from the
// build in dist/, nothing rendered. Usage: node program.js <stack> <stack file>
"use strict";
const path = require("path");
const { builtEntry } = require("../build");
// As bin/astro-db.js loads the SDK.
require("../../bin/lean-pulumi");

const entry = builtEntry();
if (!entry) throw new Error("no current build in dist/: run npm run build");
const { runStackGraph } = require(path.join(path.dirname(entry), "graph.js"));
const t0 = performance.now();
runStackGraph(process.argv[2], { file: process.argv[3] }).then((g) => {
    process.stdout.write(JSON.stringify({ ms: performance.now() - t0, resources: g.resources.length }) + "\n");
});
