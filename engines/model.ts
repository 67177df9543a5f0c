/**
 * What the stack's database resources amount to, engine by engine: ordered steps of SQL, each
 * with the facts it establishes. `sql` prints the steps, `apply` runs the ones whose facts do not
 * hold yet, `audit` checks every fact against the live catalogs. One list, three uses.
 */
import type { PgDefaultObjectType, PgSchemaObjectType } from "./postgres/statements";

/** The database engines astro-db knows (engines/index.ts ENGINES has one entry each). */
export type EngineKind = "postgres" | "mysql";

/** How an offline graph shows a secret input, and an output no provider has computed yet. */
export const SECRET_MASK = "[secret]";
export const UNKNOWN_MASK = "[unknown]";
/** Stands in for a generated password or key: the real one exists only in a real `pulumi up` or `astro-db apply`. */
export const GENERATED_PLACEHOLDER = "generated-by-pulumi-up";

/** The end of every switch over EngineKind: a new engine is a compile error until it is handled. */
export function unknownEngine(engine: never): never {
    throw new Error(`unknown database engine ${JSON.stringify(engine)}`);
}

/**
 * What callers elsewhere decide by engine, one entry per engine (engines/index.ts ENGINES carries
 * it too): a new engine is a compile error until it says what it supports.
 */
export interface EngineFeatures {
    /** PgBouncer in front of the Deployment's database (it speaks only the PostgreSQL protocol). */
    pgbouncer: boolean;
    /** libpq's sslmode on connections and endpoints. */
    sslmode: boolean;
    /** A schema other than the default inside the Deployment's database. */
    schemas: boolean;
    /** Failover roles (seed 004): owner, terminator and per-plane login roles. */
    failover: boolean;
    /** `astro-db migrate`: copy a Deployment's metadata database in from another server (seed 003). */
    migrate: boolean;
}

export const ENGINE_FEATURES: Record<EngineKind, EngineFeatures> = {
    postgres: { pgbouncer: true, sslmode: true, schemas: true, failover: true, migrate: true },
    mysql: { pgbouncer: false, sslmode: false, schemas: false, failover: false, migrate: false },
};

/* ---------------------------------------------------------------- translators */

/** What a translator reads of a declared resource (cli/graph.ts GraphResource has it all). */
export interface DeclaredResource {
    /** Type token, e.g. `postgresql:index/grant:Grant`. */
    type: string;
    name: string;
    inputs: Record<string, unknown>;
    options: { ignoreChanges: string[] };
}

/** The failover facts of the resource's Deployment a translator needs (stacks/config.ts DeploymentSpec has them). */
export interface TranslateDeployment {
    names: { database: string; loginRoles: readonly string[] };
    failover?: { users: "customer" | "apc"; planes: readonly string[] };
}

/** Everything a translator may need besides the resource itself. */
export interface TranslateContext {
    /** The Deployment the resource belongs to; undefined for server-wide resources. */
    deployment?: TranslateDeployment;
    /** The role the SQL runs as (the provider's username). */
    adminUser: string;
    /** False on RDS and other managed servers: statements then take the provider's temporary memberships. */
    adminIsSuperuser: boolean;
    /** The database the provider connects to first (`postgres`). */
    maintenanceDatabase: string;
}

/** One provider resource type (or dynamic resource kind) to the steps its SQL amounts to. */
export type Translator = (resource: DeclaredResource, ctx: TranslateContext) => SqlStep[];

/** The type token every dynamic-provider resource has; they are told apart by their `__kind` input. */
export const DYNAMIC_TYPE = "pulumi-nodejs:dynamic:Resource";

/** An engine's translators: by type token, and dynamic resources by `__kind`. */
export interface Translators {
    byType: Readonly<Record<string, Translator>>;
    byDynamicKind: Readonly<Record<string, Translator>>;
}

/** How a step's statements spell passwords: a literal for apply, a psql variable for `sql`. */
export interface RenderContext {
    /** The SQL expression for the password of `role`. */
    password(role: string): string;
}

/** What a step does when it runs: create an object that is missing, or bring one to the declared state. */
export type StepAction = "create" | "ensure";

export interface SqlStep {
    engine: EngineKind;
    /** The graph resource the step comes from. */
    resource: { type: string; name: string };
    /** Report heading: database, role, schema, grant, default privileges, membership, ... */
    kind: string;
    action: StepAction;
    /** The stack's server name. */
    server: string;
    /** The Deployment (release) the resource belongs to; undefined for server-wide resources. */
    deployment?: string;
    /** The database the statements must run in; undefined: any database of the server (roles are global). */
    database?: string;
    /** False for statements PostgreSQL refuses inside a transaction block (CREATE DATABASE). */
    transactional: boolean;
    /**
     * An SQL condition that must hold for the statements to run, for statements that are not safe to
     * repeat as written (CREATE DATABASE, CREATE ROLE). `sql` output checks it; apply decides from `declares`.
     */
    guard?: string;
    /**
     * A psql variable that must be set to exactly `1` (`psql -v confirm_drop=1`) for the step to run:
     * for destructive steps (a drop), which a printed script never runs by accident. Unset, `0`,
     * `yes` or anything else skips the step and says how to run it.
     */
    confirm?: string;
    /** The statements, in order; they run in one transaction with the rest of the step's segment. */
    statements(ctx: RenderContext): string[];
    /** The facts that hold once the step ran: apply skips the step when they already hold, audit checks them. */
    declares: Declaration[];
    /** The role whose password the step sets; its value comes from the RenderContext. */
    setsPasswordOf?: string;
    /** The password the stack itself declares for that role (known only when secrets are revealed), else undefined: generated. */
    declaredPassword?: string;
    /**
     * The resource ignores changes to what this step enforces (Pulumi `ignoreChanges`, e.g. the
     * login roles' CONNECT that a failover moves). Pulumi applies such a resource once, when it
     * creates it: apply runs the step only while nothing of what it declares exists yet (status
     * `absent`), and audit does not report its drift, except the `plane-connect` invariant.
     */
    ignoreDrift?: boolean;
}

/** Steps grouped by Deployment, in order: server-wide steps (undefined) first. */
export function byDeployment(steps: readonly SqlStep[]): [string | undefined, SqlStep[]][] {
    const groups = new Map<string | undefined, SqlStep[]>();
    for (const s of steps) groups.set(s.deployment, [...(groups.get(s.deployment) ?? []), s]);
    return [...groups];
}

/* ---------------------------------------------------------------- declarations (PostgreSQL) */

export type PgPrivilegeTarget =
    | { kind: "database"; database: string }
    | { kind: "schema"; database: string; schema: string }
    /** Every object of a type in a schema: the Grant's `objects: []`. */
    | { kind: "all"; database: string; schema: string; objectType: PgSchemaObjectType }
    | { kind: "objects"; database: string; schema: string; objectType: PgSchemaObjectType; objects: string[] };

export type PgDeclaration =
    | { engine: "postgres"; type: "database"; name: string; owner: string }
    | { engine: "postgres"; type: "role"; name: string }
    /** `assumeRole`: the role a login switches to (`ALTER ROLE ... SET ROLE`); empty for none. */
    | { engine: "postgres"; type: "role-attributes"; name: string; login: boolean; inherit: boolean; superuser: boolean; createDatabase: boolean; createRole: boolean; replication: boolean; bypassRowLevelSecurity: boolean; connectionLimit: number; validUntil: string; searchPath: string[]; assumeRole: string }
    | { engine: "postgres"; type: "schema"; database: string; name: string; owner?: string }
    /** `grantee` holds exactly `privileges` on the target (the provider's Grant owns the grantee's whole set there). */
    | { engine: "postgres"; type: "privileges"; on: PgPrivilegeTarget; grantee: string; privileges: string[]; withGrantOption: boolean }
    | { engine: "postgres"; type: "default-privileges"; database: string; owner: string; schema?: string; objectType: PgDefaultObjectType; grantee: string; privileges: string[]; withGrantOption: boolean }
    /** `member` is a member of `role`; options left undefined are not checked (INHERIT and SET exist from PostgreSQL 16). */
    | { engine: "postgres"; type: "membership"; role: string; member: string; admin?: boolean; inherit?: boolean; set?: boolean }
    /**
     * Data-plane failover (seed 004, customer-managed users): exactly one plane's login role can
     * connect to the database, and none holds anything on it but CONNECT. Which one is a failover's
     * business (`astro-db fence`), so no plane is named.
     */
    | { engine: "postgres"; type: "plane-connect"; database: string; planes: { plane: string; role: string }[] }
    /**
     * The fencing function (components/postgres/fenceFunction.ts) in `database`: SECURITY DEFINER with
     * its fixed search_path and body, owned by `owner`, who can end the login roles' sessions, in the
     * owner's schema; EXECUTE (and USAGE on the schema) for the terminator only.
     */
    | { engine: "postgres"; type: "fence-function"; database: string; owner: string; loginRoles: string[]; terminatorRole: string };

/* ---------------------------------------------------------------- declarations (MySQL) */

/** What a MySQL server must have for a stack: `apply` creates it, `audit` compares it. */
export type MysqlDeclaration =
    | { engine: "mysql"; type: "database"; name: string }
    | { engine: "mysql"; type: "database-charset"; name: string; characterSet: string; collation: string }
    | { engine: "mysql"; type: "user"; user: string; host: string }
    /** The account's REQUIRE clause: NONE, SSL or X509. */
    | { engine: "mysql"; type: "user-tls"; user: string; host: string; tlsOption: string }
    /** The account holds `privileges` on `<database>.<table>`, `database` being the GRANT pattern as written (`\_` escaped). */
    | { engine: "mysql"; type: "privileges"; user: string; host: string; database: string; table: string; privileges: string[] };

export function isMysqlDeclaration(d: { engine: string }): d is MysqlDeclaration {
    return d.engine === "mysql";
}

/** Facts of other engines are added by their translators; each engine's checker reads only its own. */
export type Declaration = PgDeclaration | { engine: Exclude<EngineKind, "postgres">; type: string; [key: string]: unknown };

/* ---------------------------------------------------------------- findings */

export type FindingStatus = "missing" | "extra" | "different";

/** One difference between what the stack declares and what the server has. */
export interface Finding {
    status: FindingStatus;
    /** What it is about, e.g. `database "airflow_db_x"` or `table "public"."dag"`. */
    object: string;
    /** The role the privileges or attribute concern, when there is one. */
    grantee?: string;
    /** Privileges missing or extra, when the finding is about privileges. */
    privileges?: string[];
    /** For `different`: what the stack declares and what the server has. */
    expected?: unknown;
    actual?: unknown;
    /** One sentence a reader can act on. */
    message: string;
    server?: string;
    /** The database it is in, when it is in one. */
    database?: string;
    deployment?: string;
    /** The graph resource that declares it (absent for extras nothing declares). */
    resource?: string;
}

/** How far a declaration holds: `absent` when nothing of it exists yet (so running creates it). */
export interface DeclarationResult {
    status: "ok" | "absent" | "different";
    findings: Finding[];
}

/**
 * Catalog reads an engine began before the stack program ran (Engine.startReads), for the databases
 * the stack's config names: `apply` or `audit` takes them over (and closes them); whoever does not
 * get that far closes them. Closing twice is harmless.
 */
export interface EarlyReads {
    close(): Promise<void>;
}

/** What reads are for: apply keeps its own connection to write through; audit frees it for the readers. */
export type ReadPurpose = "apply" | "audit";
