import * as pulumi from "@pulumi/pulumi";
import { resolveAdminPassword } from "./adminPassword";
import * as my from "../engines/mysql/statements";
import { EngineKind } from "./names";
import * as pg from "../engines/postgres/statements";

/** How to reach the server as its admin. Passed as a secret input, never captured by the provider. */
export interface AdminConnection {
    host: string;
    port: number;
    user: string;
    /** Undefined (and no `passwordSecretArn`): the driver reads PGPASSWORD / the empty password, as the providers do. */
    password?: string;
    /** The RDS-managed master user secret: the password is read from it when the removal runs (components/adminPassword.ts). */
    passwordSecretArn?: string;
    sslmode?: string;
}

export interface DatabaseRemovalInputs {
    __kind: "DatabaseRemoval";
    /** The Deployment's release name. */
    release: string;
    engine: EngineKind;
    connection: AdminConnection;
    database: string;
    /** Roles (PostgreSQL) or users (MySQL, as `'name'@'%'`) that belonged to the Deployment. */
    roles: string[];
    retiredAt: string;
    removeOn: string;
}


/** Dollar-quote tag of the removal's DO block; a name containing it is refused. */
const REMOVAL_TAG = "$astro_db_removal$";

/**
 * The statements a removal runs, in order. Pure, so `astro-db sql` and the tests can show them.
 *
 * PostgreSQL, as a non-superuser admin (RDS's master user, a CREATEDB CREATEROLE admin): the database
 * may belong to the Deployment's owner role (seed 004), and only its owner may drop it; ending a
 * session needs the privileges of its role (or pg_signal_backend). So the admin first takes the
 * privileges of each of the Deployment's roles it lacks (`GRANT <role> TO current_user`, which it may:
 * it created them and holds ADMIN on them), and stops new connections. Those memberships go with the
 * roles at DROP ROLE. Then every session on the database is ended (a role the admin cannot act for, e.g.
 * another team's login role, fails here with PostgreSQL's own message), the database is dropped
 * (WITH (FORCE) also ends a session that raced in), and the roles after it.
 */
export function removalStatements(engine: EngineKind, database: string, roles: string[]): string[] {
    if (engine === "postgres") {
        for (const n of [database, ...roles]) if (n.includes(REMOVAL_TAG)) throw new Error(`"${n}" contains ${REMOVAL_TAG}, which the removal's DO block cannot quote`);
        const roleArray = `ARRAY[${roles.map(pg.quoteLiteral).join(", ")}]::text[]`;
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
                `  IF EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = ${pg.quoteLiteral(database)}) THEN`,
                `    EXECUTE format('ALTER DATABASE %I ALLOW_CONNECTIONS false', ${pg.quoteLiteral(database)});`,
                "  END IF;",
                "END",
                REMOVAL_TAG,
            ].join("\n"),
            // Sessions still open would block DROP DATABASE; wait up to 5 s for each to end.
            `SELECT pid, pg_catalog.pg_terminate_backend(pid, 5000) FROM pg_catalog.pg_stat_activity WHERE datname = ${pg.quoteLiteral(database)} AND pid <> pg_catalog.pg_backend_pid()`,
            `${pg.dropDatabase(database)} WITH (FORCE)`,
            ...roles.map((r) => pg.dropRole(r)),
        ];
    }
    return [`DROP DATABASE IF EXISTS ${my.quoteIdent(database)}`, ...roles.map((u) => `DROP USER IF EXISTS ${my.account(u, "%")}`)];
}

async function runRemoval(inputs: DatabaseRemovalInputs): Promise<void> {
    // The password as it is now: RDS may have rotated it since the inputs were recorded.
    const c = { ...inputs.connection, password: await resolveAdminPassword(inputs.connection) };
    const statements = removalStatements(inputs.engine, inputs.database, inputs.roles);
    if (inputs.engine === "postgres") {
        const { Client } = await import("pg");
        const ssl = c.sslmode === undefined || c.sslmode === "disable" ? false : { rejectUnauthorized: c.sslmode === "verify-full" || c.sslmode === "verify-ca" };
        const client = new Client({ host: c.host, port: c.port, user: c.user, password: c.password, database: "postgres", ssl });
        await client.connect();
        try {
            for (const s of statements) await client.query(s);
        } finally {
            await client.end();
        }
    } else {
        const mysql = await import("mysql2/promise");
        const conn = await mysql.createConnection({ host: c.host, port: c.port, user: c.user, password: c.password, ssl: c.sslmode === "disable" ? undefined : {} });
        try {
            for (const s of statements) await conn.query(s);
        } finally {
            await conn.end();
        }
    }
}

/**
 * A dynamic provider with no captured state: everything it needs arrives in its inputs, so the
 * serialized provider in the state holds no credential.
 */
export const removalProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: DatabaseRemovalInputs) {
        await runRemoval(inputs);
        return { id: `${inputs.engine}:${inputs.database}`, outs: { ...inputs, removedAt: new Date().toISOString() } };
    },
    async diff(_id: string, olds: DatabaseRemovalInputs, news: DatabaseRemovalInputs) {
        const replaces = ["engine", "database"].filter((k) => JSON.stringify(olds[k as keyof DatabaseRemovalInputs]) !== JSON.stringify(news[k as keyof DatabaseRemovalInputs]));
        return { changes: replaces.length > 0, replaces, deleteBeforeReplace: true };
    },
    // Dropping cannot be undone: deleting the record of a removal does nothing.
    async delete() { /* nothing to undo */ },
};

export interface DatabaseRemovalArgs {
    /** The Deployment's release name. */
    readonly release: string;
    readonly engine: EngineKind;
    /** Secret. */
    readonly connection: pulumi.Input<AdminConnection>;
    readonly database: string;
    readonly roles: string[];
    readonly retiredAt: string;
    readonly removeOn: string;
}

/**
 * Drops a retired Deployment's database and roles once its retention period has passed. The
 * database and role resources were registered with retainOnDelete, so Pulumi itself never drops
 * them: this explicit, dated resource in the plan is the only path that does.
 */
export class DatabaseRemoval extends pulumi.dynamic.Resource {
    constructor(name: string, args: DatabaseRemovalArgs, opts?: pulumi.CustomResourceOptions) {
        super(removalProvider, name, {
            __kind: "DatabaseRemoval",
            release: args.release,
            engine: args.engine,
            connection: pulumi.secret(args.connection),
            database: args.database,
            roles: args.roles,
            retiredAt: args.retiredAt,
            removeOn: args.removeOn,
            removedAt: undefined,
        }, opts);
    }
}
