/**
 * `postgresql:index/schema:Schema`. The provider (resource_postgresql_schema.go) runs `CREATE SCHEMA
 * [IF NOT EXISTS] ... AUTHORIZATION ...` as a member of the database owner and the schema owner.
 */
import { bool, fail, requiredStr, str } from "../../inputs";
import * as sql from "../statements";
import { PgDeclaration, Translator } from "../../model";
import { aclColumns, asOwners, step, USER_SCHEMAS } from "./common";

export const TYPE = "postgresql:index/schema:Schema";

/** Schemas of the current database with owner (pg_database_owner resolved) and effective ACL. */
export const READ_SCHEMAS = "SELECT n.nspname AS name, CASE WHEN pg_catalog.pg_get_userbyid(n.nspowner) = 'pg_database_owner' THEN pg_catalog.pg_get_userbyid(d.datdba) ELSE pg_catalog.pg_get_userbyid(n.nspowner) END AS owner, " +
    "pg_catalog.pg_get_userbyid(n.nspowner) AS owner_role, e.* FROM pg_catalog.pg_namespace n JOIN pg_catalog.pg_database d ON d.datname = current_database() " +
    `LEFT JOIN LATERAL (SELECT e.* FROM (SELECT 1) AS one ${aclColumns("coalesce(n.nspacl, pg_catalog.acldefault('n', n.nspowner))")}) AS e ON true ` +
    `WHERE ${USER_SCHEMAS}`;

export const translate: Translator = (r, ctx) => {
    const name = requiredStr(r, "name");
    const db = str(r, "database") ?? ctx.maintenanceDatabase;
    const owner = str(r, "owner");
    const policies = r.inputs.policies;
    if (Array.isArray(policies) && policies.length) fail(r, "schema policies are not supported by astro-db: use Grant resources");
    const declares: PgDeclaration[] = [{ engine: "postgres", type: "schema", database: db, name, owner: owner ?? ctx.adminUser }];
    const owners = [sql.databaseOwnerQuery(), ...(owner ? [sql.namedRolesQuery([owner])] : [])];
    return [
        step(r, {
            kind: "schema", action: "create", database: db, transactional: true,
            statements: () => asOwners(ctx, owners, [sql.createSchema(name, owner, bool(r, "ifNotExists", true))]),
            declares,
        }),
        ...(owner === undefined ? [] : [step(r, {
            kind: "schema", action: "ensure", database: db, transactional: true,
            statements: () => asOwners(ctx, [sql.schemaOwnerQuery(name), ...owners], [sql.alterSchemaOwner(name, owner)]),
            declares,
        })]),
    ];
};
