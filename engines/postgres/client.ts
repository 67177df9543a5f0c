/**
 * How astro-db reaches a PostgreSQL server: libpq's sslmode mapped onto the pg driver (the only such
 * mapping, also the dynamic providers'), admin URLs, bounded connections and error messages that name
 * the fix. pg is required only when connecting, so a provider importing this module captures no driver.
 */
import * as fs from "fs";
import type { Client, ClientConfig, QueryConfig, QueryResult, QueryResultRow } from "pg";
import { connectionLimits } from "../limits";
import { InputError, maskUrl, parseServerUrl } from "../url";

/** libpq's `sslmode` values (PostgreSQL docs, "SSL Mode Descriptions"). */
export const PG_SSLMODES = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] as const;
export type PgSslMode = (typeof PG_SSLMODES)[number];

/**
 * pg's TLS settings for a libpq sslmode. pg cannot fall back from one to the other as libpq does:
 * `allow` connects without TLS, `prefer` and `require` (and no sslmode: libpq's default is
 * `prefer`) with TLS, unverified; `verify-ca` checks the chain, `verify-full` the host name too.
 */
export function pgSsl(sslmode: PgSslMode | undefined): ClientConfig["ssl"] {
    return sslmode === "disable" || sslmode === "allow" ? false
        : sslmode === "verify-full" ? { rejectUnauthorized: true }
            : sslmode === "verify-ca" ? { rejectUnauthorized: true, checkServerIdentity: anyHostName }
                : { rejectUnauthorized: false };
}

/** verify-ca's host name check: none (one function, so two configs for the same sslmode compare equal). */
function anyHostName(): undefined {
    return undefined;
}

/** Whether `s` is one of libpq's sslmode values. */
export function isPgSslMode(s: string): s is PgSslMode {
    return (PG_SSLMODES as readonly string[]).includes(s);
}

/** Where and as whom to connect. */
export interface PgTarget {
    host: string;
    port: number;
    user: string;
    password?: string;
    database: string;
    sslmode: PgSslMode;
}

/** The pg client settings for `c`: its TLS per sslmode, a 15 s connect timeout. */
export function pgClientConfig(c: PgTarget): ClientConfig {
    return {
        host: c.host, port: c.port, user: c.user, password: c.password, database: c.database, ssl: pgSsl(c.sslmode),
        connectionTimeoutMillis: 15_000, application_name: "astro-db",
    };
}

/* ---------------------------------------------------------------- the CLI's admin connections */

export interface AdminUrl {
    host: string;
    port: number;
    user: string;
    /** The database the URL names (the maintenance database); `postgres` when it names none. */
    database: string;
    /** Whether the URL carries a password (else libpq's PGPASSWORD / .pgpass rules apply in pg too). */
    hasPassword: boolean;
    /** The URL's password, decoded ("" when none). */
    password: string;
}

function parse(url: string): URL {
    return parseServerUrl("--admin-url", url, ["postgres"]).url;
}

export function parseAdminUrl(url: string): AdminUrl {
    const u = parse(url);
    const database = decodeURIComponent(u.pathname.replace(/^\//, "")) || "postgres";
    return {
        host: u.hostname.replace(/^\[(.*)\]$/, "$1"),
        port: u.port === "" ? 5432 : Number(u.port),
        user: decodeURIComponent(u.username) || process.env.PGUSER || "postgres",
        database,
        hasPassword: u.password !== "",
        password: decodeURIComponent(u.password),
    };
}

/**
 * A connected pg client with bounded waits: connecting and logging in within the connect timeout,
 * each statement within the statement timeout (set on the server, and a client-side read timeout a
 * little longer for a server that stops answering). `statementTimeout: false` leaves statements
 * unbounded (migrate's copy, which bounds its catalog reads itself with `catalogQuery`).
 */
export async function connectPg(url: string, o: { option: string; applicationName: string; statementTimeout?: boolean; signal?: AbortSignal }): Promise<Client> {
    const bounded = o.statementTimeout ?? true;
    const { Client: PgClient } = require("pg") as typeof import("pg");
    let socket: import("net").Socket | undefined;
    const client = new PgClient({
        ...urlClientConfig(url, o.option),
        connectionTimeoutMillis: connectionLimits().connectSeconds * 1000,
        ...(bounded ? { statement_timeout: connectionLimits().statementSeconds * 1000, query_timeout: (connectionLimits().statementSeconds + connectionLimits().connectSeconds) * 1000 } : {}),
        application_name: o.applicationName,
        // pg's own kind of socket, kept to abort the connection attempt with.
        ...(o.signal ? { stream: () => (socket = new (require("net") as typeof import("net")).Socket()) } : {}),
    });
    usePgpassFile(client);
    // An idle client whose server goes away emits 'error'; the next query reports it instead.
    client.on("error", () => undefined);
    // Aborted while connecting, its socket is destroyed (connect then fails; pg's end() would leave it
    // pending); once connected, it is ended.
    let ready = false;
    const abort = () => void (ready ? client.end().catch(() => undefined) : socket?.destroy(new Error("the connection was aborted")));
    o.signal?.addEventListener("abort", abort, { once: true });
    // One listener per open connection, not one per connection ever made on the signal.
    client.once("end", () => o.signal?.removeEventListener("abort", abort));
    try {
        if (o.signal?.aborted) throw new Error("the connection was aborted");
        await client.connect();
        ready = true;
    } catch (err) {
        o.signal?.removeEventListener("abort", abort);
        await client.end().catch(() => undefined);
        throw new Error(`cannot connect to ${maskUrl(url)} (${o.option}): ${pgErrorMessage(err)}`);
    }
    return client;
}

/**
 * No password in the URL, PGPASSWORD or pg's defaults: read ~/.pgpass (or PGPASSFILE) as libpq does, with
 * the `pgpass` package itself, pg's own fallback to it being deprecated (it warns on stderr).
 */
function usePgpassFile(client: Client): void {
    const c = client as unknown as { password: unknown };
    if (c.password !== null) return;
    const pgpass = require("pgpass") as (params: unknown, cb: (password: string | undefined) => void) => void;
    // pg calls it with its resolved connection parameters (pg/lib/client.js _getPassword); undefined leaves
    // no password, and pg's "client password must be a string" follows (pgErrorMessage names the fix).
    c.password = (params: unknown) => new Promise<string | undefined>((resolve) => pgpass(params, resolve));
}

/**
 * pg's settings for a connection URL: the URL's `sslmode` takes libpq's meaning through the one mapping
 * the dynamic providers use too (engines/postgres/client.ts pgSsl), not pg's own parsing of it (which
 * differs on allow and verify-ca); `sslrootcert`/`sslcert`/`sslkey` files go into that TLS setting.
 * A URL without sslmode is left to pg as before (no TLS unless PGSSLMODE says otherwise).
 */
export function urlClientConfig(url: string, option: string): Pick<ClientConfig, "connectionString" | "ssl"> {
    let u: URL;
    try {
        u = new URL(url);
    } catch {
        return { connectionString: url };
    }
    const mode = u.searchParams.get("sslmode");
    if (mode === null) return { connectionString: url };
    if (!isPgSslMode(mode)) throw new InputError(`${option}: sslmode=${mode} is not one of ${PG_SSLMODES.join(", ")}`);
    const files: Record<string, string> = {};
    for (const [param, key] of [["sslrootcert", "ca"], ["sslcert", "cert"], ["sslkey", "key"]] as const) {
        const file = u.searchParams.get(param);
        u.searchParams.delete(param);
        if (file !== null) files[key] = file;
    }
    u.searchParams.delete("sslmode");
    const ssl = pgSsl(mode);
    const withFiles = ssl === false || ssl === undefined || ssl === true || Object.keys(files).length === 0 ? ssl
        : { ...ssl, ...Object.fromEntries(Object.entries(files).map(([k, f]) => [k, fs.readFileSync(f, "utf8")])) };
    return { connectionString: u.toString(), ssl: withFiles };
}

/** A catalog read bounded by the statement timeout even on a client whose other statements are not. */
export async function catalogQuery<R extends QueryResultRow>(client: Client, text: string, values?: unknown[]): Promise<QueryResult<R>> {
    // pg reads query_timeout from a query's config too; its types do not list it.
    const config = { text, values, query_timeout: connectionLimits().statementSeconds * 1000 } as QueryConfig;
    return client.query<R>(config);
}

/** A connected client for `database` (default: the URL's own), as the URL's user; `signal` ends it. */
export async function connectAdmin(url: string, database?: string, signal?: AbortSignal): Promise<Client> {
    const u = parse(url);
    if (database !== undefined) u.pathname = `/${encodeURIComponent(database)}`;
    return connectPg(u.toString(), { option: "--admin-url", applicationName: "astro-db", signal });
}

/** A pg error as one line: message, then detail and hint when PostgreSQL gives them. */
export function pgErrorMessage(err: unknown): string {
    const e = err as { message?: string; detail?: string; hint?: string; code?: string };
    const parts = [e.message ?? String(err)];
    // The timeouts, in words that say which limit it was and how to change it.
    if (/^(timeout expired|Connection terminated due to connection timeout)$/.test(parts[0])) {
        return `no answer within ${connectionLimits().connectSeconds} s (--connect-timeout): check the host and port, and that the server and any firewall let you through`;
    }
    // pg's words for "no password anywhere" and for a server that does not speak PostgreSQL's protocol, with the fix.
    if (/client password must be a string/.test(parts[0])) {
        return "the server asks for a password and none was given: put it in the URL (percent-encoded), or set PGPASSWORD, or add a line to ~/.pgpass (or the file PGPASSFILE names, mode 0600)";
    }
    if (/^Received unexpected .* message from backend|^Received invalid response|^Unknown authenticationOk message type/.test(parts[0])) {
        return `${parts[0]}: the server does not speak PostgreSQL's protocol; if it is a MySQL or MariaDB server, use a mysql://admin:<password>@host:3306/ URL`;
    }
    if (parts[0] === "Query read timeout") return `the server did not answer within ${connectionLimits().statementSeconds + connectionLimits().connectSeconds} s (--statement-timeout ${connectionLimits().statementSeconds} s, plus the connect timeout)`;
    if (e.code === "57014" && /statement timeout/.test(parts[0])) parts[0] += ` (--statement-timeout ${connectionLimits().statementSeconds} s)`;
    if (e.detail) parts.push(`DETAIL: ${e.detail}`);
    if (e.hint) parts.push(`HINT: ${e.hint}`);
    // A PrivilegeWarningError names its SQLSTATE in its message already.
    if (e.code && !parts[0].includes(`SQLSTATE ${e.code}`)) parts.push(`(SQLSTATE ${e.code})`);
    return parts.join(" ");
}

/** The server in a report's first line, from its version (PostgreSQL's server_version_num, MySQL's VERSION()). */
export function describePostgres(version: number | string): string {
    return `PostgreSQL ${Math.floor(Number(version) / 10000)}`;
}
