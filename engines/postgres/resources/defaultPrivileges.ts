/**
 * `postgresql:index/defaultPrivileges:DefaultPrivileges`. The provider (resource_postgresql_default_privileges.go)
 * runs `ALTER DEFAULT PRIVILEGES FOR ROLE <owner> IN SCHEMA <schema> REVOKE ALL ON <TYPE>S FROM <role>`,
 * then `... GRANT ...`, as a member of the owner.
 */
import { bool, fail, requiredStr, str } from "../../inputs";
import * as sql from "../statements";
import { PUBLIC_ROLE } from "../quote";
import type { PgDefaultObjectType } from "../statements";
import { Translator } from "../../model";
import { aclColumns, asOwners, expandAll, privileges, step } from "./common";

export const TYPE = "postgresql:index/defaultPrivileges:DefaultPrivileges";

/** Default privileges of the current database (schema NULL: for the whole database). */
export const READ_DEFAULT_ACLS = "SELECT pg_catalog.pg_get_userbyid(d.defaclrole) AS owner, CASE WHEN d.defaclnamespace = 0 THEN NULL ELSE n.nspname END AS schema, " +
    "d.defaclobjtype AS objtype, e.* FROM pg_catalog.pg_default_acl d LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace " +
    `${aclColumns("d.defaclacl")}`;

export const translate: Translator = (r, ctx) => {
    const db = requiredStr(r, "database");
    const owner = requiredStr(r, "owner");
    const grantee = requiredStr(r, "role");
    const objectType = requiredStr(r, "objectType") as PgDefaultObjectType;
    if (!(objectType in sql.DEFAULT_ACL_OBJTYPE)) fail(r, `objectType "${objectType}" is not one of ${Object.keys(sql.DEFAULT_ACL_OBJTYPE).join(", ")}`);
    const schemaName = str(r, "schema");
    if (schemaName !== undefined && objectType === "schema") fail(r, "cannot specify `schema` when `objectType` is `schema`");
    const privs = privileges(r);
    const withGrantOption = bool(r, "withGrantOption", false);
    if (withGrantOption && grantee === PUBLIC_ROLE) fail(r, "with_grant_option cannot be true for role 'public'");
    const target: sql.DefaultPrivilegesTarget = { owner, schema: schemaName, objectType };
    const statements = [sql.revokeDefaultPrivileges(target, grantee), ...(privs.length ? [sql.grantDefaultPrivileges(target, privs, grantee, withGrantOption)] : [])];
    return [step(r, {
        kind: "default privileges", action: "ensure", database: db, transactional: true,
        ignoreDrift: r.options.ignoreChanges.includes("privileges"),
        statements: () => asOwners(ctx, [sql.namedRolesQuery([owner])], statements),
        declares: [{ engine: "postgres", type: "default-privileges", database: db, owner, schema: schemaName, objectType, grantee, privileges: expandAll(privs, objectType), withGrantOption }],
    })];
};
