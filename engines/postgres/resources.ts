/**
 * Translators for `@pulumi/postgresql` resources, following what cyrilgdn/terraform-provider-postgresql
 * (the provider `@pulumi/postgresql` wraps) runs for each:
 * - Database (resource_postgresql_database.go): `CREATE DATABASE ... OWNER ... TEMPLATE template0
 *   ENCODING 'UTF8' ... CONNECTION LIMIT -1`, outside a transaction; a non-superuser is made a
 *   member of the owner around it.
 * - Role (resource_postgresql_role.go): `CREATE ROLE ... WITH ENCRYPTED PASSWORD ... VALID UNTIL
 *   'infinity' CONNECTION LIMIT -1 NOSUPERUSER ...`, then `ALTER ROLE ... SET search_path` and, for
 *   `assumeRole`, `ALTER ROLE ... SET ROLE TO ...`, in one transaction; an update changes only the
 *   attributes that differ (and resets the role setting when `assumeRole` is not set).
 * - Schema (resource_postgresql_schema.go): `CREATE SCHEMA [IF NOT EXISTS] ... AUTHORIZATION ...`
 *   as a member of the database owner and the schema owner.
 * - Grant (resource_postgresql_grant.go): in one transaction, `REVOKE ALL PRIVILEGES ON <target>
 *   FROM <role>` then `GRANT <privileges> ON <target> TO <role>`; `objects: []` is `ALL <TYPE>S IN
 *   SCHEMA`; named objects revoke only the listed privileges; role `public` is PUBLIC; a
 *   non-superuser is made a member of the schema's and the objects' owners meanwhile.
 *   A failover Deployment's login-role CONNECT grants (customer-managed users, ignoreChanges) run
 *   only while no plane can connect, and declare the plane-connect invariant (exactly one plane).
 * - DefaultPrivileges (resource_postgresql_default_privileges.go): `ALTER DEFAULT PRIVILEGES FOR
 *   ROLE <owner> IN SCHEMA <schema> REVOKE ALL ON <TYPE>S FROM <role>`, then `... GRANT ...`, as a
 *   member of the owner.
 */
import { bool, fail, num, requiredStr, str, strList } from "../inputs";
import { PG_ALL_PRIVILEGES } from "./privileges";
import * as sql from "./statements";
import { ensureAssumeRoleSql, setAssumeRoleSql, whenNoPlaneConnectsSql } from "./failover";
import type { PgDefaultObjectType, PgSchemaObjectType, RolesQuery } from "./statements";
import { DeclaredResource as GraphResource, GENERATED_PLACEHOLDER, PgDeclaration, PgPrivilegeTarget, RenderContext, SECRET_MASK, SqlStep, TranslateContext, Translator, UNKNOWN_MASK } from "../model";

export const PG_TYPES = {
    database: "postgresql:index/database:Database",
    role: "postgresql:index/role:Role",
    schema: "postgresql:index/schema:Schema",
    grant: "postgresql:index/grant:Grant",
    defaultPrivileges: "postgresql:index/defaultPrivileges:DefaultPrivileges",
} as const;

/** Privileges as the provider compares them: a set, upper case, `ALL` kept as written. */
function privileges(r: GraphResource): string[] {
    return [...new Set(strList(r, "privileges").map((p) => p.toUpperCase()))].sort();
}

/** A password the stack itself declares; undefined when it is generated (or hidden). */
function declaredPassword(r: GraphResource): string | undefined {
    const v = r.inputs.password;
    if (typeof v !== "string" || v === SECRET_MASK || v === UNKNOWN_MASK || v === GENERATED_PLACEHOLDER) return undefined;
    return v;
}

/* ---------------------------------------------------------------- helpers */

type StepInit = Omit<SqlStep, "engine" | "resource" | "server" | "deployment">;

function step(r: GraphResource, init: StepInit): SqlStep {
    return { engine: "postgres", resource: { type: r.type, name: r.name }, server: "", ...init };
}

/**
 * The provider's withRolesGranted: around `statements`, a non-superuser admin becomes a member of
 * `owners` it is not yet a member of, and stops being one after. A superuser needs none of it.
 */
function asOwners(ctx: TranslateContext, owners: RolesQuery[], statements: string[], local = true): string[] {
    if (ctx.adminIsSuperuser || owners.length === 0) return statements;
    return [sql.beginTemporaryMembership(owners, local), ...statements, sql.endTemporaryMembership(local)];
}

/** `ALL` stands for every privilege of the object type (privileges.ts); the catalogs list them one by one. */
function expandAll(list: string[], objectType: string): string[] {
    return list.includes("ALL") ? [...(PG_ALL_PRIVILEGES[objectType] ?? [])] : list;
}

const SCHEMA_OBJECT_TYPES: readonly string[] = ["table", "sequence", "function", "procedure", "routine"];

/* ---------------------------------------------------------------- translators */

const database: Translator = (r, ctx) => {
    const name = requiredStr(r, "name");
    const owner = str(r, "owner") ?? ctx.adminUser;
    const declares: PgDeclaration[] = [{ engine: "postgres", type: "database", name, owner }];
    const create = sql.createDatabase({
        name, owner,
        template: str(r, "template"),
        encoding: str(r, "encoding"),
        lcCollate: str(r, "lcCollate"),
        lcCtype: str(r, "lcCtype"),
        connectionLimit: num(r, "connectionLimit", -1),
        allowConnections: bool(r, "allowConnections", true),
        isTemplate: bool(r, "isTemplate", false),
    });
    const ownerRoles = owner === ctx.adminUser ? [] : [sql.namedRolesQuery([owner])];
    return [
        step(r, {
            kind: "database", action: "create", database: ctx.maintenanceDatabase, transactional: false,
            guard: sql.databaseMissing(name),
            // Not in a transaction, so the temporary membership lasts for the session.
            statements: () => asOwners(ctx, ownerRoles, [create], false),
            declares,
        }),
        step(r, {
            kind: "database", action: "ensure", transactional: true,
            statements: () => asOwners(ctx, [sql.databaseOwnerQuery(name), ...ownerRoles], [sql.alterDatabaseOwner(name, owner)]),
            declares,
        }),
    ];
};

const role: Translator = (r) => {
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

const schema: Translator = (r, ctx) => {
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

const grant: Translator = (r, ctx) => {
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

const defaultPrivileges: Translator = (r, ctx) => {
    const db = requiredStr(r, "database");
    const owner = requiredStr(r, "owner");
    const grantee = requiredStr(r, "role");
    const objectType = requiredStr(r, "objectType") as PgDefaultObjectType;
    if (!(objectType in sql.DEFAULT_ACL_OBJTYPE)) fail(r, `objectType "${objectType}" is not one of ${Object.keys(sql.DEFAULT_ACL_OBJTYPE).join(", ")}`);
    const schemaName = str(r, "schema");
    if (schemaName !== undefined && objectType === "schema") fail(r, "cannot specify `schema` when `objectType` is `schema`");
    const privs = privileges(r);
    const withGrantOption = bool(r, "withGrantOption", false);
    if (withGrantOption && grantee === sql.PUBLIC_ROLE) fail(r, "with_grant_option cannot be true for role 'public'");
    const target: sql.DefaultPrivilegesTarget = { owner, schema: schemaName, objectType };
    const statements = [sql.revokeDefaultPrivileges(target, grantee), ...(privs.length ? [sql.grantDefaultPrivileges(target, privs, grantee, withGrantOption)] : [])];
    return [step(r, {
        kind: "default privileges", action: "ensure", database: db, transactional: true,
        ignoreDrift: r.options.ignoreChanges.includes("privileges"),
        statements: () => asOwners(ctx, [sql.namedRolesQuery([owner])], statements),
        declares: [{ engine: "postgres", type: "default-privileges", database: db, owner, schema: schemaName, objectType, grantee, privileges: expandAll(privs, objectType), withGrantOption }],
    })];
};

export const POSTGRES_TRANSLATORS: Record<string, Translator> = {
    [PG_TYPES.database]: database,
    [PG_TYPES.role]: role,
    [PG_TYPES.schema]: schema,
    [PG_TYPES.grant]: grant,
    [PG_TYPES.defaultPrivileges]: defaultPrivileges,
};
