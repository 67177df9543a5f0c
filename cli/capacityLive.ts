/**
 * `audit`'s connection capacity: the live max_connections, the reserved slots and the sessions per
 * Deployment database and role (PostgreSQL `pg_stat_activity`, MySQL `information_schema.processlist`),
 * compared with the estimate `plan` makes (components/capacity.ts).
 */
import type { Connection } from "mysql2/promise";
import { estimateDeployment, reservedSlots, ServerCapacity } from "../components/capacity";
import type { DeploymentSpec, ServerSpec } from "../stacks/config";

/** What the server says. */
export interface LiveSessions {
    maxConnections: number;
    reserved: ServerCapacity["reserved"];
    /** Client sessions, grouped by database and user (database null: none selected). */
    sessions: { database: string | null; user: string | null; count: number }[];
}

interface PgQuery { query<R>(sql: string): Promise<{ rows: R[] }> }

/**
 * PostgreSQL: max_connections, the slots ordinary roles cannot take (superuser_reserved_connections,
 * PostgreSQL 16's reserved_connections, RDS's rds.rds_superuser_reserved_connections when the server
 * has it) and every client backend by database and role. pg_stat_activity shows every session's
 * database and role to any user (pg_monitor adds the rest).
 */
export async function readPgSessions(c: PgQuery): Promise<LiveSessions> {
    const s = (await c.query<{ max: number; su: number; r: string | null; rds: string | null }>(
        "SELECT current_setting('max_connections')::int AS max, current_setting('superuser_reserved_connections')::int AS su, " +
        "current_setting('reserved_connections', true) AS r, current_setting('rds.rds_superuser_reserved_connections', true) AS rds",
    )).rows[0];
    const reserved = [{ setting: "superuser_reserved_connections", slots: s.su }];
    if (s.r !== null && s.r !== "" && Number(s.r) > 0) reserved.push({ setting: "reserved_connections", slots: Number(s.r) });
    if (s.rds !== null && s.rds !== "") reserved.push({ setting: "rds.rds_superuser_reserved_connections", slots: Number(s.rds) });
    const rows = (await c.query<{ datname: string | null; usename: string | null; n: number }>(
        "SELECT datname, usename, count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' GROUP BY 1, 2 ORDER BY 1, 2",
    )).rows;
    return { maxConnections: s.max, reserved, sessions: rows.map((r) => ({ database: r.datname, user: r.usename, count: r.n })) };
}

/** MySQL / MariaDB: max_connections and every client thread by user and database (needs PROCESS to see other users'). */
export async function readMysqlSessions(c: Connection): Promise<LiveSessions> {
    const [vars] = await c.query("SELECT @@max_connections AS max");
    const [rows] = await c.query(
        "SELECT USER AS user, DB AS db, COUNT(*) AS n FROM information_schema.PROCESSLIST " +
        "WHERE COMMAND <> 'Daemon' AND USER NOT IN ('system user', 'event_scheduler') GROUP BY USER, DB ORDER BY USER, DB",
    );
    return {
        maxConnections: Number((vars as { max: number }[])[0].max),
        reserved: reservedSlots("mysql", false),
        sessions: (rows as { user: string | null; db: string | null; n: number }[]).map((r) => ({ database: r.db, user: r.user, count: Number(r.n) })),
    };
}

export interface LiveDeployment {
    release: string;
    estimate: number;
    sessions: number;
    /** Sessions per database and role, as `database/role`. */
    by: Record<string, number>;
    above: boolean;
}

export interface LiveCapacity {
    maxConnections: number;
    reserved: ServerCapacity["reserved"];
    available: number;
    /** Every client session on the server (this audit's own included). */
    inUse: number;
    headroom: number;
    deployments: LiveDeployment[];
    /** Sessions of no Deployment of this stack (admins, monitoring, other applications, this audit). */
    other: number;
}

/**
 * The live sessions attributed to the server's Deployments: a session is a Deployment's when its role
 * is one of the Deployment's (the Astro user, the data planes' login roles) or, failing that, when it
 * is on the Deployment's database.
 */
export function liveCapacity(server: ServerSpec, deployments: DeploymentSpec[], live: LiveSessions): LiveCapacity {
    const mine = deployments.filter((d) => d.server === server.name);
    const roles = (d: DeploymentSpec) => new Set([d.names.user, ...(d.failover ? d.names.loginRoles : [])]);
    const byRelease = new Map<string, LiveDeployment>(mine.map((d) => [d.release, {
        release: d.release, sessions: 0, by: {}, above: false,
        estimate: estimateDeployment({ release: d.release, executor: d.executor, pgbouncer: d.pgbouncer, connections: d.connections, failover: !!d.failover }).total,
    }]));
    let other = 0;
    for (const s of live.sessions) {
        const d = mine.find((x) => s.user !== null && roles(x).has(s.user)) ?? mine.find((x) => s.database === x.names.database);
        if (!d) {
            other += s.count;
            continue;
        }
        const entry = byRelease.get(d.release)!;
        entry.sessions += s.count;
        const key = `${s.database ?? "(none)"}/${s.user ?? "(none)"}`;
        entry.by[key] = (entry.by[key] ?? 0) + s.count;
    }
    const list = [...byRelease.values()].map((d) => ({ ...d, above: d.sessions > d.estimate })).sort((a, b) => b.sessions - a.sessions || a.release.localeCompare(b.release));
    const inUse = live.sessions.reduce((n, s) => n + s.count, 0);
    const available = Math.max(0, live.maxConnections - live.reserved.reduce((n, r) => n + r.slots, 0));
    return { maxConnections: live.maxConnections, reserved: live.reserved, available, inUse, headroom: available - inUse, deployments: list, other };
}

/** The text lines audit prints. */
export function liveCapacityText(c: LiveCapacity): string[] {
    const reserved = c.reserved.map((r) => ` - ${r.slots} ${r.setting}`).join("");
    const lines = [
        "",
        `connections: max_connections ${c.maxConnections}${reserved} = ${c.available} available; ${c.inUse} in use, headroom ${c.headroom}`,
    ];
    for (const d of c.deployments) {
        const by = Object.entries(d.by).map(([k, n]) => `${k} ${n}`).join(", ");
        lines.push(`  ${d.release}: ${d.sessions} session(s) (estimate ${d.estimate})${by ? `: ${by}` : ""}${d.above ? "  ABOVE ITS ESTIMATE: raise deployments[].connections or find what holds them" : ""}`);
    }
    lines.push(`  other sessions (admins, monitoring, this audit, other applications): ${c.other}`);
    return lines;
}
