/**
 * `main` as bin/astro-db.js runs it, with stdout and stderr captured. An error (exit 2 with a
 * message on stderr, as main prints it) rejects with that message, so tests can match it.
 */
import { main } from "../../cli/main";

export async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = "";
    let err = "";
    const write = { out: process.stdout.write, err: process.stderr.write };
    process.stdout.write = ((chunk: string | Uint8Array) => ((out += String(chunk)), true)) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string | Uint8Array) => ((err += String(chunk)), true)) as typeof process.stderr.write;
    let code: number;
    try {
        code = await main(["node", "astro-db", ...args]);
    } finally {
        process.stdout.write = write.out;
        process.stderr.write = write.err;
    }
    if (code === 2 && err.trim() !== "") throw new Error(err.trim());
    return { code, out, err };
}
