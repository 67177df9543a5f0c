/**
 * `postgresql:index/grant:Grant`. The provider (resource_postgresql_grant.go) runs, in one transaction,
 * `REVOKE ALL PRIVILEGES ON <target> FROM <role>` then `GRANT <privileges> ON <target> TO <role>`;
 * `objects: []` is `ALL <TYPE>S IN SCHEMA`, named objects revoke only the listed privileges, role
 * `public` is PUBLIC, and a non-superuser is made a member of the schema's and the objects' owners meanwhile.
 */
import { bool, fail, requiredStr, str, strList } from "../../inputs";
import * as sql from "../statements";
import { whenNoPlaneConnectsSql } from "../failover";
import type { PgSchemaObjectType, RolesQuery } from "../statements";
import { DeclaredResource as GraphResource, PgPrivilegeTarget, TranslateContext, Translator } from "../../model";
import { aclColumns, asOwners, expandAll, privileges, step, USER_SCHEMAS } from "./common";

export const TYPE = "postgresql:index/grant:Grant";

/**
 * Tables (and views etc.), sequences and functions in the schemas schema.ts reads, with effective ACLs.
 * Grants on a database or a schema are read with database.ts's and schema.ts's queries.
 */
export const READ_OBJECTS = "SELECT n.nspname AS schema, c.relname AS name, CASE WHEN c.relkind = 'S' THEN 'sequence' ELSE 'table' END AS kind, " +
    "pg_catalog.pg_get_userbyid(c.relowner) AS owner, e.* FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace " +
    `LEFT JOIN LATERAL (SELECT e.* FROM (SELECT 1) AS one ${aclColumns(`coalesce(c.relacl, pg_catalog.acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner))`)}) AS e ON true ` +
    `WHERE ${USER_SCHEMAS} AND c.relkind IN (${sql.RELKINDS.table}, ${sql.RELKINDS.sequence}) ` +
    "UNION ALL " +
    "SELECT n.nspname, p.proname || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')', CASE WHEN p.prokind = 'p' THEN 'procedure' ELSE 'function' END, " +
    "pg_catalog.pg_get_userbyid(p.proowner), e.* FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace " +
    `LEFT JOIN LATERAL (SELECT e.* FROM (SELECT 1) AS one ${aclColumns("coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))")}) AS e ON true ` +
    `WHERE ${USER_SCHEMAS}`;

const SCHEMA_OBJECT_TYPES: readonly string[] = ["table", "sequence", "function", "procedure", "routine"];

/**
 * A failover Deployment's login-role CONNECT grants (customer-managed users, ignoreChanges) run only
 * while no plane can connect, and declare the plane-connect invariant (exactly one plane).
 */
export const translate: Translator = (r, ctx) => {
    const db = requiredStr(r, "database");
    const grantee = requiredStr(r, "role");
    const objectType = requiredStr(r, "objectType");
    const schemaName = str(r, "schema");
    const objects = strList(r, "objects");
    const privs = privileges(r);
    const withGrantOption = bool(r, "withGrantOption", false);
    if (strList(r, "columns").length || objectType === "column") fail(r, "column grants are not supported by astro-db");
    if (objectType === "foreign_data_wrapper" || objectType === "foreign_server") fail(r, `${objectType} grants are not supported by astro-db`);

    let target: sql.GrantTarget;
    let on: PgPrivilegeTarget;
    let owners: RolesQuery[] = [];
    if (objectType === "database") {
        if (objects.length) fail(r, "cannot specify `objects` when `objectType` is `database`");
        target = { kind: "database", database: db };
        on = { kind: "database", database: db };
    } else {
        if (schemaName === undefined) fail(r, "parameter 'schema' is mandatory for postgresql_grant resource");
        if (objectType === "schema") {
            if (objects.length) fail(r, "cannot specify `objects` when `objectType` is `schema`");
            target = { kind: "schema", schema: schemaName };
            on = { kind: "schema", database: db, schema: schemaName };
            owners = [sql.schemaOwnerQuery(schemaName)];
        } else if (SCHEMA_OBJECT_TYPES.includes(objectType)) {
            const t = objectType as PgSchemaObjectType;
            target = objects.length ? { kind: "objects", objectType: t, schema: schemaName, objects } : { kind: "all", objectType: t, schema: schemaName };
            on = objects.length ? { kind: "objects", database: db, schema: schemaName, objectType: t, objects } : { kind: "all", database: db, schema: schemaName, objectType: t };
            owners = [sql.objectOwnersQuery(schemaName, t), sql.schemaOwnerQuery(schemaName)];
        } else {
            return fail(r, `objectType "${objectType}" is not supported by astro-db`);
        }
    }
    // Named objects: the provider revokes only the listed privileges (column grants stay); otherwise ALL.
    const revoke = target.kind === "objects" && privs.length ? sql.revoke(target, grantee, privs) : sql.revoke(target, grantee);
    const statements = [revoke, ...(privs.length ? [sql.grant(privs, target, grantee, withGrantOption)] : [])];
    const planes = failoverPlanes(r, ctx, grantee);
    if (planes) {
        const roles = planes.map((p) => p.role);
        return [step(r, {
            kind: "grant", action: "ensure", database: db, transactional: true, ignoreDrift: true,
            statements: () => [whenNoPlaneConnectsSql(db, roles, statements)],
            declares: [{ engine: "postgres", type: "plane-connect", database: db, planes }],
        })];
    }
    return [step(r, {
        kind: "grant", action: "ensure", database: db, transactional: true,
        ignoreDrift: r.options.ignoreChanges.includes("privileges"),
        statements: () => asOwners(ctx, owners, statements),
        declares: [{ engine: "postgres", type: "privileges", on, grantee, privileges: expandAll(privs, objectType), withGrantOption }],
    })];
};

/**
 * The planes of a failover Deployment (customer-managed users) when `r` is one of its login roles'
 * CONNECT grants, which a failover moves (ignoreChanges); undefined for any other grant.
 */
function failoverPlanes(r: GraphResource, ctx: TranslateContext, grantee: string): { plane: string; role: string }[] | undefined {
    const d = ctx.deployment;
    if (d?.failover?.users !== "customer" || str(r, "objectType") !== "database" || !r.options.ignoreChanges.includes("privileges")) return undefined;
    if (!d.names.loginRoles.includes(grantee) || str(r, "database") !== d.names.database) return undefined;
    return d.failover.planes.map((plane, i) => ({ plane, role: d.names.loginRoles[i] }));
}
