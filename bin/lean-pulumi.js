// Loaded by bin/astro-db.js (and scripts/bench/program.js) before anything loads @pulumi/pulumi.
//
// The CLI runs stack programs under Pulumi's mocks only: it never uses the Automation API, and never
// serializes a function's closure (a dynamic provider's code, which `pulumi up` sends to the engine
// and the offline graph leaves out). @pulumi/pulumi loads both eagerly, and with them npm's arborist,
// pacote, sigstore and TypeScript: about 1.3 s of CPU, three quarters of loading the SDK, at every
// start. In this process those three modules are stand-ins: the Automation API is empty, a closure
// serializes to a comment, and computing a program's code paths fails with a message.
// `pulumi preview`/`up` never run through here: they load the real SDK.
"use strict";
const Module = require("module");
const path = require("path");

let root;
try {
    root = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
} catch {
    return;
}
const OFFLINE_CODE = "/* a dynamic provider's code: not serialized by the astro-db CLI */";
const unavailable = (what) => () => {
    throw new Error(`astro-db: ${what} is not loaded in the astro-db CLI (bin/lean-pulumi.js)`);
};
const STAND_INS = new Map([
    [path.join(root, "automation", "index.js"), {}],
    [path.join(root, "runtime", "closure", "codePaths.js"), { computeCodePaths: unavailable("computeCodePaths"), computeCodePathsAsync: unavailable("computeCodePaths") }],
    [path.join(root, "runtime", "closure", "serializeClosure.js"), {
        serializeFunction: async () => ({ text: OFFLINE_CODE, exportName: "handler", containsSecrets: false }),
        serializeFunctionAsync: async () => OFFLINE_CODE,
    }],
]);

const load = Module._load;
Module._load = function (request, parent, isMain) {
    // Only the SDK's own relative requires (and a direct one of the same file) can name these.
    if (/(automation|closure\/(codePaths|serializeClosure))(\.js)?$/.test(request)) {
        const stand = STAND_INS.get(Module._resolveFilename(request, parent, isMain));
        if (stand) return stand;
    }
    return load.apply(this, arguments);
};
