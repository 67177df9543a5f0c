import * as pulumi from "@pulumi/pulumi";
import { connectionSecretOptions, resolveAdminPassword } from "./adminPassword";
import { pgClientConfig, type PgSslMode } from "../engines/postgres/client";
import { withPgClient } from "./postgres/roleMembership";
import { mysqlSsl } from "../engines/mysql/client";
import { removalStatements } from "../engines/removal";
import { EngineKind, unknownEngine } from "../engines/model";


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


async function runRemoval(inputs: DatabaseRemovalInputs): Promise<void> {
    // The password as it is now: RDS may have rotated it since the inputs were recorded.
    const c = { ...inputs.connection, password: await resolveAdminPassword(inputs.connection) };
    const statements = removalStatements(inputs.engine, inputs.database, inputs.roles);
    switch (inputs.engine) {
    case "postgres":
        // No sslmode given: no TLS, as before; otherwise libpq's meaning (engines/postgres/client.ts).
        await withPgClient(pgClientConfig({ ...c, database: "postgres", sslmode: (c.sslmode ?? "disable") as PgSslMode }), async (client) => {
            for (const s of statements) await client.query(s);
        });
        return;
    case "mysql": {
        const mysql = await import("mysql2/promise");
        // Encrypted without verifying, as the stack's MySQL provider connects (MYSQL_PROVIDER_TLS "skip-verify":
        // RDS's CA is in no system trust store); through the one ssl-mode mapping in engines/mysql/client.ts.
        const conn = await mysql.createConnection({ host: c.host, port: c.port, user: c.user, password: c.password, ssl: mysqlSsl(c.sslmode === "disable" ? "DISABLED" : "REQUIRED") });
        try {
            for (const s of statements) await conn.query(s);
        } finally {
            await conn.end();
        }
        return;
    }
    default: return unknownEngine(inputs.engine);
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
            // The connection (a password the stack gives included) is stored with the removal: encrypted, as every credential.
        }, connectionSecretOptions(opts));
    }
}
