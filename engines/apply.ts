/**
 * What `astro-db apply` asks of an engine and gets back: engines/<engine>/apply.ts runs the steps on
 * the live server, cli/apply.ts writes the secrets and values.yaml (README "`sql`, `apply`, `audit`").
 */
import type { SqlStep, TranslateContext } from "./model";
import type { EarlyReads } from "./model";

export type Outcome = "created" | "changed" | "unchanged";

export interface StepOutcome {
    resource: string;
    kind: string;
    action: SqlStep["action"];
    outcome: Outcome;
    /** Differences still there after the step ran (a provider semantic astro-db does not reproduce). */
    stillDiffers?: string[];
}

/** One Deployment's run (or the server-wide steps'): all of it applied, or failed and undone. */
export interface DeploymentOutcome {
    /** Undefined for server-wide resources. */
    release?: string;
    status: "applied" | "failed";
    steps: StepOutcome[];
    /** Per kind (database, role, grant, ...), how many resources were created, changed, unchanged. */
    summary: Record<string, Record<Outcome, number>>;
    failure?: { resource: string; statement: string; error: string; undone: string[] };
    notes: string[];
}

export interface DeploymentRun {
    result: DeploymentOutcome;
    /** Passwords of the roles this run created or rotated (empty after a failure). */
    passwords: Map<string, string>;
}

/** Who runs the SQL and where it starts, as translation takes it (cli/sql/registry.ts). */
export type ServerContext = Omit<TranslateContext, "deployment">;

export interface ApplyRequest {
    adminUrl: string;
    /** The admin the stack names for the server (a warning when the URL logs in as another). */
    stackAdminUser: string;
    /** The stack's steps for this server and engine; `live` adds what only the server knows to the stack's context. */
    translate(live?: (fromStack: ServerContext) => ServerContext): { steps: SqlStep[]; warnings: string[] };
    /** Deployments whose existing users get a new password. */
    rotatePasswords: readonly string[];
    /** A password for a user this run creates or rotates. */
    generatePassword(): string;
    /** What the engine began reading before the program ran (Engine.startReads); the run takes it over. */
    early?: EarlyReads;
}

export interface ApplyRun {
    /** PostgreSQL's server_version_num, MySQL's VERSION(). */
    serverVersion: number | string;
    admin: { user: string; superuser?: boolean };
    warnings: string[];
    runs: DeploymentRun[];
}

/** An engine's apply: the run, and the words its report uses for a failed Deployment. */
export interface EngineApply {
    run(request: ApplyRequest): Promise<ApplyRun>;
    /** The server in the report's first line: "PostgreSQL 17", "MySQL protocol, 11.4.2-MariaDB". */
    describe(serverVersion: number | string): string;
    /** After "FAILED, ": what became of a failed Deployment ("rolled back", "undone"). */
    failed: string;
    /** The report's last line after a failure, after "apply: failed (see above); ". */
    failedEnd: string;
}

/** Per kind, per resource: created if any of its steps created, changed if any changed. */
export function summarize(steps: StepOutcome[]): Record<string, Record<Outcome, number>> {
    const perResource = new Map<string, { kind: string; outcome: Outcome }>();
    const rank: Record<Outcome, number> = { unchanged: 0, changed: 1, created: 2 };
    for (const s of steps) {
        const prev = perResource.get(s.resource);
        if (!prev || rank[s.outcome] > rank[prev.outcome]) perResource.set(s.resource, { kind: s.kind, outcome: s.outcome });
    }
    const out: Record<string, Record<Outcome, number>> = {};
    for (const { kind, outcome } of perResource.values()) {
        out[kind] ??= { created: 0, changed: 0, unchanged: 0 };
        out[kind][outcome]++;
    }
    return out;
}

/** A failure of one statement of a step: what the report names (the statement as shown, password masked). */
export class StepFailure extends Error {
    constructor(readonly step: SqlStep, readonly statement: string, message: string) {
        super(message);
    }
}

/** The report's failure entry for an error `run` threw. */
export function failureOf(err: unknown, undone: string[], message: (err: unknown) => string): NonNullable<DeploymentOutcome["failure"]> {
    return err instanceof StepFailure
        ? { resource: `${err.step.resource.type} ${err.step.resource.name}`, statement: err.statement, error: err.message, undone }
        : { resource: "(connection)", statement: "", error: message(err), undone };
}
