/**
 * FenceFunction (components/postgres/fenceFunction.ts), the dynamic resource for a failover
 * Deployment's fencing function: the statements its provider runs (fence.ts), in the Deployment's
 * database, in one transaction; the function as the fact `audit` checks.
 */
import type { Client } from "pg";
import { FENCE_FUNCTION, FENCE_FUNCTION_KIND, FenceFunctionState, fenceFunctionSetupSql } from "../fence";
import { Translator } from "../../model";
import { quoteLiteral } from "../quote";
import { known, step } from "./common";

/** The `__kind` input that tells this dynamic resource apart. */
export const KIND = FENCE_FUNCTION_KIND;

/** One row: the live function as audit and the provider's read() compare it, or no row when it does not exist. */
export const FENCE_FUNCTION_STATE_SQL =
    "SELECT pg_catalog.pg_get_userbyid(p.proowner) AS owner, p.prosecdef AS security_definer, p.proconfig AS config, p.prosrc AS source, " +
    "pg_catalog.pg_get_userbyid(n.nspowner) AS schema_owner, " +
    "(SELECT coalesce(pg_catalog.array_agg((CASE WHEN a.grantee = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(a.grantee)::text END) ORDER BY 1), '{}')::text[] " +
    " FROM pg_catalog.aclexplode(coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))) a WHERE a.privilege_type = 'EXECUTE') AS executors, " +
    "(SELECT coalesce(pg_catalog.array_agg(DISTINCT (CASE WHEN a.grantee = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(a.grantee)::text END)), '{}')::text[] " +
    " FROM pg_catalog.aclexplode(coalesce(n.nspacl, pg_catalog.acldefault('n', n.nspowner))) a) AS schema_grantees " +
    "FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace " +
    `WHERE n.nspname = ${quoteLiteral(FENCE_FUNCTION.schema)} AND p.proname = ${quoteLiteral(FENCE_FUNCTION.name)} ` +
    `AND pg_catalog.pg_get_function_identity_arguments(p.oid) = ${quoteLiteral(FENCE_FUNCTION.args)}`;

export async function readFenceFunction(client: Pick<Client, "query">): Promise<FenceFunctionState | undefined> {
    return fenceFunctionState((await client.query(FENCE_FUNCTION_STATE_SQL)).rows[0] as Record<string, unknown> | undefined);
}

/** FENCE_FUNCTION_STATE_SQL's row as the function's state; undefined without a row (no such function). */
export function fenceFunctionState(row: Record<string, unknown> | undefined): FenceFunctionState | undefined {
    if (!row) return undefined;
    return {
        owner: String(row.owner), securityDefiner: row.security_definer === true, config: (row.config as string[] | null) ?? [],
        source: String(row.source), schemaOwner: String(row.schema_owner), executors: row.executors as string[], schemaGrantees: row.schema_grantees as string[],
    };
}

export const translate: Translator = (r, ctx) => {
    const database = known(r, r.inputs.database, "database");
    const terminatorRole = known(r, r.inputs.terminatorRole, "terminatorRole");
    const roles = r.inputs.loginRoles;
    if (!Array.isArray(roles) || roles.length !== 2) throw new Error(`${r.type} ${r.name} (${FENCE_FUNCTION_KIND}): input "loginRoles" is ${JSON.stringify(roles)}, expected the two login roles`);
    const loginRoles = roles.map((x, i) => known(r, x, `loginRoles[${i}]`));
    return [step(r, {
        kind: "fencing function", action: "ensure", database, transactional: true,
        statements: () => fenceFunctionSetupSql({ loginRoles, terminatorRole }, { asOwner: !ctx.adminIsSuperuser }),
        declares: [{ engine: "postgres", type: "fence-function", database, owner: ctx.adminUser, loginRoles, terminatorRole }],
    })];
};
