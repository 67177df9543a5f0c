/**
 * What the PostgreSQL translators (one file per provider resource type in this folder) share: the
 * step they return, the provider's withRolesGranted, and the ACL columns of their read queries.
 */
import { strList } from "../../inputs";
import { PG_ALL_PRIVILEGES } from "../privileges";
import * as sql from "../statements";
import { PUBLIC_ROLE } from "../quote";
import type { RolesQuery } from "../statements";
import { DeclaredResource as GraphResource, GENERATED_PLACEHOLDER, SECRET_MASK, SqlStep, TranslateContext, UNKNOWN_MASK } from "../../model";

type StepInit = Omit<SqlStep, "engine" | "resource" | "server" | "deployment">;

export function step(r: GraphResource, init: StepInit): SqlStep {
    return { engine: "postgres", resource: { type: r.type, name: r.name }, server: "", ...init };
}

/**
 * The provider's withRolesGranted: around `statements`, a non-superuser admin becomes a member of
 * `owners` it is not yet a member of, and stops being one after. A superuser needs none of it.
 */
export function asOwners(ctx: TranslateContext, owners: RolesQuery[], statements: string[], local = true): string[] {
    if (ctx.adminIsSuperuser || owners.length === 0) return statements;
    return [sql.beginTemporaryMembership(owners, local), ...statements, sql.endTemporaryMembership(local)];
}

/** Privileges as the provider compares them: a set, upper case, `ALL` kept as written. */
export function privileges(r: GraphResource): string[] {
    return [...new Set(strList(r, "privileges").map((p) => p.toUpperCase()))].sort();
}

/** `ALL` stands for every privilege of the object type (privileges.ts); the catalogs list them one by one. */
export function expandAll(list: string[], objectType: string): string[] {
    return list.includes("ALL") ? [...(PG_ALL_PRIVILEGES[objectType] ?? [])] : list;
}

/** A password the stack itself declares; undefined when it is generated (or hidden). */
export function declaredPassword(r: GraphResource): string | undefined {
    const v = r.inputs.password;
    if (typeof v !== "string" || v === SECRET_MASK || v === UNKNOWN_MASK || v === GENERATED_PLACEHOLDER) return undefined;
    return v;
}

/** A dynamic resource's input that must be a name known offline (not unknown, secret or empty). */
export function known(r: GraphResource, v: unknown, key: string): string {
    if (v === UNKNOWN_MASK || v === SECRET_MASK || typeof v !== "string" || v === "") {
        throw new Error(`${r.type} ${r.name} (${String(r.inputs.__kind)}): input "${key}" is ${JSON.stringify(v)}, expected a name known offline`);
    }
    return v;
}

/** The schemas of a database the catalog reads (n: pg_namespace): all but pg_* and information_schema. */
export const USER_SCHEMAS = "n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'";

/** One ACL entry per row: grantor, grantee (`public` for PUBLIC), privilege, grantable. `acl` is an aclitem[] expression. */
export function aclColumns(acl: string): string {
    return `CROSS JOIN LATERAL pg_catalog.aclexplode(${acl}) AS a ` +
        `CROSS JOIN LATERAL (SELECT pg_catalog.pg_get_userbyid(a.grantor) AS grantor, ` +
        `CASE WHEN a.grantee = 0 THEN '${PUBLIC_ROLE}' ELSE pg_catalog.pg_get_userbyid(a.grantee) END AS grantee, a.privilege_type AS privilege, a.is_grantable AS grantable) AS e`;
}
