/**
 * Stack config -> a validated, typed spec. Pure code: it reads a plain map of raw config values
 * (what `pulumi.runtime.allConfig()` returns, or what `astro-db plan` reads from a stack file),
 * so it runs before any resource is registered and is tested without Pulumi.
 *
 * Every problem is reported in ONE error that names the stack, each config key at fault and the fix.
 */
import { FENCE_MECHANISMS, FenceMechanism } from "../engines/postgres/fence";
import { z } from "zod";
import { DEFAULT_PLATFORM_RELEASE, DEFAULT_RETENTION_DAYS, EXECUTORS, SECRET_OWNERS, SecretOwner, VALUES_CONNECTIONS, ValuesConnection, VALUES_LAYOUTS, ValuesLayout, Executor } from "../components/astronomer/facts";
import { checkSecretOwner } from "../components/astronomer/secretOwnership";
import { checkHost, DEFAULT_PORTS, PORT_MAX, PORT_MIN } from "../engines/url";
import {
    checkK8sName, checkK8sNamespace, checkMysqlDatabase, checkMysqlUser, checkPgIdentifier, checkPgSchema, checkReleaseName,
    deploymentNames, DeploymentNames,
} from "../components/names";
import { checkFernetKey } from "../components/astronomer/fernet";
import { parseDay } from "../components/retention";
import { checkRdsServerArgs, isProductionStack, rdsDefaults, RdsServerArgs } from "../components/aws";
import { checkConnectionSettings, ConnectionSettings, DEFAULT_CAPACITY_THRESHOLD } from "../components/capacity";
import * as pulumi from "@pulumi/pulumi";

/** The longest retention of a retired Deployment's database: ten years (a date far beyond is no date at all). */
export const MAX_RETENTION_DAYS = 3650;
/** RDS keeps automated backups at most this many days. */
const RDS_MAX_BACKUP_DAYS = 35;
/** Databases and roles that belong to the server (PostgreSQL, RDS, MySQL), never to a Deployment. */
const RESERVED_DATABASES = new Set(["postgres", "template0", "template1", "rdsadmin", "mysql", "information_schema", "performance_schema", "sys"]);
const RESERVED_ROLES = new Set(["postgres", "public", "rdsadmin", "rdsrepladmin", "root", "mysql.sys", "mysql.session", "mysql.infoschema"]);
import { PG_SSLMODES, PgSslMode } from "../engines/postgres/client";

import { ConfigError, PROJECT } from "./configError";
import { ENGINE_FEATURES, EngineKind, unknownEngine } from "../engines/model";


/** Config keys whose values are credentials: they must be stored with `pulumi config set --secret`. */
export const SECRET_KEYS = ["serverPasswords", "fernetKeys", "kubeconfig"] as const;

export type SslMode = PgSslMode;

const identifier = z.string().min(1);

/** Where the RDS server's network comes from: literal ids, or outputs of the cluster's stack. */
const networkSchema = z.union([
    z.object({
        vpcId: identifier,
        subnetIds: z.array(identifier).min(2, "RDS needs subnets in at least two availability zones"),
        allowedSecurityGroupIds: z.array(identifier).default([]),
        allowedCidrs: z.array(z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, "a CIDR block such as 10.0.0.0/16")).default([]),
    }).strict(),
    z.object({
        stackReference: identifier.describe("the cluster stack, e.g. acme/astro-cluster/prod"),
        vpcIdOutput: identifier.default("vpcId"),
        subnetIdsOutput: identifier.default("privateSubnetIds"),
        securityGroupIdOutput: identifier.default("nodeSecurityGroupId"),
        allowedCidrs: z.array(z.string()).default([]),
    }).strict(),
]);

const rdsSchema = z.object({
    identifier: z.string().regex(/^[a-z](?!.*--)[a-z0-9-]{0,62}(?<!-)$/, "1-63 lowercase letters, digits and single hyphens, starting with a letter"),
    engineVersion: z.string().optional(),
    /** Lets a change of engineVersion across a major version go through (RDS refuses it otherwise). */
    allowMajorVersionUpgrade: z.boolean().optional(),
    instanceClass: z.string().optional(),
    allocatedStorage: z.number().int().positive().optional(),
    maxAllocatedStorage: z.number().int().positive().optional(),
    multiAz: z.boolean().optional(),
    backupRetentionDays: z.number().int().min(1).max(35).optional(),
    performanceInsights: z.boolean().optional(),
    masterUsername: z.string().optional(),
    passwordMode: z.enum(["secretsManager", "random"]).optional(),
    kmsKeyId: z.string().optional(),
    deletionProtection: z.boolean().optional(),
    /** max_connections in the parameter group (instead of RDS's formula of the class's memory). */
    maxConnections: z.number().int().min(10).max(262143).optional(),
    tags: z.record(z.string(), z.string()).optional(),
    network: networkSchema,
}).strict();

const existingSchema = z.object({
    host: z.string().superRefine((host, ctx) => checkHost(host).forEach((message) => ctx.addIssue({ code: "custom", message }))),
    port: z.number().int(`a whole number from ${PORT_MIN} to ${PORT_MAX}`).min(PORT_MIN, `a TCP port: from ${PORT_MIN} to ${PORT_MAX}`).max(PORT_MAX, `a TCP port: from ${PORT_MIN} to ${PORT_MAX}`).optional(),
    adminUser: identifier,
    sslmode: z.enum(PG_SSLMODES).optional(),
    /** An RDS master user or other non-superuser admin: false; a self-managed superuser: true. */
    superuser: z.boolean().default(false),
    /** The server's max_connections, for `plan`'s capacity (audit reads the live one). */
    maxConnections: z.number().int().min(1).max(262143).optional(),
}).strict();

const serverSchema = z.object({
    name: z.string().regex(/^[a-z][a-z0-9-]*$/, "lowercase letters, digits and '-', starting with a letter"),
    engine: z.enum(["postgres", "mysql"]).default("postgres"),
    rds: rdsSchema.optional(),
    existing: existingSchema.optional(),
}).strict();

const overridesSchema = z.object({
    database: z.string().optional(),
    user: z.string().optional(),
    namespace: z.string().optional(),
    ownerRole: z.string().optional(),
    terminatorRole: z.string().optional(),
    loginRoles: z.tuple([z.string(), z.string()]).optional(),
}).strict();

/** A data plane's name: it names a Kubernetes provider, a config key and a directory. */
const planeName = z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, "a data plane name: lowercase letters, digits and '-', starting with a letter");

const failoverSchema = z.object({
    /** Who creates the two data-plane login roles (seed 004): the stack (`customer`) or APC (`apc`). */
    users: z.enum(["customer", "apc"]).default("customer"),
    /** The deployment orchestrator's database user (seed 004 calls it commander_user). */
    orchestratorUser: identifier,
    /** Names of the two data-plane clusters, in login-role order. */
    planes: z.tuple([planeName, planeName]).default(["dp1", "dp2"])
        .refine(([a, b]) => a !== b, "the two data planes need different names"),
    /**
     * How the orchestrator ends the source plane's sessions: `function` (a SECURITY DEFINER function that
     * ends only this Deployment's login roles' sessions), `pg_signal_backend` (server-wide), `none`.
     */
    terminate: z.enum(FENCE_MECHANISMS as [FenceMechanism, ...FenceMechanism[]]).default("function"),
}).strict();

/** What a Deployment's Airflow may hold on the server: overrides of components/capacity.ts's estimate. */
const count = z.number().int().min(1).max(100000);
const connectionsSchema = z.object({
    maxConnections: count.optional(),
    metadataPoolSize: count.optional(),
    resultBackendPoolSize: count.optional(),
    poolSize: count.optional(),
    maxOverflow: z.number().int().min(0).max(100000).optional(),
    schedulers: count.optional(),
    workers: count.optional(),
    workerConcurrency: count.optional(),
    parallelism: count.optional(),
}).strict();

const deploymentSchema = z.object({
    release: z.string(),
    executor: z.enum(EXECUTORS).default("CeleryExecutor"),
    pgbouncer: z.boolean().default(false),
    server: z.string().optional(),
    schema: z.string().default("public"),
    overrides: overridesSchema.default({}),
    failover: failoverSchema.optional(),
    connections: connectionsSchema.default({}),
    /** Who owns this Deployment's secrets; defaults to the stack's `secrets`. */
    secrets: z.enum(SECRET_OWNERS).optional(),
    /** Create this Deployment's namespace (`secrets: create` only); defaults to the stack's `createNamespace`. */
    createNamespace: z.boolean().optional(),
    /** The day this Deployment was removed from Astronomer (YYYY-MM-DD): see retention. */
    retiredAt: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "a date YYYY-MM-DD").optional(),
}).strict();

const kubernetesSchema = z.discriminatedUnion("mode", [
    z.object({ mode: z.literal("kubeconfig") }).strict(),
    z.object({ mode: z.literal("stackReference"), stackReference: identifier, output: identifier.default("kubeconfig") }).strict(),
    z.object({ mode: z.literal("render"), directory: identifier }).strict(),
    z.object({ mode: z.literal("none") }).strict(),
]);

/** A data plane's cluster: its kubeconfig from the cluster's stack, or manifests rendered to a directory. */
const dataPlaneSchema = z.discriminatedUnion("mode", [
    z.object({ mode: z.literal("stackReference"), stackReference: identifier, output: identifier.default("kubeconfig") }).strict(),
    z.object({ mode: z.literal("render"), directory: identifier }).strict(),
]);

const stackSchema = z.object({
    platformRelease: z.string().default(DEFAULT_PLATFORM_RELEASE),
    valuesLayout: z.enum(Object.keys(VALUES_LAYOUTS) as [ValuesLayout, ...ValuesLayout[]]).default("top-level"),
    /** values.yaml's database.connection: the format with a placeholder user and password, or the real admin connection. */
    valuesConnection: z.enum(VALUES_CONNECTIONS).default("placeholder"),
    /** At least a day: 0 would drop a Deployment's database on the update after its retirement. */
    retentionDays: z.number().int("a whole number of days")
        .min(1, "keep a retired Deployment's database at least 1 day")
        .max(MAX_RETENTION_DAYS, `at most ${MAX_RETENTION_DAYS} days (ten years): a longer retention is no retention policy`)
        .default(DEFAULT_RETENTION_DAYS),
    protect: z.boolean().default(false),
    /** Percent of a server's available connection slots the Deployments' estimates may take (plan's `capacity`). */
    capacityThreshold: z.number().int().min(1).max(100).default(DEFAULT_CAPACITY_THRESHOLD),
    kubernetes: kubernetesSchema.default({ mode: "none" }),
    /** Who owns every Deployment's secrets: houston (the platform), patch (the chart's, data keys patched) or create (the stack's). */
    secrets: z.enum(SECRET_OWNERS).default("houston"),
    /** With secrets: create, also create each Deployment's namespace. */
    createNamespace: z.boolean().default(false),
    /** Per data-plane cluster (failover, customer-managed users): where that plane's secrets go. */
    dataPlanes: z.record(z.string(), dataPlaneSchema).default({}),
    servers: z.array(serverSchema).min(1, "declare at least one server"),
    deployments: z.array(deploymentSchema).min(1, "declare at least one Deployment"),
    serverPasswords: z.record(z.string(), z.string()).default({}),
    fernetKeys: z.record(z.string(), z.string()).default({}),
    kubeconfig: z.string().optional(),
});
export type RawStackConfig = z.infer<typeof stackSchema>;

/* ---------------------------------------------------------------- typed spec */

export interface RdsNetworkLiteral { kind: "literal"; vpcId: string; subnetIds: string[]; allowedSecurityGroupIds: string[]; allowedCidrs: string[] }
export interface RdsNetworkReference { kind: "stackReference"; stackReference: string; vpcIdOutput: string; subnetIdsOutput: string; securityGroupIdOutput: string; allowedCidrs: string[] }

export interface RdsServerSpec {
    kind: "rds";
    name: string;
    engine: EngineKind;
    rds: Omit<z.infer<typeof rdsSchema>, "network"> & { network: RdsNetworkLiteral | RdsNetworkReference };
}
export interface ExistingServerSpec {
    kind: "existing";
    name: string;
    engine: EngineKind;
    host: string;
    port: number;
    adminUser: string;
    /** Secret config `serverPasswords.<name>`; when absent the provider reads PGPASSWORD / MYSQL_PASSWORD. */
    adminPassword?: string;
    /** PostgreSQL only. Defaults to `require`. */
    sslmode?: SslMode;
    superuser: boolean;
    /** The server's max_connections as the config states it. */
    maxConnections?: number;
}
export type ServerSpec = RdsServerSpec | ExistingServerSpec;

export interface FailoverSpec {
    users: "customer" | "apc";
    orchestratorUser: string;
    planes: [string, string];
    /** How the orchestrator ends the source plane's sessions (components/postgres/fenceFunction.ts). */
    terminate: FenceMechanism;
}

export interface DeploymentSpec {
    release: string;
    executor: Executor;
    pgbouncer: boolean;
    server: string;
    engine: EngineKind;
    schema: string;
    names: DeploymentNames;
    /** A fernet key carried over from an existing Airflow (seed 003); generated when absent. */
    fernetKey?: string;
    failover?: FailoverSpec;
    retiredAt?: string;
    /** Overrides of the connection estimate (components/capacity.ts). */
    connections?: ConnectionSettings;
    /** Who owns the Deployment's secrets (houston, patch, create). */
    secrets: SecretOwner;
    /** Create the Deployment's namespace (secrets: create). */
    createNamespace: boolean;
}

export type KubernetesSpec =
    | { mode: "kubeconfig"; kubeconfig: string }
    | { mode: "stackReference"; stackReference: string; output: string }
    | { mode: "render"; directory: string }
    | { mode: "none" };

export interface StackSpec {
    stack: string;
    platformRelease: string;
    valuesLayout: ValuesLayout;
    /** values.yaml's database.connection: placeholder (default) or the server's admin connection. */
    valuesConnection: ValuesConnection;
    retentionDays: number;
    protect: boolean;
    /** Percent of a server's available connection slots the estimates may take. */
    capacityThreshold: number;
    kubernetes: KubernetesSpec;
    /** Data-plane clusters by plane name. */
    dataPlanes: Record<string, KubernetesSpec>;
    servers: ServerSpec[];
    deployments: DeploymentSpec[];
}

/**
 * Parse raw config values (key without the `astro-db:` prefix -> raw string as Pulumi stores it,
 * objects as JSON) into a StackSpec, or throw one ConfigError listing every problem.
 * `secretKeys` are the keys stored encrypted; a credential stored in plain text is refused.
 */
export function parseStackConfig(stack: string, raw: Record<string, string | undefined>, secretKeys: ReadonlySet<string> = new Set(), file?: string): StackSpec {
    const problems: { key: string; message: string }[] = [];
    const add = (key: string, message: string) => problems.push({ key, message });

    const values: Record<string, unknown> = {};
    for (const [key, text] of Object.entries(raw)) {
        if (text === undefined) continue;
        values[key] = parseRaw(text);
    }
    for (const key of SECRET_KEYS) {
        if (values[key] !== undefined && !secretKeys.has(key)) {
            add(key, `holds credentials in plain text: remove it from ${file ?? `Pulumi.${stack}.yaml`} and set it with \`pulumi config set --secret${key === "kubeconfig" ? "" : " --path"} ${key}${key === "kubeconfig" ? " < kubeconfig" : ".<name> <value>"}\``);
        }
    }
    const known = new Set(Object.keys(stackSchema.shape));
    for (const key of Object.keys(values)) {
        if (!known.has(key)) add(key, `is not a known setting (known: ${[...known].join(", ")}): check its spelling`);
    }

    const parsed = stackSchema.safeParse(values);
    if (!parsed.success) {
        for (const issue of parsed.error.issues) {
            add(formatPath(issue.path), describeIssue(issue, values));
        }
        throw new ConfigError(stack, problems, file);
    }
    const cfg = parsed.data;

    // Servers: unique names, exactly one of rds / existing.
    const servers: ServerSpec[] = [];
    const serverNames = new Set<string>();
    cfg.servers.forEach((s, i) => {
        const key = `servers[${i}]`;
        if (serverNames.has(s.name)) add(`${key}.name`, `server "${s.name}" is declared twice: give each server a unique name`);
        serverNames.add(s.name);
        if (!!s.rds === !!s.existing) {
            add(key, `server "${s.name}" must have exactly one of \`rds\` (a new AWS RDS server) or \`existing\` (a server you already run)`);
            return;
        }
        if (s.rds) {
            const n = s.rds.network;
            const network: RdsNetworkLiteral | RdsNetworkReference = "stackReference" in n
                ? { kind: "stackReference", ...n }
                : { kind: "literal", ...n };
            servers.push({ kind: "rds", name: s.name, engine: s.engine, rds: { ...s.rds, network } });
        } else if (s.existing) {
            const e = s.existing;
            if (!ENGINE_FEATURES[s.engine].sslmode && e.sslmode) add(`${key}.existing.sslmode`, "sslmode is a PostgreSQL setting: remove it for a MySQL server");
            servers.push({
                kind: "existing", name: s.name, engine: s.engine, host: e.host, port: e.port ?? DEFAULT_PORTS[s.engine],
                adminUser: e.adminUser, adminPassword: cfg.serverPasswords[s.name], sslmode: ENGINE_FEATURES[s.engine].sslmode ? e.sslmode ?? "require" : undefined, superuser: e.superuser,
                maxConnections: e.maxConnections,
            });
        }
    });
    for (const name of Object.keys(cfg.serverPasswords)) {
        if (!serverNames.has(name)) add(`serverPasswords.${name}`, `names no declared server (servers: ${[...serverNames].join(", ")}): fix the name or remove it`);
        const server = cfg.servers.find((s) => s.name === name);
        if (server?.rds) add(`serverPasswords.${name}`, `server "${name}" is an RDS server whose master password AWS manages: remove this password`);
    }

    // Deployments: valid names within each system's limits, unique, on a declared server.
    const deployments: DeploymentSpec[] = [];
    const seen = new Map<string, string>();
    const claim = (kind: string, value: string, key: string) => {
        const id = `${kind}:${value}`;
        const prior = seen.get(id);
        if (prior) add(key, `${kind} "${value}" is already used by ${prior}: every Deployment needs its own`);
        else seen.set(id, key);
    };
    const orchestrators = new Set(cfg.deployments.flatMap((d) => (d.failover ? [d.failover.orchestratorUser] : [])));
    cfg.deployments.forEach((d, i) => {
        const key = `deployments[${i}]`;
        const releaseProblems = checkReleaseName(d.release);
        releaseProblems.forEach((m) => add(`${key}.release`, m));
        if (releaseProblems.length) return;
        claim("release", d.release, `${key}.release`);
        const serverName = d.server ?? cfg.servers[0].name;
        const server = cfg.servers.find((s) => s.name === serverName);
        if (!server) {
            add(`${key}.server`, `names no declared server "${serverName}" (servers: ${cfg.servers.map((s) => s.name).join(", ")}): use one of those or declare it`);
            return;
        }
        const engine = server.engine;
        const names = deploymentNames(d.release, cfg.platformRelease, d.overrides);
        const nameChecks: [string, string[]][] = engineNameChecks(engine, key, names, d.schema);
        nameChecks.push([`${key}.overrides.namespace`, checkK8sNamespace(names.namespace)]);
        for (const secretName of Object.values(names.secrets)) nameChecks.push([`${key}.release`, checkK8sName(secretName)]);
        if (d.failover) {
            for (const role of [names.ownerRole, names.terminatorRole, ...names.loginRoles, d.failover.orchestratorUser]) {
                nameChecks.push([`${key}.failover`, checkPgIdentifier(role)]);
            }
        }
        // Names that belong to the server, not to a Deployment: a removal would drop them.
        const admin = server.existing?.adminUser ?? server.rds?.masterUsername;
        const roleNames: [string, string][] = [[`${key}.overrides.user`, names.user]];
        if (d.failover) roleNames.push(...[names.ownerRole, names.terminatorRole, ...names.loginRoles].map((r): [string, string] => [`${key}.overrides`, r]));
        for (const [k, role] of roleNames) {
            if (RESERVED_ROLES.has(role.toLowerCase()) || /^rds_/i.test(role) || role === admin || role === d.failover?.orchestratorUser || orchestrators.has(role)) {
                nameChecks.push([k, [`"${role}" is a server or orchestrator role, not one a Deployment may own (a removal would drop it): choose another name`]]);
            }
        }
        if (RESERVED_DATABASES.has(names.database.toLowerCase())) {
            nameChecks.push([`${key}.overrides.database`, [`"${names.database}" is a system database, not one a Deployment may own: choose another name`]]);
        }
        for (const [k, msgs] of nameChecks) msgs.forEach((m) => add(k, m));
        claim(`database on server ${serverName}`, names.database, `${key}`);
        claim(`user on server ${serverName}`, names.user, `${key}`);

        if (d.pgbouncer && !ENGINE_FEATURES[engine].pgbouncer) {
            add(`${key}.pgbouncer`, `PgBouncer (and its *ConnectionJson form) applies to PostgreSQL only; server "${serverName}" is ${engine}: set pgbouncer: false`);
        }
        if (!ENGINE_FEATURES[engine].schemas && d.schema !== "public") {
            add(`${key}.schema`, "schemas are a PostgreSQL setting: remove it for a MySQL Deployment");
        }
        if (d.failover && !ENGINE_FEATURES[engine].failover) {
            add(`${key}.failover`, "data-plane failover roles are PostgreSQL only: remove failover for a MySQL Deployment");
        }
        for (const [k, m] of checkConnectionSettings({ release: d.release, executor: d.executor, pgbouncer: d.pgbouncer, connections: d.connections })) add(`${key}.connections.${k}`, m);
        const fernetKey = cfg.fernetKeys[d.release];
        if (fernetKey !== undefined) checkFernetKey(fernetKey).forEach((m) => add(`fernetKeys.${d.release}`, m));

        // Who owns the secrets: the Deployment's choice, else the stack's.
        const secrets = d.secrets ?? cfg.secrets;
        const secretsKey = d.secrets !== undefined ? `${key}.secrets` : "secrets";
        const createNamespace = d.createNamespace ?? (secrets === "create" && cfg.createNamespace);
        checkSecretOwner(secrets, d.pgbouncer).forEach((m) => add(secretsKey, `Deployment ${d.release}: ${m}`));
        if (d.createNamespace && secrets !== "create") {
            add(`${key}.createNamespace`, `createNamespace applies to secrets: create only, and Deployment ${d.release} has secrets: ${secrets}: remove it (Houston creates the namespace with the Deployment)`);
        }

        deployments.push({
            release: d.release, executor: d.executor, pgbouncer: d.pgbouncer, server: serverName, engine, schema: d.schema,
            names, fernetKey, failover: d.failover, retiredAt: d.retiredAt, connections: d.connections,
            secrets, createNamespace,
        });
    });
    for (const release of Object.keys(cfg.fernetKeys)) {
        if (!cfg.deployments.some((d) => d.release === release)) add(`fernetKeys.${release}`, `names no declared Deployment: fix the release name or remove it`);
    }

    // Customer-managed failover users: each plane's cluster gets secrets with that plane's own login role.
    cfg.deployments.forEach((d, i) => {
        // Only where the stack manages this Deployment's Kubernetes secrets.
        if (d.failover?.users !== "customer" || cfg.kubernetes.mode === "none" || (d.secrets ?? cfg.secrets) === "houston") return;
        for (const plane of d.failover.planes) {
            if (!cfg.dataPlanes[plane]) {
                add(`deployments[${i}].failover.planes`, `data plane "${plane}" has no cluster: declare \`${PROJECT}:dataPlanes.${plane}\` ({mode: stackReference, stackReference: <its cluster stack>} or {mode: render, directory: <dir>}) so its secrets carry its own login role`);
            }
        }
    });
    let kubernetes: KubernetesSpec;
    if (cfg.kubernetes.mode === "kubeconfig") {
        if (!cfg.kubeconfig) add("kubeconfig", "kubernetes.mode is kubeconfig but no kubeconfig is set: run `pulumi config set --secret kubeconfig < ~/.kube/config`");
        kubernetes = { mode: "kubeconfig", kubeconfig: cfg.kubeconfig ?? "" };
    } else {
        kubernetes = cfg.kubernetes;
    }
    for (const [i, s] of servers.entries()) {
        if (s.kind !== "rds") continue;
        // The exact arguments the program will give RdsServer; a stack reference's network is only known at `pulumi up`.
        const network = s.rds.network.kind === "literal"
            ? s.rds.network
            : { vpcId: pulumi.output("vpc-from-stack-reference"), subnetIds: pulumi.output<string[]>([]), allowedSecurityGroupIds: [pulumi.output("sg-from-stack-reference")], allowedCidrs: s.rds.network.allowedCidrs };
        for (const m of checkRdsServerArgs(rdsServerArgs(s, cfg.retentionDays, network))) add(`servers[${i}].rds`, m);
        if (s.rds.deletionProtection === false && isProductionStack(stack)) {
            add(`servers[${i}].rds.deletionProtection`, `stack "${stack}" looks like production: RDS deletion protection stays on (remove deletionProtection: false)`);
        }
    }
    if (servers.some((s) => s.kind === "rds") && cfg.retentionDays > RDS_MAX_BACKUP_DAYS) {
        add("retentionDays", `${cfg.retentionDays} days is longer than RDS keeps backups (${RDS_MAX_BACKUP_DAYS}): a dropped database could not be restored; use at most ${RDS_MAX_BACKUP_DAYS}`);
    }
    for (const [i, s] of cfg.servers.entries()) {
        const backups = s.rds?.backupRetentionDays;
        if (backups !== undefined && backups < cfg.retentionDays) {
            add(`servers[${i}].rds.backupRetentionDays`, `${backups} days of backups is shorter than the ${cfg.retentionDays}-day retention of removed Deployments (retentionDays): set it to at least ${cfg.retentionDays}`);
        }
    }
    cfg.deployments.forEach((d, i) => {
        if (d.retiredAt !== undefined && !parseDay(d.retiredAt)) add(`deployments[${i}].retiredAt`, `"${d.retiredAt}" is not a calendar date: use YYYY-MM-DD`);
    });
    if (cfg.protect === false && isProductionStack(stack)) {
        add("protect", `stack "${stack}" looks like production but protect is false: set \`${PROJECT}:protect: true\` so no database or server can be deleted by accident`);
    }

    if (problems.length) throw new ConfigError(stack, problems, file);
    return {
        stack, platformRelease: cfg.platformRelease, valuesLayout: cfg.valuesLayout, valuesConnection: cfg.valuesConnection, retentionDays: cfg.retentionDays,
        protect: cfg.protect, capacityThreshold: cfg.capacityThreshold, kubernetes, dataPlanes: cfg.dataPlanes, servers, deployments,
    };
}

/** A Deployment's database, user and schema names as its engine spells them. */
function engineNameChecks(engine: EngineKind, key: string, names: DeploymentNames, schema: string): [string, string[]][] {
    switch (engine) {
        case "postgres": return [
            [`${key}.overrides.database`, checkPgIdentifier(names.database)],
            [`${key}.overrides.user`, checkPgIdentifier(names.user)],
            [`${key}.schema`, checkPgSchema(schema)],
        ];
        case "mysql": return [
            [`${key}.overrides.database`, checkMysqlDatabase(names.database)],
            [`${key}.overrides.user`, checkMysqlUser(names.user)],
        ];
        default: return unknownEngine(engine);
    }
}

function parseRaw(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

function formatPath(path: PropertyKey[]): string {
    return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i ? "." : ""}${String(p)}`)).join("") || "(root)";
}

function describeIssue(issue: z.core.$ZodIssue, values: Record<string, unknown>): string {
    const at = issue.path.reduce<unknown>((v, p) => (v && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[p as PropertyKey] : undefined), values);
    if (issue.code === "invalid_type" && at === undefined) return `is required but missing: add it to the stack file (${issue.message})`;
    if (issue.code === "unrecognized_keys") return `unknown setting(s) ${issue.keys.join(", ")}: check the spelling against the README's config reference`;
    // A credential's value is never repeated, whatever is wrong with it: only what was expected.
    if ((SECRET_KEYS as readonly PropertyKey[]).includes(issue.path[0])) {
        const expected = issue.code === "invalid_type" ? `expected ${issue.expected === "record" ? "a mapping" : `a ${issue.expected}`}, got ${kindOf(at)}` : issue.message;
        return `has the wrong type or form (${expected}); its value is not shown: it is a credential`;
    }
    const options = (issue as { options?: unknown[] }).options;
    if (issue.code === "invalid_union" && Array.isArray(options)) return `is ${JSON.stringify(at)}: use one of ${options.map((o) => JSON.stringify(o)).join(", ")}`;
    if (issue.code === "invalid_union" && issue.path[issue.path.length - 1] === "network") {
        return "is neither {vpcId, subnetIds, allowedSecurityGroupIds, allowedCidrs} nor {stackReference, vpcIdOutput, subnetIdsOutput, securityGroupIdOutput, allowedCidrs}: write one of those forms";
    }
    if (issue.code === "invalid_value" && "values" in issue) return `is ${JSON.stringify(at)}: use one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    return `is ${JSON.stringify(at)}: ${issue.message}`;
}

function kindOf(v: unknown): string {
    if (Array.isArray(v)) return "a list";
    if (v === null) return "null";
    return typeof v === "object" ? "a mapping" : `a ${typeof v}`;
}

export type RdsNetworkArgs = Pick<RdsServerArgs, "vpcId" | "subnetIds" | "allowedSecurityGroupIds" | "allowedCidrs">;

/** The RdsServer arguments a server's config amounts to: config validation checks exactly these. */
export function rdsServerArgs(spec: RdsServerSpec, retentionDays: number, network: RdsNetworkArgs): RdsServerArgs {
    const r = spec.rds;
    return {
        engine: spec.engine,
        identifier: r.identifier,
        engineVersion: r.engineVersion,
        allowMajorVersionUpgrade: r.allowMajorVersionUpgrade,
        instanceClass: r.instanceClass,
        allocatedStorage: r.allocatedStorage,
        maxAllocatedStorage: r.maxAllocatedStorage,
        multiAz: r.multiAz,
        // Backups outlive a removed Deployment's retention, so a dropped database can still be restored.
        backupRetentionPeriod: r.backupRetentionDays ?? Math.max(rdsDefaults(spec.engine).backupRetentionPeriod, retentionDays),
        performanceInsightsEnabled: r.performanceInsights,
        masterUsername: r.masterUsername,
        passwordMode: r.passwordMode,
        kmsKeyId: r.kmsKeyId,
        deletionProtection: r.deletionProtection,
        tags: r.tags,
        // A parameter-group max_connections replaces RDS's formula of the class's memory (plan's capacity reads it).
        ...(r.maxConnections === undefined ? {} : { parameters: { max_connections: String(r.maxConnections) } }),
        ...network,
    };
}
