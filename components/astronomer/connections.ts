/**
 * Connection strings and the PgBouncer JSON form for a Deployment's metadata database (seed 000 step 5).
 * Pure code, no Pulumi. Why every reserved character is percent-encoded: README "Handing a Deployment
 * to the platform" (Connection strings).
 */
import { ENGINE_FEATURES, type EngineKind } from "../../engines/model";
import { PG_SSLMODES } from "../../engines/postgres/client";
import { DEFAULT_PORTS } from "../../engines/url";
import { HOUSTON_JSON_PROTOCOL, HoustonConnectionJson, RESULT_BACKEND_PREFIX } from "./facts";


/** Where a Deployment's metadata database is and how to log in to it. */
export interface DbEndpoint {
    /** Database engine. */
    engine: EngineKind;
    /** Host name, IPv4 address or IPv6 address (with or without brackets). */
    host: string;
    /** TCP port, 1-65535. */
    port: number;
    /** Database name. */
    database: string;
    /** Login user (the Deployment's Astro user). */
    user: string;
    /** Login password, any text. */
    password: string;
    /**
     * PostgreSQL only: libpq `sslmode` (disable|allow|prefer|require|verify-ca|verify-full), sent
     * as the `sslmode` query parameter. Defaults to none in the string, i.e. libpq's own default
     * (prefer).
     */
    sslmode?: string;
}

/** A connection string read back into its parts. */
export interface ParsedConnection extends DbEndpoint {
    /** True when the scheme carried the Celery `db+` prefix. */
    resultBackend: boolean;
    /** SQLAlchemy driver after `+` in the scheme (`postgresql+psycopg2` -> `psycopg2`), if any. */
    driver?: string;
    /** Query parameters other than `sslmode`, decoded. */
    options: Record<string, string>;
}

/** SQLAlchemy dialect names for each engine (the scheme of the URL). */
const SCHEMES: Record<EngineKind, string> = { postgres: "postgresql", mysql: "mysql" };

/**
 * The metadata connection string Airflow reads as `sql_alchemy_conn`:
 * `postgresql://user:pass@host:port/db?sslmode=...` or `mysql://user:pass@host:port/db`.
 * User, password and database are percent-encoded so that any text survives (see the module
 * comment). MySQL strings carry no TLS parameter, because mysqlclient's TLS options depend on
 * the client library it was built with; setting `sslmode` on a MySQL endpoint throws.
 */
export function metadataConnection(e: DbEndpoint): string {
    return connectionString(e, "", true);
}

/**
 * The Celery result backend connection string: the metadata string with the `db+` prefix
 * (seed 000 step 5: without it the Celery worker pod fails).
 */
export function resultBackendConnection(e: DbEndpoint): string {
    return connectionString(e, RESULT_BACKEND_PREFIX, true);
}

/**
 * A server-level connection string with no database, as in the values.yaml example of seed 000
 * step 1: `postgresql://user:pass@host:5432?sslmode=prefer`. Encoded and validated like
 * `metadataConnection`; a `database`, if given, is included.
 */
export function adminConnection(e: Omit<DbEndpoint, "database" | "password"> & { database?: string; password?: string }): string {
    // Without a password (the admin's comes from PGPASSWORD at `pulumi up`), the URL carries only the user.
    return connectionString({ ...e, database: e.database ?? "", password: e.password ?? "" }, "", false, e.password === undefined);
}

/**
 * The JSON form Houston takes when PgBouncer is enabled (seed 000 step 5):
 * `{user, pass, protocol: "postgresql", host, port, db}` with plain (not encoded) values and a
 * numeric port; an IPv6 host is given without brackets. The form has no place for `sslmode`:
 * TLS between PgBouncer and the database is PgBouncer's configuration. Throws for MySQL, since
 * PgBouncer speaks only the PostgreSQL protocol.
 */
export function pgbouncerJson(e: DbEndpoint): HoustonConnectionJson {
    if (!ENGINE_FEATURES[e.engine].pgbouncer) {
        throw new Error(
            `PgBouncer works only with PostgreSQL, and this endpoint is ${e.engine}: turn PgBouncer off for this Deployment and use the connection strings instead`,
        );
    }
    const v = checkedEndpoint(e);
    if (e.database.length === 0) throw new Error("the endpoint names no database: a Deployment's connection needs its own database");
    return { user: e.user, pass: e.password, protocol: HOUSTON_JSON_PROTOCOL, host: v.host, port: e.port, db: e.database };
}

/**
 * Reads a connection string back into its parts with the WHATWG URL parser, decoding user,
 * password and database. Accepts the `db+` prefix and SQLAlchemy driver suffixes
 * (`mysql+mysqldb`). A missing port gives the engine's default; a missing database gives `""`
 * (server-level strings such as the values.yaml example have none). Throws with the reason for
 * strings SQLAlchemy would not read the same way (a `postgres://` scheme, an unencoded `#` or
 * `@`, a malformed `%` escape).
 */
export function parseConnection(url: string): ParsedConnection {
    // Checked before parsing: WHATWG would cut the URL at the # and then fail for another reason.
    if (url.includes("#")) {
        throw new Error("the connection string contains an unencoded #, which URL parsers read as the end of the URL: percent-encode it as %23");
    }
    let u: URL;
    try {
        u = new URL(url);
    } catch {
        // The message never repeats the string: it may carry a password.
        throw new Error("not a connection URL: expected scheme://user:password@host:port/database");
    }
    let scheme = u.protocol.replace(/:$/, "");
    const resultBackend = scheme.startsWith(RESULT_BACKEND_PREFIX);
    if (resultBackend) scheme = scheme.slice(RESULT_BACKEND_PREFIX.length);
    const [dialect, driver] = scheme.split("+", 2);
    const engine = (Object.keys(SCHEMES) as EngineKind[]).find((e) => SCHEMES[e] === dialect);
    if (engine === undefined && dialect === "postgres") {
        throw new Error("the scheme postgres:// is not accepted by SQLAlchemy 1.4 and later (Airflow 2+): use postgresql://");
    }
    if (engine === undefined) throw new Error(`unsupported scheme "${u.protocol}": expected postgresql:// or mysql://, optionally with the db+ prefix`);

    // WHATWG splits user info at the last @, SQLAlchemy 2.x at the first: with two, they disagree.
    const beforeQuery = url.split("?", 1)[0];
    if ((beforeQuery.match(/@/g) ?? []).length > 1) {
        throw new Error("the connection string contains an unencoded @ in the user, password or database: percent-encode it as %40");
    }
    if (u.hostname === "") throw new Error("the connection string names no host");

    const options: Record<string, string> = {};
    let sslmode: string | undefined;
    for (const [k, v] of u.searchParams) {
        if (k === "sslmode") sslmode = v;
        else options[k] = v;
    }
    const parsed: ParsedConnection = {
        engine,
        host: u.hostname.replace(/^\[(.*)\]$/, "$1"),
        port: u.port === "" ? DEFAULT_PORTS[engine] : Number(u.port),
        database: decodePart(u.pathname.replace(/^\//, ""), "database"),
        user: decodePart(u.username, "user"),
        password: decodePart(u.password, "password"),
        resultBackend,
        options,
    };
    if (sslmode !== undefined) parsed.sslmode = sslmode;
    if (driver !== undefined) parsed.driver = driver;
    return parsed;
}

function connectionString(e: DbEndpoint, prefix: string, needsDatabase: boolean, noPassword = false): string {
    const v = checkedEndpoint(e, noPassword);
    if (needsDatabase && e.database.length === 0) {
        throw new Error("the endpoint names no database: a Deployment's connection needs its own database");
    }
    const host = v.host.includes(":") ? `[${v.host}]` : v.host;
    const auth = noPassword ? encodePart(e.user, "user") : `${encodePart(e.user, "user")}:${encodePart(e.password, "password")}`;
    const query = e.sslmode === undefined ? "" : `?sslmode=${e.sslmode}`;
    const path = e.database.length === 0 ? "" : `/${encodePart(e.database, "database")}`;
    return `${prefix}${SCHEMES[e.engine]}://${auth}@${host}:${e.port}${path}${query}`;
}

/** Validates an endpoint and returns the host without brackets. Messages never quote secrets. */
function checkedEndpoint(e: DbEndpoint, noPassword = false): { host: string } {
    if (!Object.hasOwn(ENGINE_FEATURES, e.engine)) {
        throw new Error(`unknown database engine "${String(e.engine)}": use postgres or mysql`);
    }
    const host = e.host.replace(/^\[(.*)\]$/, "$1");
    if (host.includes(":")) {
        // IPv6 literal; zone ids (%eth0) are refused because WHATWG URL cannot carry them.
        if (!/^[0-9A-Fa-f:.]+$/.test(host)) throw new Error(`"${e.host}" is not an IPv6 address without a zone id`);
    } else if (!/^[A-Za-z0-9_]([A-Za-z0-9._-]*)$/.test(host)) {
        throw new Error(`"${e.host}" is not a host name or IP address: use letters, digits, '.', '-' and '_'`);
    }
    if (!Number.isInteger(e.port) || e.port < 1 || e.port > 65535) {
        throw new Error(`port ${String(e.port)} is not a TCP port: use an integer from 1 to 65535`);
    }
    if (e.user.length === 0) throw new Error("the endpoint has an empty user name");
    if (e.password.length === 0 && !noPassword) throw new Error(`the endpoint has an empty password for user "${e.user}"`);
    for (const [what, value] of [["user", e.user], ["password", e.password], ["database", e.database]] as const) {
        // libpq and the MySQL client pass these as C strings, so a NUL would silently cut them.
        if (value.includes("\0")) throw new Error(`the ${what} contains a NUL character, which database clients cannot send`);
    }
    if (e.sslmode !== undefined) {
        if (!ENGINE_FEATURES[e.engine].sslmode) {
            throw new Error(
                `sslmode is a PostgreSQL setting and this endpoint is ${e.engine}: leave it unset and configure TLS for MySQL through Airflow's sql_alchemy_connect_args`,
            );
        }
        if (!(PG_SSLMODES as readonly string[]).includes(e.sslmode)) {
            throw new Error(`sslmode "${e.sslmode}" is not one of ${PG_SSLMODES.join(", ")}`);
        }
    }
    return { host };
}

function encodePart(s: string, what: string): string {
    try {
        return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    } catch {
        throw new Error(`the ${what} contains an unpaired UTF-16 surrogate and cannot be written as UTF-8`);
    }
}

function decodePart(s: string, what: string): string {
    try {
        return decodeURIComponent(s);
    } catch {
        throw new Error(`the ${what} in the connection string has a malformed % escape: write a literal % as %25`);
    }
}
