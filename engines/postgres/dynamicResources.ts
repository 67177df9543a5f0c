/**
 * Translator for RoleMembership (components/postgres/roleMembership.ts), the dynamic resource for
 * PostgreSQL 16's grant options: one `GRANT <role> TO <member> WITH ADMIN x, INHERIT y, SET z`,
 * which creates the membership or updates the options of an existing one, and the membership with
 * all three options as the fact `audit` checks. On PostgreSQL < 16 a first statement refuses with
 * the server's version, as the resource does for options 15 cannot express (here: any), instead
 * of the GRANT's bare syntax error: seed 004's memberships cannot be expressed there.
 */
import { ROLE_MEMBERSHIP_KIND } from "./membership";
import { PG_GRANT_OPTIONS_MIN_VERSION_NUM } from "./versions";
import { FENCE_FUNCTION_KIND, fenceFunctionSetupSql } from "./fence";
import { grantRoleMembership, quoteLiteral } from "./statements";
import { DeclaredResource as GraphResource, SECRET_MASK, SqlStep, Translator, UNKNOWN_MASK } from "../model";

function known(r: GraphResource, v: unknown, key: string): string {
    if (v === UNKNOWN_MASK || v === SECRET_MASK || typeof v !== "string" || v === "") {
        throw new Error(`${r.type} ${r.name} (${String(r.inputs.__kind)}): input "${key}" is ${JSON.stringify(v)}, expected a name known offline`);
    }
    return v;
}

function text(r: GraphResource, key: string): string {
    return known(r, r.inputs[key], key);
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

export const roleMembershipTranslator: Translator = (r) => {
    const role = text(r, "role");
    const member = text(r, "member");
    const o = { admin: flag(r, "admin"), inherit: flag(r, "inherit"), set: flag(r, "set") };
    const step: SqlStep = {
        engine: "postgres", resource: { type: r.type, name: r.name }, server: "",
        kind: "membership", action: "ensure", transactional: true,
        statements: () => {
            const grant = grantRoleMembership(role, member, o);
            return [requireGrantOptionsSql(grant), grant];
        },
        declares: [{ engine: "postgres", type: "membership", role, member, ...o }],
    };
    return [step];
};

/**
 * FenceFunction (components/postgres/fenceFunction.ts): the same statements the dynamic provider runs,
 * in the Deployment's database, in one transaction; the function as the fact `audit` checks.
 */
export const fenceFunctionTranslator: Translator = (r, ctx) => {
    const database = text(r, "database");
    const terminatorRole = text(r, "terminatorRole");
    const roles = r.inputs.loginRoles;
    if (!Array.isArray(roles) || roles.length !== 2) throw new Error(`${r.type} ${r.name} (${FENCE_FUNCTION_KIND}): input "loginRoles" is ${JSON.stringify(roles)}, expected the two login roles`);
    const loginRoles = roles.map((x, i) => known(r, x, `loginRoles[${i}]`));
    const step: SqlStep = {
        engine: "postgres", resource: { type: r.type, name: r.name }, server: "",
        kind: "fencing function", action: "ensure", database, transactional: true,
        statements: () => fenceFunctionSetupSql({ loginRoles, terminatorRole }, { asOwner: !ctx.adminIsSuperuser }),
        declares: [{ engine: "postgres", type: "fence-function", database, owner: ctx.adminUser, loginRoles, terminatorRole }],
    };
    return [step];
};

/** Dynamic translators by `__kind`, for the registry. */
export const FAILOVER_DYNAMIC_TRANSLATORS: Record<string, Translator> = {
    [ROLE_MEMBERSHIP_KIND]: roleMembershipTranslator,
    [FENCE_FUNCTION_KIND]: fenceFunctionTranslator,
};
