/**
 * Steps -> what runs where: segments (one database, one transaction or none), and the psql script
 * `astro-db sql` prints. `apply` runs the same segments with the pg driver.
 */
import * as sql from "./statements";
import { quoteLiteral } from "./quote";
import { byDeployment, type RenderContext, type SqlStep } from "../model";

/** Consecutive steps that run in one database, in one transaction (or, for CREATE DATABASE, in none). */
export interface Segment {
    database: string;
    transactional: boolean;
    steps: SqlStep[];
}

/**
 * Splits ordered steps into segments: a step that cannot run in a transaction is a segment of its
 * own; steps that may run in any database (roles) join the segment around them.
 */
export function segmentSteps(steps: readonly SqlStep[], maintenanceDatabase: string): Segment[] {
    const out: { database?: string; transactional: boolean; steps: SqlStep[] }[] = [];
    let open: { database?: string; transactional: boolean; steps: SqlStep[] } | undefined;
    for (const s of steps) {
        if (!s.transactional) {
            out.push({ database: s.database ?? maintenanceDatabase, transactional: false, steps: [s] });
            open = undefined;
        } else if (open && (s.database === undefined || open.database === undefined || open.database === s.database)) {
            open.database ??= s.database;
            open.steps.push(s);
        } else {
            open = { database: s.database, transactional: true, steps: [s] };
            out.push(open);
        }
    }
    return out.map((g) => ({ ...g, database: g.database ?? maintenanceDatabase }));
}

export interface PsqlScriptOptions {
    title: string[];
    maintenanceDatabase: string;
    /** Passwords to print in clear (role -> password); every other password is a psql variable. */
    passwords?: ReadonlyMap<string, string>;
    warnings?: readonly string[];
}

const RUN_VARIABLE = "astro_db_run";

/** The psql script for one server's steps. Safe to run twice; passwords are psql variables unless given. */
export function renderPsql(steps: readonly SqlStep[], o: PsqlScriptOptions): string {
    const shown = o.passwords ?? new Map<string, string>();
    const ctx: RenderContext = {
        password: (role) => (shown.has(role) ? quoteLiteral(shown.get(role)!) : sql.psqlVariable(sql.passwordVariable(role))),
    };
    const lines: string[] = [...o.title.map((t) => `-- ${t}`.trimEnd())];
    for (const w of o.warnings ?? []) lines.push(`-- WARNING: ${w}`);
    lines.push("\\set ON_ERROR_STOP on", "");
    let connected = o.maintenanceDatabase;
    for (const [deployment, group] of byDeployment(steps)) {
        lines.push(`-- ${"=".repeat(8)} ${deployment === undefined ? "server-wide" : `Deployment ${deployment}`} ${"=".repeat(8)}`);
        for (const segment of segmentSteps(group, o.maintenanceDatabase)) {
            if (segment.database !== connected) {
                lines.push(sql.psqlConnect(segment.database));
                connected = segment.database;
            }
            if (segment.transactional) lines.push("BEGIN;");
            for (const s of segment.steps) lines.push(...renderStep(s, ctx, shown));
            if (segment.transactional) lines.push("COMMIT;");
            lines.push("");
        }
    }
    return lines.join("\n");
}

/**
 * psql lines that set RUN_VARIABLE to true only when `variable` is set to exactly `1`: `:{?v}` alone
 * is true for any value (0 and `yes` included), and `:'v'` in SQL is sent as written when v is unset.
 */
export function psqlConfirmed(variable: string): string[] {
    return [`\\if :{?${variable}}`, `SELECT :'${variable}' = '1' AS ${RUN_VARIABLE} \\gset`, "\\else", `\\set ${RUN_VARIABLE} false`, "\\endif"];
}

function renderStep(s: SqlStep, ctx: RenderContext, shown: ReadonlyMap<string, string>): string[] {
    const head = `-- ${s.resource.type} ${s.resource.name}${s.action === "create" ? " (create if missing)" : ""}`;
    if (s.confirm === undefined) return [head, ...renderGuarded(s, ctx, shown)];
    return [
        `${head}: runs only with psql -v ${s.confirm}=1`,
        ...psqlConfirmed(s.confirm),
        `\\if :${RUN_VARIABLE}`,
        ...renderGuarded(s, ctx, shown),
        "\\else",
        `\\echo astro-db: skipped ${s.resource.name} (it drops): run this script with psql -v ${s.confirm}=1 to run it`,
        "\\endif",
    ];
}

function renderGuarded(s: SqlStep, ctx: RenderContext, shown: ReadonlyMap<string, string>): string[] {
    const out: string[] = [];
    const statements = s.statements(ctx).map((t) => `${t};`);
    if (s.guard === undefined) return statements;
    out.push(`SELECT ${s.guard} AS ${RUN_VARIABLE} \\gset`, `\\if :${RUN_VARIABLE}`);
    if (s.setsPasswordOf !== undefined && !shown.has(s.setsPasswordOf)) {
        const v = sql.passwordVariable(s.setsPasswordOf);
        // Without the variable psql sends `:'name'` as written and the statement fails: say why first.
        out.push(`\\if :{?${v}}`, "\\else", `\\echo astro-db: role ${s.setsPasswordOf} must be created: run psql with -v ${v}=<password>`, "\\endif");
    }
    return [...out, ...statements, "\\endif"];
}
