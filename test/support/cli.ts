/** `main` as bin/astro-db.js runs it, with stdout captured (an error rejects: the binary exits 2). */
import { main } from "../../cli/main";

export async function runCli(args: string[]): Promise<{ code: number; out: string }> {
    let out = "";
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string | Uint8Array) => ((out += String(chunk)), true)) as typeof process.stdout.write;
    try {
        return { code: await main(["node", "astro-db", ...args]), out };
    } finally {
        process.stdout.write = write;
    }
}
