/**
 * `astro-db audit` for a MySQL server: compares the live server (mysql.user, information_schema's
 * privilege tables, mysql.procs_priv / proxies_priv and the role tables) with what the stack declares,
 * and reports every difference as missing, extra or different; SHOW GRANTS of each declared user is
 * attached to the report. Exit 0 clean, 1 drift, 2 error (the caller's).
 */
import { maskUrl } from "../../engines/url";
import type { AuditOptions } from "../audit";
import { runStackGraph } from "../graph";
import type { Finding, SqlStep } from "../../engines/model";
import { isMysqlDeclaration, MysqlDeclaration } from "../../engines/model";
import { translateGraph } from "../sql/registry";
import * as sql from "../../engines/mysql/statements";
import { readMysqlState, showGrants } from "../../engines/mysql/catalog";
import { checkMysqlDeclaration, undeclaredMysqlFindings } from "../../engines/mysql/check";
import { connectMysqlAdmin, parseMysqlAdminUrl } from "../../engines/mysql/client";
import { pickMysqlServer } from "./apply";
import { LiveCapacity, liveCapacity, liveCapacityText, readMysqlSessions } from "../capacityLive";

export interface MysqlAuditResult {
    stack: string;
    server: string;
    engine: "mysql";
    adminUrl: string;
    serverVersion: string;
    clean: boolean;
    findings: Finding[];
    /** SHOW GRANTS of each declared user, as the server prints it (password hashes masked). */
    grants: Record<string, string[]>;
    warnings: string[];
    /** Live connection slots and sessions per Deployment against plan's estimates. */
    capacity: LiveCapacity;
}

export async function auditMysqlStack(o: AuditOptions): Promise<MysqlAuditResult> {
    parseMysqlAdminUrl(o.adminUrl);
    const graph = await runStackGraph(o.stack, { file: o.file });
    const server = pickMysqlServer(graph.spec, o.server);
    const { steps, warnings } = translateGraph(graph, { server: server.name, deployment: o.deployment });

    // Each declaration once, with the first step (resource, Deployment) that declares it.
    const declared = new Map<string, { d: MysqlDeclaration; step: SqlStep }>();
    for (const step of steps) {
        for (const d of step.declares.filter(isMysqlDeclaration)) {
            const key = JSON.stringify(d);
            if (!declared.has(key)) declared.set(key, { d, step });
        }
    }
    const decls = [...declared.values()];

    const c = await connectMysqlAdmin(o.adminUrl);
    try {
        const state = await readMysqlState(c);
        const findings: Finding[] = [];
        for (const { d, step } of decls) {
            for (const f of checkMysqlDeclaration(d, state).findings) findings.push({ ...f, server: server.name, deployment: step.deployment, resource: step.resource.name });
        }
        // What nothing declares is attributed to the Deployment whose user or database it concerns.
        const owner = new Map<string, string | undefined>();
        for (const { d, step } of decls) {
            if (d.type === "user" || d.type === "privileges") owner.set(`'${d.user}'@'${d.host}'`, step.deployment);
            if (d.type === "database") owner.set(`database \`${d.name}\``, step.deployment);
        }
        for (const f of undeclaredMysqlFindings(decls.map((x) => x.d), state)) {
            const deployment = owner.get(f.grantee ?? "") ?? [...owner].find(([k]) => k.startsWith("database ") && f.message.includes(k.slice(9)))?.[1];
            findings.push({ ...f, server: server.name, deployment });
        }
        const grants: Record<string, string[]> = {};
        for (const { d } of decls) {
            if (d.type === "user") grants[`'${d.user}'@'${d.host}'`] = await showGrants(c, sql.showGrants(d.user, d.host));
        }
        const unique = findings.filter((f, i) => findings.findIndex((g) => g.status === f.status && g.message === f.message) === i);
        return { stack: o.stack, server: server.name, engine: "mysql", adminUrl: maskUrl(o.adminUrl), serverVersion: state.version, clean: unique.length === 0, findings: unique, grants, warnings,
            capacity: liveCapacity(server, graph.spec.deployments, await readMysqlSessions(c)) };
    } finally {
        await c.end().catch(() => undefined);
    }
}

export function renderMysqlAudit(r: MysqlAuditResult, format: "text" | "json"): string {
    if (format === "json") return JSON.stringify(r, null, 2) + "\n";
    const lines = [`astro-db audit --stack ${r.stack}: server "${r.server}" at ${r.adminUrl} (MySQL protocol, ${r.serverVersion})`, ...r.warnings.map((w) => `warning: ${w}`)];
    if (r.clean) {
        lines.push("clean: the server has what the stack declares, and no declared user has any right outside its own database");
    } else {
        const groups = new Map<string, Finding[]>();
        for (const f of r.findings) {
            const g = f.deployment === undefined ? "server-wide" : `Deployment ${f.deployment}`;
            groups.set(g, [...(groups.get(g) ?? []), f]);
        }
        for (const [g, fs] of groups) lines.push("", `${g}:`, ...fs.map((f) => `  ${f.status.padEnd(10)}${f.message}${f.resource ? `  [${f.resource}]` : ""}`));
        const count = (s: Finding["status"]) => r.findings.filter((f) => f.status === s).length;
        lines.push("", `drift: ${count("missing")} missing, ${count("extra")} extra, ${count("different")} different (\`astro-db apply\` restores what the stack declares; it revokes nothing, as the mysql provider does not)`);
    }
    lines.push(...liveCapacityText(r.capacity), "", "SHOW GRANTS:");
    for (const [account, list] of Object.entries(r.grants)) lines.push(`  ${account}:`, ...(list.length ? list.map((g) => `    ${g}`) : ["    (no such user)"]));
    return lines.join("\n") + "\n";
}
