/**
 * Role memberships with PostgreSQL 16's INHERIT/SET/ADMIN grant options: the GRANT, the legacy
 * (< 16) refusal, the live pg_auth_members rows. The dynamic resource is
 * components/postgres/roleMembership.ts.
 */
import type { Client } from "pg";
import { grantRoleMembership, isCreatorGrant } from "./statements";
import { quoteIdent } from "./quote";
import { PG_GRANT_OPTIONS_MIN_VERSION_NUM } from "./versions";

/**
 * `__kind` input of every RoleMembership: all dynamic resources share the type token
 * `pulumi-nodejs:dynamic:Resource`, and tooling (plan, sql, apply, audit) tells them apart by this.
 */
export const ROLE_MEMBERSHIP_KIND = "RoleMembership";

export interface MembershipOptions {
    /** The member has the role's privileges without SET ROLE. */
    inherit: boolean;
    /** The member may `SET ROLE` to the role (and so act as it). */
    set: boolean;
    /** The member may grant the role to others. */
    admin: boolean;
}

/** One `pg_auth_members` row for (role, member): PostgreSQL 16 keeps one per grantor. */
export interface MembershipGrant extends MembershipOptions {
    grantor: string;
}

/** The Pulumi id of a membership: readable, unambiguous. */
export function membershipId(role: string, member: string): string {
    return `${quoteIdent(role)} TO ${quoteIdent(member)}`;
}

/**
 * The GRANT for a membership. On PostgreSQL 16+ it carries all three options, and on an existing
 * grant by the same grantor it updates them. Below 16 only ADMIN exists: call `legacyRefusal` first.
 */
export function grantMembershipSql(role: string, member: string, o: MembershipOptions, serverVersionNum: number = PG_GRANT_OPTIONS_MIN_VERSION_NUM): string {
    return serverVersionNum >= PG_GRANT_OPTIONS_MIN_VERSION_NUM
        ? grantRoleMembership(role, member, { admin: o.admin, inherit: o.inherit, set: o.set })
        : grantRoleMembership(role, member, { admin: o.admin });
}

/** Below PostgreSQL 16 a GRANT cannot take ADMIN away from an existing grant: this does. */
export function revokeAdminOptionSql(role: string, member: string): string {
    return `REVOKE ADMIN OPTION FOR ${quoteIdent(role)} FROM ${quoteIdent(member)}`;
}

export function sqlBool(b: boolean): string {
    return b ? "TRUE" : "FALSE";
}

/**
 * Why PostgreSQL < 16 cannot give (role, member) these options, or undefined when it can:
 * a legacy grant always allows SET ROLE, and inherits exactly when the member role is INHERIT.
 */
export function legacyRefusal(role: string, member: string, o: MembershipOptions, memberInherits: boolean, serverVersion: string): string | undefined {
    if (o.set && o.inherit === memberInherits) return undefined;
    const problems: string[] = [];
    if (!o.set) {
        problems.push(`SET FALSE cannot be expressed: every membership lets ${member} \`SET ROLE ${role}\` and act with all of ${role}'s privileges`);
    }
    if (o.inherit !== memberInherits) {
        problems.push(`INHERIT ${sqlBool(o.inherit)} cannot be expressed: inheritance follows ${member}'s ${memberInherits ? "INHERIT" : "NOINHERIT"} attribute`);
    }
    return `GRANT ${role} TO ${member} WITH INHERIT ${sqlBool(o.inherit)}, SET ${sqlBool(o.set)} needs PostgreSQL 16 or later, ` +
        `and this server is PostgreSQL ${serverVersion}: ${problems.join("; ")}. Refusing rather than granting more than declared: ` +
        `upgrade the server to PostgreSQL 16+ (data-plane failover, seed 004, needs it).`;
}

export interface ServerInfo {
    version: string;
    versionNum: number;
}

export async function serverInfo(client: Client): Promise<ServerInfo> {
    const r = await client.query<{ v: string; n: string }>("SELECT current_setting('server_version') AS v, current_setting('server_version_num') AS n");
    return { version: r.rows[0].v, versionNum: Number(r.rows[0].n) };
}

export interface LiveMembership {
    /** Both roles exist. */
    rolesExist: boolean;
    memberInherits: boolean;
    grants: MembershipGrant[];
}

/** The live `pg_auth_members` rows for (role, member). Below 16: INHERIT is the member's attribute, SET always true. */
export async function readMembership(client: Client, server: ServerInfo, role: string, member: string): Promise<LiveMembership> {
    const roles = await client.query<{ rolname: string; rolinherit: boolean }>(
        "SELECT rolname, rolinherit FROM pg_catalog.pg_roles WHERE rolname = ANY($1::text[])", [[role, member]]);
    const memberRow = roles.rows.find((r) => r.rolname === member);
    const rolesExist = roles.rows.some((r) => r.rolname === role) && memberRow !== undefined;
    if (!rolesExist) return { rolesExist, memberInherits: memberRow?.rolinherit ?? true, grants: [] };
    const options = server.versionNum >= PG_GRANT_OPTIONS_MIN_VERSION_NUM
        ? 'm.inherit_option AS "inherit", m.set_option AS "set"'
        : 'u.rolinherit AS "inherit", true AS "set"';
    const rows = await client.query<MembershipGrant>(
        `SELECT coalesce(g.rolname::text, m.grantor::text) AS grantor, ${options}, m.admin_option AS "admin"
           FROM pg_catalog.pg_auth_members m
           JOIN pg_catalog.pg_roles r ON r.oid = m.roleid
           JOIN pg_catalog.pg_roles u ON u.oid = m.member
           LEFT JOIN pg_catalog.pg_roles g ON g.oid = m.grantor
          WHERE r.rolname = $1 AND u.rolname = $2
          ORDER BY 1`, [role, member]);
    return { rolesExist, memberInherits: memberRow!.rolinherit, grants: rows.rows };
}

/** The rows that make up a declared membership: every grantor's, but the one PostgreSQL 16+ gives a CREATEROLE admin in a role it created. */
export function declaredGrants(grants: MembershipGrant[], member: string, connectionUser: string): MembershipGrant[] {
    return grants.filter((g) => !isCreatorGrant({ ...g, member }, connectionUser));
}

/** What the member really gets: the union over every grantor's row. */
export function effectiveOptions(grants: MembershipGrant[]): MembershipOptions {
    return {
        inherit: grants.some((g) => g.inherit),
        set: grants.some((g) => g.set),
        admin: grants.some((g) => g.admin),
    };
}
