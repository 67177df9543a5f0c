/**
 * `postgresql:index/role:Role`. The provider (resource_postgresql_role.go) runs `CREATE ROLE ... WITH
 * ENCRYPTED PASSWORD ... VALID UNTIL 'infinity' CONNECTION LIMIT -1 NOSUPERUSER ...`, then `ALTER ROLE
 * ... SET search_path` and, for `assumeRole`, `ALTER ROLE ... SET ROLE TO ...`, in one transaction; an
 * update changes only the attributes that differ.
 */
import { bool, num, requiredStr, str, strList } from "../../inputs";
import * as sql from "../statements";
import { ensureAssumeRoleSql, setAssumeRoleSql } from "../failover";
import { PgDeclaration, RenderContext, Translator } from "../../model";
import { declaredPassword, step } from "./common";

export const TYPE = "postgresql:index/role:Role";

/** Every role with its attributes and its own search_path setting. */
export const READ_ROLES = "SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, rolbypassrls, rolconnlimit, " +
    "coalesce(rolvaliduntil, 'infinity')::text AS rolvaliduntil, (SELECT c FROM unnest(rolconfig) AS c WHERE c LIKE 'search_path=%') AS search_path " +
    "FROM pg_catalog.pg_roles";

/** Each role's own `role` setting (ALTER ROLE ... SET ROLE), as the provider reads assume_role. */
export const READ_ROLE_SETTINGS = "SELECT rolname, (SELECT c FROM unnest(rolconfig) AS c WHERE c LIKE 'role=%') AS role_setting FROM pg_catalog.pg_roles";

export const translate: Translator = (r) => {
    const name = requiredStr(r, "name");
    const attributes: sql.RoleAttributes = {
        login: bool(r, "login", sql.ROLE_DEFAULTS.login),
        inherit: bool(r, "inherit", sql.ROLE_DEFAULTS.inherit),
        superuser: bool(r, "superuser", sql.ROLE_DEFAULTS.superuser),
        createDatabase: bool(r, "createDatabase", sql.ROLE_DEFAULTS.createDatabase),
        createRole: bool(r, "createRole", sql.ROLE_DEFAULTS.createRole),
        replication: bool(r, "replication", sql.ROLE_DEFAULTS.replication),
        bypassRowLevelSecurity: bool(r, "bypassRowLevelSecurity", sql.ROLE_DEFAULTS.bypassRowLevelSecurity),
        connectionLimit: num(r, "connectionLimit", sql.ROLE_DEFAULTS.connectionLimit),
        validUntil: str(r, "validUntil") ?? sql.ROLE_DEFAULTS.validUntil,
    };
    const searchPath = strList(r, "searchPaths");
    const assumeRole = str(r, "assumeRole") ?? "";
    const memberOf = strList(r, "roles");
    const hasPassword = r.inputs.password !== undefined;
    const memberships: PgDeclaration[] = memberOf.map((g) => ({ engine: "postgres", type: "membership", role: g, member: name }));
    const grants = memberOf.map((g) => sql.grantRoleMembership(g, name));
    return [
        step(r, {
            kind: "role", action: "create", transactional: true,
            guard: sql.roleMissing(name),
            statements: (c: RenderContext) => [
                sql.createRole({ name, ...attributes, passwordSql: hasPassword ? c.password(name) : undefined }),
                ...(searchPath.length ? [sql.setRoleSearchPath(name, searchPath)] : []),
                ...(assumeRole ? [setAssumeRoleSql(name, assumeRole)] : []),
                ...grants,
            ],
            declares: [{ engine: "postgres", type: "role", name }],
            setsPasswordOf: hasPassword ? name : undefined,
            declaredPassword: declaredPassword(r),
        }),
        step(r, {
            kind: "role", action: "ensure", transactional: true,
            statements: () => [sql.ensureRoleAttributes(name, attributes, searchPath), ensureAssumeRoleSql(name, assumeRole), ...grants],
            declares: [{ engine: "postgres", type: "role-attributes", name, ...attributes, searchPath, assumeRole }, ...memberships],
        }),
    ];
};
