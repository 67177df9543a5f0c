/**
 * Command-line input, checked before anything happens: every command validates its options here
 * first, so a bad port, host, URL, number or file is refused before a stack file is run, a server
 * is connected to or a file is written. Each message names the option and the fix. URLs, InputError
 * and input files: engines/url.ts; time limits: engines/limits.ts.
 */
import * as fs from "fs";
import { checkHost, checkPort, InputError } from "../engines/url";

/** `--port P`: a TCP port. */
export function parsePort(option: string, value: string): number {
    const n = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
    if (checkPort(n).length) throw new InputError(`${option} ${JSON.stringify(value)} is not a TCP port: give a whole number from 1 to 65535`);
    return n;
}

/** `--host H`: a host name or an IP address. */
export function parseHost(option: string, value: string): string {
    const problems = checkHost(value);
    if (problems.length) throw new InputError(`${option} ${JSON.stringify(value)}: ${problems[0]}`);
    return value;
}

/** A number of seconds, more than 0 and at most `max` (timeouts). */
export function parseSeconds(option: string, value: string, max: number): number {
    const n = /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : NaN;
    if (!(n > 0 && n <= max)) throw new InputError(`${option} ${JSON.stringify(value)} is not a number of seconds: give a number above 0 and at most ${max}`);
    return n;
}

/** A directory the command writes into: absent (it is created) or a directory. */
export function checkOutputDir(option: string, dir: string): void {
    if (dir.trim() === "") throw new InputError(`${option} is empty: give a directory`);
    if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) throw new InputError(`${option} ${dir}: is a file, not a directory: give a directory (it is created if missing)`);
}
