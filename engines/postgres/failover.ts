/**
 * Seed 004 (data-plane failover) as SQL: the roles' memberships, the setup statements, and what
 * `astro-db fence` runs. The component is components/postgres/failoverRoles.ts.
 */
import type { FenceMechanism } from "./fence";
import * as sql from "./statements";
import { PUBLIC_ROLE, quoteIdent, quoteLiteral } from "./quote";

/** Who creates the two data-plane login roles (seed 004): the stack (`customer`) or Astro Private Cloud (`apc`). */
export type FailoverUsers = "customer" | "apc";

/** The predefined role whose privilege lets a non-superuser terminate other roles' sessions. */
export const SIGNAL_BACKEND_ROLE = "pg_signal_backend";

/** The names seed 004 uses, per Deployment. */
export interface FailoverNames {
    database: string;
    ownerRole: string;
    terminatorRole: string;
    loginRoles: readonly [string, string];
    orchestratorUser: string;
}

/** Every membership of seed 004 (plus what `terminate` adds), with its options. */
export interface FailoverMembership {
    /** Resource-name suffix. */
    key: string;
    role: string;
    member: string;
    inherit: boolean;
    set: boolean;
}

/**
 * How the admin holds the owner role: its privileges (GRANT/REVOKE on the database) and SET ROLE (OWNER TO).
 * No ADMIN: PostgreSQL 16+ already gives a CREATEROLE admin ADMIN on a role it creates, in a row of its own
 * (which refuses "ADMIN option cannot be granted back to your own grantor").
 */
export const ADMIN_OWNER_MEMBERSHIP = { inherit: true, set: true, admin: false } as const;

/** How each login role holds the data role (customer model): its privileges, and SET ROLE to it at login. */
export const DATA_ROLE_MEMBERSHIP = { inherit: true, set: true, admin: false } as const;

/** `ALTER ROLE <role> SET ROLE TO <assumed>`: the provider's `assumeRole`, the role a login switches to. */
export function setAssumeRoleSql(role: string, assumed: string): string {
    return `ALTER ROLE ${quoteIdent(role)} SET ROLE TO ${quoteIdent(assumed)}`;
}

/** Dollar-quote tag of the DO blocks here; a name containing it is refused. */
const DO_TAG = "$astro_db$";

function refuseDoTag(names: readonly string[]): void {
    for (const n of names) if (n.includes(DO_TAG)) throw new Error(`"${n}" contains ${DO_TAG}, which astro-db's DO blocks cannot quote`);
}

/**
 * A DO block that brings an existing role's own `role` setting to `assumed` (empty: none), changing
 * nothing when it already is: what the provider's Role does with `assumeRole` on update.
 */
export function ensureAssumeRoleSql(role: string, assumed: string): string {
    refuseDoTag([role, assumed]);
    const current = `(SELECT c FROM unnest(rolconfig) AS c WHERE c LIKE 'role=%')`;
    const wanted = assumed === "" ? "NULL" : quoteLiteral(`role=${assumed}`);
    const change = assumed === "" ? `ALTER ROLE ${quoteIdent(role)} RESET ROLE` : setAssumeRoleSql(role, assumed);
    return `DO ${DO_TAG}\nBEGIN\n  IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = ${quoteLiteral(role)} AND ${current} IS DISTINCT FROM ${wanted}) THEN ${change}; END IF;\nEND\n${DO_TAG}`;
}

/**
 * `statements` (a login role's CONNECT grant) wrapped in a DO block that runs them only while no
 * plane's login role can connect to the database: the grant is the stack's starting point, and run
 * again after a failover it would let the fenced plane back in (two planes writing one database).
 */
export function whenNoPlaneConnectsSql(database: string, loginRoles: readonly string[], statements: readonly string[]): string {
    refuseDoTag([database, ...loginRoles]);
    const roles = loginRoles.map(quoteLiteral).join(", ");
    const notice = `astro-db: CONNECT on database ${database} left as it is: a data plane's login role (${loginRoles.join(", ")}) can already connect, and exactly one may (a failover moves it)`;
    return [
        `DO ${DO_TAG}`,
        "BEGIN",
        `  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname IN (${roles}) AND pg_catalog.has_database_privilege(oid, ${quoteLiteral(database)}, 'CONNECT')) THEN`,
        ...statements.map((t) => `    ${t};`),
        "  ELSE",
        `    RAISE NOTICE '%', ${quoteLiteral(notice)};`,
        "  END IF;",
        "END",
        DO_TAG,
    ].join("\n");
}

/** How the terminator ends sessions, and whether the admin (owner of the fencing function) can signal on its own. */
export interface TerminateOptions {
    /** Defaults to `function`. */
    terminate?: FenceMechanism;
    /**
     * The admin that owns the fencing function already holds pg_signal_backend's privileges (a superuser,
     * RDS's master user through rds_superuser). When false (customer-managed users), the admin is granted
     * each login role WITH INHERIT TRUE, SET FALSE. Defaults to true.
     */
    adminSignals?: boolean;
    /** The admin's role name: required when `adminSignals` is false. */
    adminUser?: string;
}

/** The memberships in the order they are granted: the terminator's first, the orchestrator's last. */
export function failoverMemberships(n: Omit<FailoverNames, "database">, users: FailoverUsers, planes: readonly [string, string], t: TerminateOptions = {}): FailoverMembership[] {
    const terminate = t.terminate ?? "function";
    const m: FailoverMembership[] = [];
    if (users === "customer") {
        n.loginRoles.forEach((login, i) => m.push({ key: `${planes[i]}-terminator-membership`, role: login, member: n.terminatorRole, inherit: false, set: false }));
        if (terminate === "function" && t.adminSignals === false) {
            if (!t.adminUser) throw new Error("adminSignals: false needs adminUser: the admin is granted the login roles so that the fencing function it owns may end their sessions");
            // Privileges, no SET ROLE: what pg_terminate_backend checks when the function runs as its owner.
            n.loginRoles.forEach((login, i) => m.push({ key: `${planes[i]}-admin-signal`, role: login, member: t.adminUser!, inherit: true, set: false }));
        }
    }
    if (terminate === "pg_signal_backend") m.push({ key: "terminator-signal-backend", role: SIGNAL_BACKEND_ROLE, member: n.terminatorRole, inherit: true, set: false });
    // The seed's plain GRANTs, with the options they get for an INHERIT orchestrator spelled out.
    m.push({ key: "orchestrator-owner", role: n.ownerRole, member: n.orchestratorUser, inherit: true, set: true });
    m.push({ key: "orchestrator-terminator", role: n.terminatorRole, member: n.orchestratorUser, inherit: true, set: true });
    return m;
}

/**
 * Seed 004 as SQL, as the stack applies it: with the memberships `terminate` adds (the fencing
 * function itself is created in the database: fenceFunctionSetupSql), and CONNECT for the first plane's login role only (the seed grants both;
 * a failover moves it). `loginPasswords` (customer model) are the passwords of the two login roles.
 * `dataRole` (customer model): the Deployment's data role, which must exist with seed 000's grants
 * (CREATE and TEMPORARY on the database, no CONNECT): each login role then switches to it at login
 * and is its member WITH INHERIT TRUE, SET TRUE.
 */
export function failoverSetupSql(n: FailoverNames, o: TerminateOptions & { users: FailoverUsers; loginPasswords?: readonly [string, string]; planes?: readonly [string, string]; dataRole?: string }): string[] {
    const db: sql.GrantTarget = { kind: "database", database: n.database };
    const customer = o.users === "customer";
    const out = [
        sql.createRole({ name: n.ownerRole, login: false }),
        sql.createRole({ name: n.terminatorRole, login: false, inherit: false }),
    ];
    if (customer) {
        n.loginRoles.forEach((role, i) => {
            out.push(sql.createRole({ name: role, login: true, passwordSql: o.loginPasswords ? quoteLiteral(o.loginPasswords[i]) : undefined }));
            if (o.dataRole !== undefined) out.push(setAssumeRoleSql(role, o.dataRole));
        });
    }
    out.push(sql.alterDatabaseOwner(n.database, n.ownerRole), sql.revoke(db, PUBLIC_ROLE, ["CONNECT"]));
    if (customer) out.push(sql.grant(["CONNECT"], db, n.loginRoles[0]));
    for (const m of failoverMemberships(n, o.users, o.planes ?? ["dp1", "dp2"], o)) {
        out.push(sql.grantRoleMembership(m.role, m.member, { inherit: m.inherit, set: m.set }));
    }
    if (customer && o.dataRole !== undefined) {
        for (const role of n.loginRoles) out.push(sql.grantRoleMembership(o.dataRole, role, { inherit: DATA_ROLE_MEMBERSHIP.inherit, set: DATA_ROLE_MEMBERSHIP.set }));
    }
    return out;
}

/* ------------------------------------------------------------------ fencing (astro-db fence) */

/** Run as the orchestrator: as the owner role, move CONNECT from the source plane's login role to the target's. */
export function fenceConnectSql(n: { database: string; ownerRole: string }, from: string, to: string): string[] {
    const db: sql.GrantTarget = { kind: "database", database: n.database };
    return [`SET LOCAL ROLE ${quoteIdent(n.ownerRole)}`, sql.revoke(db, from, ["CONNECT"]), sql.grant(["CONNECT"], db, to)];
}

/** `SET ROLE` to the terminator: what fence then does runs with the terminator's privileges only. */
export function setRoleSql(role: string): string {
    return `SET ROLE ${quoteIdent(role)}`;
}

/**
 * Terminates `$2`'s sessions on database `$1`, waiting up to `$3` ms for each to end; one row per
 * session with whether it ended. pid, datname and usename of pg_stat_activity are visible to every role.
 */
export const TERMINATE_SESSIONS_SQL =
    "SELECT pid, pg_catalog.pg_terminate_backend(pid, $3::bigint) AS terminated FROM pg_catalog.pg_stat_activity " +
    "WHERE datname = $1 AND usename = $2 AND pid <> pg_catalog.pg_backend_pid()";

/** What the fence must leave behind, as one row: sessions left, and who can connect. */
export const FENCE_STATE_SQL =
    "SELECT (SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE datname = $1 AND usename = $2)::int AS sessions, " +
    "pg_catalog.has_database_privilege($2, $1, 'CONNECT') AS source_can_connect, " +
    "pg_catalog.has_database_privilege($3, $1, 'CONNECT') AS target_can_connect";

/** Whether the current user can act as `$1` (SET ROLE) or has its privileges (USAGE): both must be false for a login role. */
export const ACTS_AS_SQL =
    "SELECT pg_catalog.pg_has_role(current_user, $1, 'SET') AS can_set, pg_catalog.pg_has_role(current_user, $1, 'USAGE') AS has_privileges";
