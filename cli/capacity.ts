/**
 * `plan`'s connection capacity: per server, what its Deployments may hold (components/capacity.ts),
 * what the server admits, the headroom and the biggest consumers; and the `capacity` finding of
 * `plan --against` when a change takes a server over its threshold.
 */
import { rdsDefaults } from "../components/aws";
import { assessServer, DeploymentEstimate, overMessage, ServerAssessment, ServerInput } from "../components/capacity";
import type { StackSpec } from "../stacks/config";
import type { Finding } from "./findings";

/** One assessment per server of the stack; retired Deployments (login disabled) hold nothing and are left out. */
export function assessStack(spec: Pick<StackSpec, "servers" | "deployments" | "capacityThreshold">): ServerAssessment[] {
    return spec.servers.map((s) => {
        const input: ServerInput = s.kind === "rds"
            ? { kind: "rds", engine: s.engine, instanceClass: s.rds.instanceClass ?? rdsDefaults(s.engine).instanceClass, maxConnections: s.rds.maxConnections }
            : { kind: "existing", engine: s.engine, maxConnections: s.maxConnections };
        const deployments = spec.deployments
            .filter((d) => d.server === s.name && d.retiredAt === undefined)
            .map((d) => ({ release: d.release, executor: d.executor, pgbouncer: d.pgbouncer, connections: d.connections, failover: d.failover !== undefined }));
        return assessServer({ name: s.name, ...input }, deployments, spec.capacityThreshold);
    });
}

/**
 * `capacity` findings: a server over its threshold in `head` that was not in `base` (or had no base),
 * or that was and now carries more.
 */
export function capacityFindings(base: ServerAssessment[] | undefined, head: ServerAssessment[]): Finding[] {
    return head.filter((a) => a.over).flatMap((a): Finding[] => {
        const before = base?.find((b) => b.server === a.server);
        if (before?.over && a.total <= before.total) return [];
        return [{ severity: "capacity", resource: a.server, message: overMessage(a, before) }];
    });
}

function estimateLine(e: DeploymentEstimate): string {
    const how = e.basis === "pgbouncer" ? "PgBouncer" : e.basis === "maxConnections" ? "config maxConnections" : "Airflow pools, no PgBouncer";
    return `${e.release}: ${e.total} (${how}: ${e.parts.map((p) => `${p.component} ${p.processes}×${p.perProcess}`).join(", ")})`;
}

function serverLine(a: ServerAssessment): string {
    const c = a.capacity;
    const what = `${a.instanceClass ? `RDS ${a.instanceClass}` : "existing"}, ${a.engine}`;
    if (c.maxConnections === undefined) return `server ${a.server} (${what}): max_connections ${c.basis}`;
    const reserved = c.reserved.map((r) => ` - ${r.slots} ${r.setting}`).join("");
    return `server ${a.server} (${what}): max_connections ${c.maxConnections} (${c.basis})${reserved} = ${c.available} available`;
}

function totalLine(a: ServerAssessment): string {
    if (a.capacity.available === undefined) return `estimated ${a.total} connections for ${a.deployments.length} Deployment(s); headroom unknown`;
    return `estimated ${a.total} connections for ${a.deployments.length} Deployment(s): ${a.usedPercent}% of available, headroom ${a.headroom}; threshold ${a.thresholdPercent}% = ${a.limit}${a.over ? " EXCEEDED" : ""}`;
}

/** The text section of `plan`. */
export function capacityText(assessments: ServerAssessment[]): string[] {
    const lines = ["Connection capacity (per server; estimates are what each Deployment may hold at most):"];
    for (const a of assessments) {
        lines.push(`  ${serverLine(a)}`, `    ${totalLine(a)}`, ...a.deployments.map((e) => `      ${estimateLine(e)}`));
        if (a.over) lines.push(`  ! [capacity] ${overMessage(a)}`);
    }
    return lines;
}

/** The Markdown section of `plan`. */
export function capacityMarkdown(assessments: ServerAssessment[]): string[] {
    const out = ["### Connection capacity", ""];
    for (const a of assessments) {
        out.push(`**${serverLine(a)}**`, "", totalLine(a), "", "| Deployment | may hold | from |", "|---|---|---|");
        for (const e of a.deployments) out.push(`| \`${e.release}\` | ${e.total} | ${e.parts.map((p) => `${p.component} ${p.processes}×${p.perProcess}`).join(", ")} |`);
        out.push("");
        if (a.over) out.push(`> **capacity**: ${overMessage(a)}`, "");
    }
    return out;
}
