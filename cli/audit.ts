/**
 * `astro-db audit --stack <name> --admin-url <url> [--format text|json]`: compares a live
 * PostgreSQL server with what the stack declares (the same declarations `apply` enforces) and
 * reports every difference: missing, extra, different. Exit 0 clean, 1 drift, 2 error.
 */
import { Command, Option } from "commander";
import { runStackGraph } from "./graph";
import type { Register } from "./main";
import { connectAdmin, maskUrl, parseAdminUrl, serverCommandOptions } from "./pgClient";
import { pickServer } from "./apply";
import { readDatabaseContents, readServerState } from "./sql/catalog";
import { checkDeclaration, undeclaredFindings } from "./sql/check";
import type { Finding, PgDeclaration, SqlStep } from "./sql/model";
import { translateGraph } from "./sql/registry";
import { isMysqlUrl } from "./mysql/client";

export interface AuditOptions {
    stack: string;
    adminUrl: string;
    server?: string;
    /** Only this Deployment's declarations (and what nothing declares in its databases). */
    deployment?: string;
    file?: string;
}

export interface AuditResult {
    stack: string;
    server: string;
    adminUrl: string;
    serverVersion: number;
    clean: boolean;
    findings: Finding[];
    warnings: string[];
}

export async function auditStack(o: AuditOptions): Promise<AuditResult> {
    const graph = await runStackGraph(o.stack, { file: o.file });
    const server = pickServer(graph.spec, o.server);
    const admin = parseAdminUrl(o.adminUrl);
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
    try {
        state = await readServerState(maintenance);
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
        // What a resource ignores changes to (e.g. CONNECT a failover moved) is not drift.
        if (step.ignoreDrift) continue;
        for (const f of checkDeclaration(d, state).findings) findings.push({ ...f, server: server.name, deployment: step.deployment, resource: step.resource.name });
    }
    for (const f of undeclaredFindings(decls.map((x) => x.d), state)) {
        findings.push({ ...f, server: server.name, deployment: f.database === undefined ? undefined : deploymentOfDatabase.get(f.database) });
    }
    const unique = dedupe(findings);
    return { stack: o.stack, server: server.name, adminUrl: maskUrl(o.adminUrl), serverVersion: state.version, clean: unique.length === 0, findings: unique, warnings };
}

function databasesOf(d: PgDeclaration): string[] {
    switch (d.type) {
        case "database": return [d.name];
        case "schema": case "default-privileges": return [d.database];
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
    if (r.clean) return [...lines, "clean: the server has what the stack declares, and nothing more where the stack manages access"].join("\n") + "\n";
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
    lines.push("", `drift: ${count("missing")} missing, ${count("extra")} extra, ${count("different")} different (\`astro-db apply\` restores what the stack declares; extras it does not declare are left for you to revoke)`);
    return lines.join("\n") + "\n";
}

export const registerAudit: Register = (program: Command, setExit) => {
    serverCommandOptions(program.command("audit").description("compare a live PostgreSQL or MySQL server (by the --admin-url scheme) with the stack: missing, extra and different privileges, roles, memberships (exit 0 clean, 1 drift, 2 error)"))
        .option("-d, --deployment <release>", "only this Deployment")
        .addOption(new Option("-f, --format <format>", "output format").choices(["text", "json"]).default("text"))
        .action(async (given: AuditOptions & { stackFile?: string; format: "text" | "json" }) => {
            const opts = { ...given, file: given.stackFile };
            // A mysql:// admin URL audits the stack's MySQL server (cli/mysql/audit.ts).
            if (isMysqlUrl(opts.adminUrl)) {
                const { auditMysqlStack, renderMysqlAudit } = await import("./mysql/audit");
                const m = await auditMysqlStack(opts);
                process.stdout.write(renderMysqlAudit(m, opts.format));
                return setExit(m.clean ? 0 : 1);
            }
            const r = await auditStack(opts);
            process.stdout.write(renderAudit(r, opts.format));
            setExit(r.clean ? 0 : 1);
        });
};
