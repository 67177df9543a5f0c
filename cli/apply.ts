/**
 * `astro-db apply --stack <name> --admin-url <url> [--out <dir>]`: runs the stack's SQL on a
 * PostgreSQL server with the pg driver, for servers Pulumi cannot reach. Each step runs only when
 * what it declares does not hold yet, so a second run changes nothing. Per Deployment everything
 * after CREATE DATABASE is one transaction; when a statement fails, the transaction is rolled
 * back and a database this run created is dropped again, so the server is as it was.
 *
 * Then it writes the Deployments' secrets and values.yaml: a failover Deployment with customer-managed
 * users gets one set per data plane (`secrets/<plane>/`), with that plane's login role, as `pulumi up`
 * sends each plane's cluster. Passwords are generated (24 random
 * bytes, URL-safe base64) only for roles this run creates: an existing role's password is never
 * touched, and its secrets are kept. The connection strings point at `--host/--port`, else at the
 * stack's server for an existing server (the address Airflow uses, which may differ from the one
 * the admin reaches), else (RDS, whose endpoint exists only after `pulumi up`) at the admin URL's.
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { Client } from "pg";
import type { DbEndpoint } from "../components/astronomer/connections";
import { manualConnectionValuesYaml, valuesConnectionString } from "../components/astronomer/values";
import * as sql from "../engines/postgres/statements";
import { quoteLiteral } from "../engines/postgres/quote";
import type { ServerSpec, StackSpec } from "../stacks/config";
import { readStackFile, runStackGraph } from "./graph";
import { ensurePrivateDir, FernetChoice, FileOutcome, mergeRolePasswords, readFernetKeyFile, outputLayout, OutputLayout, writeDeploymentSecrets, writePlaneSecrets, writePrivateFile } from "./manifests";

export type { FileOutcome } from "./manifests";
import { connectAdmin, parseAdminUrl, pgErrorMessage } from "../engines/postgres/client";
import { maskUrl } from "../engines/url";
import { queryChecked } from "../engines/postgres/checkedQuery";
import { type PgState, readDatabaseContents, readState, refreshServerState, type StateScope } from "../engines/postgres/catalog";
import { checkDeclaration } from "../engines/postgres/check";
import type { DeclarationResult, PgDeclaration, SqlStep } from "../engines/model";
import { stackServerContext, translateGraph } from "./sql/registry";
import { byDeployment, segmentSteps } from "../engines/postgres/render";
import { checkOutputDir, parseHost, parsePort } from "./input";
import { registerSecret } from "./redact";

export interface ApplyOptions {
    stack: string;
    adminUrl: string;
    /** Defaults to `out/<stack>`. */
    out?: string;
    /** Host and port in the written connection strings (see the module comment for the defaults). */
    host?: string;
    port?: number;
    /** The stack's server to apply; needed only when the stack has several PostgreSQL servers. */
    server?: string;
    /** Only this Deployment (server-wide resources are left out). */
    deployment?: string;
    /** Give these Deployments' existing Astro users (or, failover with customer-managed users, both login roles) a new password and rewrite their secrets. */
    rotatePasswords?: string[];
    /** Per release, a file holding the Deployment's fernet key to write (a Secret manifest or the bare key): `--fernet-key <release>=<file>`. */
    fernetKeyFiles?: Record<string, string>;
    /** Write a NEW fernet key for these Deployments even though they exist (`--new-fernet-key`). */
    newFernetKeys?: string[];
    /** A stack file other than stacks/Pulumi.<stack>.yaml. */
    file?: string;
    /** For tests: change the steps before they run (e.g. to make one fail). */
    interceptSteps?: (steps: SqlStep[]) => SqlStep[];
}

export type Outcome = "created" | "changed" | "unchanged";

export interface StepOutcome {
    resource: string;
    kind: string;
    action: SqlStep["action"];
    outcome: Outcome;
    /** Differences still there after the step ran (a provider semantic astro-db does not reproduce). */
    stillDiffers?: string[];
}


export interface DeploymentApplyResult {
    /** Undefined for server-wide resources. */
    release?: string;
    status: "applied" | "failed";
    steps: StepOutcome[];
    /** Per kind (database, role, grant, ...), how many resources were created, changed, unchanged. */
    summary: Record<string, Record<Outcome, number>>;
    failure?: { resource: string; statement: string; error: string; undone: string[] };
    files: FileOutcome[];
    notes: string[];
}

export interface ApplyResult {
    stack: string;
    server: string;
    adminUrl: string;
    serverVersion: number;
    admin: { user: string; superuser: boolean };
    outDir: string;
    connectionHost: string;
    connectionPort: number;
    deployments: DeploymentApplyResult[];
    valuesYaml?: FileOutcome;
    /** Written when this run generated passwords for login roles other than the Astro users. */
    rolePasswords?: FileOutcome;
    warnings: string[];
    ok: boolean;
}

class StepFailure extends Error {
    constructor(readonly step: SqlStep, readonly statement: string, readonly cause: unknown) {
        super(pgErrorMessage(cause));
    }
}

/** A password for a new role: 24 random bytes as URL-safe base64 (32 characters, nothing to escape). */
export function generatePassword(): string {
    const password = randomBytes(24).toString("base64url");
    // It goes to the secrets' files only: nothing this run prints may show it.
    registerSecret(password);
    return password;
}

/**
 * Checks the per-Deployment options (--deployment, --rotate-password, --fernet-key, --new-fernet-key) name
 * Deployments on `server` and reads the given fernet keys, before any connection is made.
 */
export function deploymentOptions(spec: StackSpec, server: ServerSpec, o: ApplyOptions): Map<string, FernetChoice> {
    const check = (option: string, release: string) => {
        if (!spec.deployments.some((d) => d.release === release && d.server === server.name)) {
            throw new Error(`${option} ${release}: no such Deployment on server "${server.name}" (its Deployments: ${spec.deployments.filter((d) => d.server === server.name).map((d) => d.release).join(", ")})`);
        }
    };
    if (o.deployment !== undefined) check("--deployment", o.deployment);
    for (const r of o.rotatePasswords ?? []) check("--rotate-password", r);
    const choices = new Map<string, FernetChoice>();
    for (const [r, file] of Object.entries(o.fernetKeyFiles ?? {})) {
        check("--fernet-key", r);
        choices.set(r, { given: readFernetKeyFile(file) });
    }
    for (const r of o.newFernetKeys ?? []) {
        check("--new-fernet-key", r);
        if (choices.has(r)) throw new Error(`--fernet-key ${r} and --new-fernet-key ${r} cannot both be given: keep the key from the file, or make a new one`);
        choices.set(r, { renew: true });
    }
    return choices;
}

/** Parses `--fernet-key <release>=<file>` values. */
export function parseFernetKeyOptions(values: readonly string[] = []): Record<string, string> {
    const out: Record<string, string> = {};
    for (const v of values) {
        const at = v.indexOf("=");
        if (at <= 0 || at === v.length - 1) throw new Error(`--fernet-key ${v}: expected <release>=<file>, e.g. --fernet-key amateur-sunspot-5075=amateur-sunspot-5075-fernet-key.yaml`);
        out[v.slice(0, at)] = v.slice(at + 1);
    }
    return out;
}

/** How this run may choose a Deployment's fernet key (cli/manifests.ts FernetChoice): a new one only for a database this run created, or when asked. */
export function fernetChoice(choices: ReadonlyMap<string, FernetChoice>, result: DeploymentApplyResult): FernetChoice {
    const newDeployment = result.steps.some((s) => s.kind === "database" && s.action === "create" && s.outcome === "created");
    return { ...(choices.get(result.release ?? "") ?? {}), newDeployment };
}

export function pickServer(spec: StackSpec, name?: string): ServerSpec {
    const pg = spec.servers.filter((s) => s.engine === "postgres");
    if (name !== undefined) {
        const s = pg.find((x) => x.name === name);
        if (!s) throw new Error(`stack "${spec.stack}" has no PostgreSQL server "${name}" (PostgreSQL servers: ${pg.map((x) => x.name).join(", ") || "none"})`);
        return s;
    }
    if (pg.length !== 1) throw new Error(`stack "${spec.stack}" has ${pg.length} PostgreSQL servers (${pg.map((x) => x.name).join(", ")}): choose one with --server`);
    return pg[0];
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

interface DeploymentRun {
    result: DeploymentApplyResult;
    /** Passwords of roles this run created or rotated. */
    passwords: Map<string, string>;
}

/** The options apply checks before it reads the stack or connects (the stack file is checked as it is read). */
export function checkApplyOptions(o: { host?: string; port?: number; out?: string }): void {
    if (o.host !== undefined) parseHost("--host", o.host);
    if (o.port !== undefined) parsePort("--port", String(o.port));
    if (o.out !== undefined) checkOutputDir("--out", o.out);
}

export async function applyStack(o: ApplyOptions): Promise<ApplyResult> {
    const admin = parseAdminUrl(o.adminUrl);
    checkApplyOptions(o);
    const graph = await runStackGraph(o.stack, { revealSecrets: true, file: o.file });
    const spec = graph.spec;
    const server = pickServer(spec, o.server);
    const fernetChoices = deploymentOptions(spec, server, o);
    const maintenance = await connectAdmin(o.adminUrl);
    try {
        const live = await readState(maintenance);
        const fromStack = stackServerContext(graph, server);
        const warnings: string[] = [];
        if (fromStack.adminUser !== live.currentUser) {
            warnings.push(`the stack's admin is "${fromStack.adminUser}" but --admin-url logs in as "${live.currentUser}": database owners and default privileges follow the stack`);
        }
        const translation = translateGraph(graph, { server: server.name, deployment: o.deployment, serverContext: (_s, c) => ({ ...c, adminIsSuperuser: live.superuser, maintenanceDatabase: admin.database }) });
        warnings.push(...translation.warnings);
        let steps = translation.steps.filter((s) => s.engine === "postgres");
        if (o.interceptSteps) steps = o.interceptSteps(steps);

        const runs: DeploymentRun[] = [];
        // The catalogs are read once (the databases' contents once per Deployment); each step that runs
        // reads again only the rows it declares (see applyGroup).
        for (const [release, group] of byDeployment(steps)) {
            runs.push(await applyGroup(o, admin.database, maintenance, release, group, live));
        }

        const outDir = path.resolve(o.out ?? path.join("out", o.stack));
        const layout = outputLayout(outDir);
        const connectionHost = o.host ?? (server.kind === "existing" ? server.host : admin.host);
        const connectionPort = o.port ?? (server.kind === "existing" ? server.port : admin.port);
        const sslmode = server.kind === "existing" ? server.sslmode ?? "require" : "require";
        if (server.kind === "rds" && o.host === undefined) warnings.push(`the RDS endpoint is known only after \`pulumi up\`: the connection strings use the admin URL's host ${admin.host}; pass --host if Airflow reaches the server elsewhere`);
        ensurePrivateDir(outDir);
        const fernetKeysSecret = readStackFile(o.stack, o.file).secretKeys.has("fernetKeys");
        for (const d of spec.deployments.filter((x) => x.server === server.name)) {
            const run = runs.find((r) => r.result.release === d.release);
            if (!run || run.result.status !== "applied") continue;
            const common = { endpoint: { engine: "postgres" as const, host: connectionHost, port: connectionPort, sslmode }, fernetKeysSecret, fernet: fernetChoice(fernetChoices, run.result), notes: run.result.notes };
            const planes = planeLogins(d);
            run.result.files = planes
                ? writePlaneSecrets(layout, d, planes.map((p) => ({ ...p, freshPassword: run.passwords.get(p.user) })), common)
                : writeDeploymentSecrets(layout, d, { ...common, freshPassword: run.passwords.get(d.names.user) });
        }
        // Passwords of other login roles this run created, which no Deployment's secrets carry: role-passwords.yaml.
        const inSecrets = new Set(spec.deployments.flatMap((d) => [d.names.user, ...(planeLogins(d) ?? []).map((p) => p.user)]));
        const others = new Map(runs.flatMap((r) => [...r.passwords].filter(([role]) => !inSecrets.has(role))));
        const rolePasswords = mergeRolePasswords(layout, others) ? { path: layout.rolePasswords, status: "written" as const } : undefined;
        const valuesYaml = writeValuesYaml(layout, spec, server, o.adminUrl, { host: connectionHost, port: connectionPort, sslmode }, warnings);
        const deployments = runs.map((r) => r.result);
        return {
            stack: o.stack, server: server.name, adminUrl: maskUrl(o.adminUrl), serverVersion: live.version,
            admin: { user: live.currentUser, superuser: live.superuser }, outDir, connectionHost, connectionPort,
            deployments, valuesYaml, rolePasswords, warnings, ok: deployments.every((d) => d.status === "applied"),
        };
    } finally {
        await maintenance.end().catch(() => undefined);
    }
}

/** A failover Deployment's data planes and their login roles when the stack creates them (customer-managed users). */
function planeLogins(d: StackSpec["deployments"][number]): { plane: string; user: string }[] | undefined {
    return d.failover?.users === "customer" ? d.failover.planes.map((plane, i) => ({ plane, user: d.names.loginRoles[i] })) : undefined;
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
 * server's catalog as read once for the whole run; this Deployment's databases are read when it first
 * connects to them (one connection each), and after a step ran only the rows it declares are read
 * again (in its transaction), to decide the steps after it and to report what still differs. A
 * failure leaves `state` read afresh.
 */
async function applyGroup(o: ApplyOptions, maintenanceDb: string, maintenance: Client, release: string | undefined, steps: SqlStep[], state: PgState): Promise<DeploymentRun> {
    const adminUser = state.currentUser;
    const result: DeploymentApplyResult = { release, status: "applied", steps: [], summary: {}, files: [], notes: [] };
    const passwords = new Map<string, string>();
    const createdDatabases: string[] = [];
    /** Roles created in segments already committed when a later one fails: dropped again. */
    const createdRoles: string[] = [];
    const committed: StepOutcome[] = [];
    const rotate = release !== undefined && (o.rotatePasswords ?? []).includes(release);
    /** One connection per database of this Deployment (the maintenance database's is the run's). */
    const clients = new Map<string, Client>();
    const closeClients = async () => {
        for (const c of clients.values()) await c.end().catch(() => undefined);
        clients.clear();
    };
    try {
        for (const segment of segmentSteps(steps, maintenanceDb)) {
            let client = segment.database === maintenanceDb ? maintenance : clients.get(segment.database);
            if (!client) {
                client = await connectAdmin(o.adminUrl, segment.database);
                clients.set(segment.database, client);
                state.contents.set(segment.database, await readDatabaseContents(client));
            }
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
                    if (step.setsPasswordOf !== undefined) passwords.set(step.setsPasswordOf, step.declaredPassword ?? generatePassword());
                    const exec = rotating
                        ? [sql.alterRole(step.setsPasswordOf!, { passwordSql: quoteLiteral(passwords.get(step.setsPasswordOf!)!) })]
                        : step.statements({ password: (role) => quoteLiteral(passwordOf(passwords, role)) });
                    // What a report may show: the same statements with passwords as psql variables.
                    const shown = rotating
                        ? [sql.alterRole(step.setsPasswordOf!, { passwordSql: sql.psqlVariable(sql.passwordVariable(step.setsPasswordOf!)) })]
                        : step.statements({ password: (role) => sql.psqlVariable(sql.passwordVariable(role)) });
                    if (segment.transactional && !begun) {
                        await client.query("BEGIN");
                        begun = true;
                    }
                    for (let i = 0; i < exec.length; i++) {
                        try {
                            // A GRANT/REVOKE that PostgreSQL answers with "no privileges were granted" fails the Deployment.
                            await queryChecked(client, exec[i], adminUser, shown[i]);
                        } catch (err) {
                            throw new StepFailure(step, shown[i], err);
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
                if (begun) await client.query("COMMIT");
                committed.push(...outcomes);
                createdRoles.push(...segment.steps.filter((st) => st.kind === "role" && st.action === "create" && outcomes.some((x) => x.resource === st.resource.name && x.outcome === "created"))
                    .flatMap((st) => st.declares.filter(isPg).flatMap((d) => (d.type === "role" ? [d.name] : []))));
            } catch (err) {
                if (begun) await client.query("ROLLBACK").catch(() => undefined);
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
        result.failure = err instanceof StepFailure
            ? { resource: `${err.step.resource.type} ${err.step.resource.name}`, statement: err.statement, error: err.message, undone }
            : { resource: "(connection)", statement: "", error: err instanceof Error ? err.message : String(err), undone };
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

interface Endpoint {
    host: string;
    port: number;
    sslmode: string;
}

function writeValuesYaml(layout: OutputLayout, spec: StackSpec, server: ServerSpec, adminUrl: string, e: Endpoint, warnings: string[]): FileOutcome | undefined {
    const u = new URL(adminUrl);
    return writeValuesFile(layout, spec, server, { engine: "postgres", host: e.host, port: e.port, sslmode: e.sslmode, user: parseAdminUrl(adminUrl).user, password: decodeURIComponent(u.password) }, warnings);
}

/**
 * values.yaml (seed 000 step 1) for the server apply ran on: `database.connection` with the
 * placeholder user and password, or with `valuesConnection: admin` the admin URL's own (not written
 * when the URL carries no password). Kept when unchanged. Shared by the PostgreSQL and MySQL apply.
 */
export function writeValuesFile(layout: OutputLayout, spec: StackSpec, server: ServerSpec, admin: Omit<DbEndpoint, "database">, warnings: string[]): FileOutcome | undefined {
    if (spec.valuesConnection === "admin" && admin.password === "") {
        warnings.push(`--admin-url carries no password: ${layout.valuesYaml} (valuesConnection: admin puts the admin connection there) was not written`);
        return undefined;
    }
    if (spec.servers[0].name !== server.name) warnings.push(`values.yaml points Houston at server "${server.name}"; the stack's program points it at its first server "${spec.servers[0].name}"`);
    const text = manualConnectionValuesYaml({ layout: spec.valuesLayout, connection: valuesConnectionString(spec.valuesConnection, admin) });
    if (fs.existsSync(layout.valuesYaml) && fs.readFileSync(layout.valuesYaml, "utf8") === text) {
        fs.chmodSync(layout.valuesYaml, 0o600);
        return { path: layout.valuesYaml, status: "kept" };
    }
    writePrivateFile(layout.valuesYaml, text);
    return { path: layout.valuesYaml, status: "written" };
}

/* ---------------------------------------------------------------- report */

export function renderApplyResult(r: ApplyResult): string {
    const lines = [
        `astro-db apply --stack ${r.stack}: server "${r.server}" at ${r.adminUrl} (PostgreSQL ${Math.floor(r.serverVersion / 10000)}, admin ${r.admin.user}${r.admin.superuser ? ", superuser" : ", not a superuser"})`,
        `connection strings point at ${r.connectionHost}:${r.connectionPort}; files in ${r.outDir}`,
    ];
    for (const w of r.warnings) lines.push(`warning: ${w}`);
    for (const d of r.deployments) {
        lines.push("", `${d.release === undefined ? "server-wide" : `Deployment ${d.release}`}: ${d.status === "applied" ? "applied" : "FAILED, rolled back"}`);
        for (const [kind, counts] of Object.entries(d.summary)) {
            const parts = (["created", "changed", "unchanged"] as const).filter((k) => counts[k] > 0).map((k) => `${counts[k]} ${k}`);
            lines.push(`  ${kind.padEnd(20)}${parts.join(", ")}`);
        }
        for (const s of d.steps.filter((x) => x.stillDiffers)) lines.push(`  note: after ${s.resource} ran, still: ${s.stillDiffers!.join("; ")}`);
        if (d.failure) {
            lines.push(`  failed at ${d.failure.resource}`, `  statement: ${d.failure.statement.split("\n").join("\n             ")}`, `  error: ${d.failure.error}`);
            for (const u of d.failure.undone) lines.push(`  ${u}`);
        }
        for (const f of d.files) lines.push(`  ${f.status.padEnd(8)}${f.path}`);
        for (const n of d.notes) lines.push(`  note: ${n}`);
    }
    if (r.valuesYaml) lines.push("", `values.yaml: ${r.valuesYaml.status} ${r.valuesYaml.path}`);
    if (r.rolePasswords) lines.push(`passwords of the other roles this run created: ${r.rolePasswords.status} ${r.rolePasswords.path}`);
    lines.push("", r.ok ? "apply: done" : "apply: failed (see above); the failed Deployments are as they were");
    return lines.join("\n") + "\n";
}
