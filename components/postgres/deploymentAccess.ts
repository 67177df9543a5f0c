import * as pulumi from "@pulumi/pulumi";
import * as postgresql from "@pulumi/postgresql";
import { generatedPassword } from "../password";
import { DATA_ROLE_MEMBERSHIP } from "../../engines/postgres/failover";
import { PG_PRIVILEGES, PG_PUBLIC_KEEPS_ON_DATABASE, PG_SCHEMA_OBJECT_TYPES } from "../../engines/postgres/privileges";
import { PgConnectionArgs, RoleMembership } from "./roleMembership";

/**
 * A shared data role's privileges on the database: seed 000's without CONNECT. Its members connect
 * with their own CONNECT, which a failover takes away; held by the data role they would inherit it.
 */
export const PG_DATA_ROLE_DATABASE_PRIVILEGES = PG_PRIVILEGES.database.filter((p) => p !== "CONNECT");

export interface DeploymentAccessArgs {
    /** The Deployment's metadata database (`airflow_db_<id>`). */
    readonly database: string;
    /** The Astro login role (`astro_<id>`). */
    readonly user: string;
    /** The schema Airflow's tables live in. Defaults to `public`; another schema is created and set as the role's search_path. */
    readonly schema?: string;
    /** The role that runs the provider (RDS master user or admin): it creates later tables, so default privileges are for objects it owns. */
    readonly adminUser: pulumi.Input<string>;
    /** Owner of the database. Defaults to `adminUser`. */
    readonly databaseOwner?: pulumi.Input<string>;
    /**
     * When `databaseOwner` is not the admin: the admin's membership in it (FailoverRoles.ownerAccess). The
     * database waits for it, so every GRANT/REVOKE on the database runs with the owner's privileges.
     */
    readonly ownerAccess?: pulumi.Resource;
    /** The Astro user's password. Defaults to a generated 32-character password (none for a shared data role). */
    readonly password?: pulumi.Input<string>;
    /** Whether the Astro user can log in; false retires a Deployment without dropping anything. Defaults to true. */
    readonly loginEnabled?: boolean;
    /**
     * The Astro role is the Deployment's shared data role (failover with customer-managed users): NOLOGIN,
     * no password, seed 000's grants and default privileges, but on the database only CREATE and
     * TEMPORARY, never CONNECT. The login roles in `members` use it. Defaults to false.
     */
    readonly sharedDataRole?: boolean;
    /**
     * Roles that act as the Astro role, by label: each becomes its member WITH INHERIT TRUE, SET TRUE
     * (RoleMembership, PostgreSQL 16+) once it exists. FailoverRoles' login roles, with the admin's
     * connection for the memberships. Defaults to none.
     */
    readonly members?: { readonly roles: Record<string, pulumi.Input<string>>; readonly connection: pulumi.Input<PgConnectionArgs> };
    /** Pulumi `protect` on the database and role. Defaults to false. */
    readonly protect?: boolean;
    /**
     * The data-plane login roles of FailoverRoles (seed 004), by plane, in plane order: the first plane's
     * gets CONNECT, the others nothing, so exactly one plane can connect. A failover (APC or
     * `astro-db fence`) later moves CONNECT, so changes to these grants are ignored. Defaults to none.
     */
    readonly connectRoles?: Record<string, pulumi.Input<string>>;
}

/**
 * One Deployment's database, Astro user, grants and default privileges on PostgreSQL (seed 000 steps 2-3),
 * plus CONNECT revoked from PUBLIC. Every name is explicit (the provider would add a random suffix).
 *
 * Ordering: `pulumi up` runs resources that do not depend on each other side by side, and two
 * transactions that rewrite one catalog row fail ("tuple concurrently updated"). So only grants on the
 * same row wait for each other: the database-level grants (PUBLIC's, the planes' CONNECT, the Astro
 * role's) all rewrite the database's pg_database.datacl and run one after another; the provider
 * (terraform-provider-postgresql >= 1.18, pgLockDatabase) also locks the database for them. The
 * schema grant (its pg_namespace row), the ALL-IN-SCHEMA grants (each object type's own pg_class or
 * pg_proc rows) and the default privileges (one pg_default_acl row each) wait only for the database,
 * the role (and the schema). The provider takes a transaction advisory lock on the grantee and its
 * members for every Grant, and on the owner for every DefaultPrivileges (pgLockRole), so those on the
 * same role queue up on the server instead of failing. Chain depth: 3 without failover, 6 with it.
 */
export class DeploymentAccess extends pulumi.ComponentResource {
    public readonly databaseName: pulumi.Output<string>;
    public readonly userName: pulumi.Output<string>;
    /** Secret; undefined for a shared data role, which cannot log in. */
    public readonly password?: pulumi.Output<string>;
    public readonly schemaName: string;
    public readonly database: postgresql.Database;
    public readonly role: postgresql.Role;
    /** Every grant and default privilege, in registration order (the database-level ones are applied in this order). */
    public readonly grants: pulumi.CustomResource[];
    /** The `members`' memberships in the Astro role. */
    public readonly memberships: RoleMembership[];

    constructor(name: string, args: DeploymentAccessArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("astro-db:postgres:DeploymentAccess", name, {}, opts);
        const schema = args.schema ?? "public";
        const dataRole = args.sharedDataRole ?? false;
        const loginEnabled = !dataRole && (args.loginEnabled ?? true);
        const protect = args.protect ?? false;
        // A database or role dropped by a rename or a removal would lose Airflow's history: keep them.
        const keep: pulumi.CustomResourceOptions = { parent: this, protect, retainOnDelete: true };
        if (dataRole && args.password !== undefined) throw new pulumi.ResourceError("sharedDataRole and password cannot both be set: a shared data role cannot log in", this);

        const password = dataRole ? undefined
            : args.password !== undefined ? pulumi.secret(args.password)
                : generatedPassword(`${name}-password`, this);

        this.database = new postgresql.Database(`${name}-database`, {
            name: args.database,
            owner: args.databaseOwner ?? args.adminUser,
        }, { ...keep, dependsOn: args.ownerAccess ? [args.ownerAccess] : [] });

        this.role = new postgresql.Role(`${name}-user`, {
            name: args.user,
            login: loginEnabled,
            password,
            searchPaths: schema === "public" ? undefined : [schema],
            // Never let the provider REASSIGN/DROP OWNED: Airflow's tables are owned by this role.
            skipReassignOwned: true,
        }, keep);

        const first: pulumi.Resource[] = [this.database, this.role];
        if (schema !== "public") {
            first.push(new postgresql.Schema(`${name}-schema`, {
                name: schema,
                database: args.database,
                owner: args.adminUser,
                ifNotExists: true,
                dropCascade: false,
            }, { ...keep, dependsOn: [this.database] }));
        }

        // The database-level grants one after another (they all rewrite pg_database.datacl); every other
        // grant and default privilege waits only for what it is on (see the class comment).
        this.grants = [];
        let previous: pulumi.Resource[] = first;
        const grant = <T extends pulumi.CustomResource>(dependsOn: pulumi.Resource[], make: (o: pulumi.CustomResourceOptions) => T): T => {
            // Privileges are revoked when they leave the stack while the database stays (a changed schema,
            // failover turned off). deletedWith: when the database leaves too (a DatabaseRemoval dropped it,
            // or the Deployment left the stack and the database is retained), there is nothing to revoke
            // and the provider could not even connect to it, so Pulumi skips the revoke.
            const r = make({ parent: this, dependsOn, deletedWith: this.database });
            this.grants.push(r);
            return r;
        };
        const onDatabase = <T extends pulumi.CustomResource>(make: (o: pulumi.CustomResourceOptions) => T): T => {
            const r = grant(previous, make);
            previous = [r];
            return r;
        };

        onDatabase((o) => new postgresql.Grant(`${name}-public-connect`, {
            database: args.database, role: "public", objectType: "database", privileges: [...PG_PUBLIC_KEEPS_ON_DATABASE],
        }, o));
        Object.entries(args.connectRoles ?? {}).forEach(([label, role], i) => {
            // Only the first plane can connect at first: a second one would be a split brain waiting to happen.
            onDatabase((o) => new postgresql.Grant(`${name}-${label}-connect`, {
                database: args.database, role, objectType: "database", privileges: i === 0 ? ["CONNECT"] : [],
            }, { ...o, ignoreChanges: ["privileges"] }));
        });
        onDatabase((o) => new postgresql.Grant(`${name}-database-grant`, {
            database: args.database, role: args.user, objectType: "database", privileges: dataRole ? [...PG_DATA_ROLE_DATABASE_PRIVILEGES] : [...PG_PRIVILEGES.database],
        }, o));
        // The schema's ACL, each object type's rows in pg_class/pg_proc, and each default privilege's own
        // pg_default_acl row: no two of these rewrite the same row, so they run side by side.
        grant(first, (o) => new postgresql.Grant(`${name}-schema-grant`, {
            database: args.database, role: args.user, schema, objectType: "schema", privileges: [...PG_PRIVILEGES.schema],
        }, o));
        for (const objectType of PG_SCHEMA_OBJECT_TYPES) {
            grant(first, (o) => new postgresql.Grant(`${name}-${objectType}s-grant`, {
                database: args.database, role: args.user, schema, objectType, objects: [], privileges: [...PG_PRIVILEGES[objectType]],
            }, o));
        }
        for (const objectType of PG_SCHEMA_OBJECT_TYPES) {
            grant(first, (o) => new postgresql.DefaultPrivileges(`${name}-${objectType}s-default`, {
                database: args.database, owner: args.adminUser, role: args.user, schema, objectType, privileges: [...PG_PRIVILEGES[objectType]],
            }, o));
        }

        // The members join once the role exists, side by side (each its own pg_auth_members row).
        this.memberships = Object.entries(args.members?.roles ?? {}).map(([label, member]) => new RoleMembership(`${name}-${label}-data-role`, {
            role: this.role.name, member, ...DATA_ROLE_MEMBERSHIP, connection: pulumi.secret(args.members!.connection),
        }, { parent: this, dependsOn: [this.role] }));

        this.databaseName = this.database.name;
        this.userName = this.role.name;
        this.password = password === undefined ? undefined : pulumi.secret(password);
        this.schemaName = schema;
        this.registerOutputs({ databaseName: this.databaseName, userName: this.userName, password: this.password, schemaName: schema });
    }
}
