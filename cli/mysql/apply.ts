/**
 * `astro-db apply` for a MySQL server, with the mysql2 driver: the same guarantees as for PostgreSQL.
 * Each step runs only when what it declares does not hold yet, so a second run changes nothing.
 * MySQL commits every DDL statement at once, so instead of a transaction each run keeps, per
 * Deployment, the statements that undo what it did (DROP DATABASE / DROP USER for what it created,
 * REVOKE for what it granted, the former character set or REQUIRE clause for what it changed); when a
 * statement fails, they run in reverse and the report names the failing statement (its password masked).
 *
 * Then it writes the Deployments' secrets and values.yaml (0600). Passwords are generated only for
 * users this run creates (or rotates); an existing user's password is never touched.
 */
import { maskUrl } from "../../engines/url";
import * as path from "path";
import * as sql from "../../engines/mysql/statements";
import { quoteString } from "../../engines/mysql/quote";
import type { ServerSpec, StackSpec } from "../../stacks/config";
import type { ApplyOptions, DeploymentApplyResult, StepOutcome } from "../apply";
import { checkApplyOptions, deploymentOptions, fernetChoice, generatePassword, summarize, writeValuesFile } from "../apply";
import { readStackFile, runStackGraph } from "../graph";
import { ensurePrivateDir, FileOutcome, outputLayout, writeDeploymentSecrets } from "../manifests";
import type { DeclarationResult, SqlStep } from "../../engines/model";
import { isMysqlDeclaration, MysqlDeclaration } from "../../engines/model";
import { translateGraph } from "../sql/registry";
import { byDeployment } from "../../engines/postgres/render";
import type { Connection } from "mysql2/promise";
import { MysqlState, readMysqlState, showGrants } from "../../engines/mysql/catalog";
import { checkMysqlDeclaration, mysqlNeedsRun, requireClause } from "../../engines/mysql/check";
import { connectMysqlAdmin, mysqlErrorMessage, parseMysqlAdminUrl } from "../../engines/mysql/client";

export interface MysqlApplyResult {
    stack: string;
    server: string;
    engine: "mysql";
    adminUrl: string;
    serverVersion: string;
    admin: { user: string };
    outDir: string;
    connectionHost: string;
    connectionPort: number;
    deployments: DeploymentApplyResult[];
    valuesYaml?: FileOutcome;
    warnings: string[];
    ok: boolean;
}

/** The stack's MySQL server to apply: the named one, or the only one. */
export function pickMysqlServer(spec: StackSpec, name?: string): ServerSpec {
    const servers = spec.servers.filter((s) => s.engine === "mysql");
    const list = servers.map((s) => s.name).join(", ") || "none";
    if (name !== undefined) {
        const s = servers.find((x) => x.name === name);
        if (!s) throw new Error(`stack "${spec.stack}" has no MySQL server "${name}" (MySQL servers: ${list})`);
        return s;
    }
    if (servers.length !== 1) throw new Error(`stack "${spec.stack}" has ${servers.length} MySQL servers (${list}): choose one with --server`);
    return servers[0];
}

class StepFailure extends Error {
    constructor(readonly step: SqlStep, readonly statement: string, cause: unknown) {
        super(mysqlErrorMessage(cause));
    }
}

interface Undo {
    statement: string;
    /** What undoing does, for the report. */
    what: string;
}

/** The statements that undo a step, from the state before it ran. */
function undoOf(d: MysqlDeclaration, before: DeclarationResult, state: MysqlState): Undo[] {
    switch (d.type) {
        case "database":
            return before.status === "absent" ? [{ statement: sql.dropDatabase(d.name), what: `dropped database ${d.name}, which this run had created` }] : [];
        case "user":
            return before.status === "absent" ? [{ statement: sql.dropUser(d.user, d.host), what: `dropped user '${d.user}'@'${d.host}', which this run had created` }] : [];
        case "privileges": {
            const missing = before.status === "absent" ? d.privileges : before.findings.filter((f) => f.status === "missing").flatMap((f) => f.privileges ?? []);
            return missing.length ? [{ statement: sql.revoke(d.database, d.user, d.host, missing, d.table), what: `revoked ${missing.join(", ")} on ${d.database}.${d.table} from '${d.user}'@'${d.host}', which this run had granted` }] : [];
        }
        case "database-charset": {
            const db = state.databases.get(d.name);
            return db && before.status === "different" ? [{ statement: sql.alterDatabase({ name: d.name, ...db }), what: `restored the character set ${db.characterSet} / ${db.collation} of database ${d.name}` }] : [];
        }
        case "user-tls": {
            const a = state.accounts.get(`${d.user}\0${d.host}`);
            return a && before.status === "different" ? [{ statement: sql.alterUserRequire(d.user, d.host, requireClause(a.sslType)), what: `restored REQUIRE ${requireClause(a.sslType)} of '${d.user}'@'${d.host}'` }] : [];
        }
    }
}

interface GroupRun {
    result: DeploymentApplyResult;
    passwords: Map<string, string>;
}

/** One Deployment's steps: all of them, or, after a failure, nothing this run did. */
async function applyGroup(c: Connection, o: ApplyOptions, release: string | undefined, steps: SqlStep[]): Promise<GroupRun> {
    const result: DeploymentApplyResult = { release, status: "applied", steps: [], summary: {}, files: [], notes: [] };
    const passwords = new Map<string, string>();
    const undo: Undo[] = [];
    const rotate = release !== undefined && (o.rotatePasswords ?? []).includes(release);
    const outcomes: StepOutcome[] = [];
    let state = await readMysqlState(c);
    try {
        for (const step of steps) {
            const decls = step.declares.filter(isMysqlDeclaration);
            const before = decls.map((d) => ({ d, r: checkMysqlDeclaration(d, state) }));
            const need = step.action === "create" ? before.some((x) => x.r.status === "absent") : before.some((x) => mysqlNeedsRun(x.d, x.r));
            const user = step.setsPasswordOf;
            const rotating = rotate && user !== undefined && !need;
            if (!need && !rotating) {
                outcomes.push({ resource: step.resource.name, kind: step.kind, action: step.action, outcome: "unchanged" });
                continue;
            }
            if (user !== undefined) passwords.set(user, step.declaredPassword ?? generatePassword());
            const host = decls.find((d): d is Extract<MysqlDeclaration, { type: "user" }> => d.type === "user")?.host ?? "%";
            const render = (password: (u: string) => string) => (rotating ? sql.alterUserPassword(user!, host, password(user!)) : step.statements({ password }));
            const exec = render((u) => quoteString(passwords.get(u)!));
            // What a report may show: the same statements with the password masked.
            const shown = render(() => "'***'");
            const undoing = before.flatMap((x) => undoOf(x.d, x.r, state));
            const grantee = decls.find((d): d is Extract<MysqlDeclaration, { type: "privileges" }> => d.type === "privileges");
            const grantsBefore = grantee ? await showGrants(c, sql.showGrants(grantee.user, grantee.host)) : [];
            for (let i = 0; i < exec.length; i++) {
                try {
                    await c.query(exec[i]);
                } catch (err) {
                    throw new StepFailure(step, shown[i], err);
                }
            }
            undo.push(...undoing);
            if (rotating) result.notes.push(`gave ${user} a new password (--rotate-password): the old one no longer works`);
            state = await readMysqlState(c);
            const stillDiffers = decls.flatMap((d) => checkMysqlDeclaration(d, state).findings.filter((f) => f.status !== "extra").map((f) => f.message));
            if (grantee && stillDiffers.length) {
                // A GRANT the server accepted without changing what the account holds: a failure, as PostgreSQL's "no privileges were granted" is.
                const grantsAfter = await showGrants(c, sql.showGrants(grantee.user, grantee.host));
                const unchanged = JSON.stringify(grantsAfter) === JSON.stringify(grantsBefore);
                throw new StepFailure(step, shown.join("; "), new Error(
                    `the server accepted it but ${sql.showGrants(grantee.user, grantee.host)} ${unchanged ? "is unchanged" : "still lacks what it declares"}: ${stillDiffers.join("; ")}`));
            }
            outcomes.push({
                resource: step.resource.name, kind: step.kind, action: step.action,
                outcome: before.every((x) => x.r.status === "absent") ? "created" : "changed",
                ...(stillDiffers.length ? { stillDiffers } : {}),
            });
        }
    } catch (err) {
        const undone: string[] = [];
        for (const u of undo.reverse()) {
            try {
                await c.query(u.statement);
                undone.push(u.what);
            } catch (undoErr) {
                undone.push(`could not undo (${u.statement}): ${mysqlErrorMessage(undoErr)}`);
            }
        }
        result.status = "failed";
        result.failure = err instanceof StepFailure
            ? { resource: `${err.step.resource.type} ${err.step.resource.name}`, statement: err.statement, error: err.message, undone }
            : { resource: "(connection)", statement: "", error: mysqlErrorMessage(err), undone };
        result.steps = outcomes;
        passwords.clear();
        return { result, passwords };
    }
    result.steps = outcomes;
    result.summary = summarize(outcomes);
    return { result, passwords };
}

export async function applyMysqlStack(o: ApplyOptions): Promise<MysqlApplyResult> {
    const admin = parseMysqlAdminUrl(o.adminUrl);
    checkApplyOptions(o);
    const graph = await runStackGraph(o.stack, { revealSecrets: true, file: o.file });
    const spec = graph.spec;
    const server = pickMysqlServer(spec, o.server);
    const fernetChoices = deploymentOptions(spec, server, o);
    const translation = translateGraph(graph, { server: server.name, deployment: o.deployment });
    let steps = translation.steps.filter((s) => s.engine === "mysql");
    if (o.interceptSteps) steps = o.interceptSteps(steps);
    const warnings = [...translation.warnings];

    const c = await connectMysqlAdmin(o.adminUrl);
    try {
        const runs: GroupRun[] = [];
        for (const [release, group] of byDeployment(steps)) runs.push(await applyGroup(c, o, release, group));
        const { version, currentUser } = await readMysqlState(c);

        const outDir = path.resolve(o.out ?? path.join("out", o.stack));
        const layout = outputLayout(outDir);
        const at = { host: o.host ?? (server.kind === "existing" ? server.host : admin.host), port: o.port ?? (server.kind === "existing" ? server.port : admin.port) };
        if (server.kind === "rds" && o.host === undefined) warnings.push(`the RDS endpoint is known only after \`pulumi up\`: the connection strings use the admin URL's host ${admin.host}; pass --host if Airflow reaches the server elsewhere`);
        ensurePrivateDir(outDir);
        const fernetKeysSecret = readStackFile(o.stack, o.file).secretKeys.has("fernetKeys");
        for (const d of spec.deployments.filter((x) => x.server === server.name)) {
            const run = runs.find((r) => r.result.release === d.release);
            if (run?.result.status !== "applied") continue;
            run.result.files = writeDeploymentSecrets(layout, d, { freshPassword: run.passwords.get(d.names.user), endpoint: { engine: "mysql", ...at }, fernetKeysSecret, fernet: fernetChoice(fernetChoices, run.result), notes: run.result.notes });
        }
        const valuesYaml = writeValuesFile(layout, spec, server, { engine: "mysql", ...at, user: admin.user, password: admin.password }, warnings);
        const deployments = runs.map((r) => r.result);
        return {
            stack: o.stack, server: server.name, engine: "mysql", adminUrl: maskUrl(o.adminUrl), serverVersion: version, admin: { user: currentUser },
            outDir, connectionHost: at.host, connectionPort: at.port, deployments, valuesYaml, warnings, ok: deployments.every((d) => d.status === "applied"),
        };
    } finally {
        await c.end().catch(() => undefined);
    }
}

export function renderMysqlApplyResult(r: MysqlApplyResult): string {
    const lines = [
        `astro-db apply --stack ${r.stack}: server "${r.server}" at ${r.adminUrl} (MySQL protocol, ${r.serverVersion}, admin ${r.admin.user})`,
        `connection strings point at ${r.connectionHost}:${r.connectionPort}; files in ${r.outDir}`,
        ...r.warnings.map((w) => `warning: ${w}`),
    ];
    for (const d of r.deployments) {
        lines.push("", `${d.release === undefined ? "server-wide" : `Deployment ${d.release}`}: ${d.status === "applied" ? "applied" : "FAILED, undone"}`);
        for (const [kind, counts] of Object.entries(d.summary)) {
            lines.push(`  ${kind.padEnd(20)}${(["created", "changed", "unchanged"] as const).filter((k) => counts[k] > 0).map((k) => `${counts[k]} ${k}`).join(", ")}`);
        }
        for (const s of d.steps.filter((x) => x.stillDiffers)) lines.push(`  note: after ${s.resource} ran, still: ${s.stillDiffers!.join("; ")}`);
        if (d.failure) {
            lines.push(`  failed at ${d.failure.resource}`, `  statement: ${d.failure.statement}`, `  error: ${d.failure.error}`, ...d.failure.undone.map((u) => `  ${u}`));
        }
        for (const f of d.files) lines.push(`  ${f.status.padEnd(8)}${f.path}`);
        for (const n of d.notes) lines.push(`  note: ${n}`);
    }
    if (r.valuesYaml) lines.push("", `values.yaml: ${r.valuesYaml.status} ${r.valuesYaml.path}`);
    lines.push("", r.ok ? "apply: done" : "apply: failed (see above); what the failed Deployments' run did was undone");
    return lines.join("\n") + "\n";
}
