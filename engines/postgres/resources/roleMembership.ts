/**
 * RoleMembership (components/postgres/roleMembership.ts), the dynamic resource for PostgreSQL 16's
 * grant options: one `GRANT <role> TO <member> WITH ADMIN x, INHERIT y, SET z`, which creates the
 * membership or updates an existing one's options. Below 16 a first statement refuses, naming the
 * server's version, instead of the GRANT's bare syntax error (seed 004's memberships need 16).
 */
import { ROLE_MEMBERSHIP_KIND } from "../membership";
import { pgSupports, PG_GRANT_OPTIONS_MIN_VERSION_NUM } from "../versions";
import { grantRoleMembership } from "../statements";
import { quoteLiteral } from "../quote";
import { DeclaredResource as GraphResource, Translator } from "../../model";
import { known, step } from "./common";

/** The `__kind` input that tells this dynamic resource apart. */
export const KIND = ROLE_MEMBERSHIP_KIND;

/** Every membership with its grantor and options (INHERIT and SET exist from PostgreSQL 16: NULL before). */
export function readMemberships(version: number): string {
    const options = pgSupports(version, "grantOptions") ? "m.inherit_option, m.set_option" : "NULL::boolean AS inherit_option, NULL::boolean AS set_option";
    return "SELECT pg_catalog.pg_get_userbyid(m.roleid) AS role, pg_catalog.pg_get_userbyid(m.member) AS member, " +
        `pg_catalog.pg_get_userbyid(m.grantor) AS grantor, m.admin_option, ${options} FROM pg_catalog.pg_auth_members m`;
}

function flag(r: GraphResource, key: "inherit" | "set" | "admin"): boolean {
    const v = r.inputs[key];
    if (v === undefined) return false; // the resource's default
    if (typeof v !== "boolean") throw new Error(`${r.type} ${r.name} (${ROLE_MEMBERSHIP_KIND}): input "${key}" is ${JSON.stringify(v)}, expected true or false`);
    return v;
}

/** A DO block that stops the transaction on PostgreSQL < 16, saying why and naming the version. */
export function requireGrantOptionsSql(grantSql: string): string {
    const why = `${grantSql} needs PostgreSQL 16 or later (INHERIT and SET grant options); this server is PostgreSQL %`;
    return `DO $astro_db$ BEGIN IF current_setting('server_version_num')::int < ${PG_GRANT_OPTIONS_MIN_VERSION_NUM} THEN ` +
        `RAISE EXCEPTION ${quoteLiteral(why.replace(/%(?!$)/g, "%%"))}, current_setting('server_version'); END IF; END $astro_db$`;
}

export const translate: Translator = (r) => {
    const role = known(r, r.inputs.role, "role");
    const member = known(r, r.inputs.member, "member");
    const o = { admin: flag(r, "admin"), inherit: flag(r, "inherit"), set: flag(r, "set") };
    return [step(r, {
        kind: "membership", action: "ensure", transactional: true,
        statements: () => {
            const grant = grantRoleMembership(role, member, o);
            return [requireGrantOptionsSql(grant), grant];
        },
        declares: [{ engine: "postgres", type: "membership", role, member, ...o }],
    })];
};
