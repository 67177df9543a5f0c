/**
 * How astro-db reaches a PostgreSQL server: libpq's sslmode mapped onto the pg driver (the only
 * such mapping).
 */
import type { ClientConfig } from "pg";

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
