/**
 * `audit` on PostgreSQL: the live catalogs against the stack's declarations (the same ones `apply`
 * enforces): missing, extra and different, every declared membership with its ADMIN, INHERIT and SET
 * options, and the sessions for the connection capacity (README "`sql`, `apply`, `audit`").
 */
import type { AuditedMembership, AuditError, AuditReport, AuditRequest, EngineAudit, ServerAudit } from "../audit";
import { byDeploymentHeading } from "../audit";
import type { Finding, PgDeclaration, SqlStep } from "../model";
import { checkDeclaration, undeclaredFindings } from "./check";
import { describePostgres, parseAdminUrl, pgErrorMessage } from "./client";
import { takeOver } from "./snapshot";
import { pgSupports } from "./versions";

export const postgresAudit: EngineAudit = { audit: auditPostgres, render: renderPostgresAudit };

export async function auditPostgres(r: AuditRequest): Promise<ServerAudit> {
    const admin = parseAdminUrl(r.adminUrl);
    const { steps, warnings } = r.translate((c) => ({ ...c, maintenanceDatabase: admin.database }));

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

    // The server's catalogs and every Deployment database's, most of them read while the stack program
    // ran (snapshot.ts); one that cannot be read is reported with its Deployment, and the others are audited.
    const reads = takeOver(r.early, r.adminUrl, "audit");
    let snapshot;
    try {
        const { state } = await reads.snapshot;
        snapshot = await reads.readMissing(decls.flatMap(({ d }) => databasesOf(d)).filter((db) => state.databases.has(db)));
    } finally {
        await reads.close();
    }
    const { state, sessions: live } = snapshot;
    const deploymentOfDatabase = new Map(decls.flatMap(({ d, step }) => databasesOf(d).map((db) => [db, step.deployment] as const)));
    const errors: AuditError[] = [];
    for (const db of new Set(decls.flatMap(({ d }) => databasesOf(d)))) {
        const read = snapshot.contents.get(db);
        if (read === undefined) continue;
        if (read instanceof Error) errors.push({ deployment: deploymentOfDatabase.get(db), database: db, error: pgErrorMessage(read) });
        else state.contents.set(db, read);
    }
    const unread = new Set(errors.map((e) => e.database));
    const readable = decls.filter(({ d }) => !databasesOf(d).some((db) => unread.has(db)) && !(d.type === "plane-connect" && unread.has(d.database)));

    const findings: Finding[] = [];
    for (const { d, step } of readable) {
        // What a resource ignores changes to is not drift: for the login roles' CONNECT, which plane
        // holds it (a failover moves it). That exactly one plane holds it, and only it, is checked.
        if (step.ignoreDrift && d.type !== "plane-connect") continue;
        for (const f of checkDeclaration(d, state).findings) findings.push({ ...f, server: r.server, deployment: step.deployment, resource: step.resource.name });
    }
    for (const f of undeclaredFindings(readable.map((x) => x.d), state)) {
        findings.push({ ...f, server: r.server, deployment: f.database === undefined ? undefined : deploymentOfDatabase.get(f.database) });
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
    return { serverVersion: state.version, findings: unique, memberships, warnings, sessions: live, errors };
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

function renderPostgresAudit(r: AuditReport, capacity: string[]): string {
    const lines = [`astro-db audit --stack ${r.stack}: server "${r.server}" at ${r.adminUrl} (${describePostgres(r.serverVersion)})`];
    for (const w of r.warnings) lines.push(`warning: ${w}`);
    const memberships = [...renderMemberships(r.memberships ?? []), ...capacity];
    const unread = (r.errors ?? []).map((e) => `could not read ${e.deployment === undefined ? "" : `Deployment ${e.deployment}'s `}database ${e.database} (its declarations are not checked): ${e.error}`);
    for (const e of unread) lines.push(`error: ${e}`);
    if (r.clean) return [...lines, "clean: the server has what the stack declares, and nothing more where the stack manages access", ...memberships].join("\n") + "\n";
    for (const [g, fs] of byDeploymentHeading(r.findings)) {
        lines.push("", `${g}:`);
        for (const f of fs) lines.push(`  ${f.status.padEnd(10)}${f.message}${f.resource ? `  [${f.resource}]` : ""}`);
    }
    const count = (s: Finding["status"]) => r.findings.filter((f) => f.status === s).length;
    lines.push(...memberships);
    if (unread.length) lines.push("", `audit incomplete: ${unread.length} database(s) could not be read (see error: above)`);
    lines.push("", `drift: ${count("missing")} missing, ${count("extra")} extra, ${count("different")} different (\`astro-db apply\` restores what the stack declares; extras it does not declare are left for you to revoke)`);
    return lines.join("\n") + "\n";
}

/** The declared memberships with their live options, per Deployment. */
function renderMemberships(ms: AuditedMembership[]): string[] {
    if (ms.length === 0) return [];
    const lines = ["", "memberships the stack declares, with the options the server gives them:"];
    for (const [g, list] of byDeploymentHeading(ms)) lines.push(`  ${g}:`, ...list.map((m) => `    ${membershipLine(m)}`));
    return lines;
}
