/**
 * What `astro-db audit` asks of an engine and gets back: engines/<engine>/audit.ts compares the live
 * server with the stack's declarations, cli/audit.ts adds the connection capacity and prints the report.
 */
import type { Finding, SqlStep } from "./model";
import type { ServerContext } from "./apply";
import type { EarlyReads } from "./model";

/** The live sessions an engine reports for audit's connection capacity (cli/capacityLive.ts). */
export interface LiveSessions {
    maxConnections: number;
    /** Slots ordinary roles cannot use (components/capacity.ts ServerCapacity's `reserved`). */
    reserved: { setting: string; slots: number }[];
    /** Client sessions, grouped by database and user (database null: none selected). */
    sessions: { database: string | null; user: string | null; count: number }[];
}

export interface AuditRequest {
    adminUrl: string;
    /** The stack's server name, for the findings. */
    server: string;
    /** The stack's steps for this server and engine; `live` adds what the admin URL says to the stack's context. */
    translate(live?: (fromStack: ServerContext) => ServerContext): { steps: SqlStep[]; warnings: string[] };
    /** What the engine began reading before the program ran (Engine.startReads); the audit takes it over. */
    early?: EarlyReads;
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

/** What an engine found on the server. */
export interface ServerAudit {
    /** PostgreSQL's server_version_num, MySQL's VERSION(). */
    serverVersion: number | string;
    /** Each difference once. */
    findings: Finding[];
    warnings: string[];
    sessions: LiveSessions;
    /** PostgreSQL: every membership the stack declares, with its live options. */
    memberships?: AuditedMembership[];
    /** MySQL: SHOW GRANTS of each declared user, as the server prints it (password hashes masked). */
    grants?: Record<string, string[]>;
    /** PostgreSQL: the Deployment databases that could not be read (their declarations are not checked). */
    errors?: AuditError[];
}

/** A database audit could not read: the audit is incomplete (exit 2). */
export interface AuditError {
    deployment?: string;
    database: string;
    error: string;
}

/** The report as printed (cli/audit.ts adds the capacity). */
export interface AuditReport extends Omit<ServerAudit, "sessions"> {
    stack: string;
    server: string;
    engine: string;
    adminUrl: string;
    clean: boolean;
}

export interface EngineAudit {
    audit(request: AuditRequest): Promise<ServerAudit>;
    /** The text report; `capacity` is the connection capacity's lines. */
    render(report: AuditReport, capacity: string[]): string;
}

/** Findings per Deployment ("server-wide" for the rest), in the order first seen. */
export function byDeploymentHeading<T extends { deployment?: string }>(items: readonly T[]): Map<string, T[]> {
    const groups = new Map<string, T[]>();
    for (const f of items) {
        const g = f.deployment === undefined ? "server-wide" : `Deployment ${f.deployment}`;
        groups.set(g, [...(groups.get(g) ?? []), f]);
    }
    return groups;
}
