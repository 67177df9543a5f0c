/**
 * Server URLs as the user meant them, whatever the engine: scheme -> engine, host, port, the
 * percent-encoding of user and password, and the one masking of a URL for anything printed
 * (README "Secrets in what the tool prints, bad input, time limits").
 */
import * as fs from "fs";
import { isIP } from "net";
import type { EngineKind } from "./model";

/** A bad option or option value: exit code 2, nothing was done. */
export class InputError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "InputError";
    }
}

/** Default ports when a URL or connection string names none. */
export const DEFAULT_PORTS = { postgres: 5432, mysql: 3306 } as const;

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

/** What every engine's admin URL says: where, and as whom (password decoded; empty when none). */
export interface AdminEndpoint {
    host: string;
    port: number;
    user: string;
    password: string;
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

const HOST_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/** A server address: a host name (letters, digits, '-' and '.', labels of at most 63, 253 in all) or an IPv4 / IPv6 address. */
export function checkHost(host: string): string[] {
    if (isIP(host) !== 0) return [];
    const name = host.endsWith(".") ? host.slice(0, -1) : host;
    if (host.length === 0 || name.length > 253 || !name.split(".").every((l) => HOST_LABEL.test(l)) || /^[\d.]+$/.test(name)) {
        return [`not a host name or IP address: use a name such as db.example.com (letters, digits, '-' and '.'), an IPv4 address such as 10.0.0.5 or an IPv6 address such as ::1, without scheme, port or spaces`];
    }
    return [];
}

export const PORT_MIN = 1;
export const PORT_MAX = 65535;

/** A TCP port: an integer from 1 to 65535. */
export function checkPort(port: number): string[] {
    return Number.isInteger(port) && port >= PORT_MIN && port <= PORT_MAX ? [] : [`${port} is not a TCP port: use a whole number from ${PORT_MIN} to ${PORT_MAX}`];
}

/** A file the command reads (a stack file, an ssl-ca= the URL names): it exists and is a regular file. */
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

/* ---------------------------------------------------------------- masking */

export const MASK = "****";

/** Characters that end or change a URL's user-info part when written raw, with their escapes. */
const URL_USERINFO_BREAKERS: Record<string, string> = { "/": "%2F", "#": "%23", "?": "%3F", "@": "%40", "%": "%25", " ": "%20" };

/**
 * The user-info (`user:password`) a URL was meant to carry: everything between `scheme://` and the
 * last `@` of the authority as the user wrote it, even where a raw `/`, `#` or `?` makes a URL parser
 * end the host part early. Undefined when the text has no `scheme://…@`.
 */
export function meantUserinfo(url: string): { user: string; password?: string; start: number; end: number } | undefined {
    const m = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url.trim());
    if (!m) return undefined;
    const offset = url.indexOf(m[0]) + m[0].length;
    const rest = url.slice(offset);
    // The host part after the last '@' never holds '@'; a query (ssl-ca=<file>) may hold '/' but rarely '@'.
    const at = rest.lastIndexOf("@");
    if (at < 0) return undefined;
    const info = rest.slice(0, at);
    const colon = info.indexOf(":");
    return { user: colon < 0 ? info : info.slice(0, colon), password: colon < 0 ? undefined : info.slice(colon + 1), start: offset, end: offset + at };
}

/**
 * Why a URL does not carry its user name and password as the user meant, or undefined when it does:
 * a raw `/ # ? @ % space` in them (a `%` that does not start an escape like %2F) must be
 * percent-encoded. The message names the characters and their codes, never the URL.
 */
export function urlPasswordProblem(option: string, url: string): string | undefined {
    const info = meantUserinfo(url);
    if (!info) return undefined;
    const found = new Set<string>();
    for (const [i, c] of [...`${info.user}:${info.password ?? ""}`].entries()) {
        if (c === "%") {
            if (!/^%[0-9a-f]{2}/i.test(`${info.user}:${info.password ?? ""}`.slice(i))) found.add(c);
        } else if (c in URL_USERINFO_BREAKERS) found.add(c);
    }
    if (found.size === 0) return undefined;
    const list = [...found].map((c) => `"${c}" as ${URL_USERINFO_BREAKERS[c]}`).join(", ");
    return `${option}: the user name or password holds characters a URL cannot carry raw, so the URL does not say what you meant: ` +
        `percent-encode them (${list}; e.g. node -e 'console.log(encodeURIComponent(process.argv[1]))' '<password>'). ` +
        "The URL is not shown: it holds a password";
}

/** A connection URL as it may be printed: the password replaced by ****. One masking for every command. */
export function maskUrl(url: string): string {
    const info = meantUserinfo(url);
    if (info?.password !== undefined) {
        // As the user meant it (last '@'), which also covers a URL a parser would read differently.
        return url.slice(0, info.start) + `${info.user}:${MASK}` + url.slice(info.end);
    }
    if (info) return url;
    // Not a URL (e.g. "host=... password=..."): mask what looks like a password anyway.
    return url.replace(/(password\s*=\s*)('[^']*'|\S+)/gi, `$1${MASK}`);
}

/** decodeURIComponent, or the text itself where it holds a `%` that starts no escape. */
export function safeDecode(s: string): string {
    try {
        return decodeURIComponent(s);
    } catch {
        return s;
    }
}
