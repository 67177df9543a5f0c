/** `main` as bin/astro-db.js runs it, in-process, with stdout and stderr captured. */
import { main } from "../../cli/main";

export interface CliRun {
    code: number;
    out: string;
    err: string;
    /** stdout and stderr interleaved, as a terminal shows them. */
    text: string;
}

/** Runs the command and returns what it printed and its exit code, whatever the code. */
export async function captureCli(args: string[]): Promise<CliRun> {
    const r = { out: "", err: "", text: "" };
    const write = { out: process.stdout.write, err: process.stderr.write };
    const capture = (k: "out" | "err") => ((chunk: string | Uint8Array) => ((r[k] += String(chunk)), (r.text += String(chunk)), true)) as typeof process.stdout.write;
    process.stdout.write = capture("out");
    process.stderr.write = capture("err");
    try {
        return { code: await main(["node", "astro-db", ...args]), ...r };
    } finally {
        process.stdout.write = write.out;
        process.stderr.write = write.err;
    }
}

/** As captureCli, but an error (exit 2 with a message on stderr, as main prints it) rejects with that message. */
export async function runCli(args: string[]): Promise<CliRun> {
    const r = await captureCli(args);
    if (r.code === 2 && r.err.trim() !== "") throw new Error(r.err.trim());
    return r;
}
