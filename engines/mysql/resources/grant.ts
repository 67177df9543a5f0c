/**
 * `mysql:index/grant:Grant`. The provider (resource_grant.go) runs one `GRANT <privileges> ON
 * <database>.<table> TO '<user>'@'<host>'`, nothing revoked, with no REQUIRE and no WITH GRANT
 * OPTION on MySQL 8 (it drops `grant: true` there); privileges.ts has the details.
 */
import { bool, fail, requiredStr, str, strList } from "../../inputs";
import { MYSQL_PRIVILEGES } from "../privileges";
import * as sql from "../statements";
import { DeclaredResource as GraphResource, Translator } from "../../model";
import { MYSQL_PROVIDER_DEFAULTS, step } from "./common";

export const TYPE = "mysql:index/grant:Grant";

/**
 * Every privilege of every account at every level, read from information_schema and the mysql schema
 * (an RDS master user may read both). Roles: MySQL 8 keeps them in role_edges, MariaDB in
 * roles_mapping; catalog.ts reads each where it exists.
 */
export const READ_PRIVILEGES = {
    global: "SELECT GRANTEE AS g, PRIVILEGE_TYPE AS p, IS_GRANTABLE AS gr FROM information_schema.USER_PRIVILEGES",
    database: "SELECT GRANTEE AS g, TABLE_SCHEMA AS db, PRIVILEGE_TYPE AS p, IS_GRANTABLE AS gr FROM information_schema.SCHEMA_PRIVILEGES",
    table: "SELECT GRANTEE AS g, TABLE_SCHEMA AS db, TABLE_NAME AS t, PRIVILEGE_TYPE AS p, IS_GRANTABLE AS gr FROM information_schema.TABLE_PRIVILEGES",
    column: "SELECT GRANTEE AS g, TABLE_SCHEMA AS db, TABLE_NAME AS t, COLUMN_NAME AS col, PRIVILEGE_TYPE AS p, IS_GRANTABLE AS gr FROM information_schema.COLUMN_PRIVILEGES",
    routine: "SELECT User AS u, Host AS h, Db AS db, Routine_name AS n, Proc_priv AS p FROM mysql.procs_priv",
    proxy: "SELECT User AS u, Host AS h, Proxied_user AS pu, Proxied_host AS ph, With_grant AS wg FROM mysql.proxies_priv",
    mysqlRoles: "SELECT TO_USER AS u, TO_HOST AS h, FROM_USER AS ru, FROM_HOST AS rh, WITH_ADMIN_OPTION AS a FROM mysql.role_edges",
    mariadbRoles: "SELECT User AS u, Host AS h, Role AS role, Admin_option AS a FROM mysql.roles_mapping",
} as const;

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

export const translate: Translator = (r) => {
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
