/**
 * RoleMembership: `GRANT <role> TO <member> WITH INHERIT, SET, ADMIN` as a dynamic resource on `pg`
 * (no @pulumi/postgresql resource has PostgreSQL 16's grant options). The serialized provider captures
 * no credential (the connection is a secret input and output); read() returns the live rows, so a
 * refresh sees drift. Below PostgreSQL 16: README "Data-plane failover (seed 004)".
 */
import * as pulumi from "@pulumi/pulumi";
import type { ClientConfig, Client } from "pg";
import { connectionSecretOptions, resolveAdminPassword, withoutSecretArn } from "../adminPassword";
import { queryChecked } from "../../engines/postgres/checkedQuery";
import { pgClientConfig, type PgSslMode } from "../../engines/postgres/client";
import {
    declaredGrants, effectiveOptions, grantMembershipSql, legacyRefusal, MembershipGrant, MembershipOptions, membershipId, readMembership,
    revokeAdminOptionSql, ROLE_MEMBERSHIP_KIND, serverInfo, sqlBool,
} from "../../engines/postgres/membership";
import { revokeRoleMembership } from "../../engines/postgres/statements";
import { quoteIdent } from "../../engines/postgres/quote";
import { PG_GRANT_OPTIONS_MIN_VERSION_NUM } from "../../engines/postgres/versions";


/** How the provider reaches the server: the admin role that may grant the role (superuser or ADMIN on it). */
export interface PgConnection {
    host: string;
    port: number;
    user: string;
    /** Absent (and no `passwordSecretArn`): the provider process's PGPASSWORD. */
    password?: string;
    /** The RDS-managed master user secret: the password is read from it each time the provider runs (components/adminPassword.ts). */
    passwordSecretArn?: string;
    database: string;
    sslmode: PgSslMode;
}

/** The resource's inputs, as the provider receives them. */
export interface RoleMembershipInputs extends MembershipOptions {
    __kind: typeof ROLE_MEMBERSHIP_KIND;
    /** The granted role: GRANT <role> TO ... */
    role: string;
    /** The role that receives the membership: ... TO <member>. */
    member: string;
    connection: PgConnection;
}

/** What the provider stores: the inputs, with inherit/set/admin as they are live, plus the rows behind them. */
export interface RoleMembershipOutputs extends RoleMembershipInputs {
    /** Every live row for (role, member); inherit/set/admin above are their union (what the member really gets). */
    grants: MembershipGrant[];
    /** `SHOW server_version` when last created, updated or read. */
    serverVersion: string;
}

/* ------------------------------------------------------------------ the live side */

/** Runs `fn` with a connected client, always closing it. */
export async function withPgClient<T>(config: ClientConfig, fn: (client: Client) => Promise<T>): Promise<T> {
    // Loaded here, not captured: the serialized provider then carries `require("pg")`, nothing else.
    const { Client: PgClient } = require("pg") as typeof import("pg");
    const client = new PgClient(config);
    client.on("error", () => undefined);
    await client.connect();
    try {
        return await fn(client);
    } finally {
        await client.end().catch(() => undefined);
    }
}

/** Runs `fn` connected as `connection`'s admin, with the password as it is now (a rotated RDS secret included). */
export async function withAdminClient<T>(connection: PgConnection, fn: (client: Client) => Promise<T>): Promise<T> {
    const password = await resolveAdminPassword(connection);
    return withPgClient(pgClientConfig({ ...connection, password }), fn);
}


function sameOptions(a: MembershipOptions, b: MembershipOptions): boolean {
    return a.inherit === b.inherit && a.set === b.set && a.admin === b.admin;
}

/** Grant (or re-grant with new options), then read back and insist the live options are the declared ones. */
async function applyMembership(inputs: RoleMembershipInputs): Promise<RoleMembershipOutputs> {
    const { role, member } = inputs;
    const wanted: MembershipOptions = { inherit: inputs.inherit, set: inputs.set, admin: inputs.admin };
    return withAdminClient(inputs.connection, async (client) => {
        const server = await serverInfo(client);
        const before = await readMembership(client, server, role, member);
        if (!before.rolesExist) throw new Error(`RoleMembership ${membershipId(role, member)}: role ${quoteIdent(role)} or ${quoteIdent(member)} does not exist`);
        if (server.versionNum < PG_GRANT_OPTIONS_MIN_VERSION_NUM) {
            const refusal = legacyRefusal(role, member, wanted, before.memberInherits, server.version);
            if (refusal) throw new Error(refusal);
        }
        const admin = inputs.connection.user;
        await queryChecked(client, grantMembershipSql(role, member, wanted, server.versionNum), admin);
        if (server.versionNum < PG_GRANT_OPTIONS_MIN_VERSION_NUM && !wanted.admin && effectiveOptions(before.grants).admin) {
            await queryChecked(client, revokeAdminOptionSql(role, member), admin);
        }
        const after = await readMembership(client, server, role, member);
        after.grants = declaredGrants(after.grants, member, inputs.connection.user);
        const live = effectiveOptions(after.grants);
        if (!sameOptions(live, wanted)) {
            const others = after.grants.map((g) => `${g.grantor}: INHERIT ${sqlBool(g.inherit)}, SET ${sqlBool(g.set)}, ADMIN ${sqlBool(g.admin)}`).join("; ");
            throw new Error(
                `RoleMembership ${membershipId(role, member)}: declared INHERIT ${sqlBool(wanted.inherit)}, SET ${sqlBool(wanted.set)}, ADMIN ${sqlBool(wanted.admin)} ` +
                `but ${member} gets INHERIT ${sqlBool(live.inherit)}, SET ${sqlBool(live.set)}, ADMIN ${sqlBool(live.admin)} from grants by other roles (${others}): ` +
                `revoke those with \`REVOKE ${quoteIdent(role)} FROM ${quoteIdent(member)} GRANTED BY <grantor>\``);
        }
        return { ...inputs, ...live, grants: after.grants, serverVersion: server.version };
    });
}

/** Connection fields that name a different server or database: a change there is a new membership. */
const CONNECTION_IDENTITY = ["host", "port", "database"] as const;

/**
 * The dynamic provider. A module-level object whose methods use only their arguments: Pulumi
 * serializes it into the state, so it must not close over any credential (see the file comment).
 */
export const roleMembershipProvider: pulumi.dynamic.ResourceProvider<RoleMembershipInputs, RoleMembershipOutputs> = {
    async check(_olds, news) {
        const failures: pulumi.dynamic.CheckFailure[] = [];
        for (const key of ["role", "member"] as const) {
            if (typeof news[key] === "string" && news[key].length === 0) failures.push({ property: key, reason: `${key} must be a role name` });
        }
        if (typeof news.role === "string" && news.role === news.member) failures.push({ property: "member", reason: `a role cannot be a member of itself (${news.role})` });
        for (const key of ["inherit", "set", "admin"] as const) {
            if (news[key] !== undefined && typeof news[key] !== "boolean" && !isUnknown(news[key])) failures.push({ property: key, reason: `${key} must be true or false` });
        }
        return { inputs: { ...news, admin: news.admin ?? false }, failures };
    },

    async create(inputs) {
        const outs = await applyMembership(inputs);
        return { id: membershipId(inputs.role, inputs.member), outs };
    },

    async read(id, props) {
        if (!props) throw new Error(`RoleMembership ${id}: read needs the stored state (import is not supported)`);
        return withAdminClient(props.connection, async (client) => {
            const server = await serverInfo(client);
            const live = await readMembership(client, server, props.role, props.member);
            live.grants = declaredGrants(live.grants, props.member, props.connection.user);
            // No row left: the membership is gone, and an empty id tells the engine so.
            if (live.grants.length === 0) return { id: "", props };
            return { id, props: { ...props, ...effectiveOptions(live.grants), grants: live.grants, serverVersion: server.version } };
        });
    },

    async diff(_id, olds, news) {
        const replaces: string[] = [];
        if (olds.role !== news.role) replaces.push("role");
        if (olds.member !== news.member) replaces.push("member");
        const oldConn = olds.connection ?? ({} as PgConnection);
        const newConn = news.connection ?? ({} as PgConnection);
        const otherServer = CONNECTION_IDENTITY.some((k) => oldConn[k] !== newConn[k]);
        if (otherServer) replaces.push("connection");
        const changes = replaces.length > 0
            || olds.inherit !== news.inherit || olds.set !== news.set || (olds.admin ?? false) !== (news.admin ?? false)
            // Where the password is read from is no part of the membership (a rotated RDS secret is no change).
            || JSON.stringify(withoutSecretArn(oldConn)) !== JSON.stringify(withoutSecretArn(newConn));
        // Same (role, member) on what may be the same server under another name: revoke before granting again,
        // or the new grant would be revoked by the old one's delete.
        return { changes, replaces, deleteBeforeReplace: otherServer && replaces.length === 1 };
    },

    async update(_id, _olds, news) {
        return { outs: await applyMembership(news) };
    },

    async delete(_id, props) {
        await withAdminClient(props.connection, async (client) => {
            const server = await serverInfo(client);
            const live = await readMembership(client, server, props.role, props.member);
            // A role dropped (or renamed) since took its memberships with it: nothing to revoke.
            if (!live.rolesExist || live.grants.length === 0) return;
            await queryChecked(client, revokeRoleMembership(props.role, props.member), props.connection.user);
            // A REVOKE removes only the rows the admin granted (PostgreSQL 16+ only warns about the others):
            // a membership left by another grantor would keep what the stack no longer declares.
            const left = declaredGrants((await readMembership(client, server, props.role, props.member)).grants, props.member, props.connection.user);
            if (left.length) {
                throw new Error(`RoleMembership ${membershipId(props.role, props.member)}: after REVOKE, ${props.member} still holds ${props.role} through grants by other roles ` +
                    `(${left.map((g) => `${g.grantor}: INHERIT ${sqlBool(g.inherit)}, SET ${sqlBool(g.set)}, ADMIN ${sqlBool(g.admin)}`).join("; ")}): ` +
                    `revoke those with \`REVOKE ${quoteIdent(props.role)} FROM ${quoteIdent(props.member)} GRANTED BY <grantor>\` as a role that may act for the grantor (a superuser)`);
            }
        });
    },
};

function isUnknown(v: unknown): boolean {
    // The engine's placeholder for a value not known during preview.
    return v === "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
}

/* ------------------------------------------------------------------ the resource */

export interface PgConnectionArgs {
    readonly host: pulumi.Input<string>;
    readonly port: pulumi.Input<number>;
    readonly user: pulumi.Input<string>;
    /** Absent (and no `passwordSecretArn`): the provider process's PGPASSWORD. */
    readonly password?: pulumi.Input<string | undefined>;
    /** The RDS-managed master user secret's ARN: the password is read from it whenever the provider runs, never stored. */
    readonly passwordSecretArn?: pulumi.Input<string | undefined>;
    /** Defaults to `postgres`. */
    readonly database?: pulumi.Input<string>;
    /** Defaults to `require`. */
    readonly sslmode?: pulumi.Input<PgSslMode>;
}

/** A dynamic resource's connection input with its defaults (database `postgres`, sslmode `require`). */
export function pgConnectionOutput(args: pulumi.Input<PgConnectionArgs>): pulumi.Output<PgConnection> {
    return pulumi.output(args).apply((c) => ({
        host: c.host, port: c.port, user: c.user, password: c.password, passwordSecretArn: c.passwordSecretArn, database: c.database ?? "postgres", sslmode: c.sslmode ?? "require",
    }));
}

export interface RoleMembershipArgs {
    /** The granted role: GRANT <role> TO ... */
    readonly role: pulumi.Input<string>;
    /** The role that receives the membership. */
    readonly member: pulumi.Input<string>;
    /** The member has the role's privileges without SET ROLE. Defaults to false. */
    readonly inherit?: pulumi.Input<boolean>;
    /** The member may SET ROLE to the role. Defaults to false. */
    readonly set?: pulumi.Input<boolean>;
    /** The member may grant the role onward. Defaults to false. */
    readonly admin?: pulumi.Input<boolean>;
    /** How to reach the server, as a role that can grant `role`; always stored as a secret. */
    readonly connection: pulumi.Input<PgConnectionArgs>;
}

/**
 * One role membership with PostgreSQL 16's grant options. Defaults grant nothing usable
 * (INHERIT FALSE, SET FALSE, ADMIN FALSE): ask for each option you need.
 */
export class RoleMembership extends pulumi.dynamic.Resource {
    public readonly __kind!: pulumi.Output<typeof ROLE_MEMBERSHIP_KIND>;
    public readonly role!: pulumi.Output<string>;
    public readonly member!: pulumi.Output<string>;
    /** Live after a refresh: drift shows here and in the next diff. */
    public readonly inherit!: pulumi.Output<boolean>;
    public readonly set!: pulumi.Output<boolean>;
    public readonly admin!: pulumi.Output<boolean>;
    /** Secret. */
    public readonly connection!: pulumi.Output<PgConnection>;
    public readonly grants!: pulumi.Output<MembershipGrant[]>;
    public readonly serverVersion!: pulumi.Output<string>;

    constructor(name: string, args: RoleMembershipArgs, opts: pulumi.CustomResourceOptions = {}) {
        const connection = pgConnectionOutput(args.connection);
        super(roleMembershipProvider, name, {
            __kind: ROLE_MEMBERSHIP_KIND,
            role: args.role,
            member: args.member,
            inherit: args.inherit ?? false,
            set: args.set ?? false,
            admin: args.admin ?? false,
            connection: pulumi.secret(connection),
            grants: undefined,
            serverVersion: undefined,
        }, connectionSecretOptions(opts));
    }
}
