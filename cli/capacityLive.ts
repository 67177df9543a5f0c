/**
 * `audit`'s connection capacity: the live max_connections, reserved slots and sessions per Deployment
 * database and role (each engine reads them: engines/<engine>/audit.ts), against the estimate `plan`
 * makes (components/capacity.ts).
 */
import { estimateDeployment, ServerCapacity } from "../components/capacity";
import type { LiveSessions } from "../engines/audit";
import type { DeploymentSpec, ServerSpec } from "../stacks/config";

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
