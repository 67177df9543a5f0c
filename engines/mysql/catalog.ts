/**
 * The live state of a MySQL (or MariaDB) server as far as astro-db declares anything about it:
 * databases with their character set and collation, accounts with their REQUIRE clause, and every
 * privilege of every account at every level (global, database pattern, table, column, routine), plus
 * role and proxy grants. Read from information_schema and the mysql schema, which an RDS master user
 * may read; columns that exist only on one engine are not used.
 */
import type { Connection, RowDataPacket } from "mysql2/promise";
import { READ_DATABASES } from "./resources/database";
import { READ_PRIVILEGES } from "./resources/grant";
import { READ_ACCOUNTS } from "./resources/user";

export type PrivilegeLevel = "global" | "database" | "table" | "column" | "routine" | "proxy" | "role";

export interface PrivilegeRow {
    user: string;
    host: string;
    level: PrivilegeLevel;
    /** For database, table, column, routine: the database (a GRANT pattern at database level). */
    database?: string;
    /** Table, `table.column`, routine, proxied account or role. */
    object?: string;
    privilege: string;
    grantable: boolean;
}

export interface MysqlState {
    version: string;
    mariadb: boolean;
    currentUser: string;
    databases: Map<string, { characterSet: string; collation: string }>;
    /** Keyed by accountKey(user, host). */
    accounts: Map<string, { user: string; host: string; sslType: string }>;
    privileges: PrivilegeRow[];
}

export function accountKey(user: string, host: string): string {
    return `${user}\0${host}`;
}

/** `'user'@'host'` (information_schema's GRANTEE) -> its parts. */
export function parseGrantee(grantee: string): { user: string; host: string } {
    const m = /^'((?:[^']|'')*)'@'((?:[^']|'')*)'$/.exec(grantee);
    if (!m) throw new Error(`cannot read the grantee ${grantee}`);
    return { user: m[1].replace(/''/g, "'"), host: m[2].replace(/''/g, "'") };
}

async function rows(c: Connection, sql: string): Promise<RowDataPacket[]> {
    const [r] = await c.query<RowDataPacket[]>(sql);
    return r;
}

/** Rows of a table that exists on only one of MySQL and MariaDB: none where it is missing. */
async function optionalRows(c: Connection, sql: string): Promise<RowDataPacket[]> {
    try {
        return await rows(c, sql);
    } catch (err) {
        if ((err as { code?: string }).code === "ER_NO_SUCH_TABLE" || (err as { code?: string }).code === "ER_BAD_FIELD_ERROR") return [];
        throw err;
    }
}

export async function readMysqlState(c: Connection): Promise<MysqlState> {
    const [info] = await rows(c, "SELECT VERSION() AS version, CURRENT_USER() AS currentUser");
    const version = String(info.version);
    const state: MysqlState = {
        version,
        mariadb: /mariadb/i.test(version),
        currentUser: String(info.currentUser),
        databases: new Map(),
        accounts: new Map(),
        privileges: [],
    };
    for (const r of await rows(c, READ_DATABASES)) {
        state.databases.set(String(r.name), { characterSet: String(r.cs), collation: String(r.co) });
    }
    for (const r of await rows(c, READ_ACCOUNTS)) {
        state.accounts.set(accountKey(String(r.user), String(r.host)), { user: String(r.user), host: String(r.host), sslType: String(r.sslType ?? "") });
    }
    const add = (grantee: string, level: PrivilegeLevel, privilege: string, grantable: boolean, database?: string, object?: string) => {
        const { user, host } = parseGrantee(grantee);
        state.privileges.push({ user, host, level, database, object, privilege: privilege.toUpperCase(), grantable });
    };
    const yes = (v: unknown) => String(v).toUpperCase() === "YES";
    for (const r of await rows(c, READ_PRIVILEGES.global)) {
        add(String(r.g), "global", String(r.p), yes(r.gr));
    }
    for (const r of await rows(c, READ_PRIVILEGES.database)) {
        add(String(r.g), "database", String(r.p), yes(r.gr), String(r.db));
    }
    for (const r of await rows(c, READ_PRIVILEGES.table)) {
        add(String(r.g), "table", String(r.p), yes(r.gr), String(r.db), String(r.t));
    }
    for (const r of await rows(c, READ_PRIVILEGES.column)) {
        add(String(r.g), "column", String(r.p), yes(r.gr), String(r.db), `${r.t}.${r.col}`);
    }
    const account = (user: unknown, host: unknown) => ({ user: String(user), host: String(host) });
    for (const r of await rows(c, READ_PRIVILEGES.routine)) {
        for (const p of String(r.p).split(",").filter(Boolean)) {
            state.privileges.push({ ...account(r.u, r.h), level: "routine", database: String(r.db), object: String(r.n), privilege: p.toUpperCase(), grantable: p.toUpperCase() === "GRANT" });
        }
    }
    for (const r of await rows(c, READ_PRIVILEGES.proxy)) {
        state.privileges.push({ ...account(r.u, r.h), level: "proxy", object: `'${r.pu}'@'${r.ph}'`, privilege: "PROXY", grantable: Number(r.wg) === 1 });
    }
    // Roles: MySQL 8 keeps them in role_edges, MariaDB in roles_mapping.
    for (const r of await optionalRows(c, READ_PRIVILEGES.mysqlRoles)) {
        state.privileges.push({ ...account(r.u, r.h), level: "role", object: `'${r.ru}'@'${r.rh}'`, privilege: "ROLE", grantable: String(r.a) === "Y" });
    }
    for (const r of await optionalRows(c, READ_PRIVILEGES.mariadbRoles)) {
        state.privileges.push({ ...account(r.u, r.h), level: "role", object: `'${r.role}'`, privilege: "ROLE", grantable: String(r.a) === "Y" });
    }
    return state;
}

/** SHOW GRANTS for one account, as the server prints them (for reports); [] when it does not exist. */
export async function showGrants(c: Connection, statement: string): Promise<string[]> {
    try {
        return (await rows(c, statement)).map((r) => String(Object.values(r)[0]).replace(/ IDENTIFIED BY PASSWORD '[^']*'/, " IDENTIFIED BY PASSWORD '<hash>'"));
    } catch (err) {
        if ((err as { code?: string }).code === "ER_NONEXISTING_GRANT") return [];
        throw err;
    }
}
