#!/usr/bin/env node
// Runs the TypeScript CLI directly (type-checking is `npm run typecheck`'s job, so transpile only).
require("ts-node").register({ transpileOnly: true, project: require("path").join(__dirname, "..", "tsconfig.json") });
require("../cli/main.ts").main(process.argv).then(
    (code) => process.exit(code ?? 0),
    (err) => {
        console.error(err && err.name === "ConfigError" ? err.message : `astro-db: ${err && err.stack ? err.stack : err}`);
        process.exit(2);
    },
);
