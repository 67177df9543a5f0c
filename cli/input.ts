/**
 * Command-line input, checked before anything happens: every command validates its options here
 * first, so a bad port, host, URL, number or file is refused before a stack file is run, a server
 * is connected to or a file is written. Each message names the option and the fix; a URL is never
 * echoed (it may hold a password: cli/maskUrl.ts).
 */
import * as fs from "fs";
import { checkHost, checkPort, EngineKind } from "../components/names";
import { safeDecode, urlPasswordProblem } from "./maskUrl";
import { DEFAULT_PORTS } from "../components/astronomer/connections";

/** A bad option or option value: exit code 2, nothing was done. */
export class InputError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "InputError";
    }
}

/** URL schemes per engine, and what a good URL looks like. */
export const URL_SCHEMES: Record<EngineKind, readonly string[]> = { postgres: ["postgresql:", "postgres:"], mysql: ["mysql:", "mariadb:"] };

/** The engine an admin URL's scheme names; PostgreSQL for any other (its parser then names the schemes it takes). */
export function engineOfUrl(url: string): EngineKind {
    const scheme = /^\s*([a-z][a-z0-9+.-]*:)\/\//i.exec(url)?.[1].toLowerCase();
    return (Object.keys(URL_SCHEMES) as EngineKind[]).find((e) => scheme !== undefined && URL_SCHEMES[e].includes(scheme)) ?? "postgres";
}
const URL_EXAMPLES: Record<EngineKind, string> = {
    postgres: "postgresql://user:<password>@host:5432/postgres",
    mysql: "mysql://user:<password>@host:3306/",
};

export interface ServerUrl {
    engine: EngineKind;
    url: URL;
    /** Without IPv6 brackets. */
    host: string;
    /** The URL's port, or the engine's default. */
    port: number;
}

/**
 * A server URL as the user meant it, or an InputError naming `option` and the fix: a scheme of one of
 * `engines`, user name and password percent-encoded where they must be, a valid host and port.
 */
export function parseServerUrl(option: string, text: string, engines: readonly EngineKind[]): ServerUrl {
    const examples = engines.map((e) => URL_EXAMPLES[e]).join(" or ");
    if (text.trim() === "") throw new InputError(`${option} is empty: expected ${examples}`);
    const encoding = urlPasswordProblem(option, text);
    if (encoding) throw new InputError(encoding);
    let url: URL;
    try {
        url = new URL(text);
    } catch {
        throw new InputError(`${option} is not a URL: expected ${examples} (not shown: it may hold a password)`);
    }
    const engine = engines.find((e) => URL_SCHEMES[e].includes(url.protocol));
    if (!engine) {
        const schemes = engines.flatMap((e) => URL_SCHEMES[e].map((s) => `${s}//`)).join(", ");
        throw new InputError(`${option} has the scheme ${url.protocol}//: expected ${schemes} (${examples})`);
    }
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    if (host === "") throw new InputError(`${option} names no host: expected ${URL_EXAMPLES[engine]}`);
    const hostProblems = checkHost(safeDecode(host));
    if (hostProblems.length) throw new InputError(`${option}: its host is ${hostProblems[0]}`);
    const port = url.port === "" ? DEFAULT_PORTS[engine] : Number(url.port);
    const portProblems = checkPort(port);
    if (portProblems.length) throw new InputError(`${option}: the port ${portProblems[0]}`);
    return { engine, url, host, port };
}

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

/** A file the command reads: it exists and is a regular file. */
export function checkInputFile(option: string, file: string): void {
    let stat: fs.Stats;
    try {
        stat = fs.statSync(file);
    } catch {
        throw new InputError(`${option} ${file}: no such file: check the path`);
    }
    if (!stat.isFile()) throw new InputError(`${option} ${file}: is ${stat.isDirectory() ? "a directory" : "not a regular file"}: give the path of a file`);
    try {
        fs.accessSync(file, fs.constants.R_OK);
    } catch {
        throw new InputError(`${option} ${file}: cannot be read (permissions): check who may read it`);
    }
}

/** A directory the command writes into: absent (it is created) or a directory. */
export function checkOutputDir(option: string, dir: string): void {
    if (dir.trim() === "") throw new InputError(`${option} is empty: give a directory`);
    if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) throw new InputError(`${option} ${dir}: is a file, not a directory: give a directory (it is created if missing)`);
}

/** How long astro-db waits for a server: to connect (and log in), and for each statement. */
export interface ConnectionLimits {
    connectSeconds: number;
    statementSeconds: number;
}
export const DEFAULT_LIMITS: Readonly<ConnectionLimits> = { connectSeconds: 15, statementSeconds: 60 };
/** The most --connect-timeout / --statement-timeout accept. */
export const MAX_TIMEOUT_SECONDS = 3600;
let limits: ConnectionLimits = { ...DEFAULT_LIMITS };

/** The limits of this run (cli/main.ts sets them from --connect-timeout / --statement-timeout before a command runs). */
export function setConnectionLimits(l: Partial<ConnectionLimits>): void {
    limits = { ...DEFAULT_LIMITS, ...l };
}
export function connectionLimits(): Readonly<ConnectionLimits> {
    return limits;
}
