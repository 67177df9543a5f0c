/**
 * Connections to a MySQL server as its admin, with the mysql2 driver, from an admin URL
 * (`mysql://user:password@host:port/?ssl-mode=REQUIRED`), and error messages that never carry the
 * password. `ssl-mode` takes the mysql client's values: DISABLED, REQUIRED (encrypted, not verified),
 * VERIFY_CA and VERIFY_IDENTITY (verified against `ssl-ca=<file>`, else the RDS CA bundle mysql2 ships);
 * it defaults to REQUIRED, which an RDS server demands anyway. The ssl-mode -> TLS mapping is
 * engines/mysql/client.ts.
 */
import { maskUrl } from "../maskUrl";
import { checkInputFile, connectionLimits, InputError, parseServerUrl } from "../input";
import * as mysql from "mysql2/promise";
import { isMysqlUrl, mysqlSsl, SSL_MODES, type SslMode } from "../../engines/mysql/client";
export { isMysqlUrl, SSL_MODES, type SslMode };

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
        c = await mysql.createConnection({
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
