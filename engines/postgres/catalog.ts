/**
 * The live state of a PostgreSQL server as far as astro-db declares anything about it: roles and
 * their attributes, memberships (with PostgreSQL 16's INHERIT and SET options), databases with
 * owners and effective ACLs (PUBLIC included), and per database the schemas, the tables,
 * sequences and functions with their ACLs, and the default privileges.
 */
import type { ClientBase, QueryResult } from "pg";
import { NotRead, readAll } from "../readers";
import { connectAdmin } from "./client";
import type { FenceFunctionState } from "./fence";
import { READ_DATABASES } from "./resources/database";
import { READ_DEFAULT_ACLS } from "./resources/defaultPrivileges";
import { FENCE_FUNCTION_STATE_SQL, fenceFunctionState } from "./resources/fenceFunction";
import { READ_OBJECTS } from "./resources/grant";
import { READ_ROLE_SETTINGS, READ_ROLES } from "./resources/role";
import { readMemberships } from "./resources/roleMembership";
import { READ_SCHEMAS } from "./resources/schema";

/**
 * The read-only catalog queries, each resource type's from its file in resources/: the server's
 * shared catalogs in one pass, then each database's contents in one round trip (one connection each).
 */
export const CATALOG = {
    server: "SELECT current_setting('server_version_num')::int AS version, current_user AS current_user, current_database() AS database, " +
        "(SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) AS superuser",
    roles: READ_ROLES,
    roleSettings: READ_ROLE_SETTINGS,
    memberships: readMemberships,
    databases: READ_DATABASES,
    schemas: READ_SCHEMAS,
    objects: READ_OBJECTS,
    defaultAcls: READ_DEFAULT_ACLS,
    fenceFunction: FENCE_FUNCTION_STATE_SQL,
} as const;

/**
 * A database's contents in one round trip: its queries (none takes a parameter) as one simple-protocol
 * query string, answered in order. A new connection's first catalog queries cost the server most (its
 * caches are cold); one string instead of five saves it a fifth of a Deployment database's read.
 */
const CONTENTS = ["SELECT current_database() AS database", CATALOG.schemas, CATALOG.objects, CATALOG.defaultAcls, CATALOG.fenceFunction].join(";\n");

export interface AclEntry {
    grantor: string;
    /** `public` for PUBLIC. */
    grantee: string;
    privilege: string;
    grantable: boolean;
}

export interface PgRoleState {
    name: string;
    superuser: boolean;
    inherit: boolean;
    createRole: boolean;
    createDatabase: boolean;
    login: boolean;
    replication: boolean;
    bypassRowLevelSecurity: boolean;
    connectionLimit: number;
    /** `infinity` when none. */
    validUntil: string;
    /** The role's own search_path setting; empty when it has none. */
    searchPath: string[];
    /** The role a login switches to (its own `role` setting, the provider's assume_role); empty when none. */
    assumeRole: string;
}

export interface PgMembershipState {
    role: string;
    member: string;
    grantor: string;
    admin: boolean;
    /** PostgreSQL 16+; undefined before. */
    inherit?: boolean;
    /** PostgreSQL 16+; undefined before. */
    set?: boolean;
}

export interface PgDatabaseState {
    name: string;
    owner: string;
    /** Effective: the built-in default when datacl is NULL. */
    acl: AclEntry[];
}

export interface PgSchemaState {
    name: string;
    /** The owning role, pg_database_owner resolved to the database's owner. */
    owner: string;
    /** The owner as the catalog has it (pg_database_owner for `public` since PostgreSQL 15). */
    ownerRole: string;
    acl: AclEntry[];
}

export type PgObjectKind = "table" | "sequence" | "function" | "procedure";

export interface PgObjectState {
    schema: string;
    /** Functions carry their argument types: `f(integer)`. */
    name: string;
    kind: PgObjectKind;
    owner: string;
    acl: AclEntry[];
}

export interface PgDefaultAclState {
    owner: string;
    /** Undefined: for the whole database. */
    schema?: string;
    /** pg_default_acl.defaclobjtype: r, S, f, T, n. */
    objtype: string;
    acl: AclEntry[];
}

/** What one database holds. */
export interface PgDatabaseContents {
    database: string;
    schemas: Map<string, PgSchemaState>;
    objects: PgObjectState[];
    defaultAcls: PgDefaultAclState[];
    /** The fencing function of a failover Deployment, when the database has one. */
    fenceFunction?: FenceFunctionState;
}

export interface PgState {
    /** server_version_num, e.g. 170010. */
    version: number;
    currentUser: string;
    superuser: boolean;
    roles: Map<string, PgRoleState>;
    memberships: PgMembershipState[];
    databases: Map<string, PgDatabaseState>;
    /** Contents of the databases read so far (each needs a connection to that database). */
    contents: Map<string, PgDatabaseContents>;
}

type Row = Record<string, unknown>;

/** One query after the other: a pg client runs one at a time anyway, and pg 9 will refuse to queue. */
async function sequential<T>(queries: (() => Promise<T>)[]): Promise<T[]> {
    const out: T[] = [];
    for (const q of queries) out.push(await q());
    return out;
}

function acl(row: Row): AclEntry | undefined {
    if (row.privilege === null || row.privilege === undefined) return undefined;
    return { grantor: String(row.grantor), grantee: String(row.grantee), privilege: String(row.privilege), grantable: row.grantable === true };
}

/** Rows of (key columns..., one ACL entry) folded into one item per key. */
function fold<T extends { acl: AclEntry[] }>(rows: Row[], key: (r: Row) => string, make: (r: Row) => T): T[] {
    const items = new Map<string, T>();
    for (const r of rows) {
        const k = key(r);
        let item = items.get(k);
        if (!item) items.set(k, (item = make(r)));
        const entry = acl(r);
        if (entry) item.acl.push(entry);
    }
    return [...items.values()];
}

/** `search_path=airflow, "My Schema"` -> ["airflow", "My Schema"], as the provider reads it. */
export function parseSearchPath(setting: string | null | undefined): string[] {
    if (!setting) return [];
    const value = setting.replace(/^search_path=/, "");
    if (value === "") return [];
    return value.split(", ").map((p) => (p.startsWith('"') && p.endsWith('"') ? p.slice(1, -1).replace(/""/g, '"') : p));
}

/** Which roles and databases to read again (refreshServerState). */
export interface StateScope {
    roles: readonly string[];
    databases: readonly string[];
}

/** `query` restricted to rows whose `column` (or any of `columns`) is in $1 (text[]). */
function only(query: string, ...columns: string[]): string {
    return `SELECT * FROM (${query}) AS q WHERE ${columns.map((c) => `q.${c} = ANY($1::text[])`).join(" OR ")}`;
}

/** Roles, memberships and databases: all of them, or only those in `scope` (memberships with a scoped role on either side). */
async function readShared(client: ClientBase, version: number, scope?: StateScope): Promise<Pick<PgState, "roles" | "memberships" | "databases">> {
    const none = { rows: [] as Row[] };
    const q = (all: string, values: readonly string[] | undefined, ...columns: string[]) => async (): Promise<{ rows: Row[] }> => {
        if (values === undefined) return client.query(all);
        return values.length === 0 ? none : client.query(only(all, ...columns), [values]);
    };
    const [roles, memberships, databases, settings] = await sequential([
        q(CATALOG.roles, scope?.roles, "rolname"),
        q(CATALOG.memberships(version), scope?.roles, "role", "member"),
        q(CATALOG.databases, scope?.databases, "name"),
        q(CATALOG.roleSettings, scope?.roles, "rolname"),
    ]);
    const assumed = new Map((settings.rows as Row[]).map((r) => [String(r.rolname), typeof r.role_setting === "string" ? r.role_setting.slice("role=".length) : ""]));
    return {
        roles: new Map((roles.rows as Row[]).map((r) => [String(r.rolname), {
            name: String(r.rolname), superuser: r.rolsuper === true, inherit: r.rolinherit === true, createRole: r.rolcreaterole === true,
            createDatabase: r.rolcreatedb === true, login: r.rolcanlogin === true, replication: r.rolreplication === true,
            bypassRowLevelSecurity: r.rolbypassrls === true, connectionLimit: Number(r.rolconnlimit), validUntil: String(r.rolvaliduntil),
            searchPath: parseSearchPath(r.search_path as string | null), assumeRole: assumed.get(String(r.rolname)) ?? "",
        }])),
        memberships: (memberships.rows as Row[]).map((m) => ({
            role: String(m.role), member: String(m.member), grantor: String(m.grantor), admin: m.admin_option === true,
            inherit: m.inherit_option === null ? undefined : m.inherit_option === true,
            set: m.set_option === null ? undefined : m.set_option === true,
        })),
        databases: new Map(fold(databases.rows as Row[], (r) => String(r.name), (r) => ({ name: String(r.name), owner: String(r.owner), acl: [] as AclEntry[] })).map((d) => [d.name, d])),
    };
}

/** Roles, memberships and databases: the catalogs every database of the server shares. */
export async function readServerState(client: ClientBase): Promise<PgState> {
    const server = (await client.query(CATALOG.server)).rows[0] as Row;
    const version = Number(server.version);
    return {
        version,
        currentUser: String(server.current_user),
        superuser: server.superuser === true,
        ...(await readShared(client, version)),
        contents: new Map(),
    };
}

/**
 * Reads again only the rows of the roles and databases in `scope` (and every membership with one of
 * those roles on either side) into `state`: what one step of apply can have changed, read in a few
 * small queries instead of the whole server's catalogs.
 */
export async function refreshServerState(client: ClientBase, state: PgState, scope: StateScope): Promise<void> {
    if (scope.roles.length === 0 && scope.databases.length === 0) return;
    const fresh = await readShared(client, state.version, scope);
    const roles = new Set(scope.roles);
    for (const r of roles) state.roles.delete(r);
    for (const [k, v] of fresh.roles) state.roles.set(k, v);
    state.memberships = [...state.memberships.filter((m) => !roles.has(m.role) && !roles.has(m.member)), ...fresh.memberships];
    for (const d of scope.databases) state.databases.delete(d);
    for (const [k, v] of fresh.databases) state.databases.set(k, v);
}

/** Schemas, objects, default privileges and the fencing function of the database `client` is connected to. */
export async function readDatabaseContents(client: ClientBase): Promise<PgDatabaseContents> {
    const results = (await client.query(CONTENTS)) as unknown as QueryResult<Row>[];
    const [[current], schemaRows, objectRows, defaultRows, [fence]] = results.map((r) => r.rows);
    const schemas = fold(schemaRows, (r) => String(r.name), (r) => ({ name: String(r.name), owner: String(r.owner), ownerRole: String(r.owner_role), acl: [] as AclEntry[] }));
    return {
        database: String(current.database),
        fenceFunction: fenceFunctionState(fence),
        schemas: new Map(schemas.map((s) => [s.name, s])),
        objects: fold(objectRows, (r) => `${r.kind}\0${r.schema}\0${r.name}`, (r) => ({
            schema: String(r.schema), name: String(r.name), kind: r.kind as PgObjectKind, owner: String(r.owner), acl: [] as AclEntry[],
        })),
        defaultAcls: fold(defaultRows, (r) => `${r.owner}\0${r.schema}\0${r.objtype}`, (r) => ({
            owner: String(r.owner), schema: r.schema === null ? undefined : String(r.schema), objtype: String(r.objtype), acl: [] as AclEntry[],
        })),
    };
}

/** The server's state plus the contents of the database `client` is connected to. */
export async function readState(client: ClientBase): Promise<PgState> {
    const state = await readServerState(client);
    const contents = await readDatabaseContents(client);
    state.contents.set(contents.database, contents);
    return state;
}

/**
 * The contents of `databases` (each Deployment's), read over at most `readers` connections at once
 * (engines/readers.ts), each closed after its read; a database that could not be read maps to its
 * error, one left out once `stop` was aborted is not in the map (aborting also ends the connections open).
 */
export async function readContentsOf(adminUrl: string, databases: readonly string[], readers: number, stop?: AbortSignal): Promise<Map<string, PgDatabaseContents | Error>> {
    // A reader goes on to its next database while the server closes the last one's connection; all are closed before this returns.
    const closing: Promise<void>[] = [];
    const read = await readAll(databases, readers, async (db) => {
        const client = await connectAdmin(adminUrl, db, stop);
        try {
            return await readDatabaseContents(client);
        } finally {
            closing.push(client.end().catch(() => undefined));
        }
    }, () => stop?.aborted === true);
    await Promise.all(closing);
    return new Map(databases.flatMap((db, i): [string, PgDatabaseContents | Error][] => {
        const r = read[i];
        if (r.status === "rejected" && r.reason instanceof NotRead) return [];
        return [[db, r.status === "fulfilled" ? r.value : r.reason instanceof Error ? r.reason : new Error(String(r.reason))]];
    }));
}
