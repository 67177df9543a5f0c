/**
 * `audit` on MySQL: the live server (mysql.user, information_schema's privilege tables, procs_priv,
 * proxies_priv, the role tables) against the stack's declarations: missing, extra and different, SHOW
 * GRANTS of each declared user, and the sessions for the connection capacity.
 */
import type { Connection } from "mysql2/promise";
import type { AuditReport, AuditRequest, EngineAudit, LiveSessions, ServerAudit } from "../audit";
import { byDeploymentHeading } from "../audit";
import { type Finding, isMysqlDeclaration, type MysqlDeclaration, type SqlStep } from "../model";
import { readMysqlState, showGrants } from "./catalog";
import { checkMysqlDeclaration, undeclaredMysqlFindings } from "./check";
import { connectMysqlAdmin, describeMysql } from "./client";
import * as sql from "./statements";

export const mysqlAudit: EngineAudit = { audit: auditMysql, render: renderMysqlAudit };

export async function auditMysql(r: AuditRequest): Promise<ServerAudit> {
    const { steps, warnings } = r.translate();

    // Each declaration once, with the first step (resource, Deployment) that declares it.
    const declared = new Map<string, { d: MysqlDeclaration; step: SqlStep }>();
    for (const step of steps) {
        for (const d of step.declares.filter(isMysqlDeclaration)) {
            const key = JSON.stringify(d);
            if (!declared.has(key)) declared.set(key, { d, step });
        }
    }
    const decls = [...declared.values()];

    const c = await connectMysqlAdmin(r.adminUrl);
    try {
        const state = await readMysqlState(c);
        const findings: Finding[] = [];
        for (const { d, step } of decls) {
            for (const f of checkMysqlDeclaration(d, state).findings) findings.push({ ...f, server: r.server, deployment: step.deployment, resource: step.resource.name });
        }
        // What nothing declares is attributed to the Deployment whose user or database it concerns.
        const owner = new Map<string, string | undefined>();
        for (const { d, step } of decls) {
            if (d.type === "user" || d.type === "privileges") owner.set(`'${d.user}'@'${d.host}'`, step.deployment);
            if (d.type === "database") owner.set(`database \`${d.name}\``, step.deployment);
        }
        for (const f of undeclaredMysqlFindings(decls.map((x) => x.d), state)) {
            const deployment = owner.get(f.grantee ?? "") ?? [...owner].find(([k]) => k.startsWith("database ") && f.message.includes(k.slice(9)))?.[1];
            findings.push({ ...f, server: r.server, deployment });
        }
        const grants: Record<string, string[]> = {};
        for (const { d } of decls) {
            if (d.type === "user") grants[`'${d.user}'@'${d.host}'`] = await showGrants(c, sql.showGrants(d.user, d.host));
        }
        const unique = findings.filter((f, i) => findings.findIndex((g) => g.status === f.status && g.message === f.message) === i);
        return { serverVersion: state.version, findings: unique, grants, warnings, sessions: await readMysqlSessions(c) };
    } finally {
        await c.end().catch(() => undefined);
    }
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
        // MySQL keeps no slot from ordinary users (components/capacity.ts reservedSlots).
        reserved: [],
        sessions: (rows as { user: string | null; db: string | null; n: number }[]).map((r) => ({ database: r.db, user: r.user, count: Number(r.n) })),
    };
}

function renderMysqlAudit(r: AuditReport, capacity: string[]): string {
    const lines = [`astro-db audit --stack ${r.stack}: server "${r.server}" at ${r.adminUrl} (${describeMysql(r.serverVersion)})`, ...r.warnings.map((w) => `warning: ${w}`)];
    if (r.clean) {
        lines.push("clean: the server has what the stack declares, and no declared user has any right outside its own database");
    } else {
        for (const [g, fs] of byDeploymentHeading(r.findings)) lines.push("", `${g}:`, ...fs.map((f) => `  ${f.status.padEnd(10)}${f.message}${f.resource ? `  [${f.resource}]` : ""}`));
        const count = (s: Finding["status"]) => r.findings.filter((f) => f.status === s).length;
        lines.push("", `drift: ${count("missing")} missing, ${count("extra")} extra, ${count("different")} different (\`astro-db apply\` restores what the stack declares; it revokes nothing, as the mysql provider does not)`);
    }
    lines.push(...capacity, "", "SHOW GRANTS:");
    for (const [account, list] of Object.entries(r.grants ?? {})) lines.push(`  ${account}:`, ...(list.length ? list.map((g) => `    ${g}`) : ["    (no such user)"]));
    return lines.join("\n") + "\n";
}
