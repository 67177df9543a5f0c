/**
 * Translators for `@pulumi/mysql` resources, following what hashicorp/terraform-provider-mysql v1.9.0
 * (the provider `@pulumi/mysql` wraps) runs for each (engines/mysql/privileges.ts has the details):
 * - Database: `CREATE DATABASE ... CHARACTER SET ... COLLATE ...`, `ALTER DATABASE` when they drift
 *   (the provider's defaults are utf8 / utf8_general_ci).
 * - User: `CREATE USER '<user>'@'<host>' IDENTIFIED BY ... REQUIRE <tls_option>` (host defaults to
 *   localhost, tls_option to NONE).
 * - Grant: one `GRANT <privileges> ON <database>.<table> TO '<user>'@'<host>'`, nothing revoked, no
 *   REQUIRE and no WITH GRANT OPTION on MySQL 8 (the provider drops `grant: true` there).
 * MySQL has no transactional DDL: every step is its own statement (`transactional: false`), and
 * `apply` undoes what a failed run created itself (cli/mysql/apply.ts).
 */
import { bool, fail, requiredStr, str, strList } from "../inputs";
import { MYSQL_PRIVILEGES } from "./privileges";
import * as sql from "./statements";
import { DeclaredResource as GraphResource, GENERATED_PLACEHOLDER, SECRET_MASK, SqlStep, Translator, UNKNOWN_MASK } from "../model";

export const MYSQL_TYPES = {
    database: "mysql:index/database:Database",
    user: "mysql:index/user:User",
    grant: "mysql:index/grant:Grant",
} as const;

/** The provider's defaults where an input is left out (v1.9.0 schema). */
export const MYSQL_PROVIDER_DEFAULTS = { characterSet: "utf8", collation: "utf8_general_ci", host: "localhost", tlsOption: "NONE", table: "*" } as const;

/** What a MySQL server must have for a stack: `apply` creates it, `audit` compares it. */
export type MysqlDeclaration =
    | { engine: "mysql"; type: "database"; name: string }
    | { engine: "mysql"; type: "database-charset"; name: string; characterSet: string; collation: string }
    | { engine: "mysql"; type: "user"; user: string; host: string }
    /** The account's REQUIRE clause: NONE, SSL or X509. */
    | { engine: "mysql"; type: "user-tls"; user: string; host: string; tlsOption: string }
    /** The account holds `privileges` on `<database>.<table>`, `database` being the GRANT pattern as written (`\_` escaped). */
    | { engine: "mysql"; type: "privileges"; user: string; host: string; database: string; table: string; privileges: string[] };

export function isMysqlDeclaration(d: { engine: string }): d is MysqlDeclaration {
    return d.engine === "mysql";
}

/* ---------------------------------------------------------------- reading inputs */

/** A password the stack itself declares; undefined when it is generated or hidden. */
function declaredPassword(r: GraphResource): string | undefined {
    const v = r.inputs.plaintextPassword ?? r.inputs.password;
    return typeof v === "string" && ![SECRET_MASK, UNKNOWN_MASK, GENERATED_PLACEHOLDER].includes(v) ? v : undefined;
}

/** Privileges as the server lists them: upper case, once each, `ALL` spelt out for a database-level grant. */
function privileges(r: GraphResource, table: string): string[] {
    const list = strList(r, "privileges").map((p) => p.trim().toUpperCase().replace(/\s+/g, " "));
    if (list.length === 0) fail(r, "input \"privileges\" must list at least one privilege (roles are not supported by astro-db)");
    if (list.some((p) => p === "ALL" || p === "ALL PRIVILEGES")) {
        if (table !== "*") fail(r, "ALL on a single table is not supported by astro-db: list the privileges");
        return [...MYSQL_PRIVILEGES].sort();
    }
    return [...new Set(list)].sort();
}

type StepInit = Omit<SqlStep, "engine" | "resource" | "server" | "deployment" | "transactional">;

function step(r: GraphResource, init: StepInit): SqlStep {
    // MySQL commits every DDL statement at once: nothing runs in a transaction.
    return { engine: "mysql", resource: { type: r.type, name: r.name }, server: "", transactional: false, ...init };
}

/* ---------------------------------------------------------------- translators */

const database: Translator = (r) => {
    const name = requiredStr(r, "name");
    const o = {
        name,
        characterSet: str(r, "defaultCharacterSet") ?? MYSQL_PROVIDER_DEFAULTS.characterSet,
        collation: str(r, "defaultCollation") ?? MYSQL_PROVIDER_DEFAULTS.collation,
    };
    return [
        step(r, { kind: "database", action: "create", statements: () => [sql.createDatabase(o)], declares: [{ engine: "mysql", type: "database", name }] }),
        step(r, { kind: "database", action: "ensure", statements: () => [sql.alterDatabase(o)], declares: [{ engine: "mysql", type: "database-charset", ...o }] }),
    ];
};

const user: Translator = (r) => {
    const name = requiredStr(r, "user");
    const host = str(r, "host") ?? MYSQL_PROVIDER_DEFAULTS.host;
    const tlsOption = (str(r, "tlsOption") ?? MYSQL_PROVIDER_DEFAULTS.tlsOption).toUpperCase();
    if (str(r, "authPlugin") !== undefined) fail(r, "authentication plugins (authPlugin) are not supported by astro-db");
    if (r.inputs.plaintextPassword === undefined && r.inputs.password === undefined) {
        fail(r, "a user without a password would be created with an empty one: set plaintextPassword");
    }
    return [
        step(r, {
            kind: "user", action: "create",
            statements: (c) => sql.createUser(name, host, c.password(name), tlsOption),
            declares: [{ engine: "mysql", type: "user", user: name, host }],
            setsPasswordOf: name,
            declaredPassword: declaredPassword(r),
        }),
        step(r, {
            kind: "user", action: "ensure",
            statements: () => [sql.alterUserRequire(name, host, tlsOption)],
            declares: [{ engine: "mysql", type: "user-tls", user: name, host, tlsOption }],
        }),
    ];
};

const grant: Translator = (r) => {
    if (str(r, "role") !== undefined || strList(r, "roles").length) fail(r, "role grants are not supported by astro-db");
    if (bool(r, "grant", false)) fail(r, "grant: true is dropped by the provider on MySQL 8 (no WITH GRANT OPTION): remove it");
    const name = requiredStr(r, "user");
    const host = str(r, "host") ?? MYSQL_PROVIDER_DEFAULTS.host;
    const database = requiredStr(r, "database");
    const table = str(r, "table") ?? MYSQL_PROVIDER_DEFAULTS.table;
    const privs = privileges(r, table);
    return [step(r, {
        kind: "grant", action: "ensure",
        statements: () => [sql.grant(privs, database, name, host, table)],
        declares: [{ engine: "mysql", type: "privileges", user: name, host, database, table, privileges: privs }],
    })];
};

export const MYSQL_TRANSLATORS: Record<string, Translator> = {
    [MYSQL_TYPES.database]: database,
    [MYSQL_TYPES.user]: user,
    [MYSQL_TYPES.grant]: grant,
};
