/**
 * The fencing function (seed 004): its SQL and what is wrong with a live one (its catalog read and
 * translator: resources/fenceFunction.ts). Why it exists and who owns it: README "Data-plane failover";
 * the dynamic resource is components/postgres/fenceFunction.ts.
 */
import * as sql from "./statements";
import { PUBLIC_ROLE, quoteIdent, quoteLiteral } from "./quote";

/** `__kind` input of the FenceFunction dynamic resource (see roleMembership.ts ROLE_MEMBERSHIP_KIND). */
export const FENCE_FUNCTION_KIND = "FenceFunction";

/** How the orchestrator ends the source plane's sessions (config `failover.terminate`). */
export type FenceMechanism = "function" | "pg_signal_backend" | "none";
export const FENCE_MECHANISMS: readonly FenceMechanism[] = ["function", "pg_signal_backend", "none"];

/** The function's schema, name and arguments (as pg_get_function_identity_arguments prints them). */
export const FENCE_FUNCTION = {
    schema: "astro_db_fence",
    name: "terminate_plane_sessions",
    args: "login_role name, timeout_ms bigint",
    /** The argument types alone, for GRANT/REVOKE/DROP. */
    signatureTypes: "name, bigint",
    /** The function's own search_path. */
    searchPath: "pg_catalog, pg_temp",
} as const;

/** `"astro_db_fence"."terminate_plane_sessions"(name, bigint)`. */
export function fenceFunctionSignature(): string {
    return `${quoteIdent(FENCE_FUNCTION.schema)}.${quoteIdent(FENCE_FUNCTION.name)}(${FENCE_FUNCTION.signatureTypes})`;
}

/** How the orchestrator calls it (as the terminator): one row per session, with whether it ended. */
export const CALL_FENCE_FUNCTION_SQL =
    `SELECT pid, terminated FROM ${quoteIdent(FENCE_FUNCTION.schema)}.${quoteIdent(FENCE_FUNCTION.name)}($1::pg_catalog.name, $2::pg_catalog.int8)`;

const TAG = "$astro_db$";

/** The function's body: pure, so audit compares the live `prosrc` with it. Every name is pg_catalog's. */
export function fenceFunctionBody(loginRoles: readonly string[]): string {
    for (const r of loginRoles) if (r.includes(TAG)) throw new Error(`"${r}" contains ${TAG}, which the fencing function cannot quote`);
    const allowed = `ARRAY[${loginRoles.map(quoteLiteral).join(", ")}]::pg_catalog.name[]`;
    return [
        "",
        "BEGIN",
        `  IF NOT (login_role OPERATOR(pg_catalog.=) ANY (${allowed})) THEN`,
        `    RAISE EXCEPTION 'astro-db fencing: % is not a data-plane login role of this Deployment (%)', login_role, pg_catalog.array_to_string(${allowed}, ', ')`,
        "      USING ERRCODE = '42501';",
        "  END IF;",
        "  RETURN QUERY",
        "    SELECT a.pid, pg_catalog.pg_terminate_backend(a.pid, timeout_ms)",
        "      FROM pg_catalog.pg_stat_activity AS a",
        "     WHERE a.datname OPERATOR(pg_catalog.=) pg_catalog.current_database()",
        "       AND a.usename OPERATOR(pg_catalog.=) login_role",
        "       AND a.pid OPERATOR(pg_catalog.<>) pg_catalog.pg_backend_pid();",
        "END",
        "",
    ].join("\n");
}

export interface FenceFunctionNames {
    /** The Deployment's two login roles: the only roles whose sessions it ends. */
    loginRoles: readonly string[];
    /** The only role granted EXECUTE (and USAGE on the schema). */
    terminatorRole: string;
}

/**
 * A DO block that fails unless the current user (the function's owner) can end the login roles'
 * sessions: a superuser, or with the privileges of pg_signal_backend, or of every login role.
 */
export function requireSignalSql(n: FenceFunctionNames): string {
    const roles = `ARRAY[${n.loginRoles.map(quoteLiteral).join(", ")}]::text[]`;
    const why = `astro-db fencing: % (the owner of ${FENCE_FUNCTION.schema}.${FENCE_FUNCTION.name}) can end the sessions of neither every login role (${n.loginRoles.join(", ")}) nor, through pg_signal_backend, anyone's, ` +
        "so the orchestrator could not fence. A superuser or RDS's master user (rds_superuser) can; for another admin, as a superuser GRANT pg_signal_backend TO %, " +
        "or (customer-managed users) let it hold the login roles WITH INHERIT TRUE, SET FALSE as the stack declares, or set failover.terminate: none (fence then cannot end sessions)";
    return [
        `DO ${TAG}`,
        "BEGIN",
        "  IF NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user)",
        "     AND NOT pg_catalog.pg_has_role(current_user, 'pg_signal_backend', 'USAGE')",
        `     AND EXISTS (SELECT FROM pg_catalog.unnest(${roles}) AS l(r) WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = l.r AND pg_catalog.pg_has_role(current_user, oid, 'USAGE'))) THEN`,
        `    RAISE EXCEPTION ${quoteLiteral(why)}, current_user, current_user USING ERRCODE = '42501';`,
        "  END IF;",
        "END",
        TAG,
    ].join("\n");
}

/**
 * Everything, in the Deployment's database, in one transaction: the schema (the admin's), the function,
 * EXECUTE and USAGE for the terminator only, then the check that its owner can signal. A non-superuser
 * admin that does not own the database is its owner's member meanwhile (CREATE SCHEMA needs CREATE on
 * the database), as the provider's `withRolesGranted` does; `asOwner: false` leaves that out.
 */
export function fenceFunctionSetupSql(n: FenceFunctionNames, o: { asOwner?: boolean } = {}): string[] {
    const schema: sql.GrantTarget = { kind: "schema", schema: FENCE_FUNCTION.schema };
    const fn = `FUNCTION ${fenceFunctionSignature()}`;
    const create = [
        `CREATE OR REPLACE FUNCTION ${quoteIdent(FENCE_FUNCTION.schema)}.${quoteIdent(FENCE_FUNCTION.name)}(${FENCE_FUNCTION.args})`,
        "  RETURNS TABLE (pid integer, terminated boolean)",
        `  LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER SET search_path = ${FENCE_FUNCTION.searchPath}`,
        `AS ${TAG}${fenceFunctionBody(n.loginRoles)}${TAG}`,
    ].join("\n");
    const statements = [
        sql.createSchema(FENCE_FUNCTION.schema),
        sql.revoke(schema, PUBLIC_ROLE),
        sql.grant(["USAGE"], schema, n.terminatorRole),
        create,
        `REVOKE ALL ON ${fn} FROM PUBLIC`,
        `GRANT EXECUTE ON ${fn} TO ${quoteIdent(n.terminatorRole)}`,
        requireSignalSql(n),
    ];
    if (o.asOwner === false) return statements;
    return [sql.beginTemporaryMembership([sql.databaseOwnerQuery()]), ...statements, sql.endTemporaryMembership()];
}

/** Drops the function and, if nothing else is in it, its schema. */
export function dropFenceFunctionSql(): string[] {
    return [`DROP FUNCTION IF EXISTS ${fenceFunctionSignature()}`, `DROP SCHEMA IF EXISTS ${quoteIdent(FENCE_FUNCTION.schema)}`];
}

/** The live function (resources/fenceFunction.ts FENCE_FUNCTION_STATE_SQL's row). */
export interface FenceFunctionState {
    owner: string;
    securityDefiner: boolean;
    /** proconfig, e.g. ["search_path=pg_catalog, pg_temp"]. */
    config: string[];
    source: string;
    schemaOwner: string;
    /** Who holds EXECUTE (`public` for PUBLIC), owner included. */
    executors: string[];
    /** Who holds anything on the schema, owner included. */
    schemaGrantees: string[];
}

/** What is wrong with the live function, one sentence each; empty when it is what the stack declares. */
export function fenceFunctionProblems(live: FenceFunctionState | undefined, n: FenceFunctionNames): string[] {
    const what = `${FENCE_FUNCTION.schema}.${FENCE_FUNCTION.name}(${FENCE_FUNCTION.args})`;
    if (!live) return [`the fencing function ${what} does not exist`];
    const problems: string[] = [];
    if (!live.securityDefiner) problems.push(`${what} is not SECURITY DEFINER`);
    if (!live.config.includes(`search_path=${FENCE_FUNCTION.searchPath}`)) problems.push(`${what} has no fixed search_path (${FENCE_FUNCTION.searchPath}): it has ${JSON.stringify(live.config)}`);
    if (live.source !== fenceFunctionBody(n.loginRoles)) problems.push(`${what} has another body than the stack's (it must end only ${n.loginRoles.join(", ")}'s sessions)`);
    const others = live.executors.filter((e) => e !== live.owner && e !== n.terminatorRole);
    if (others.length) problems.push(`${others.map((e) => (e === PUBLIC_ROLE ? "PUBLIC" : e)).join(", ")} can EXECUTE ${what}: only ${n.terminatorRole} may`);
    if (!live.executors.includes(n.terminatorRole)) problems.push(`${n.terminatorRole} cannot EXECUTE ${what}`);
    const schemaOthers = live.schemaGrantees.filter((e) => e !== live.schemaOwner && e !== n.terminatorRole);
    if (schemaOthers.length) problems.push(`${schemaOthers.map((e) => (e === PUBLIC_ROLE ? "PUBLIC" : e)).join(", ")} hold privileges on schema ${FENCE_FUNCTION.schema}: only ${n.terminatorRole} may (USAGE)`);
    if (live.schemaOwner !== live.owner) problems.push(`schema ${FENCE_FUNCTION.schema} belongs to ${live.schemaOwner}, not to the function's owner ${live.owner}`);
    return problems;
}
