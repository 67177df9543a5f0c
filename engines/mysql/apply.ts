/**
 * `apply` on MySQL: runs the steps whose declarations do not hold yet. MySQL commits each DDL statement
 * at once, so each Deployment's run keeps the statements that undo what it did (DROP for what it created,
 * REVOKE for what it granted, the former character set or REQUIRE clause) and runs them in reverse when a
 * statement fails (README "What each Deployment gets on MySQL"). cli/apply.ts writes the files.
 */
import type { Connection } from "mysql2/promise";
import { type ApplyRequest, type ApplyRun, type DeploymentOutcome, type DeploymentRun, type EngineApply, failureOf, StepFailure, type StepOutcome, summarize } from "../apply";
import { byDeployment, type DeclarationResult, isMysqlDeclaration, type MysqlDeclaration, type SqlStep } from "../model";
import { type MysqlState, readMysqlState, showGrants } from "./catalog";
import { checkMysqlDeclaration, mysqlNeedsRun, requireClause } from "./check";
import { connectMysqlAdmin, describeMysql, mysqlErrorMessage } from "./client";
import { quoteString } from "./quote";
import * as sql from "./statements";

export const mysqlApply: EngineApply = {
    run: applyMysql,
    describe: describeMysql,
    failed: "undone",
    failedEnd: "what the failed Deployments' run did was undone",
};

/** Translates (nothing of it needs the live server), connects, and runs each Deployment's steps. */
export async function applyMysql(r: ApplyRequest): Promise<ApplyRun> {
    const translation = r.translate();
    const c = await connectMysqlAdmin(r.adminUrl);
    try {
        const runs: DeploymentRun[] = [];
        for (const [release, group] of byDeployment(translation.steps)) runs.push(await applyGroup(c, r, release, group));
        const { version, currentUser } = await readMysqlState(c);
        return { serverVersion: version, admin: { user: currentUser }, warnings: [...translation.warnings], runs };
    } finally {
        await c.end().catch(() => undefined);
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

/** One Deployment's steps: all of them, or, after a failure, nothing this run did. */
async function applyGroup(c: Connection, r: ApplyRequest, release: string | undefined, steps: SqlStep[]): Promise<DeploymentRun> {
    const result: DeploymentOutcome = { release, status: "applied", steps: [], summary: {}, notes: [] };
    const passwords = new Map<string, string>();
    const undo: Undo[] = [];
    const rotate = release !== undefined && r.rotatePasswords.includes(release);
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
            if (user !== undefined) passwords.set(user, step.declaredPassword ?? r.generatePassword());
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
                    throw new StepFailure(step, shown[i], mysqlErrorMessage(err));
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
                throw new StepFailure(step, shown.join("; "),
                    `the server accepted it but ${sql.showGrants(grantee.user, grantee.host)} ${unchanged ? "is unchanged" : "still lacks what it declares"}: ${stillDiffers.join("; ")}`);
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
        result.failure = failureOf(err, undone, mysqlErrorMessage);
        result.steps = outcomes;
        passwords.clear();
        return { result, passwords };
    }
    result.steps = outcomes;
    result.summary = summarize(outcomes);
    return { result, passwords };
}
