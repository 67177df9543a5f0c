/**
 * Will the Deployments fit? Pure arithmetic (no Pulumi): what each Deployment may hold open
 * (components/astronomer/facts.ts `AIRFLOW_CONNECTION_DEFAULTS`), what a server admits (RDS's default
 * max_connections formulas over AWS's instance class memory), and what is left. Sources and limits:
 * README "Will the Deployments fit? Connection capacity".
 */
import { AIRFLOW_CONNECTION_DEFAULTS as AIRFLOW, Executor } from "./astronomer/facts";
import { ENGINE_FEATURES, EngineKind, unknownEngine } from "../engines/model";

/** Per-Deployment overrides (config `deployments[].connections`). */
export interface ConnectionSettings {
    /** Replaces the whole estimate (e.g. measured, or a PgBouncer with other pools). */
    readonly maxConnections?: number;
    /** PgBouncer's server-side pools (chart `pgbouncer.metadataPoolSize` / `resultBackendPoolSize`). */
    readonly metadataPoolSize?: number;
    readonly resultBackendPoolSize?: number;
    /** Airflow `[database] sql_alchemy_pool_size` / `sql_alchemy_max_overflow`. */
    readonly poolSize?: number;
    readonly maxOverflow?: number;
    /** Scheduler replicas. */
    readonly schedulers?: number;
    /** Celery worker replicas and `[celery] worker_concurrency`. */
    readonly workers?: number;
    readonly workerConcurrency?: number;
    /** `[core] parallelism`: task processes at once (Kubernetes and Local executors). */
    readonly parallelism?: number;
}

export const CONNECTION_SETTING_KEYS = [
    "maxConnections", "metadataPoolSize", "resultBackendPoolSize", "poolSize", "maxOverflow", "schedulers", "workers", "workerConcurrency", "parallelism",
] as const satisfies readonly (keyof ConnectionSettings)[];

export interface EstimatePart {
    component: string;
    processes: number;
    /** Connections each process may hold. */
    perProcess: number;
    connections: number;
    /** Where the numbers come from. */
    basis: string;
}

export interface DeploymentEstimate {
    release: string;
    /** pgbouncer: PgBouncer's pools; airflow: Airflow's processes and pools; maxConnections: the config says. */
    basis: "pgbouncer" | "airflow" | "maxConnections";
    total: number;
    parts: EstimatePart[];
}

export interface DeploymentInput {
    release: string;
    executor: Executor;
    pgbouncer: boolean;
    connections?: ConnectionSettings;
    /** A failover Deployment: one plane connects at a time, so it counts once. */
    failover?: boolean;
}

/** Problems with a Deployment's connection settings, as [key under `connections`, message]. */
export function checkConnectionSettings(d: DeploymentInput): [keyof ConnectionSettings, string][] {
    const c = d.connections ?? {};
    const set = CONNECTION_SETTING_KEYS.filter((k) => c[k] !== undefined);
    const problems: [keyof ConnectionSettings, string][] = [];
    if (c.maxConnections !== undefined) {
        for (const k of set.filter((k) => k !== "maxConnections")) problems.push([k, "maxConnections replaces the whole estimate: remove this key or maxConnections"]);
        return problems;
    }
    for (const k of set) {
        if ((k === "metadataPoolSize" || k === "resultBackendPoolSize") && !d.pgbouncer) {
            problems.push([k, "is PgBouncer's pool size, but this Deployment has pgbouncer: false: remove it or set pgbouncer: true"]);
        }
        if (d.pgbouncer && !["metadataPoolSize", "resultBackendPoolSize"].includes(k)) {
            problems.push([k, "does not reach the server: with pgbouncer: true only PgBouncer's pools do (metadataPoolSize, resultBackendPoolSize)"]);
        }
        if (!d.pgbouncer && (k === "workers" || k === "workerConcurrency") && d.executor !== "CeleryExecutor") {
            problems.push([k, `applies to CeleryExecutor; this Deployment runs ${d.executor}: use parallelism`]);
        }
        if (!d.pgbouncer && k === "parallelism" && d.executor === "CeleryExecutor") {
            problems.push([k, "CeleryExecutor runs workers × workerConcurrency tasks at once: use workers and workerConcurrency"]);
        }
    }
    return problems;
}

/** The server connections a Deployment may hold at most, part by part. */
export function estimateDeployment(d: DeploymentInput): DeploymentEstimate {
    const c = d.connections ?? {};
    const once = d.failover ? " (failover: one plane connects at a time, counted once)" : "";
    const part = (component: string, processes: number, perProcess: number, basis: string): EstimatePart =>
        ({ component, processes, perProcess, connections: processes * perProcess, basis });
    let basis: DeploymentEstimate["basis"];
    let parts: EstimatePart[];
    if (c.maxConnections !== undefined) {
        basis = "maxConnections";
        parts = [part("maxConnections", 1, c.maxConnections, `connections.maxConnections in the stack config${once}`)];
    } else if (d.pgbouncer) {
        basis = "pgbouncer";
        const meta = c.metadataPoolSize ?? AIRFLOW.pgbouncer.metadataPoolSize;
        const result = c.resultBackendPoolSize ?? AIRFLOW.pgbouncer.resultBackendPoolSize;
        parts = [
            part("metadata pool", 1, meta, `${c.metadataPoolSize === undefined ? "chart default" : "config"} pgbouncer.metadataPoolSize${once}`),
            part("result-backend pool", 1, result, `${c.resultBackendPoolSize === undefined ? "chart default" : "config"} pgbouncer.resultBackendPoolSize`),
        ];
    } else {
        basis = "airflow";
        const poolSize = c.poolSize ?? AIRFLOW.poolSize;
        const overflow = c.maxOverflow ?? AIRFLOW.maxOverflow;
        const pool = poolSize + overflow;
        const poolBasis = `sql_alchemy_pool_size ${poolSize} + sql_alchemy_max_overflow ${overflow}`;
        const schedulers = c.schedulers ?? AIRFLOW.schedulers;
        parts = [
            part("scheduler", schedulers, pool, `${schedulers} replica(s), ${poolBasis}${once}`),
            part("DAG file processors", schedulers * AIRFLOW.parsingProcesses, 1, `${AIRFLOW.parsingProcesses} parsing_processes per scheduler, NullPool`),
            part("webserver", AIRFLOW.webserverWorkers, pool, `${AIRFLOW.webserverWorkers} gunicorn workers, ${poolBasis} each`),
            part("triggerer", AIRFLOW.triggerers, pool, poolBasis),
        ];
        if (d.executor === "CeleryExecutor") {
            const workers = c.workers ?? AIRFLOW.workers;
            const concurrency = c.workerConcurrency ?? AIRFLOW.workerConcurrency;
            parts.push(
                part("Celery workers", workers, 1, `${workers} replica(s), NullPool`),
                part("running tasks", workers * concurrency, 1, `${workers} worker(s) × worker_concurrency ${concurrency}, NullPool`),
            );
        } else {
            const parallelism = c.parallelism ?? AIRFLOW.parallelism;
            parts.push(part("running tasks", parallelism, 1, `parallelism ${parallelism} (${d.executor === "KubernetesExecutor" ? "one pod" : "one process"} each), NullPool`));
        }
    }
    return { release: d.release, basis, total: parts.reduce((n, p) => n + p.connections, 0), parts };
}

/* ------------------------------------------------------------------ servers */

const GIB = 1024 ** 3;

/** vCPUs per size: the same in every current family. */
const SIZE_VCPUS: Record<string, number> = {
    large: 2, xlarge: 4, "2xlarge": 8, "4xlarge": 16, "8xlarge": 32, "12xlarge": 48, "16xlarge": 64, "24xlarge": 96, "32xlarge": 128, "48xlarge": 192,
};
/** GiB per vCPU: general purpose (m) 4, memory optimized (r) 8, x2g 16. */
const FAMILY_GIB_PER_VCPU: Record<string, number> = {
    m5: 4, m5d: 4, m6g: 4, m6gd: 4, m6i: 4, m6id: 4, m6in: 4, m6idn: 4, m7g: 4, m7i: 4, m8g: 4,
    r5: 8, r5b: 8, r5d: 8, r6g: 8, r6gd: 8, r6i: 8, r6id: 8, r6in: 8, r6idn: 8, r7g: 8, r7i: 8, r8g: 8,
    x2g: 16,
};
/** Burstable classes: GiB per size. */
const BURSTABLE_GIB: Record<string, number> = { micro: 1, small: 2, medium: 4, large: 8, xlarge: 16, "2xlarge": 32 };
const BURSTABLE_FAMILIES = ["t3", "t4g"];

/** The memory (GiB) of an RDS instance class, or undefined for a class outside the table. */
export function rdsInstanceMemoryGiB(instanceClass: string): number | undefined {
    const m = /^db\.([a-z0-9]+)\.([a-z0-9]+)$/.exec(instanceClass);
    if (!m) return undefined;
    const [, family, size] = m;
    if (BURSTABLE_FAMILIES.includes(family)) return BURSTABLE_GIB[size];
    const perVcpu = FAMILY_GIB_PER_VCPU[family];
    const vcpus = SIZE_VCPUS[size];
    return perVcpu && vcpus ? perVcpu * vcpus : undefined;
}

/** Every class of the same family, smallest first (for "a larger class" advice). */
export function sameFamilyClasses(instanceClass: string): string[] {
    const family = /^db\.([a-z0-9]+)\./.exec(instanceClass)?.[1];
    if (!family) return [];
    const sizes = BURSTABLE_FAMILIES.includes(family) ? Object.keys(BURSTABLE_GIB) : FAMILY_GIB_PER_VCPU[family] ? Object.keys(SIZE_VCPUS) : [];
    return sizes.map((s) => `db.${family}.${s}`);
}

/** RDS's default parameter group's `max_connections` formula, as RDS writes it. */
const RDS_MAX_CONNECTIONS_FORMULA: Record<EngineKind, string> = {
    postgres: "LEAST(DBInstanceClassMemory/9531392, 5000)",
    mysql: "DBInstanceClassMemory/12582880",
};

/** RDS's default `max_connections` for a class's memory (the default parameter group's formula). */
export function rdsDefaultMaxConnections(engine: EngineKind, memoryBytes: number): number {
    switch (engine) {
        case "postgres": return Math.min(Math.floor(memoryBytes / 9531392), 5000);
        case "mysql": return Math.floor(memoryBytes / 12582880);
        default: return unknownEngine(engine);
    }
}

/** PostgreSQL's `superuser_reserved_connections` default. */
export const PG_SUPERUSER_RESERVED = 3;
/** RDS PostgreSQL's `rds.rds_superuser_reserved_connections` default. */
export const RDS_SUPERUSER_RESERVED = 2;

export interface ServerCapacity {
    /** The server's max_connections, or undefined when nothing says. */
    maxConnections?: number;
    /** Slots ordinary roles (Airflow's) cannot use. */
    reserved: { setting: string; slots: number }[];
    /** max_connections minus the reserved slots. */
    available?: number;
    /** Where maxConnections comes from: the RDS formula, the stack's parameter group, the config, the live server, or nothing. */
    source: "rds-formula" | "parameter-group" | "config" | "live" | "unknown";
    /** The same, in words. */
    basis: string;
}

export type ServerInput =
    | { kind: "rds"; engine: EngineKind; instanceClass: string; maxConnections?: number }
    | { kind: "existing"; engine: EngineKind; maxConnections?: number };

/** Reserved slots by engine; RDS PostgreSQL keeps two more for rds_superuser. */
export function reservedSlots(engine: EngineKind, rds: boolean): ServerCapacity["reserved"] {
    switch (engine) {
        case "postgres": {
            const r = [{ setting: "superuser_reserved_connections", slots: PG_SUPERUSER_RESERVED }];
            return rds ? [...r, { setting: "rds.rds_superuser_reserved_connections", slots: RDS_SUPERUSER_RESERVED }] : r;
        }
        case "mysql": return [];
        default: return unknownEngine(engine);
    }
}

export function serverCapacity(s: ServerInput): ServerCapacity {
    const reserved = reservedSlots(s.engine, s.kind === "rds");
    const withMax = (maxConnections: number | undefined, source: ServerCapacity["source"], basis: string): ServerCapacity => ({
        maxConnections, reserved, source, basis,
        available: maxConnections === undefined ? undefined : Math.max(0, maxConnections - reserved.reduce((n, r) => n + r.slots, 0)),
    });
    if (s.maxConnections !== undefined) {
        return s.kind === "rds"
            ? withMax(s.maxConnections, "parameter-group", "max_connections set in the stack's parameter group (servers[].rds.maxConnections)")
            : withMax(s.maxConnections, "config", "servers[].existing.maxConnections in the stack config");
    }
    if (s.kind === "existing") return withMax(undefined, "unknown", "unknown: set servers[].existing.maxConnections, or run `astro-db audit` to read it from the server");
    const gib = rdsInstanceMemoryGiB(s.instanceClass);
    if (gib === undefined) return withMax(undefined, "unknown", `unknown: ${s.instanceClass} is not in astro-db's instance class table; set servers[].rds.maxConnections`);
    const formula = RDS_MAX_CONNECTIONS_FORMULA[s.engine];
    return withMax(rdsDefaultMaxConnections(s.engine, gib * GIB), "rds-formula", `RDS default ${formula} for ${s.instanceClass} (${gib} GiB)`);
}

/* --------------------------------------------------------------- assessment */

/** Default share of the available slots the estimates may take before `capacity` is flagged. */
export const DEFAULT_CAPACITY_THRESHOLD = 80;

export interface ServerAssessment {
    server: string;
    engine: EngineKind;
    /** The RDS instance class, when it is one. */
    instanceClass?: string;
    capacity: ServerCapacity;
    /** Biggest first. */
    deployments: DeploymentEstimate[];
    total: number;
    /** Percent of `available` the estimates may use. */
    thresholdPercent: number;
    /** available × threshold, rounded down. */
    limit?: number;
    headroom?: number;
    usedPercent?: number;
    over: boolean;
}

export function assessServer(server: { name: string } & ServerInput, deployments: DeploymentInput[], thresholdPercent = DEFAULT_CAPACITY_THRESHOLD): ServerAssessment {
    const capacity = serverCapacity(server);
    const estimates = deployments.map(estimateDeployment).sort((a, b) => b.total - a.total || a.release.localeCompare(b.release));
    const total = estimates.reduce((n, e) => n + e.total, 0);
    const available = capacity.available;
    const limit = available === undefined ? undefined : Math.floor((available * thresholdPercent) / 100);
    return {
        server: server.name, engine: server.engine, instanceClass: server.kind === "rds" ? server.instanceClass : undefined,
        capacity, deployments: estimates, total, thresholdPercent, limit,
        headroom: available === undefined ? undefined : available - total,
        usedPercent: available ? Math.round((total * 100) / available) : undefined,
        over: limit !== undefined && total > limit,
    };
}

/** The smallest class of the same family (and the same engine) under which `total` stays within the threshold. */
export function largerClassThatFits(a: ServerAssessment): string | undefined {
    if (!a.instanceClass || a.capacity.source !== "rds-formula") return undefined;
    const reserved = a.capacity.reserved.reduce((n, r) => n + r.slots, 0);
    return sameFamilyClasses(a.instanceClass).find((c) => {
        const gib = rdsInstanceMemoryGiB(c)!;
        const available = rdsDefaultMaxConnections(a.engine, gib * GIB) - reserved;
        return Math.floor((available * a.thresholdPercent) / 100) >= a.total;
    });
}

/** One sentence with the numbers and the fixes, for a server over its threshold. */
export function overMessage(a: ServerAssessment, before?: ServerAssessment): string {
    const c = a.capacity;
    const reserved = c.reserved.map((r) => ` - ${r.slots} ${r.setting}`).join("");
    const biggest = a.deployments.slice(0, 3).map((d) => `${d.release} ${d.total}`).join(", ");
    const pgbouncer = AIRFLOW.pgbouncer.metadataPoolSize + AIRFLOW.pgbouncer.resultBackendPoolSize;
    const noBouncer = a.deployments.filter((d) => d.basis === "airflow").map((d) => d.release);
    const larger = largerClassThatFits(a);
    const fixes = [
        larger ? `a larger instance class (${larger} fits)` : a.instanceClass ? "a larger instance class (none of this family fits: another family, or set max_connections)" : "a larger max_connections on the server",
        ...(ENGINE_FEATURES[a.engine].pgbouncer && noBouncer.length ? [`PgBouncer (pgbouncer: true: ${pgbouncer} server connections each) for ${noBouncer.slice(0, 3).join(", ")}`] : []),
        "moving Deployments to another server (deployments[].server)",
    ];
    return `server ${a.server}${a.instanceClass ? ` (${a.instanceClass})` : ""}: its ${a.deployments.length} Deployment(s) may hold ${a.total} connections, ` +
        `${a.usedPercent}% of the ${c.available} available (max_connections ${c.maxConnections}${reserved}; ${c.basis}), ` +
        `above the ${a.thresholdPercent}% threshold (${a.limit})${before ? ` (before this change: ${before.total})` : ""}; biggest: ${biggest}. Fix: ${fixes.join("; or ")}`;
}
