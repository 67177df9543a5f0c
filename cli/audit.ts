/**
 * `astro-db audit --stack <name> --admin-url <url> [--format text|json]`: compares the live server the
 * admin URL names with what the stack declares, through its engine (ENGINES: engines/<engine>/audit.ts),
 * and adds the connection capacity. Exit 0 clean, 1 drift, 2 error (README "`sql`, `apply`, `audit`").
 */
import type { AuditReport } from "../engines/audit";
import { ENGINES } from "../engines/index";
import type { EngineKind } from "../engines/model";
import { engineOfUrl, maskUrl } from "../engines/url";
import { onStackServer, serverSteps } from "./apply";
import { LiveCapacity, liveCapacity, liveCapacityText } from "./capacityLive";

export interface AuditOptions {
    stack: string;
    adminUrl: string;
    server?: string;
    /** Only this Deployment's declarations (and what nothing declares in its databases). */
    deployment?: string;
    file?: string;
}

export interface AuditResult extends AuditReport {
    engine: EngineKind;
    /** Live connection slots and sessions per Deployment against plan's estimates. */
    capacity: LiveCapacity;
}

export async function auditStack(o: AuditOptions): Promise<AuditResult> {
    const engine = ENGINES[engineOfUrl(o.adminUrl)];
    engine.parseAdminUrl(o.adminUrl);
    // The server is read while the program runs.
    const { graph, server, result: audit } = await onStackServer(engine, { ...o, purpose: "audit" }, () => undefined, (graph, server, early) => engine.audit.audit({
        adminUrl: o.adminUrl,
        server: server.name,
        translate: serverSteps(graph, server, engine, o.deployment),
        early,
    }));
    const { sessions, ...audited } = audit;
    return {
        stack: o.stack, server: server.name, engine: engine.kind, adminUrl: maskUrl(o.adminUrl), clean: audited.findings.length === 0 && !audited.errors?.length, ...audited,
        capacity: liveCapacity(server, graph.spec.deployments, sessions),
    };
}

export function renderAudit(r: AuditResult, format: "text" | "json"): string {
    if (format === "json") return JSON.stringify(r, null, 2) + "\n";
    return ENGINES[r.engine].audit.render(r, liveCapacityText(r.capacity));
}
