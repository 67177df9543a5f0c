/**
 * Data-plane failover roles for one Deployment (seed 004_02370eebde715059, "Customer-created
 * database users"): an owner role that owns the metadata database, a connection-terminator role,
 * the two data-plane login roles, the memberships between them, and the orchestrator's grants.
 *
 * One addition to the seed, found by running it (test/integration/failover.test.ts): with the seed's
 * exact statements the orchestrator cannot terminate the login roles' sessions. pg_terminate_backend
 * needs the caller to have the PRIVILEGES of the session's role (or of pg_signal_backend), and
 * `GRANT dp1 TO conn_killer WITH INHERIT FALSE, SET FALSE` gives membership without privileges,
 * so "permission denied to terminate process" — as commander_user and after `SET ROLE conn_killer`
 * alike. How the terminator gets to end them is `terminate` (config `failover.terminate`):
 * - `function` (the default): a SECURITY DEFINER function in the Deployment's database, owned by the
 *   admin, that ends only this Deployment's login roles' sessions there, executable by the terminator
 *   only (components/postgres/fenceFunction.ts). A non-superuser admin of an existing server
 *   (`adminSignals: false`) is granted the login roles it created WITH INHERIT TRUE, SET FALSE here, so
 *   that the function it owns may end their sessions.
 * - `pg_signal_backend`, only when asked: `GRANT pg_signal_backend TO conn_killer WITH INHERIT TRUE,
 *   SET FALSE` (INHERIT TRUE spelt out: conn_killer is NOINHERIT, which on PostgreSQL 16+ makes INHERIT
 *   FALSE the default of grants to it). pg_signal_backend is server-wide: the orchestrator can then
 *   terminate any non-superuser session on the server, not only this Deployment's login roles.
 * - `none`: the seed's exact statements; `astro-db fence` moves CONNECT but cannot end sessions.
 * The orchestrator never gains SET ROLE to a login role nor its privileges (the login-role
 * memberships stay INHERIT FALSE, SET FALSE).
 *
 * Customer-managed users need two more pieces, or the login roles could connect and do nothing else
 * (seed 004 gives them CONNECT only), and what one plane creates would be unusable by the other:
 * - the Deployment's Astro role (`astro_<id>`) is its shared NOLOGIN *data role*: seed 000's grants,
 *   the owner of Airflow's tables, and on the database CREATE and TEMPORARY but never CONNECT (a
 *   fenced login role would otherwise still connect through it);
 * - each login role is a member of the data role WITH INHERIT TRUE, SET TRUE and switches to it at
 *   login (`assumeRole`: ALTER ROLE ... SET ROLE), so every object either plane creates is owned by
 *   the data role and stays usable, and migratable (ALTER TABLE needs ownership), after a failover.
 * The terminator's memberships in the login roles stay INHERIT FALSE, SET FALSE, so neither it nor
 * the orchestrator gets anything of the data role. No login role is a member of the owner role (it
 * could otherwise grant itself CONNECT back). Only the first plane is granted CONNECT at first: exactly
 * one plane can connect at any time, and a failover (`astro-db fence`) moves CONNECT to the other.
 *
 * The admin that runs the stack (RDS's master user: CREATEDB CREATEROLE, no superuser) becomes a member
 * of the owner role WITH INHERIT TRUE, SET TRUE before the database exists (`ownerAccess`). The owner role
 * owns the database, and PostgreSQL turns a GRANT or REVOKE ON DATABASE by a role that neither owns it nor
 * has the owner's privileges into a warning ("no privileges were granted"), not an error; the postgresql
 * provider joins the owner only for schemas and tables (resource_postgresql_grant.go getRolesToGrant
 * returns no owner for objectType database). SET TRUE also keeps the provider from granting and then
 * revoking the owner role around CREATE/ALTER DATABASE ... OWNER (its isMemberOfRole requires set_option),
 * which would revoke this membership. The orchestrator gains nothing from it: membership passes
 * privileges down, not up.
 */
import * as pulumi from "@pulumi/pulumi";
import * as postgresql from "@pulumi/postgresql";
import { generatedPassword } from "../password";
import { FenceMechanism } from "./fenceFunction";
import * as sql from "../../engines/postgres/statements";
import { PgConnectionArgs, RoleMembership } from "./roleMembership";

export { PG_GRANT_OPTIONS_MIN_VERSION_NUM } from "./roleMembership";

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
    return `ALTER ROLE ${sql.quoteIdent(role)} SET ROLE TO ${sql.quoteIdent(assumed)}`;
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
    const wanted = assumed === "" ? "NULL" : sql.quoteLiteral(`role=${assumed}`);
    const change = assumed === "" ? `ALTER ROLE ${sql.quoteIdent(role)} RESET ROLE` : setAssumeRoleSql(role, assumed);
    return `DO ${DO_TAG}\nBEGIN\n  IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = ${sql.quoteLiteral(role)} AND ${current} IS DISTINCT FROM ${wanted}) THEN ${change}; END IF;\nEND\n${DO_TAG}`;
}

/**
 * `statements` (a login role's CONNECT grant) wrapped in a DO block that runs them only while no
 * plane's login role can connect to the database: the grant is the stack's starting point, and run
 * again after a failover it would let the fenced plane back in (two planes writing one database).
 */
export function whenNoPlaneConnectsSql(database: string, loginRoles: readonly string[], statements: readonly string[]): string {
    refuseDoTag([database, ...loginRoles]);
    const roles = loginRoles.map(sql.quoteLiteral).join(", ");
    const notice = `astro-db: CONNECT on database ${database} left as it is: a data plane's login role (${loginRoles.join(", ")}) can already connect, and exactly one may (a failover moves it)`;
    return [
        `DO ${DO_TAG}`,
        "BEGIN",
        `  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname IN (${roles}) AND pg_catalog.has_database_privilege(oid, ${sql.quoteLiteral(database)}, 'CONNECT')) THEN`,
        ...statements.map((t) => `    ${t};`),
        "  ELSE",
        `    RAISE NOTICE '%', ${sql.quoteLiteral(notice)};`,
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
            out.push(sql.createRole({ name: role, login: true, passwordSql: o.loginPasswords ? sql.quoteLiteral(o.loginPasswords[i]) : undefined }));
            if (o.dataRole !== undefined) out.push(setAssumeRoleSql(role, o.dataRole));
        });
    }
    out.push(sql.alterDatabaseOwner(n.database, n.ownerRole), sql.revoke(db, sql.PUBLIC_ROLE, ["CONNECT"]));
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
    return [`SET LOCAL ROLE ${sql.quoteIdent(n.ownerRole)}`, sql.revoke(db, from, ["CONNECT"]), sql.grant(["CONNECT"], db, to)];
}

/** `SET ROLE` to the terminator: what fence then does runs with the terminator's privileges only. */
export function setRoleSql(role: string): string {
    return `SET ROLE ${sql.quoteIdent(role)}`;
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

/* ------------------------------------------------------------------ the component */

export interface FailoverRolesArgs {
    /** The owner role (`airflow_db_<id>_owner`): pass `databaseOwner` to DeploymentAccess. */
    readonly ownerRole: string;
    /** The connection-terminator role (`airflow_conn_killer_<id>`). */
    readonly terminatorRole: string;
    /** The two data-plane login roles (`dp1_user_<id>`, `dp2_user_<id>`), in plane order. */
    readonly loginRoles: readonly [string, string];
    /** The data-plane names, in login-role order. Defaults to `["dp1", "dp2"]`. */
    readonly planes?: readonly [string, string];
    /** The deployment orchestrator's database user (seed 004's commander_user); it must already exist. */
    readonly orchestratorUser: string;
    /** Who creates the login roles. Defaults to `customer` (this component, with generated passwords). */
    readonly users?: FailoverUsers;
    /**
     * Customer model, required: the Deployment's shared data role (its Astro role, `astro_<id>`), to
     * which each login role switches at login (`assumeRole`). DeploymentAccess (`sharedDataRole`,
     * `members`) makes it NOLOGIN without CONNECT and the login roles its members.
     */
    readonly dataRole?: string;
    /** The login roles' search_path (customer model): the Deployment's schema when it is not `public`. */
    readonly searchPath?: readonly string[];
    /** The login roles' passwords (customer model). Defaults to generated 32-character passwords. */
    readonly loginPasswords?: readonly [pulumi.Input<string> | undefined, pulumi.Input<string> | undefined];
    /** How the memberships reach the server: the provider's admin. Stored as a secret. */
    readonly connection: pulumi.Input<PgConnectionArgs>;
    /**
     * How the terminator ends the login roles' sessions (see the file comment): `function` (the
     * FenceFunction, made by AirflowDeploymentDatabase in the database), `pg_signal_backend` (granted to
     * the terminator: server-wide), `none` (the seed's exact statements). Defaults to `function`.
     */
    readonly terminate?: FenceMechanism;
    /** The admin already holds pg_signal_backend's privileges (superuser; RDS's master user). Defaults to true. */
    readonly adminSignals?: boolean;
    /** The admin role (the provider's username): with `adminSignals: false` it is granted the login roles. */
    readonly adminUser?: pulumi.Input<string>;
    /** Whether the login roles (customer model) can log in; false while a Deployment is retired. Defaults to true. */
    readonly loginEnabled?: boolean;
    /** Pulumi `protect` on the roles. Defaults to false. */
    readonly protect?: boolean;
}

/**
 * Seed 004's roles and memberships. The database and every grant ON it live in DeploymentAccess:
 * pass `databaseOwner` (the database then waits for the owner role) and `connectRoles` (CONNECT for
 * the login roles, in DeploymentAccess's one grant chain, which also revokes CONNECT from PUBLIC).
 * Grants on one database must run one after another, and PUBLIC must have a single Grant resource.
 */
export class FailoverRoles extends pulumi.ComponentResource {
    public readonly ownerRole: postgresql.Role;
    public readonly terminatorRole: postgresql.Role;
    /** The two login roles (customer model only). */
    public readonly loginRoles?: [postgresql.Role, postgresql.Role];
    /** The owner role's name: DeploymentAccess's `databaseOwner`. */
    public readonly databaseOwner: pulumi.Output<string>;
    /**
     * Login role per plane, in plane order, for DeploymentAccess's CONNECT grants (customer model; empty
     * for apc, which grants it itself): the first plane gets CONNECT, the second none until a failover.
     */
    public readonly connectRoles: Record<string, pulumi.Output<string>>;
    public readonly loginRoleNames: [pulumi.Output<string>, pulumi.Output<string>];
    /** Secret, customer model only: the login roles' passwords, in plane order. */
    public readonly loginPasswords?: [pulumi.Output<string>, pulumi.Output<string>];
    public readonly memberships: RoleMembership[];
    /** The admin's membership in the owner role (ADMIN_OWNER_MEMBERSHIP): DeploymentAccess's database waits for it. */
    public readonly ownerAccess: RoleMembership;
    public readonly users: FailoverUsers;
    public readonly planes: readonly [string, string];

    constructor(name: string, args: FailoverRolesArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("astro-db:postgres:FailoverRoles", name, {}, opts);
        const users = args.users ?? "customer";
        const planes = args.planes ?? ["dp1", "dp2"];
        const terminate = args.terminate ?? "function";
        const adminSignals = args.adminSignals ?? true;
        if (terminate === "function" && users === "customer" && !adminSignals && args.adminUser === undefined) {
            throw new pulumi.ResourceError("adminSignals: false needs adminUser: the admin is granted the login roles so that the fencing function it owns may end their sessions", this);
        }
        if (planes[0] === planes[1]) throw new pulumi.ResourceError(`planes must be two different names, not ${planes[0]} twice`, this);
        if (users === "apc" && args.loginPasswords) throw new pulumi.ResourceError("users: apc and loginPasswords cannot both be set: APC creates the login roles", this);
        if (users === "apc" && args.dataRole !== undefined) throw new pulumi.ResourceError("users: apc and dataRole cannot both be set: APC creates the login roles", this);
        if (users === "customer" && !args.dataRole) {
            throw new pulumi.ResourceError("users: customer needs dataRole (the Deployment's Astro role): seed 004 gives the login roles CONNECT only, so without it they cannot use Airflow's tables", this);
        }
        // Roles own the database and Airflow's tables: a rename or removal must never drop them.
        const keep: pulumi.CustomResourceOptions = { parent: this, protect: args.protect ?? false, retainOnDelete: true };
        // The provider's Role update revokes every membership of the role and grants only its `roles`;
        // memberships here are RoleMembership resources (with INHERIT/SET options), so `roles` is left
        // alone: a refreshed `roles` never turns into an update that would revoke them.
        const keepRole: pulumi.CustomResourceOptions = { ...keep, ignoreChanges: ["roles"] };

        this.ownerRole = new postgresql.Role(`${name}-owner-role`, { name: args.ownerRole, login: false, skipReassignOwned: true }, keepRole);
        this.terminatorRole = new postgresql.Role(`${name}-terminator-role`, { name: args.terminatorRole, login: false, inherit: false, skipReassignOwned: true }, keepRole);

        if (users === "customer") {
            const passwords = planes.map((plane, i) => pulumi.secret(args.loginPasswords?.[i] ?? generatedPassword(`${name}-${plane}-password`, this))) as [pulumi.Output<string>, pulumi.Output<string>];
            // Every session of a login role runs as the data role (ALTER ROLE ... SET ROLE), so what either
            // plane creates belongs to the data role. The role need not exist yet: PostgreSQL checks the
            // setting at login (only a NOTICE before), when the login role's membership in it (DeploymentAccess
            // `members`, WITH SET TRUE) lets it SET ROLE.
            this.loginRoles = planes.map((plane, i) => new postgresql.Role(`${name}-${plane}-login-role`, {
                name: args.loginRoles[i], login: args.loginEnabled ?? true, password: passwords[i], skipReassignOwned: true,
                assumeRole: args.dataRole,
                searchPaths: args.searchPath && args.searchPath.length ? [...args.searchPath] : undefined,
            }, keepRole)) as [postgresql.Role, postgresql.Role];
            this.loginPasswords = passwords;
            this.loginRoleNames = [this.loginRoles[0].name, this.loginRoles[1].name];
            this.connectRoles = { [planes[0]]: this.loginRoles[0].name, [planes[1]]: this.loginRoles[1].name };
        } else {
            this.loginRoleNames = [pulumi.output(args.loginRoles[0]), pulumi.output(args.loginRoles[1])];
            this.connectRoles = {};
        }

        // Each membership waits for the previous one: the orchestrator gets the terminator only once the
        // terminator's own memberships are in place with INHERIT FALSE, SET FALSE.
        // The admin's name stands for itself here; the map turns it into the Input it is.
        const ADMIN = "\0admin";
        const byName = new Map<string, pulumi.Input<string>>([
            [args.ownerRole, this.ownerRole.name], [args.terminatorRole, this.terminatorRole.name], [ADMIN, args.adminUser ?? ADMIN],
            ...(this.loginRoles ? this.loginRoles.map((r, i) => [args.loginRoles[i], r.name] as [string, pulumi.Output<string>]) : []),
        ]);
        const connection = pulumi.secret(args.connection);
        // Privileges, not data: revoked when they leave the stack (a dropped role takes them along, see RoleMembership.delete).
        this.ownerAccess = new RoleMembership(`${name}-admin-owner`, {
            role: this.ownerRole.name, member: args.adminUser ?? ADMIN, ...ADMIN_OWNER_MEMBERSHIP, connection,
        }, { parent: this });
        // Each membership is its own pg_auth_members row, so they run side by side, except that a role is
        // granted to anyone only once its own memberships are in place: the orchestrator gets the
        // terminator once the terminator holds the login roles WITH INHERIT FALSE, SET FALSE.
        this.memberships = [];
        const declared = failoverMemberships(args, users, planes, { terminate, adminSignals, adminUser: ADMIN });
        for (const m of declared) {
            const own = declared.flatMap((x, i) => (x.member === m.role && i < this.memberships.length ? [this.memberships[i]] : []));
            this.memberships.push(new RoleMembership(`${name}-${m.key}`, {
                role: byName.get(m.role) ?? m.role,
                member: byName.get(m.member) ?? m.member,
                inherit: m.inherit, set: m.set, admin: false,
                connection,
            }, { parent: this, dependsOn: own }));
        }

        this.databaseOwner = this.ownerRole.name;
        this.users = users;
        this.planes = planes;
        this.registerOutputs({
            databaseOwner: this.databaseOwner, terminatorRole: this.terminatorRole.name, loginRoleNames: this.loginRoleNames,
            connectRoles: this.connectRoles, loginPasswords: this.loginPasswords, users, planes,
        });
    }
}
