/** `astro-db demo` (npm start): the local stack on an embedded PostgreSQL (cli/demo.ts). */
import type { Command } from "commander";
import type { Register } from "../command";

export const registerDemo: Register = (program: Command, setExit) => {
    program
        .command("demo")
        .description("npm start: print the local stack's plan, then start an embedded PostgreSQL, apply the local stack, audit it, write values.yaml and the secrets, and stop (or --keep it)")
        .option("-o, --out <dir>", "where to write the files (default: out/local)")
        .option("--keep", "keep the server running until Ctrl-C", false)
        .action(async (o: { out?: string; keep: boolean }) => setExit(await (await import("../demo")).demo(o)));
};
