#!/usr/bin/env node
// Runs the TypeScript CLI directly (type-checking is `npm run typecheck`'s job, so transpile only).
require("ts-node").register({ transpileOnly: true, project: require("path").join(__dirname, "..", "tsconfig.json") });

// Exit only once stdout has drained: process.exit() right away cuts piped output at 64 KiB.
const exit = (code) => process.stdout.write("", () => process.exit(code));
require("../cli/main.ts").main(process.argv).then(
    (code) => exit(code ?? 0),
    (err) => {
        // A user error reads as one message; ASTRO_DB_DEBUG=1 adds the stack.
        console.error(err && err.name === "ConfigError" ? err.message : `astro-db: ${process.env.ASTRO_DB_DEBUG && err && err.stack ? err.stack : (err && err.message) || err}`);
        exit(2);
    },
);
