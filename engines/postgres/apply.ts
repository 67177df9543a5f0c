/**
 * `apply` on PostgreSQL: runs the steps whose declarations do not hold yet, per Deployment in one
 * transaction per database after CREATE DATABASE; a failure rolls back and drops what the run created,
 * so the server is as it was (README "`sql`, `apply`, `audit`"). cli/apply.ts writes the files.
 */
import type { Client } from "pg";
import { type ApplyRequest, type ApplyRun, type DeploymentOutcome, type DeploymentRun, type EngineApply, failureOf, StepFailure, type StepOutcome, summarize } from "../apply";
import { byDeployment, type DeclarationResult, type PgDeclaration, type SqlStep } from "../model";
import { type PgDatabaseContents, type PgState, readDatabaseContents, readState, refreshServerState, type StateScope } from "./catalog";
import { checkDeclaration } from "./check";
import { queryChecked } from "./checkedQuery";
import { quoteLiteral } from "./quote";
import { connectAdmin, describePostgres, parseAdminUrl, pgErrorMessage } from "./client";
import { takeOver } from "./snapshot";
import { segmentSteps } from "./render";
import * as sql from "./statements";

export const postgresApply: EngineApply = {
    run: applyPostgres,
    describe: describePostgres,
    failed: "rolled back",
    failedEnd: "the failed Deployments are as they were",
};

/**
 * Takes over the reads begun before the program ran (or begins them), translates with what the server
 * says of its admin, and runs each Deployment's steps.
 */
export async function applyPostgres(r: ApplyRequest): Promise<ApplyRun> {
    const admin = parseAdminUrl(r.adminUrl);
    const reads = takeOver(r.early, r.adminUrl, "apply");
    try {
        const { maintenance, state: live, contents: read } = await reads.snapshot;
        if (!maintenance) throw new Error("internal: apply's reads keep their connection");
        live.contents.set(admin.database, await readDatabaseContents(maintenance));
        const warnings: string[] = [];
        if (r.stackAdminUser !== live.currentUser) {
            warnings.push(`the stack's admin is "${r.stackAdminUser}" but --admin-url logs in as "${live.currentUser}": database owners and default privileges follow the stack`);
        }
        const translation = r.translate((c) => ({ ...c, adminIsSuperuser: live.superuser, maintenanceDatabase: admin.database }));
        warnings.push(...translation.warnings);
        const runs: DeploymentRun[] = [];
        // The catalogs are read once: the server's and every existing Deployment database's before any
        // Deployment runs, over a few connections at once (most while the stack program ran; a database
        // that cannot be read now is read when its Deployment needs it, and failing there fails that
        // Deployment alone); each step that runs reads again only the rows it declares (see applyGroup).
        const groups = byDeployment(translation.steps);
        const databases = [...new Set(groups.flatMap(([, g]) => segmentSteps(g, admin.database).map((seg) => seg.database)))]
            .filter((db) => db !== admin.database && live.databases.has(db));
        await reads.readMissing(databases);
        const needed = new Set(databases);
        const contents = new Map([...read].filter((e): e is [string, PgDatabaseContents] => needed.has(e[0]) && !(e[1] instanceof Error)));
        for (const [release, group] of groups) {
            runs.push(await applyGroup(r, admin.database, maintenance, release, group, live, contents));
        }
        return { serverVersion: live.version, admin: { user: live.currentUser, superuser: live.superuser }, warnings, runs };
    } finally {
        await reads.close();
    }
}

function passwordOf(passwords: Map<string, string>, role: string): string {
    const p = passwords.get(role);
    if (p === undefined) throw new Error(`internal: no password for role ${role}`);
    return p;
}

function combine(results: DeclarationResult[]): DeclarationResult["status"] {
    if (results.every((r) => r.status === "ok")) return "ok";
    return results.every((r) => r.status !== "different") ? "absent" : "different";
}

function isPg(d: { engine: string }): d is PgDeclaration {
    return d.engine === "postgres";
}

/** The catalog rows a step's declarations are about: what apply reads again once the step ran. */
export function scopeOf(step: SqlStep): StateScope & { contents: string[] } {
    const roles = new Set<string>();
    const databases = new Set<string>();
    const contents = new Set<string>();
    for (const d of step.declares.filter(isPg)) {
        switch (d.type) {
            case "database": databases.add(d.name); break;
            case "role": case "role-attributes": roles.add(d.name); break;
            case "membership": roles.add(d.role).add(d.member); break;
            case "plane-connect": databases.add(d.database); break;
            case "privileges": if (d.on.kind === "database") databases.add(d.on.database); else contents.add(d.on.database); break;
            case "schema": case "default-privileges": case "fence-function": contents.add(d.database); break;
        }
    }
    return { roles: [...roles], databases: [...databases], contents: [...contents] };
}

/**
 * One Deployment's steps (or the server-wide ones): all of it, or nothing of it. `state` is the
 * server's catalog as read once for the whole run; this Deployment's databases come from `read`
 * (their contents read before the run, taken out when used: only this Deployment writes there) or
 * are read when it first needs them. It connects to a database (one connection each) only when a
 * statement runs there, and after a step ran only the rows it declares are read again (in its
 * transaction), to decide the steps after it and to report what still differs. A failure leaves
 * `state` read afresh.
 */
async function applyGroup(r: ApplyRequest, maintenanceDb: string, maintenance: Client, release: string | undefined, steps: SqlStep[], state: PgState,
    read: Map<string, PgDatabaseContents>): Promise<DeploymentRun> {
    const adminUser = state.currentUser;
    const result: DeploymentOutcome = { release, status: "applied", steps: [], summary: {}, notes: [] };
    const passwords = new Map<string, string>();
    const createdDatabases: string[] = [];
    /** Roles created in segments already committed when a later one fails: dropped again. */
    const createdRoles: string[] = [];
    const committed: StepOutcome[] = [];
    const rotate = release !== undefined && r.rotatePasswords.includes(release);
    /** One connection per database of this Deployment (the maintenance database's is the run's). */
    const clients = new Map<string, Client>();
    const closeClients = async () => {
        for (const c of clients.values()) await c.end().catch(() => undefined);
        clients.clear();
    };
    /** The databases whose contents this Deployment has in `state`. */
    const known = new Set<string>([maintenanceDb]);
    try {
        for (const segment of segmentSteps(steps, maintenanceDb)) {
            const connect = async (): Promise<Client> => {
                let c = segment.database === maintenanceDb ? maintenance : clients.get(segment.database);
                if (!c) {
                    c = await connectAdmin(r.adminUrl, segment.database);
                    clients.set(segment.database, c);
                }
                return c;
            };
            if (!known.has(segment.database)) {
                const before = read.get(segment.database);
                read.delete(segment.database);
                state.contents.set(segment.database, before ?? await readDatabaseContents(await connect()));
                known.add(segment.database);
            }
            let client: Client | undefined;
            const outcomes: StepOutcome[] = [];
            // The transaction begins with the segment's first statement: a segment with nothing to do costs no round trip.
            let begun = false;
            try {
                for (const step of segment.steps) {
                    const before = combine(step.declares.filter(isPg).map((d) => checkDeclaration(d, state)));
                    const rotating = rotate && step.setsPasswordOf !== undefined && before === "ok";
                    // Pulumi applies a resource that ignores changes once, when it creates it, and never again:
                    // run it only while nothing of it exists (e.g. no plane can connect yet), never to undo a failover.
                    const ignored = step.ignoreDrift === true && before !== "absent";
                    const run = rotating || (!ignored && (step.action === "create" ? before === "absent" : before !== "ok"));
                    if (ignored && before !== "ok") result.notes.push(`${step.resource.name} differs from the stack but ignores changes (ignoreChanges), as pulumi up would: left as it is`);
                    if (!run) {
                        if (step.kind === "removal") result.notes.push(`${step.resource.name}: retention has ended; \`pulumi up\` drops this Deployment's database and roles (apply never drops; \`astro-db sql\` shows the drop)`);
                        outcomes.push({ resource: step.resource.name, kind: step.kind, action: step.action, outcome: "unchanged" });
                        continue;
                    }
                    if (step.setsPasswordOf !== undefined) passwords.set(step.setsPasswordOf, step.declaredPassword ?? r.generatePassword());
                    const exec = rotating
                        ? [sql.alterRole(step.setsPasswordOf!, { passwordSql: quoteLiteral(passwords.get(step.setsPasswordOf!)!) })]
                        : step.statements({ password: (role) => quoteLiteral(passwordOf(passwords, role)) });
                    // What a report may show: the same statements with passwords as psql variables.
                    const shown = rotating
                        ? [sql.alterRole(step.setsPasswordOf!, { passwordSql: sql.psqlVariable(sql.passwordVariable(step.setsPasswordOf!)) })]
                        : step.statements({ password: (role) => sql.psqlVariable(sql.passwordVariable(role)) });
                    client ??= await connect();
                    if (segment.transactional && !begun) {
                        await client.query("BEGIN");
                        begun = true;
                    }
                    for (let i = 0; i < exec.length; i++) {
                        try {
                            // A GRANT/REVOKE that PostgreSQL answers with "no privileges were granted" fails the Deployment.
                            await queryChecked(client, exec[i], adminUser, shown[i]);
                        } catch (err) {
                            throw new StepFailure(step, shown[i], pgErrorMessage(err));
                        }
                    }
                    if (step.kind === "database" && step.action === "create") {
                        createdDatabases.push(...step.declares.filter(isPg).flatMap((d) => (d.type === "database" ? [d.name] : [])));
                    }
                    // Read again what the step declares: its roles, databases, and the contents of the database it ran in.
                    const scope = scopeOf(step);
                    await refreshServerState(client, state, scope);
                    if (scope.contents.includes(segment.database)) state.contents.set(segment.database, await readDatabaseContents(client));
                    const after = step.declares.filter(isPg).map((d) => checkDeclaration(d, state));
                    const stillDiffers = after.flatMap((r) => r.findings.map((f) => f.message));
                    outcomes.push({
                        resource: step.resource.name, kind: step.kind, action: step.action,
                        outcome: before === "absent" ? "created" : "changed",
                        ...(stillDiffers.length ? { stillDiffers } : {}),
                    });
                }
                if (begun) await client!.query("COMMIT");
                committed.push(...outcomes);
                createdRoles.push(...segment.steps.filter((st) => st.kind === "role" && st.action === "create" && outcomes.some((x) => x.resource === st.resource.name && x.outcome === "created"))
                    .flatMap((st) => st.declares.filter(isPg).flatMap((d) => (d.type === "role" ? [d.name] : []))));
            } catch (err) {
                if (begun) await client!.query("ROLLBACK").catch(() => undefined);
                throw err;
            }
        }
    } catch (err) {
        // Nothing may stay connected to a database about to be dropped.
        await closeClients();
        // Undo what this run created in segments already finished: databases first (they may belong to the roles).
        const undone = [
            ...(await undo(maintenance, createdDatabases.reverse(), "database", sql.dropDatabase)),
            ...(await undo(maintenance, createdRoles.reverse(), "role", sql.dropRole)),
        ];
        // What was rolled back and undone is still in `state`: read the catalogs afresh for the next Deployments.
        await readState(maintenance).then((fresh) => Object.assign(state, fresh), () => undefined);
        const kept = committed.filter((s) => s.outcome !== "unchanged" && !(s.action === "create" && (s.kind === "database" || s.kind === "role")));
        if (kept.length) result.notes.push(`already committed before the failure (not undone): ${kept.map((s) => `${s.kind} ${s.resource}`).join(", ")}`);
        result.status = "failed";
        result.failure = failureOf(err, undone, (e) => (e instanceof Error ? e.message : String(e)));
        result.steps = committed;
        passwords.clear();
        return { result, passwords };
    } finally {
        await closeClients();
    }
    result.steps = committed;
    result.summary = summarize(committed);
    return { result, passwords };
}

async function undo(client: Client, names: string[], what: string, drop: (name: string) => string): Promise<string[]> {
    const said: string[] = [];
    for (const name of names) {
        try {
            await client.query(drop(name));
            said.push(`dropped ${what} ${name}, which this run had created`);
        } catch (err) {
            said.push(`could not drop ${what} ${name}, which this run had created: ${pgErrorMessage(err)}`);
        }
    }
    return said;
}
