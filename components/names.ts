/**
 * Names of everything a Deployment owns, derived once (DESIGN.md "Naming", seeds 000, 003, 004),
 * and the limits each system puts on them. Pure code: no Pulumi here.
 */
import { DEFAULT_PLATFORM_RELEASE, SECRETS } from "./astronomer/facts";

/** PostgreSQL truncates identifiers longer than NAMEDATALEN-1 = 63 bytes; we refuse them instead. */
export const PG_IDENTIFIER_MAX_BYTES = 63;
/** MySQL account user names: at most 32 characters (MySQL 5.7.8+ / 8.x). */
export const MYSQL_USER_MAX_CHARS = 32;
/** MySQL database (schema) names: at most 64 characters. */
export const MYSQL_DATABASE_MAX_CHARS = 64;
/** Kubernetes object names (DNS-1123 subdomain) and namespaces (DNS-1123 label). */
export const K8S_SUBDOMAIN_MAX = 253;
export const K8S_LABEL_MAX = 63;

/** Astronomer release names: lowercase words joined by `-`, e.g. `amateur-sunspot-5075`. */
export const RELEASE_NAME_PATTERN = /^[a-z]([a-z0-9]*)(-[a-z0-9]+)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;


export interface DeploymentNames {
    /** Release name with `-` turned into `_` (`amateur-sunspot-5075` -> `amateur_sunspot_5075`). */
    id: string;
    database: string;
    user: string;
    namespace: string;
    secrets: { metadata: string; resultBackend: string; fernetKey: string };
    /** Failover roles (seed 004). */
    ownerRole: string;
    terminatorRole: string;
    loginRoles: [string, string];
}

export interface NameOverrides {
    database?: string;
    user?: string;
    namespace?: string;
    ownerRole?: string;
    terminatorRole?: string;
    loginRoles?: [string, string];
}

export function deploymentId(release: string): string {
    return release.replace(/-/g, "_");
}

/** The default names of a Deployment's objects, with any overrides applied. */
export function deploymentNames(
    release: string,
    platformRelease: string = DEFAULT_PLATFORM_RELEASE,
    overrides: NameOverrides = {},
): DeploymentNames {
    const id = deploymentId(release);
    return {
        id,
        database: overrides.database ?? `airflow_db_${id}`,
        user: overrides.user ?? `astro_${id}`,
        namespace: overrides.namespace ?? `${platformRelease}-${release}`,
        secrets: {
            metadata: `${release}-${SECRETS.metadata.suffix}`,
            resultBackend: `${release}-${SECRETS.resultBackend.suffix}`,
            fernetKey: `${release}-${SECRETS.fernetKey.suffix}`,
        },
        ownerRole: overrides.ownerRole ?? `airflow_db_${id}_owner`,
        terminatorRole: overrides.terminatorRole ?? `airflow_conn_killer_${id}`,
        loginRoles: overrides.loginRoles ?? [`dp1_user_${id}`, `dp2_user_${id}`],
    };
}

/** Problems with one name, as sentences that say the fix; empty when the name is valid. */
export function checkReleaseName(release: string): string[] {
    if (!RELEASE_NAME_PATTERN.test(release)) {
        return [`"${release}" is not a release name: use lowercase letters, digits and single dashes, starting with a letter (e.g. amateur-sunspot-5075)`];
    }
    return [];
}

export function checkPgIdentifier(name: string): string[] {
    const bytes = Buffer.byteLength(name, "utf8");
    const problems: string[] = [];
    if (name.length === 0) problems.push("a PostgreSQL identifier cannot be empty");
    if (bytes > PG_IDENTIFIER_MAX_BYTES) {
        problems.push(`"${name}" is ${bytes} bytes; PostgreSQL identifiers are at most ${PG_IDENTIFIER_MAX_BYTES} bytes (longer ones are silently truncated): choose a shorter name`);
    }
    if (name.includes("\0")) problems.push(`"${name}" contains a NUL byte`);
    if (/^pg_/i.test(name)) problems.push(`"${name}" starts with pg_, which PostgreSQL reserves for system roles and schemas`);
    return problems;
}

export function checkMysqlUser(name: string): string[] {
    if (name.length === 0) return ["a MySQL user name cannot be empty"];
    if ([...name].length > MYSQL_USER_MAX_CHARS) {
        return [`"${name}" is ${[...name].length} characters; MySQL user names are at most ${MYSQL_USER_MAX_CHARS}: set a shorter user name override`];
    }
    return [];
}

export function checkMysqlDatabase(name: string): string[] {
    if (name.length === 0) return ["a MySQL database name cannot be empty"];
    const problems: string[] = [];
    if ([...name].length > MYSQL_DATABASE_MAX_CHARS) {
        problems.push(`"${name}" is ${[...name].length} characters; MySQL database names are at most ${MYSQL_DATABASE_MAX_CHARS}: set a shorter database name override`);
    }
    if (/[/\\.]/.test(name) || / $/.test(name)) problems.push(`"${name}" contains /, \\, . or a trailing space, which MySQL does not allow in database names`);
    return problems;
}

export function checkK8sName(name: string): string[] {
    if (name.length > K8S_SUBDOMAIN_MAX || !DNS1123_SUBDOMAIN.test(name)) {
        return [`"${name}" is not a valid Kubernetes object name (DNS-1123 subdomain: lowercase letters, digits, '-' and '.', at most ${K8S_SUBDOMAIN_MAX} characters)`];
    }
    return [];
}

export function checkK8sNamespace(name: string): string[] {
    if (name.length > K8S_LABEL_MAX || !DNS1123_LABEL.test(name)) {
        return [`"${name}" is not a valid Kubernetes namespace (DNS-1123 label: lowercase letters, digits and '-', at most ${K8S_LABEL_MAX} characters)`];
    }
    return [];
}

/** Schemas every PostgreSQL database has for itself: a Deployment may not claim them (pg_* is refused by checkPgIdentifier). */
export const PG_SYSTEM_SCHEMAS = ["information_schema", "pg_catalog", "pg_toast"] as const;

/** A Deployment's schema: a PostgreSQL identifier that is not a system schema. */
export function checkPgSchema(name: string): string[] {
    const problems = checkPgIdentifier(name);
    if ((PG_SYSTEM_SCHEMAS as readonly string[]).includes(name.toLowerCase())) {
        problems.push(`"${name}" is a PostgreSQL system schema, not one a Deployment may own: use public (the default) or a name of your own such as airflow`);
    }
    return problems;
}
