/**
 * `astro-db audit --stack <name> --admin-url <url> [--format text|json]`: compares a live
 * PostgreSQL server with what the stack declares (the same declarations `apply` enforces) and
 * reports every difference: missing, extra, different. Exit 0 clean, 1 drift, 2 error. It also lists
 * every declared role membership with the ADMIN, INHERIT and SET options the server gives it.
 */
import { runStackGraph } from "./graph";
import { connectAdmin, parseAdminUrl } from "../engines/postgres/client";
import { maskUrl } from "../engines/url";
import { pickServer } from "./apply";
import { readDatabaseContents, readServerState } from "../engines/postgres/catalog";
import { checkDeclaration, undeclaredFindings } from "../engines/postgres/check";
import { pgSupports } from "../engines/postgres/versions";
import type { Finding, PgDeclaration, SqlStep } from "../engines/model";
import { translateGraph } from "./sql/registry";
import { LiveCapacity, liveCapacity, liveCapacityText, readPgSessions } from "./capacityLive";

export interface AuditOptions {
    stack: string;
    adminUrl: string;
    server?: string;
    /** Only this Deployment's declarations (and what nothing declares in its databases). */
    deployment?: string;
    file?: string;
}

/** A declared membership as the server has it: its options are the union over every grantor's row (undefined: the server is older than 16). */
export interface AuditedMembership {
    role: string;
    member: string;
    deployment?: string;
    /** False when the member is not a member of the role at all. */
    present: boolean;
    admin: boolean;
    inherit?: boolean;
    set?: boolean;
}

export interface AuditResult {
    stack: string;
    server: string;
    adminUrl: string;
    serverVersion: number;
    clean: boolean;
    findings: Finding[];
    /** Every membership the stack declares, with its live options. */
    memberships: AuditedMembership[];
    warnings: string[];
    /** Live connection slots and sessions per Deployment against plan's estimates. */
    capacity: LiveCapacity;
}

export async function auditStack(o: AuditOptions): Promise<AuditResult> {
    const admin = parseAdminUrl(o.adminUrl);
    const graph = await runStackGraph(o.stack, { file: o.file });
    const server = pickServer(graph.spec, o.server);
    const { steps, warnings } = translateGraph(graph, { server: server.name, deployment: o.deployment, serverContext: (_s, c) => ({ ...c, maintenanceDatabase: admin.database }) });

    // Each declaration once, with the first step (resource, Deployment) that declares it.
    const declared = new Map<string, { d: PgDeclaration; step: SqlStep }>();
    for (const step of steps) {
        for (const d of step.declares) {
            if (d.engine !== "postgres") continue;
            const key = JSON.stringify(d);
            if (!declared.has(key)) declared.set(key, { d: d as PgDeclaration, step });
        }
    }
    const decls = [...declared.values()];

    const maintenance = await connectAdmin(o.adminUrl);
    let state;
    let live;
    try {
        state = await readServerState(maintenance);
        live = await readPgSessions(maintenance);
    } finally {
        await maintenance.end().catch(() => undefined);
    }
    const databases = new Set(decls.flatMap(({ d }) => databasesOf(d)).filter((db) => state.databases.has(db)));
    for (const db of databases) {
        const client = await connectAdmin(o.adminUrl, db);
        try {
            state.contents.set(db, await readDatabaseContents(client));
        } finally {
            await client.end().catch(() => undefined);
        }
    }

    const deploymentOfDatabase = new Map(decls.flatMap(({ d, step }) => databasesOf(d).map((db) => [db, step.deployment] as const)));
    const findings: Finding[] = [];
    for (const { d, step } of decls) {
        // What a resource ignores changes to is not drift: for the login roles' CONNECT, which plane
        // holds it (a failover moves it). That exactly one plane holds it, and only it, is checked.
        if (step.ignoreDrift && d.type !== "plane-connect") continue;
        for (const f of checkDeclaration(d, state).findings) findings.push({ ...f, server: server.name, deployment: step.deployment, resource: step.resource.name });
    }
    for (const f of undeclaredFindings(decls.map((x) => x.d), state)) {
        findings.push({ ...f, server: server.name, deployment: f.database === undefined ? undefined : deploymentOfDatabase.get(f.database) });
    }
    const unique = dedupe(findings);
    const listed = new Set<string>();
    const memberships = decls.flatMap(({ d, step }): AuditedMembership[] => {
        if (d.type !== "membership" || listed.has(`${d.role}\0${d.member}`)) return [];
        listed.add(`${d.role}\0${d.member}`);
        const rows = state.memberships.filter((m) => m.role === d.role && m.member === d.member);
        const any = (f: (m: (typeof rows)[number]) => boolean | undefined) => rows.some((m) => f(m) === true);
        const before16 = !pgSupports(state.version, "grantOptions");
        return [{
            role: d.role, member: d.member, deployment: step.deployment, present: rows.length > 0,
            admin: any((m) => m.admin), inherit: before16 ? undefined : any((m) => m.inherit), set: before16 ? undefined : any((m) => m.set),
        }];
    });
    return { stack: o.stack, server: server.name, adminUrl: maskUrl(o.adminUrl), serverVersion: state.version, clean: unique.length === 0, findings: unique, memberships, warnings,
        capacity: liveCapacity(server, graph.spec.deployments, live) };
}

/** `GRANT dp1_user_x TO airflow_conn_killer_x: ADMIN FALSE, INHERIT FALSE, SET FALSE`, as the server has it. */
function membershipLine(m: AuditedMembership): string {
    if (!m.present) return `${m.role} TO ${m.member}: not granted`;
    const flag = (name: string, v: boolean | undefined) => `${name} ${v === undefined ? "n/a (before PostgreSQL 16)" : v ? "TRUE" : "FALSE"}`;
    return `${m.role} TO ${m.member}: ${[flag("ADMIN", m.admin), flag("INHERIT", m.inherit), flag("SET", m.set)].join(", ")}`;
}

function databasesOf(d: PgDeclaration): string[] {
    switch (d.type) {
        case "database": return [d.name];
        case "schema": case "default-privileges": case "fence-function": return [d.database];
        case "privileges": return [d.on.database];
        default: return [];
    }
}

/** The same difference reached through several declarations (a missing role, say) is reported once. */
function dedupe(findings: Finding[]): Finding[] {
    const seen = new Set<string>();
    return findings.filter((f) => {
        const key = `${f.status}\0${f.object}\0${f.grantee ?? ""}\0${f.message}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
    });
}

export function renderAudit(r: AuditResult, format: "text" | "json"): string {
    if (format === "json") return JSON.stringify(r, null, 2) + "\n";
    const lines = [`astro-db audit --stack ${r.stack}: server "${r.server}" at ${r.adminUrl} (PostgreSQL ${Math.floor(r.serverVersion / 10000)})`];
    for (const w of r.warnings) lines.push(`warning: ${w}`);
    const memberships = [...renderMemberships(r.memberships), ...liveCapacityText(r.capacity)];
    if (r.clean) return [...lines, "clean: the server has what the stack declares, and nothing more where the stack manages access", ...memberships].join("\n") + "\n";
    const groups = new Map<string, Finding[]>();
    for (const f of r.findings) {
        const g = f.deployment === undefined ? "server-wide" : `Deployment ${f.deployment}`;
        groups.set(g, [...(groups.get(g) ?? []), f]);
    }
    for (const [g, fs] of groups) {
        lines.push("", `${g}:`);
        for (const f of fs) lines.push(`  ${f.status.padEnd(10)}${f.message}${f.resource ? `  [${f.resource}]` : ""}`);
    }
    const count = (s: Finding["status"]) => r.findings.filter((f) => f.status === s).length;
    lines.push(...memberships);
    lines.push("", `drift: ${count("missing")} missing, ${count("extra")} extra, ${count("different")} different (\`astro-db apply\` restores what the stack declares; extras it does not declare are left for you to revoke)`);
    return lines.join("\n") + "\n";
}

/** The declared memberships with their live options, per Deployment. */
function renderMemberships(ms: AuditedMembership[]): string[] {
    if (ms.length === 0) return [];
    const lines = ["", "memberships the stack declares, with the options the server gives them:"];
    const groups = new Map<string, AuditedMembership[]>();
    for (const m of ms) {
        const g = m.deployment === undefined ? "server-wide" : `Deployment ${m.deployment}`;
        groups.set(g, [...(groups.get(g) ?? []), m]);
    }
    for (const [g, list] of groups) lines.push(`  ${g}:`, ...list.map((m) => `    ${membershipLine(m)}`));
    return lines;
}
