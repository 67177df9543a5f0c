/**
 * FailoverRoles: one Deployment's data-plane failover roles (seed 004): the owner and terminator roles,
 * the planes' login roles (customer-managed users: with the Astro role as their data role), their
 * memberships, the orchestrator's grants, and the admin's membership in the owner role (`ownerAccess`).
 * Why each grant is what it is: README "Data-plane failover (seed 004)"; the admin's membership:
 * README "What each Deployment gets on PostgreSQL" (as RDS's master user).
 */
import * as pulumi from "@pulumi/pulumi";
import * as postgresql from "@pulumi/postgresql";
import { generatedPassword } from "../password";
import { ADMIN_OWNER_MEMBERSHIP, failoverMemberships, FailoverUsers } from "../../engines/postgres/failover";
import type { FenceMechanism } from "../../engines/postgres/fence";
import { PgConnectionArgs, RoleMembership } from "./roleMembership";


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
    /**
     * The admin role (the provider's username): a member of the owner role, and with `adminSignals: false`
     * of the login roles. Defaults to the connection's user.
     */
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
        // A user name, not a credential: not secret even when the connection (with its password) is.
        const adminUser = args.adminUser ?? pulumi.unsecret(pulumi.output(args.connection).apply((c) => c.user));
        const byName = new Map<string, pulumi.Input<string>>([
            [args.ownerRole, this.ownerRole.name], [args.terminatorRole, this.terminatorRole.name], [ADMIN, adminUser],
            ...(this.loginRoles ? this.loginRoles.map((r, i) => [args.loginRoles[i], r.name] as [string, pulumi.Output<string>]) : []),
        ]);
        const connection = pulumi.secret(args.connection);
        // Privileges, not data: revoked when they leave the stack (a dropped role takes them along, see RoleMembership.delete).
        this.ownerAccess = new RoleMembership(`${name}-admin-owner`, {
            role: this.ownerRole.name, member: adminUser, ...ADMIN_OWNER_MEMBERSHIP, connection,
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
