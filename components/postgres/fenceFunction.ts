/**
 * FenceFunction: a failover Deployment's fencing function (`astro_db_fence.terminate_plane_sessions`,
 * SECURITY DEFINER, EXECUTE for the terminator only) as a dynamic resource on `pg`; its SQL is in
 * engines/postgres/fence.ts. Who owns it and why: README "Data-plane failover (seed 004)".
 */
import * as pulumi from "@pulumi/pulumi";
import type { Client } from "pg";
import { connectionSecretOptions, withoutSecretArn } from "../adminPassword";
import { queryChecked } from "../../engines/postgres/checkedQuery";
import { dropFenceFunctionSql, FENCE_FUNCTION, FENCE_FUNCTION_KIND, FenceFunctionNames, fenceFunctionProblems, fenceFunctionSetupSql } from "../../engines/postgres/fence";
import { readFenceFunction } from "../../engines/postgres/resources/fenceFunction";
import { PgConnection, PgConnectionArgs, pgConnectionOutput, withAdminClient } from "./roleMembership";


/* ------------------------------------------------------------------ the dynamic provider */

export interface FenceFunctionInputs extends FenceFunctionNames {
    __kind: typeof FENCE_FUNCTION_KIND;
    /** The Deployment's database. */
    database: string;
    loginRoles: string[];
    /** How to reach the server as the admin; `database` is replaced by the Deployment's. */
    connection: PgConnection;
}

export interface FenceFunctionOutputs extends FenceFunctionInputs {
    /** The role that owns the function (the admin). */
    owner: string;
    /** What read() found wrong (drift); the next update recreates the function. */
    problems: string[];
}

async function inDatabase<T>(inputs: FenceFunctionInputs, fn: (client: Client) => Promise<T>): Promise<T> {
    return withAdminClient({ ...inputs.connection, database: inputs.database }, fn);
}

/**
 * Creates (or repairs) the function in one transaction that commits only when what it reads back is
 * what the stack declares: a GRANT or REVOKE PostgreSQL only warns about, or privileges that come from
 * elsewhere (e.g. the admin's default privileges), roll everything back and fail.
 */
async function setUp(inputs: FenceFunctionInputs): Promise<FenceFunctionOutputs> {
    return inDatabase(inputs, async (client) => {
        await client.query("BEGIN");
        try {
            for (const s of fenceFunctionSetupSql(inputs)) await queryChecked(client, s, inputs.connection.user);
            const live = await readFenceFunction(client);
            const problems = fenceFunctionProblems(live, inputs);
            if (problems.length) throw new Error(`after creating it, ${problems.join("; ")}; nothing was changed`);
            await client.query("COMMIT");
            return { ...inputs, owner: live!.owner, problems };
        } catch (err) {
            await client.query("ROLLBACK").catch(() => undefined);
            throw new Error(`FenceFunction in database ${inputs.database}: ${(err as Error).message}`);
        }
    });
}

/** 3D000: the database is gone (e.g. dropped by a DatabaseRemoval), and the function with it. */
function databaseGone(err: unknown): boolean {
    return (err as { code?: string }).code === "3D000";
}

/** Module-level and free of captured state, as roleMembershipProvider: the connection arrives as a secret input. */
export const fenceFunctionProvider: pulumi.dynamic.ResourceProvider<FenceFunctionInputs, FenceFunctionOutputs> = {
    async create(inputs) {
        return { id: `${inputs.database}:${FENCE_FUNCTION.schema}.${FENCE_FUNCTION.name}`, outs: await setUp(inputs) };
    },
    async read(id, props) {
        if (!props) throw new Error(`FenceFunction ${id}: read needs the stored state (import is not supported)`);
        try {
            return await inDatabase(props, async (client) => {
                const live = await readFenceFunction(client);
                if (!live) return { id: "", props };
                return { id, props: { ...props, owner: live.owner, problems: fenceFunctionProblems(live, props) } };
            });
        } catch (err) {
            if (databaseGone(err)) return { id: "", props };
            throw err;
        }
    },
    async diff(_id, olds, news) {
        const replaces: string[] = [];
        if (olds.database !== news.database) replaces.push("database");
        const oldConn = olds.connection ?? ({} as PgConnection);
        const newConn = news.connection ?? ({} as PgConnection);
        if (oldConn.host !== newConn.host || oldConn.port !== newConn.port) replaces.push("connection");
        const changes = replaces.length > 0 || (olds.problems ?? []).length > 0
            || JSON.stringify(olds.loginRoles) !== JSON.stringify(news.loginRoles) || olds.terminatorRole !== news.terminatorRole
            // Where the password is read from is no part of the function.
            || JSON.stringify(withoutSecretArn(oldConn)) !== JSON.stringify(withoutSecretArn(newConn));
        return { changes, replaces, deleteBeforeReplace: replaces.length > 0 };
    },
    async update(_id, _olds, news) {
        return { outs: await setUp(news) };
    },
    async delete(_id, props) {
        try {
            await inDatabase(props, async (client) => {
                for (const s of dropFenceFunctionSql()) await client.query(s);
            });
        } catch (err) {
            if (!databaseGone(err)) throw err;
        }
    },
};

export interface FenceFunctionArgs {
    /** The Deployment's database (it must exist: depend on it). */
    readonly database: pulumi.Input<string>;
    /** The Deployment's two login roles. */
    readonly loginRoles: pulumi.Input<pulumi.Input<string>[]>;
    /** The terminator role: the only grantee of EXECUTE. */
    readonly terminatorRole: pulumi.Input<string>;
    /** How to reach the server as the admin (the function's owner); always stored as a secret. */
    readonly connection: pulumi.Input<PgConnectionArgs>;
}

/** The fencing function of one Deployment (see the file comment). */
export class FenceFunction extends pulumi.dynamic.Resource {
    public readonly owner!: pulumi.Output<string>;
    public readonly problems!: pulumi.Output<string[]>;

    constructor(name: string, args: FenceFunctionArgs, opts: pulumi.CustomResourceOptions = {}) {
        const connection = pgConnectionOutput(args.connection);
        super(fenceFunctionProvider, name, {
            __kind: FENCE_FUNCTION_KIND,
            database: args.database,
            loginRoles: args.loginRoles,
            terminatorRole: args.terminatorRole,
            connection: pulumi.secret(connection),
            owner: undefined,
            problems: undefined,
        }, connectionSecretOptions(opts));
    }
}
