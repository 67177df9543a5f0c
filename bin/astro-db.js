#!/usr/bin/env node
// Runs the TypeScript CLI directly (type-checking is `npm run typecheck`'s job, so transpile only).
require("ts-node").register({ transpileOnly: true, project: require("path").join(__dirname, "..", "tsconfig.json") });

// Exit only once stdout has drained: process.exit() right away cuts piped output at 64 KiB.
const exit = (code) => process.stdout.write("", () => process.exit(code));
require("../cli/main.ts").main(process.argv).then(
    (code) => exit(code ?? 0),
    (err) => {
        // main() prints every error itself (masked); only a failure to load the CLI lands here.
        console.error(`astro-db: ${process.env.ASTRO_DB_DEBUG && err && err.stack ? err.stack : (err && err.message) || err}`);
        exit(2);
    },
);
