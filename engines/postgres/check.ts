/**
 * Declarations against the live state: whether each holds (apply runs a step only when its facts do
 * not), and every difference as a finding (audit). Pure code over the state catalog.ts reads.
 *
 * Privileges are compared as the provider's Read does: a Grant owns the grantee's whole privilege
 * set on its target, so a privilege the grantee has there but the Grant does not list is a
 * difference. Two deliberate departures: effective ACLs are compared (a NULL ACL means the
 * built-in default, not "no privileges"), and objects the grantee owns are left out of `ALL <TYPE>S`
 * targets (Airflow's tables belong to the Astro user, which holds every right on them as owner).
 */
import { DEFAULT_ACL_OBJTYPE, isCreatorGrant } from "./statements";
import { PUBLIC_ROLE } from "./quote";
import { pgSupports } from "./versions";
import { FENCE_FUNCTION, fenceFunctionProblems } from "./fence";
import type { AclEntry, PgDatabaseContents, PgObjectKind, PgObjectState, PgState } from "./catalog";
import type { DeclarationResult, Finding, PgDeclaration, PgPrivilegeTarget } from "../model";

type Decl<T extends PgDeclaration["type"]> = Extract<PgDeclaration, { type: T }>;

const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
const who = (role: string) => (role === PUBLIC_ROLE ? "PUBLIC" : role);

export const label = {
    database: (db: string) => `database ${q(db)}`,
    role: (name: string) => `role ${q(name)}`,
    schema: (db: string, schema: string) => `schema ${q(schema)} in database ${q(db)}`,
    object: (db: string, o: { kind: string; schema: string; name: string }) => `${o.kind} ${q(o.schema)}.${o.name.includes("(") ? o.name : q(o.name)} in database ${q(db)}`,
    all: (db: string, schema: string, objectType: string) => `every ${objectType} in schema ${q(schema)} of database ${q(db)}`,
    defaults: (db: string, owner: string, schema: string | undefined, objectType: string) =>
        `default privileges on ${objectType}s created by ${q(owner)}${schema === undefined ? "" : ` in schema ${q(schema)}`} in database ${q(db)}`,
    membership: (role: string, member: string) => `membership of ${q(member)} in role ${q(role)}`,
};

const OK: DeclarationResult = { status: "ok", findings: [] };

function absent(...findings: Finding[]): DeclarationResult {
    return { status: "absent", findings };
}

function missingDatabase(db: string): Finding {
    return { status: "missing", object: label.database(db), message: `database ${q(db)} does not exist` };
}

function missingRole(role: string): Finding {
    return { status: "missing", object: label.role(role), message: `role ${q(role)} does not exist` };
}

function missingSchema(db: string, schema: string): Finding {
    return { status: "missing", object: label.schema(db, schema), message: `schema ${q(schema)} does not exist in database ${q(db)}` };
}

/** Contents of `db`, or undefined when the state has none for it (the database is missing). */
function contentsOf(state: PgState, db: string): PgDatabaseContents | undefined {
    if (!state.databases.has(db)) return undefined;
    const c = state.contents.get(db);
    if (!c) throw new Error(`internal: the contents of database ${q(db)} were not read`);
    return c;
}

/** Privileges of `grantee` in an ACL, by grant option. */
function held(acl: AclEntry[], grantee: string): { privileges: Set<string>; grantable: Set<string> } {
    const privileges = new Set<string>();
    const grantable = new Set<string>();
    for (const e of acl) {
        if (e.grantee !== grantee) continue;
        privileges.add(e.privilege);
        if (e.grantable) grantable.add(e.privilege);
    }
    return { privileges, grantable };
}

/** Compare one object's ACL for one grantee with the declared privileges. */
function comparePrivileges(object: string, acl: AclEntry[], d: Decl<"privileges"> | Decl<"default-privileges">): DeclarationResult {
    const { privileges, grantable } = held(acl, d.grantee);
    const wanted = new Set(d.privileges);
    const missing = [...wanted].filter((p) => !privileges.has(p)).sort();
    const extra = [...privileges].filter((p) => !wanted.has(p)).sort();
    const findings: Finding[] = [];
    if (missing.length) findings.push({ status: "missing", object, grantee: d.grantee, privileges: missing, message: `${who(d.grantee)} lacks ${missing.join(", ")} on ${object}` });
    if (extra.length) findings.push({ status: "extra", object, grantee: d.grantee, privileges: extra, message: `${who(d.grantee)} has ${extra.join(", ")} on ${object}, which the stack does not declare` });
    const optionWrong = [...wanted].filter((p) => privileges.has(p) && grantable.has(p) !== d.withGrantOption).sort();
    if (optionWrong.length) {
        findings.push({
            status: "different", object, grantee: d.grantee, privileges: optionWrong, expected: d.withGrantOption, actual: !d.withGrantOption,
            message: `${who(d.grantee)} holds ${optionWrong.join(", ")} on ${object} ${d.withGrantOption ? "without" : "with"} grant option`,
        });
    }
    if (findings.length === 0) return OK;
    return { status: privileges.size === 0 ? "absent" : "different", findings };
}

/** Which object kinds `GRANT ... ON ALL <TYPE>S` covers. */
function kindMatches(kind: PgObjectKind, objectType: string): boolean {
    if (objectType === "routine") return kind === "function" || kind === "procedure";
    return kind === objectType;
}

/** Whether a Grant's object name means this object: `f` names every overload, `f(integer)` one. */
function names(object: string, o: PgObjectState): boolean {
    return object === o.name || (!object.includes("(") && o.name.startsWith(`${object}(`));
}

/** Objects a privileges target covers in a database (never those the grantee owns). */
function targetObjects(c: PgDatabaseContents, on: Extract<PgPrivilegeTarget, { kind: "all" | "objects" }>, grantee: string): PgObjectState[] {
    return c.objects.filter((o) => o.schema === on.schema && kindMatches(o.kind, on.objectType) && o.owner !== grantee &&
        (on.kind === "all" || on.objects.some((n) => names(n, o))));
}

function checkPrivileges(d: Decl<"privileges">, state: PgState): DeclarationResult {
    const db = d.on.database;
    if (!state.databases.has(db)) return absent(missingDatabase(db));
    if (d.grantee !== PUBLIC_ROLE && !state.roles.has(d.grantee)) return absent(missingRole(d.grantee));
    if (d.on.kind === "database") return comparePrivileges(label.database(db), state.databases.get(db)!.acl, d);
    const c = contentsOf(state, db)!;
    const schema = c.schemas.get(d.on.schema);
    if (!schema) return absent(missingSchema(db, d.on.schema));
    if (d.on.kind === "schema") return comparePrivileges(label.schema(db, d.on.schema), schema.acl, d);
    const on = d.on;
    const objects = targetObjects(c, on, d.grantee);
    const findings: Finding[] = [];
    if (on.kind === "objects") {
        for (const name of on.objects) {
            const exists = c.objects.some((o) => o.schema === on.schema && kindMatches(o.kind, on.objectType) && names(name, o));
            if (!exists) {
                findings.push({ status: "missing", object: label.object(db, { kind: on.objectType, schema: on.schema, name }), message: `${on.objectType} ${q(on.schema)}.${q(name)} does not exist in database ${q(db)}` });
            }
        }
    }
    let anyHeld = false;
    for (const o of objects) {
        const r = comparePrivileges(label.object(db, o), o.acl, d);
        if (r.status !== "absent") anyHeld = true;
        findings.push(...r.findings);
    }
    if (findings.length === 0) return OK;
    return { status: anyHeld ? "different" : "absent", findings };
}

function checkDefaultPrivileges(d: Decl<"default-privileges">, state: PgState): DeclarationResult {
    if (!state.databases.has(d.database)) return absent(missingDatabase(d.database));
    if (d.grantee !== PUBLIC_ROLE && !state.roles.has(d.grantee)) return absent(missingRole(d.grantee));
    if (!state.roles.has(d.owner)) return absent(missingRole(d.owner));
    const c = contentsOf(state, d.database)!;
    if (d.schema !== undefined && !c.schemas.has(d.schema)) return absent(missingSchema(d.database, d.schema));
    const entry = c.defaultAcls.find((a) => a.owner === d.owner && a.schema === d.schema && a.objtype === DEFAULT_ACL_OBJTYPE[d.objectType]);
    return comparePrivileges(label.defaults(d.database, d.owner, d.schema, d.objectType), entry?.acl ?? [], d);
}

function different(object: string, what: string, expected: unknown, actual: unknown, grantee?: string): Finding {
    return { status: "different", object, grantee, expected, actual, message: `${object}: ${what} is ${JSON.stringify(actual)}, the stack declares ${JSON.stringify(expected)}` };
}

const ROLE_ATTRIBUTES = ["login", "inherit", "superuser", "createDatabase", "createRole", "replication", "bypassRowLevelSecurity", "connectionLimit"] as const;

function checkRoleAttributes(d: Decl<"role-attributes">, state: PgState): DeclarationResult {
    const role = state.roles.get(d.name);
    if (!role) return absent(missingRole(d.name));
    const object = label.role(d.name);
    const findings: Finding[] = [];
    for (const a of ROLE_ATTRIBUTES) if (role[a] !== d[a]) findings.push(different(object, a, d[a], role[a], d.name));
    if (!sameTime(role.validUntil, d.validUntil)) findings.push(different(object, "validUntil", d.validUntil, role.validUntil, d.name));
    if (JSON.stringify(role.searchPath) !== JSON.stringify(d.searchPath)) findings.push(different(object, "search_path", d.searchPath, role.searchPath, d.name));
    if (role.assumeRole !== d.assumeRole) findings.push(different(object, "the role it switches to at login (SET ROLE)", d.assumeRole, role.assumeRole, d.name));
    return findings.length ? { status: "different", findings } : OK;
}

function sameTime(a: string, b: string): boolean {
    if (a === b) return true;
    const [x, y] = [Date.parse(a), Date.parse(b)];
    return !Number.isNaN(x) && x === y;
}

function checkMembership(d: Decl<"membership">, state: PgState): DeclarationResult {
    for (const r of [d.role, d.member]) if (!state.roles.has(r)) return absent(missingRole(r));
    const rows = state.memberships.filter((m) => m.role === d.role && m.member === d.member && !isCreatorGrant(m, state.currentUser));
    const object = label.membership(d.role, d.member);
    if (rows.length === 0) return absent({ status: "missing", object, grantee: d.member, message: `${q(d.member)} is not a member of role ${q(d.role)}` });
    const findings: Finding[] = [];
    // Several grantors may each have granted the membership (16+): the options are their union.
    const has = (f: (m: (typeof rows)[number]) => boolean | undefined) => rows.some((m) => f(m) === true);
    if (d.admin !== undefined && has((m) => m.admin) !== d.admin) findings.push(different(object, "ADMIN OPTION", d.admin, !d.admin, d.member));
    if (pgSupports(state.version, "grantOptions")) {
        if (d.inherit !== undefined && has((m) => m.inherit) !== d.inherit) findings.push(different(object, "INHERIT", d.inherit, !d.inherit, d.member));
        if (d.set !== undefined && has((m) => m.set) !== d.set) findings.push(different(object, "SET", d.set, !d.set, d.member));
    }
    return findings.length ? { status: "different", findings } : OK;
}

/**
 * The roles whose privileges `role` has: itself and every role it reaches through memberships that
 * inherit (PostgreSQL 16+: the INHERIT option; before: the member's INHERIT attribute).
 */
function privilegeSources(state: PgState, role: string): string[] {
    const seen = new Set([role]);
    for (const current of seen) {
        for (const m of state.memberships) {
            if (m.member !== current || seen.has(m.role)) continue;
            if (m.inherit ?? state.roles.get(current)?.inherit ?? true) seen.add(m.role);
        }
    }
    return [...seen];
}

/** How `role` can connect to a database with this ACL: the grantees it connects through, or none. */
function connectPaths(state: PgState, acl: AclEntry[], role: string): string[] {
    if (state.roles.get(role)?.superuser) return [`${role} (superuser)`];
    const holders = new Set(acl.filter((e) => e.privilege === "CONNECT").map((e) => e.grantee));
    return [...privilegeSources(state, role), PUBLIC_ROLE].filter((g) => holders.has(g)).map((g) => (g === role ? `${role} itself` : `${who(g)}`));
}

/** Exactly one plane's login role can connect, and no plane holds anything on the database but CONNECT. */
function checkPlaneConnect(d: Decl<"plane-connect">, state: PgState): DeclarationResult {
    const db = state.databases.get(d.database);
    if (!db) return absent(missingDatabase(d.database));
    const missingRoles = d.planes.filter((p) => !state.roles.has(p.role));
    if (missingRoles.length) return absent(...missingRoles.map((p) => missingRole(p.role)));
    const object = label.database(d.database);
    const findings: Finding[] = [];
    for (const p of d.planes) {
        const { privileges, grantable } = held(db.acl, p.role);
        const extra = [...privileges].filter((x) => x !== "CONNECT").sort();
        if (extra.length) {
            findings.push({ status: "extra", object, grantee: p.role, privileges: extra, message: `${p.role} (plane ${p.plane}) has ${extra.join(", ")} on ${object}: a data plane's login role holds CONNECT at most (Airflow's privileges come from the data role)` });
        }
        if (grantable.size) {
            findings.push({ status: "extra", object, grantee: p.role, privileges: [...grantable].sort(), message: `${p.role} (plane ${p.plane}) holds ${[...grantable].sort().join(", ")} on ${object} with grant option: it could let another role connect` });
        }
    }
    const connecting = d.planes.map((p) => ({ ...p, via: connectPaths(state, db.acl, p.role) })).filter((p) => p.via.length > 0);
    const planes = d.planes.map((p) => `${p.role} (${p.plane})`).join(" nor ");
    if (connecting.length === 0) {
        findings.push({ status: "missing", object, privileges: ["CONNECT"], message: `no plane can connect to ${object}: neither ${planes} holds CONNECT (exactly one must; \`astro-db fence --from <the plane that must stay out>\` grants it to the other)` });
        // Absent (apply grants the first plane, as Pulumi's first create did) unless a plane holds something else.
        return { status: findings.some((f) => f.status === "extra") ? "different" : "absent", findings };
    }
    if (connecting.length > 1) {
        const how = connecting.map((p) => `${p.role} (${p.plane}) through ${p.via.join(", ")}`).join("; ");
        findings.push({ status: "different", object, expected: "exactly one plane can connect", actual: connecting.map((p) => p.plane), message: `both planes can connect to ${object} (${how}): exactly one may, or two Airflows write one database; fence the plane that must stay out: astro-db fence --from <plane>` });
    }
    return findings.length ? { status: "different", findings } : OK;
}

/** Whether `role` can end the sessions of `targets`: a superuser, or with pg_signal_backend's privileges, or with each target's. */
function canSignal(state: PgState, role: string, targets: readonly string[]): boolean {
    if (state.roles.get(role)?.superuser) return true;
    const sources = privilegeSources(state, role);
    return sources.includes("pg_signal_backend") || targets.every((t) => sources.includes(t));
}

function checkFenceFunction(d: Decl<"fence-function">, state: PgState): DeclarationResult {
    if (!state.databases.has(d.database)) return absent(missingDatabase(d.database));
    const object = `function ${q(FENCE_FUNCTION.schema)}.${q(FENCE_FUNCTION.name)}(${FENCE_FUNCTION.args}) in database ${q(d.database)}`;
    const live = contentsOf(state, d.database)!.fenceFunction;
    if (!live) return absent({ status: "missing", object, database: d.database, message: `the fencing function ${object} does not exist: the orchestrator cannot end the source plane's sessions` });
    const findings: Finding[] = fenceFunctionProblems(live, d).map((message) => ({ status: "different" as const, object, database: d.database, message }));
    if (live.owner !== d.owner) findings.push({ ...different(object, "owner", d.owner, live.owner), database: d.database });
    if (!canSignal(state, live.owner, d.loginRoles)) {
        findings.push({ status: "different", object, database: d.database, message: `${object}: its owner ${live.owner} can end the sessions of neither ${d.loginRoles.join(" and ")} nor (pg_signal_backend) anyone's, so fencing fails` });
    }
    return findings.length ? { status: "different", findings } : OK;
}

/** Whether a declaration holds on the server, and every difference if not. */
export function checkDeclaration(d: PgDeclaration, state: PgState): DeclarationResult {
    switch (d.type) {
        case "database": {
            const db = state.databases.get(d.name);
            if (!db) return absent(missingDatabase(d.name));
            return db.owner === d.owner ? OK : { status: "different", findings: [different(label.database(d.name), "owner", d.owner, db.owner)] };
        }
        case "role":
            return state.roles.has(d.name) ? OK : absent(missingRole(d.name));
        case "role-attributes":
            return checkRoleAttributes(d, state);
        case "schema": {
            if (!state.databases.has(d.database)) return absent(missingDatabase(d.database));
            const s = contentsOf(state, d.database)!.schemas.get(d.name);
            if (!s) return absent(missingSchema(d.database, d.name));
            if (d.owner !== undefined && s.owner !== d.owner) return { status: "different", findings: [different(label.schema(d.database, d.name), "owner", d.owner, s.owner)] };
            return OK;
        }
        case "privileges":
            return checkPrivileges(d, state);
        case "default-privileges":
            return checkDefaultPrivileges(d, state);
        case "membership":
            return checkMembership(d, state);
        case "plane-connect":
            return checkPlaneConnect(d, state);
        case "fence-function":
            return checkFenceFunction(d, state);
    }
}

/* ---------------------------------------------------------------- what nothing declares */

/** Privileges PostgreSQL gives by default that the stack does not manage: never reported. */
function builtInDefault(kind: "schema" | PgObjectKind, name: string, e: AclEntry): boolean {
    if (e.grantee !== PUBLIC_ROLE) return false;
    // PostgreSQL 15+: USAGE on schema public for everyone; functions are executable by PUBLIC by default.
    return (kind === "schema" && name === "public" && e.privilege === "USAGE") || ((kind === "function" || kind === "procedure") && e.privilege === "EXECUTE");
}

function extraGrantees(database: string, object: string, acl: AclEntry[], skip: (e: AclEntry) => boolean): Finding[] {
    const byGrantee = new Map<string, Set<string>>();
    for (const e of acl) {
        if (skip(e)) continue;
        byGrantee.set(e.grantee, (byGrantee.get(e.grantee) ?? new Set()).add(e.privilege));
    }
    return [...byGrantee].map(([grantee, privs]) => {
        const list = [...privs].sort();
        return { status: "extra" as const, object, database, grantee, privileges: list, message: `${who(grantee)} has ${list.join(", ")} on ${object}, which the stack does not declare` };
    });
}

/**
 * Privileges and memberships the stack does not declare, in what it manages: its databases (PUBLIC
 * included), the schemas it grants on and every object in them, default privileges in its
 * databases, and memberships of or in its roles. The owner of an object is never reported.
 */
export function undeclaredFindings(decls: readonly PgDeclaration[], state: PgState): Finding[] {
    const findings: Finding[] = [];
    const privilegeDecls = decls.filter((d): d is Decl<"privileges"> => d.type === "privileges");
    const declaredOn = (match: (on: PgPrivilegeTarget) => boolean) => new Set(privilegeDecls.filter((d) => match(d.on)).map((d) => d.grantee));

    const databases = new Set<string>(decls.flatMap((d) => (d.type === "database" ? [d.name] : d.type === "privileges" ? [d.on.database] : d.type === "schema" || d.type === "default-privileges" || d.type === "plane-connect" ? [d.database] : [])));
    for (const dbName of databases) {
        const db = state.databases.get(dbName);
        if (!db) continue;
        const onDb = declaredOn((on) => on.kind === "database" && on.database === dbName);
        // The planes' login roles: what they hold there is the plane-connect check's to report.
        for (const d of decls) if (d.type === "plane-connect" && d.database === dbName) d.planes.forEach((p) => onDb.add(p.role));
        findings.push(...extraGrantees(dbName, label.database(dbName), db.acl, (e) => e.grantee === db.owner || onDb.has(e.grantee)));

        const c = contentsOf(state, dbName)!;
        const schemas = new Set<string>([
            ...decls.flatMap((d) => (d.type === "schema" && d.database === dbName ? [d.name] : [])),
            ...privilegeDecls.flatMap((d) => (d.on.kind !== "database" && d.on.database === dbName ? [d.on.schema] : [])),
        ]);
        for (const schemaName of schemas) {
            const s = c.schemas.get(schemaName);
            if (!s) continue;
            const onSchema = declaredOn((on) => on.kind === "schema" && on.database === dbName && on.schema === schemaName);
            findings.push(...extraGrantees(dbName, label.schema(dbName, schemaName), s.acl,
                (e) => e.grantee === s.owner || e.grantee === s.ownerRole || onSchema.has(e.grantee) || builtInDefault("schema", schemaName, e)));
            for (const o of c.objects.filter((x) => x.schema === schemaName)) {
                const declared = declaredOn((on) => (on.kind === "all" || on.kind === "objects") && on.database === dbName && on.schema === schemaName && kindMatches(o.kind, on.objectType) &&
                    (on.kind === "all" || on.objects.some((n) => names(n, o))));
                findings.push(...extraGrantees(dbName, label.object(dbName, o), o.acl, (e) => e.grantee === o.owner || declared.has(e.grantee) || builtInDefault(o.kind, o.name, e)));
            }
        }
        const defaultDecls = decls.filter((d): d is Decl<"default-privileges"> => d.type === "default-privileges" && d.database === dbName);
        for (const a of c.defaultAcls) {
            const objectType = (Object.keys(DEFAULT_ACL_OBJTYPE) as (keyof typeof DEFAULT_ACL_OBJTYPE)[]).find((k) => DEFAULT_ACL_OBJTYPE[k] === a.objtype) ?? a.objtype;
            const declared = new Set(defaultDecls.filter((d) => d.owner === a.owner && d.schema === a.schema && DEFAULT_ACL_OBJTYPE[d.objectType] === a.objtype).map((d) => d.grantee));
            findings.push(...extraGrantees(dbName, label.defaults(dbName, a.owner, a.schema, objectType), a.acl, (e) => e.grantee === a.owner || declared.has(e.grantee)));
        }
    }

    const roles = new Set(decls.flatMap((d) => (d.type === "role" ? [d.name] : [])));
    const memberships = new Set(decls.flatMap((d) => (d.type === "membership" ? [`${d.role}\0${d.member}`] : [])));
    const seen = new Set<string>();
    for (const m of state.memberships) {
        if (!roles.has(m.role) && !roles.has(m.member)) continue;
        const key = `${m.role}\0${m.member}`;
        if (memberships.has(key) || seen.has(key)) continue;
        // PostgreSQL 16+: a CREATEROLE admin that creates a role is granted it WITH ADMIN, without INHERIT or SET.
        if (isCreatorGrant(m, state.currentUser)) continue;
        seen.add(key);
        const object = label.membership(m.role, m.member);
        findings.push({ status: "extra", object, grantee: m.member, message: `${q(m.member)} is a member of role ${q(m.role)}, which the stack does not declare` });
    }
    return findings;
}
