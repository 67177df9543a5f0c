/**
 * PostgreSQL statement builders: pure functions from names and privilege lists to SQL text, quoted
 * with quote.ts. Every piece of code that emits or runs PostgreSQL SQL builds it here, so the
 * providers' statement shapes live in one place.
 *
 * Statement shapes follow cyrilgdn/terraform-provider-postgresql (what `@pulumi/postgresql` runs):
 * a Grant is `REVOKE ALL` then `GRANT <list>` in one transaction, `objects: []` means `ON ALL <TYPE>S
 * IN SCHEMA`, DefaultPrivileges is `ALTER DEFAULT PRIVILEGES FOR ROLE <owner> IN SCHEMA <schema>
 * REVOKE ALL ... / GRANT ...`, and a non-superuser admin (RDS) is made a member of the owners of the
 * objects it changes for the duration of the change (the provider's `withRolesGranted`).
 */
import { PUBLIC_ROLE, quoteIdent, quoteLiteral, quoteRole } from "./quote";

/** The custom setting that carries the roles granted for the duration of one change. */
const TEMPORARY_ROLES_SETTING = "astro_db.temporary_roles";

/** Dollar-quote tag for DO blocks: never appears in identifiers we quote (they are inside "..."). */
const DO_TAG = "$astro_db$";

/* ------------------------------------------------------------------ object types and privileges */

/** Object types a Grant can name with `objects` or `ALL ... IN SCHEMA`. */
export type PgSchemaObjectType = "table" | "sequence" | "function" | "procedure" | "routine";
/** Object types of default privileges (the provider's `object_type`). */
export type PgDefaultObjectType = "table" | "sequence" | "function" | "routine" | "type" | "schema";

const PLURAL: Record<PgSchemaObjectType | PgDefaultObjectType, string> = {
    table: "TABLES", sequence: "SEQUENCES", function: "FUNCTIONS", procedure: "PROCEDURES", routine: "ROUTINES", type: "TYPES", schema: "SCHEMAS",
};

/** pg_class relkinds that `ALL TABLES` / `ALL SEQUENCES` cover. */
export const RELKINDS: Record<"table" | "sequence", string> = { table: "'r', 'p', 'v', 'm', 'f'", sequence: "'S'" };
/** pg_proc kinds `ALL FUNCTIONS` / `PROCEDURES` / `ROUTINES` cover. */
const PROKIND: Record<"function" | "procedure" | "routine", string> = { function: "prokind <> 'p'", procedure: "prokind = 'p'", routine: "true" };

/** `pg_default_acl.defaclobjtype` per default-privileges object type. */
export const DEFAULT_ACL_OBJTYPE: Record<PgDefaultObjectType, string> = {
    table: "r", sequence: "S", function: "f", routine: "f", type: "T", schema: "n",
};

const PRIVILEGE = /^[A-Z]+$/;

function privilegeList(privileges: readonly string[]): string {
    if (privileges.length === 0) throw new Error("a GRANT needs at least one privilege");
    for (const p of privileges) {
        // Privileges are keywords, not identifiers: accept only bare words, never text that could carry SQL.
        if (!PRIVILEGE.test(p)) throw new Error(`"${p}" is not a privilege keyword (e.g. SELECT, USAGE, CONNECT)`);
    }
    return privileges.join(", ");
}

/** What a GRANT or REVOKE is on. `objects` are names in `schema`; a function may carry its argument list: `f(integer)`. */
export type GrantTarget =
    | { kind: "database"; database: string }
    | { kind: "schema"; schema: string }
    | { kind: "all"; objectType: PgSchemaObjectType; schema: string }
    | { kind: "objects"; objectType: PgSchemaObjectType; schema: string; objects: readonly string[] };

/** `"schema"."name"`, or `"schema"."f"(integer)` for a function with its argument types. */
function qualifiedObject(schema: string, object: string): string {
    const paren = object.indexOf("(");
    if (paren < 0) return `${quoteIdent(schema)}.${quoteIdent(object)}`;
    const args = object.slice(paren);
    // Argument lists are type names: refuse anything that could end the statement.
    if (/[;'"]|--|\/\*/.test(args)) throw new Error(`"${object}" has an argument list that is not a list of type names`);
    return `${quoteIdent(schema)}.${quoteIdent(object.slice(0, paren))}${args}`;
}

function targetSql(t: GrantTarget): string {
    switch (t.kind) {
        case "database":
            return `DATABASE ${quoteIdent(t.database)}`;
        case "schema":
            return `SCHEMA ${quoteIdent(t.schema)}`;
        case "all":
            return `ALL ${PLURAL[t.objectType]} IN SCHEMA ${quoteIdent(t.schema)}`;
        case "objects":
            if (t.objects.length === 0) throw new Error("a grant on named objects needs at least one object: use kind \"all\" for every object in the schema");
            return `${t.objectType.toUpperCase()} ${t.objects.map((o) => qualifiedObject(t.schema, o)).join(", ")}`;
    }
}

/** `GRANT <privileges> ON <target> TO <grantee> [WITH GRANT OPTION]`. */
export function grant(privileges: readonly string[], on: GrantTarget, to: string, withGrantOption = false): string {
    if (withGrantOption && to === PUBLIC_ROLE) throw new Error("grant options cannot be granted to PUBLIC");
    return `GRANT ${privilegeList(privileges)} ON ${targetSql(on)} TO ${quoteRole(to)}${withGrantOption ? " WITH GRANT OPTION" : ""}`;
}

/** `REVOKE ALL PRIVILEGES ON <target> FROM <grantee>`, or only `privileges` when given. */
export function revoke(on: GrantTarget, from: string, privileges?: readonly string[]): string {
    const what = privileges === undefined ? "ALL PRIVILEGES" : privilegeList(privileges);
    return `REVOKE ${what} ON ${targetSql(on)} FROM ${quoteRole(from)}`;
}

/**
 * PostgreSQL 16+: the membership row a CREATEROLE admin is given in every role it creates (ADMIN, no
 * INHERIT, no SET, granted by the bootstrap superuser). It is the server's, not a declared membership:
 * a declared membership of the admin is its other row(s).
 */
export function isCreatorGrant(m: { member: string; admin: boolean; inherit?: boolean | null; set?: boolean | null }, currentUser: string): boolean {
    return m.member === currentUser && m.admin && m.inherit === false && m.set === false;
}

/**
 * SQLSTATEs of the warnings PostgreSQL answers a GRANT or REVOKE with when the role running it neither
 * owns the object nor holds a grant option on it: the statement "succeeds" and changes nothing (or
 * only part of what it names).
 */
export const PRIVILEGE_WARNINGS: Readonly<Record<string, string>> = {
    "01007": "privilege not granted",
    "01006": "privilege not revoked",
};

/**
 * Why `statement`, answered with `notice`, must count as a failure; undefined for any other notice.
 * `user` is the role that ran it.
 */
export function privilegeWarningFailure(statement: string, notice: { code?: string; message?: string }, user: string): string | undefined {
    if (notice.code === undefined || !(notice.code in PRIVILEGE_WARNINGS)) return undefined;
    const firstLine = statement.split("\n").find((l) => /\b(GRANT|REVOKE)\b/i.test(l))?.trim() ?? statement.split("\n")[0];
    return `PostgreSQL answered ${JSON.stringify(firstLine)} with WARNING "${notice.message ?? PRIVILEGE_WARNINGS[notice.code]}" (SQLSTATE ${notice.code}, ${PRIVILEGE_WARNINGS[notice.code]}): ` +
        `${quoteIdent(user)} neither owns the object nor holds a grant option on it, so nothing (or not all) of it took effect: ` +
        "run it as the object's owner or as a member of the owner WITH INHERIT TRUE.";
}

export interface DefaultPrivilegesTarget {
    /** The role whose future objects get the privileges (`FOR ROLE`). */
    owner: string;
    /** Only objects created in this schema; undefined: everywhere in the database. */
    schema?: string;
    objectType: PgDefaultObjectType;
}

function defaultPrefix(t: DefaultPrivilegesTarget): string {
    const inSchema = t.schema === undefined ? "" : ` IN SCHEMA ${quoteIdent(t.schema)}`;
    return `ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(t.owner)}${inSchema}`;
}

/** `ALTER DEFAULT PRIVILEGES FOR ROLE <owner> [IN SCHEMA <schema>] GRANT <privileges> ON <TYPE>S TO <grantee>`. */
export function grantDefaultPrivileges(t: DefaultPrivilegesTarget, privileges: readonly string[], to: string, withGrantOption = false): string {
    return `${defaultPrefix(t)} GRANT ${privilegeList(privileges)} ON ${PLURAL[t.objectType]} TO ${quoteRole(to)}${withGrantOption ? " WITH GRANT OPTION" : ""}`;
}

/** `ALTER DEFAULT PRIVILEGES FOR ROLE <owner> [IN SCHEMA <schema>] REVOKE ALL ON <TYPE>S FROM <grantee>`. */
export function revokeDefaultPrivileges(t: DefaultPrivilegesTarget, from: string): string {
    return `${defaultPrefix(t)} REVOKE ALL ON ${PLURAL[t.objectType]} FROM ${quoteRole(from)}`;
}

/* ------------------------------------------------------------------ databases and schemas */

export interface CreateDatabaseOptions {
    name: string;
    owner: string;
    /** Defaults to template0, as the provider does. */
    template?: string;
    /** Defaults to UTF8, as the provider does. */
    encoding?: string;
    lcCollate?: string;
    lcCtype?: string;
    /** Defaults to -1 (no limit). */
    connectionLimit?: number;
    /** Defaults to true. */
    allowConnections?: boolean;
    /** Defaults to false. */
    isTemplate?: boolean;
}

/** `CREATE DATABASE` with the provider's defaults spelled out. Cannot run inside a transaction block. */
export function createDatabase(o: CreateDatabaseOptions): string {
    const parts = [`CREATE DATABASE ${quoteIdent(o.name)}`, `OWNER ${quoteIdent(o.owner)}`, `TEMPLATE ${quoteIdent(o.template ?? "template0")}`, `ENCODING ${quoteLiteral(o.encoding ?? "UTF8")}`];
    if (o.lcCollate !== undefined) parts.push(`LC_COLLATE ${quoteLiteral(o.lcCollate)}`);
    if (o.lcCtype !== undefined) parts.push(`LC_CTYPE ${quoteLiteral(o.lcCtype)}`);
    parts.push(`ALLOW_CONNECTIONS ${o.allowConnections ?? true}`, `CONNECTION LIMIT ${integer(o.connectionLimit ?? -1)}`, `IS_TEMPLATE ${o.isTemplate ?? false}`);
    return parts.join(" ");
}

export function alterDatabaseOwner(name: string, owner: string): string {
    return `ALTER DATABASE ${quoteIdent(name)} OWNER TO ${quoteIdent(owner)}`;
}

/** `DROP DATABASE`; cannot run inside a transaction block, nor while sessions are connected to it. */
export function dropDatabase(name: string): string {
    return `DROP DATABASE IF EXISTS ${quoteIdent(name)}`;
}

/** `DROP ROLE IF EXISTS`: fails while the role owns objects or holds privileges. */
export function dropRole(name: string): string {
    return `DROP ROLE IF EXISTS ${quoteIdent(name)}`;
}

/** `CREATE SCHEMA [IF NOT EXISTS] <name> [AUTHORIZATION <owner>]`. */
export function createSchema(name: string, owner?: string, ifNotExists = true): string {
    return `CREATE SCHEMA ${ifNotExists ? "IF NOT EXISTS " : ""}${quoteIdent(name)}${owner === undefined ? "" : ` AUTHORIZATION ${quoteIdent(owner)}`}`;
}

export function alterSchemaOwner(name: string, owner: string): string {
    return `ALTER SCHEMA ${quoteIdent(name)} OWNER TO ${quoteIdent(owner)}`;
}

/* ------------------------------------------------------------------ roles */

/** Role attributes as the provider declares them (its defaults in brackets). */
export interface RoleAttributes {
    /** [false] */
    login: boolean;
    /** [true] */
    inherit: boolean;
    /** [false] */
    superuser: boolean;
    /** [false] */
    createDatabase: boolean;
    /** [false] */
    createRole: boolean;
    /** [false] */
    replication: boolean;
    /** [false] */
    bypassRowLevelSecurity: boolean;
    /** [-1] */
    connectionLimit: number;
    /** ['infinity'] */
    validUntil: string;
}

export const ROLE_DEFAULTS: RoleAttributes = {
    login: false, inherit: true, superuser: false, createDatabase: false, createRole: false,
    replication: false, bypassRowLevelSecurity: false, connectionLimit: -1, validUntil: "infinity",
};

function integer(n: number): string {
    if (!Number.isInteger(n)) throw new Error(`${n} is not an integer`);
    return String(n);
}

const FLAGS: [keyof RoleAttributes, string, string][] = [
    ["superuser", "SUPERUSER", "NOSUPERUSER"],
    ["createDatabase", "CREATEDB", "NOCREATEDB"],
    ["createRole", "CREATEROLE", "NOCREATEROLE"],
    ["inherit", "INHERIT", "NOINHERIT"],
    ["login", "LOGIN", "NOLOGIN"],
    ["bypassRowLevelSecurity", "BYPASSRLS", "NOBYPASSRLS"],
    ["replication", "REPLICATION", "NOREPLICATION"],
];

/** The keyword(s) that set one role attribute. */
export function roleAttributeSql(attribute: keyof RoleAttributes, value: boolean | number | string): string {
    if (attribute === "connectionLimit") return `CONNECTION LIMIT ${integer(value as number)}`;
    if (attribute === "validUntil") return `VALID UNTIL ${quoteLiteral(String(value))}`;
    const flag = FLAGS.find(([a]) => a === attribute)!;
    return value ? flag[1] : flag[2];
}

export interface CreateRoleOptions extends Partial<RoleAttributes> {
    name: string;
    /**
     * The password as an SQL expression: a literal from `quoteLiteral`, or a psql variable from
     * `psqlVariable`. Undefined: no password.
     */
    passwordSql?: string;
}

/**
 * `CREATE ROLE <name> WITH [ENCRYPTED PASSWORD <pw>] VALID UNTIL ... CONNECTION LIMIT ... <flags>`,
 * every attribute spelled out as the provider does, so the role is the same whoever's defaults apply.
 */
export function createRole(o: CreateRoleOptions): string {
    const a: RoleAttributes = { ...ROLE_DEFAULTS, ...definedOnly(o) };
    const parts: string[] = [];
    if (o.passwordSql !== undefined) parts.push(`ENCRYPTED PASSWORD ${o.passwordSql}`);
    parts.push(roleAttributeSql("validUntil", a.validUntil), roleAttributeSql("connectionLimit", a.connectionLimit));
    for (const [attr] of FLAGS) parts.push(roleAttributeSql(attr, a[attr]));
    return `CREATE ROLE ${quoteIdent(o.name)} WITH ${parts.join(" ")}`;
}

function definedOnly<T extends object>(o: T): Partial<T> {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** `ALTER ROLE <name> WITH <attributes>`; `passwordSql` as in createRole. Only what is given is changed. */
export function alterRole(name: string, change: Partial<RoleAttributes> & { passwordSql?: string }): string {
    const parts: string[] = [];
    if (change.passwordSql !== undefined) parts.push(`ENCRYPTED PASSWORD ${change.passwordSql}`);
    for (const [k, v] of Object.entries(definedOnly(change))) {
        if (k === "passwordSql") continue;
        parts.push(roleAttributeSql(k as keyof RoleAttributes, v as boolean | number | string));
    }
    if (parts.length === 0) throw new Error(`ALTER ROLE ${name}: nothing to change`);
    return `ALTER ROLE ${quoteIdent(name)} WITH ${parts.join(" ")}`;
}

/** `ALTER ROLE <name> SET search_path TO <schemas>`, or `RESET search_path` for none. */
export function setRoleSearchPath(name: string, schemas: readonly string[] | undefined): string {
    if (!schemas || schemas.length === 0) return `ALTER ROLE ${quoteIdent(name)} RESET search_path`;
    return `ALTER ROLE ${quoteIdent(name)} SET search_path TO ${schemas.map(quoteIdent).join(", ")}`;
}

/**
 * A DO block that brings an existing role's attributes and search_path to the declared ones,
 * changing only what differs (a non-superuser may not even name SUPERUSER or REPLICATION in ALTER
 * ROLE). Safe to run any number of times; does nothing for a role that does not exist.
 */
export function ensureRoleAttributes(name: string, attributes: RoleAttributes, searchPath: readonly string[] | undefined): string {
    const who = `FROM pg_catalog.pg_roles WHERE rolname = ${quoteLiteral(name)}`;
    const checks: [string, string][] = [
        [`rolcanlogin IS DISTINCT FROM ${attributes.login}`, roleAttributeSql("login", attributes.login)],
        [`rolinherit IS DISTINCT FROM ${attributes.inherit}`, roleAttributeSql("inherit", attributes.inherit)],
        [`rolsuper IS DISTINCT FROM ${attributes.superuser}`, roleAttributeSql("superuser", attributes.superuser)],
        [`rolcreatedb IS DISTINCT FROM ${attributes.createDatabase}`, roleAttributeSql("createDatabase", attributes.createDatabase)],
        [`rolcreaterole IS DISTINCT FROM ${attributes.createRole}`, roleAttributeSql("createRole", attributes.createRole)],
        [`rolreplication IS DISTINCT FROM ${attributes.replication}`, roleAttributeSql("replication", attributes.replication)],
        [`rolbypassrls IS DISTINCT FROM ${attributes.bypassRowLevelSecurity}`, roleAttributeSql("bypassRowLevelSecurity", attributes.bypassRowLevelSecurity)],
        [`rolconnlimit IS DISTINCT FROM ${integer(attributes.connectionLimit)}`, roleAttributeSql("connectionLimit", attributes.connectionLimit)],
        [`coalesce(rolvaliduntil, 'infinity') IS DISTINCT FROM ${quoteLiteral(attributes.validUntil)}::timestamptz`, roleAttributeSql("validUntil", attributes.validUntil)],
    ];
    const lines = checks.map(([differs, set]) => `  IF EXISTS (SELECT ${who} AND ${differs}) THEN ALTER ROLE ${quoteIdent(name)} WITH ${set}; END IF;`);
    lines.push(`  IF EXISTS (SELECT ${who} AND ${searchPathDiffers(searchPath)}) THEN ${setRoleSearchPath(name, searchPath)}; END IF;`);
    return `DO ${DO_TAG}\nBEGIN\n${lines.join("\n")}\nEND\n${DO_TAG}`;
}

/** SQL condition on a pg_roles row: its search_path setting is not the declared one. */
function searchPathDiffers(schemas: readonly string[] | undefined): string {
    const current = `(SELECT c FROM unnest(rolconfig) AS c WHERE c LIKE 'search_path=%')`;
    if (!schemas || schemas.length === 0) return `${current} IS NOT NULL`;
    // PostgreSQL stores the list with each element passed through quote_ident and joined by ", ".
    const wanted = `'search_path=' || array_to_string(ARRAY(SELECT quote_ident(s) FROM unnest(ARRAY[${schemas.map(quoteLiteral).join(", ")}]::text[]) WITH ORDINALITY AS t(s, i) ORDER BY i), ', ')`;
    return `${current} IS DISTINCT FROM ${wanted}`;
}

/** Options of a role membership; PostgreSQL 16+ adds INHERIT and SET. */
export interface MembershipOptions {
    admin?: boolean;
    /** PostgreSQL 16+. */
    inherit?: boolean;
    /** PostgreSQL 16+. */
    set?: boolean;
}

/** `GRANT <role> TO <member> [WITH ADMIN ..., INHERIT ..., SET ...]` (the option list needs 16+; ADMIN OPTION alone works everywhere). */
export function grantRoleMembership(role: string, member: string, o: MembershipOptions = {}): string {
    const base = `GRANT ${quoteIdent(role)} TO ${quoteIdent(member)}`;
    if (o.inherit === undefined && o.set === undefined) return o.admin ? `${base} WITH ADMIN OPTION` : base;
    const opts = [o.admin === undefined ? undefined : `ADMIN ${o.admin ? "TRUE" : "FALSE"}`, o.inherit === undefined ? undefined : `INHERIT ${o.inherit ? "TRUE" : "FALSE"}`, o.set === undefined ? undefined : `SET ${o.set ? "TRUE" : "FALSE"}`];
    return `${base} WITH ${opts.filter(Boolean).join(", ")}`;
}

export function revokeRoleMembership(role: string, member: string): string {
    return `REVOKE ${quoteIdent(role)} FROM ${quoteIdent(member)}`;
}

/* ------------------------------------------------------------------ a non-superuser admin (RDS) */

/** SQL producing role names: the owners of everything a change touches (resolved from pg_database_owner). */
export type RolesQuery = string;

/** The owner of a schema in the current database (pg_database_owner resolved to the database's owner). */
export function schemaOwnerQuery(schema: string): RolesQuery {
    return `SELECT CASE WHEN pg_catalog.pg_get_userbyid(n.nspowner) = 'pg_database_owner' THEN pg_catalog.pg_get_userbyid(d.datdba) ELSE pg_catalog.pg_get_userbyid(n.nspowner) END ` +
        `FROM pg_catalog.pg_namespace n, pg_catalog.pg_database d WHERE n.nspname = ${quoteLiteral(schema)} AND d.datname = current_database()`;
}

/** The owner of a database. */
export function databaseOwnerQuery(database?: string): RolesQuery {
    const where = database === undefined ? "current_database()" : quoteLiteral(database);
    return `SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_catalog.pg_database WHERE datname = ${where}`;
}

/** The owners of the objects of one type in a schema (what `GRANT ... ON ALL <TYPE>S IN SCHEMA` touches). */
export function objectOwnersQuery(schema: string, objectType: PgSchemaObjectType): RolesQuery {
    const ns = `(SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = ${quoteLiteral(schema)})`;
    if (objectType === "table" || objectType === "sequence") {
        return `SELECT DISTINCT pg_catalog.pg_get_userbyid(relowner) FROM pg_catalog.pg_class WHERE relnamespace = ${ns} AND relkind IN (${RELKINDS[objectType]})`;
    }
    return `SELECT DISTINCT pg_catalog.pg_get_userbyid(proowner) FROM pg_catalog.pg_proc WHERE pronamespace = ${ns} AND ${PROKIND[objectType]}`;
}

/** Only the named roles. */
export function namedRolesQuery(roles: readonly string[]): RolesQuery {
    return `SELECT unnest(ARRAY[${roles.map(quoteLiteral).join(", ")}]::text[])`;
}

/**
 * The provider's `withRolesGranted`, first half: when the current user is no superuser, make it a
 * member of each owner it is not already a member of (a superuser owner cannot be granted and is
 * skipped), and remember which, so `endTemporaryMembership` revokes exactly those. `local`: the
 * memory lasts to the end of the transaction; otherwise to the end of the session (use it around
 * statements that cannot run in a transaction).
 */
export function beginTemporaryMembership(owners: readonly RolesQuery[], local = true): string {
    return [
        `DO ${DO_TAG}`,
        "DECLARE",
        "  r name;",
        "  granted name[] := '{}';",
        "BEGIN",
        "  IF NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN",
        `    FOR r IN SELECT DISTINCT o FROM (${owners.join(" UNION ")}) AS owners(o) WHERE o IS NOT NULL AND o <> current_user LOOP`,
        "      IF NOT pg_catalog.pg_has_role(current_user, r, 'USAGE') AND NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = r) THEN",
        "        EXECUTE format('GRANT %I TO %I', r, current_user);",
        "        granted := granted || r;",
        "      END IF;",
        "    END LOOP;",
        "  END IF;",
        `  PERFORM pg_catalog.set_config('${TEMPORARY_ROLES_SETTING}', granted::text, ${local});`,
        "END",
        DO_TAG,
    ].join("\n");
}

/** Second half of `beginTemporaryMembership`: revoke the memberships it granted. */
export function endTemporaryMembership(local = true): string {
    return [
        `DO ${DO_TAG}`,
        "DECLARE",
        "  r name;",
        "BEGIN",
        `  FOREACH r IN ARRAY coalesce(nullif(current_setting('${TEMPORARY_ROLES_SETTING}', true), '')::name[], '{}') LOOP`,
        "    EXECUTE format('REVOKE %I FROM %I', r, current_user);",
        "  END LOOP;",
        `  PERFORM pg_catalog.set_config('${TEMPORARY_ROLES_SETTING}', '', ${local});`,
        "END",
        DO_TAG,
    ].join("\n");
}

/* ------------------------------------------------------------------ existence checks */

/** SQL boolean: the database does not exist. */
export function databaseMissing(name: string): string {
    return `NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = ${quoteLiteral(name)})`;
}

/** SQL boolean: the role does not exist. */
export function roleMissing(name: string): string {
    return `NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = ${quoteLiteral(name)})`;
}

/* ------------------------------------------------------------------ psql meta-commands */

/** A psql variable name for a role's password: letters, digits and `_` only. */
export function passwordVariable(role: string): string {
    return `${role}_password`.replace(/[^A-Za-z0-9_]/g, "_");
}

/** psql's interpolation of a variable as a string literal: `:'name'`. */
export function psqlVariable(name: string): string {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`"${name}" is not a psql variable name`);
    return `:'${name}'`;
}

/** `\connect "<database>"`: psql takes a double-quoted argument as written. */
export function psqlConnect(database: string): string {
    return `\\connect ${quoteIdent(database)}`;
}

/** Dollar-quote tag of the removal's DO block; a name containing it is refused. */
const REMOVAL_TAG = "$astro_db_removal$";

/**
 * The statements a removal runs, in order. As a non-superuser admin (RDS's master user, a CREATEDB CREATEROLE admin): the database
 * may belong to the Deployment's owner role (seed 004), and only its owner may drop it; ending a
 * session needs the privileges of its role (or pg_signal_backend). So the admin first takes the
 * privileges of each of the Deployment's roles it lacks (`GRANT <role> TO current_user`, which it may:
 * it created them and holds ADMIN on them), and stops new connections. Those memberships go with the
 * roles at DROP ROLE. Then every session on the database is ended (a role the admin cannot act for, e.g.
 * another team's login role, fails here with PostgreSQL's own message), the database is dropped
 * (WITH (FORCE) also ends a session that raced in), and the roles after it.
 */
export function removalStatements(database: string, roles: string[]): string[] {
    for (const n of [database, ...roles]) if (n.includes(REMOVAL_TAG)) throw new Error(`"${n}" contains ${REMOVAL_TAG}, which the removal's DO block cannot quote`);
    const roleArray = `ARRAY[${roles.map(quoteLiteral).join(", ")}]::text[]`;
    return [
        [
            `DO ${REMOVAL_TAG}`,
            "DECLARE r text;",
            "BEGIN",
            "  IF NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN",
            `    FOR r IN SELECT rolname FROM pg_catalog.pg_roles WHERE rolname = ANY(${roleArray}) AND rolname <> current_user AND NOT rolsuper LOOP`,
            "      IF NOT pg_catalog.pg_has_role(current_user, r, 'USAGE') THEN",
            "        EXECUTE format('GRANT %I TO %I', r, current_user);",
            "      END IF;",
            "    END LOOP;",
            "  END IF;",
            `  IF EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = ${quoteLiteral(database)}) THEN`,
            `    EXECUTE format('ALTER DATABASE %I ALLOW_CONNECTIONS false', ${quoteLiteral(database)});`,
            "  END IF;",
            "END",
            REMOVAL_TAG,
        ].join("\n"),
        // Sessions still open would block DROP DATABASE; wait up to 5 s for each to end.
        `SELECT pid, pg_catalog.pg_terminate_backend(pid, 5000) FROM pg_catalog.pg_stat_activity WHERE datname = ${quoteLiteral(database)} AND pid <> pg_catalog.pg_backend_pid()`,
        `${dropDatabase(database)} WITH (FORCE)`,
        ...roles.map((r) => dropRole(r)),
    ];
}
