/**
 * `astro-db fence`: the database side of a data-plane failover, run as the orchestrator user: as the
 * owner role, CONNECT moves from the source plane's login role to the target's (one transaction); as
 * the terminator role, the source's sessions end (fencing function or pg_signal_backend); then what
 * must hold is checked. Exit codes 0 fenced, 1 incomplete, 2 refused or error. README "Data-plane failover (seed 004)".
 */
import type { Client } from "pg";
import { readStackFile } from "./graph";
import { connectAdmin, pgErrorMessage } from "../engines/postgres/client";
import { maskUrl } from "../engines/url";
import { queryChecked } from "../engines/postgres/checkedQuery";
import { parseStackConfig } from "../stacks/config";
import {
    ACTS_AS_SQL, FENCE_STATE_SQL, fenceConnectSql, setRoleSql, SIGNAL_BACKEND_ROLE, TERMINATE_SESSIONS_SQL,
} from "../engines/postgres/failover";
import { PG_GRANT_OPTIONS_MIN_VERSION_NUM } from "../engines/postgres/versions";
import { CALL_FENCE_FUNCTION_SQL, FENCE_FUNCTION, FenceMechanism } from "../engines/postgres/fence";

export interface FenceOptions {
    stack: string;
    /** The Deployment's release name. */
    deployment: string;
    /** The plane to fence (a name from the Deployment's `failover.planes`). */
    from: string;
    /** The orchestrator's connection URL; leave the password out and export PGPASSWORD to keep it off the command line. */
    adminUrl: string;
    /** A stack file other than stacks/Pulumi.<stack>.yaml. */
    file?: string;
    /** How long to keep terminating the source's sessions, in ms. Defaults to 30 000. */
    timeoutMs?: number;
}

export interface FenceResult {
    ok: boolean;
    database: string;
    serverVersion: string;
    /** The role fence ran as (current_user). */
    orchestrator: string;
    /** How the sessions were ended: the stack's `failover.terminate`. */
    terminate: FenceMechanism;
    from: { plane: string; role: string };
    to: { plane: string; role: string };
    /** pids of the source's sessions that were terminated. */
    terminated: number[];
    remainingSessions: number;
    sourceCanConnect: boolean;
    targetCanConnect: boolean;
    warnings: string[];
    /** What does not hold: empty when fenced. */
    problems: string[];
}

/** Fencing cannot start: nothing was changed. */
export class FenceRefused extends Error {
    constructor(message: string) {
        super(message);
        this.name = "FenceRefused";
    }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Fence `from` of a Deployment, as the URL's user. Throws FenceRefused before changing anything when it cannot start. */
export async function fence(o: FenceOptions): Promise<FenceResult> {
    const { raw, secretKeys, file } = readStackFile(o.stack, o.file);
    const spec = parseStackConfig(o.stack, raw, secretKeys, file);
    const d = spec.deployments.find((x) => x.release === o.deployment);
    if (!d) throw new FenceRefused(`stack ${o.stack} has no Deployment ${o.deployment} (Deployments: ${spec.deployments.map((x) => x.release).join(", ")})`);
    if (!d.failover) throw new FenceRefused(`Deployment ${o.deployment} of stack ${o.stack} has no failover roles: add \`failover\` to it (seed 004) and apply first`);
    const i = d.failover.planes.indexOf(o.from);
    if (i < 0) throw new FenceRefused(`--from ${o.from} is not a plane of ${o.deployment} (planes: ${d.failover.planes.join(", ")})`);
    const n = d.names;
    const from = { plane: o.from, role: n.loginRoles[i] };
    const to = { plane: d.failover.planes[1 - i], role: n.loginRoles[1 - i] };
    const warnings: string[] = [];
    const problems: string[] = [];

    const client = await connectAdmin(o.adminUrl);
    try {
        const who = (await client.query<{ n: number; v: string; u: string; su: boolean }>(
            "SELECT current_setting('server_version_num')::int AS n, current_setting('server_version') AS v, current_user AS u, " +
            "(SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) AS su")).rows[0];
        if (who.n < PG_GRANT_OPTIONS_MIN_VERSION_NUM) {
            throw new FenceRefused(`the server is PostgreSQL ${who.v}; seed 004's failover roles need PostgreSQL 16 or later (GRANT ... WITH INHERIT FALSE, SET FALSE), so nothing was fenced`);
        }
        if (who.u !== d.failover.orchestratorUser) warnings.push(`running as ${who.u}, not the stack's orchestrator user ${d.failover.orchestratorUser}`);
        if (who.su) {
            warnings.push(`${who.u} is a superuser: this proves nothing about what the orchestrator itself may do`);
        } else {
            // Nor the data role both login roles use (customer-managed users): it holds Airflow's tables.
            const roles = [{ role: from.role, what: "login role" }, { role: to.role, what: "login role" }];
            if (d.failover.users === "customer") roles.push({ role: n.user, what: "data role" });
            for (const { role, what } of roles) {
                const r = (await client.query<{ can_set: boolean; has_privileges: boolean }>(ACTS_AS_SQL, [role])).rows[0];
                if (r.can_set || r.has_privileges) {
                    warnings.push(`${who.u} can ${r.can_set ? "SET ROLE to" : "use the privileges of"} ${what} ${role}: a membership gives it more than seed 004 does (the login roles only to the terminator, WITH INHERIT FALSE, SET FALSE); fix it`);
                }
            }
        }

        // 1. CONNECT moves from source to target, as the database's owner role, in one transaction.
        try {
            await client.query("BEGIN");
            // A REVOKE or GRANT PostgreSQL only warns about ("no privileges were revoked") would leave the source connecting.
            for (const statement of fenceConnectSql({ database: n.database, ownerRole: n.ownerRole }, from.role, to.role)) await queryChecked(client, statement, who.u);
            await client.query("COMMIT");
        } catch (err) {
            await client.query("ROLLBACK").catch(() => undefined);
            throw new FenceRefused(`cannot move CONNECT on ${n.database} as owner role ${n.ownerRole}: ${pgErrorMessage(err)}. ` +
                `The orchestrator needs the owner role (seed 004: GRANT ${n.ownerRole} TO ${d.failover.orchestratorUser}); nothing was changed`);
        }

        // 2. The source's sessions end, as the terminator role: through the fencing function, in the Deployment's database.
        const terminate = d.failover.terminate;
        const timeoutMs = o.timeoutMs ?? 30_000;
        let terminated: number[];
        if (terminate === "function") {
            const inDatabase = await connectAdmin(o.adminUrl, n.database).catch((err: unknown) => {
                problems.push(`cannot connect to ${n.database} to end ${from.role}'s sessions: ${pgErrorMessage(err)}`);
                return undefined;
            });
            try {
                terminated = inDatabase ? await terminateSessions(inDatabase, n.terminatorRole, timeoutMs, warnings, problems, {
                    query: (wait) => [CALL_FENCE_FUNCTION_SQL, [from.role, wait]],
                    why: `with ${FENCE_FUNCTION.schema}.${FENCE_FUNCTION.name} as ${n.terminatorRole}`,
                    fix: `the stack declares the fencing function (failover.terminate: function): create it with \`astro-db apply\` or \`pulumi up\`, and \`astro-db audit\` says what is wrong with it`,
                }) : [];
            } finally {
                await inDatabase?.end().catch(() => undefined);
            }
        } else {
            terminated = await terminateSessions(client, n.terminatorRole, timeoutMs, warnings, problems, {
                query: (wait) => [TERMINATE_SESSIONS_SQL, [n.database, from.role, wait]],
                why: `as ${n.terminatorRole}`,
                fix: terminate === "pg_signal_backend"
                    ? `pg_terminate_backend needs the privileges of the session's role or of ${SIGNAL_BACKEND_ROLE}: the stack declares GRANT ${SIGNAL_BACKEND_ROLE} TO ${n.terminatorRole} WITH INHERIT TRUE, SET FALSE (failover.terminate: pg_signal_backend); apply it`
                    : `the stack says failover.terminate: none (seed 004's exact statements, which cannot end sessions): set it to function (the default) and apply`,
            });
        }

        // 3. What must hold now.
        const state = (await client.query<{ sessions: number; source_can_connect: boolean; target_can_connect: boolean }>(FENCE_STATE_SQL, [n.database, from.role, to.role])).rows[0];
        if (state.sessions > 0) problems.push(`${state.sessions} session(s) of ${from.role} are still connected to ${n.database}`);
        if (state.source_can_connect) problems.push(`${from.role} can still connect to ${n.database}: ${await connectSources(client, n.database)}`);
        if (!state.target_can_connect) problems.push(`${to.role} cannot connect to ${n.database}`);
        return {
            ok: problems.length === 0, database: n.database, serverVersion: who.v, orchestrator: who.u, terminate, from, to, terminated,
            remainingSessions: state.sessions, sourceCanConnect: state.source_can_connect, targetCanConnect: state.target_can_connect, warnings, problems,
        };
    } finally {
        await client.end().catch(() => undefined);
    }
}

/** How one round of terminating runs: its query (rows of pid, terminated) for a wait in ms, and what to say when it fails. */
interface TerminateRound {
    query: (waitMs: number) => [string, unknown[]];
    /** How it terminates, for the message. */
    why: string;
    fix: string;
}

/**
 * Terminates the source's sessions as `terminator` until two looks a moment apart find none (a
 * session that passed the CONNECT check just before the revoke shows up late), or time is up.
 */
async function terminateSessions(client: Client, terminator: string, timeoutMs: number, warnings: string[], problems: string[], round: TerminateRound): Promise<number[]> {
    const terminated: number[] = [];
    try {
        await client.query(setRoleSql(terminator));
    } catch (err) {
        warnings.push(`cannot SET ROLE ${terminator} (${pgErrorMessage(err)}): terminating with the orchestrator's own privileges`);
    }
    try {
        const deadline = Date.now() + timeoutMs;
        let quiet = 0;
        while (quiet < 2 && Date.now() < deadline) {
            const [text, values] = round.query(Math.min(5_000, timeoutMs));
            const rows = (await client.query<{ pid: number; terminated: boolean }>(text, values)).rows;
            terminated.push(...rows.filter((r) => r.terminated).map((r) => r.pid));
            quiet = rows.length === 0 ? quiet + 1 : 0;
            await sleep(250);
        }
    } catch (err) {
        problems.push(`cannot terminate the source's sessions ${round.why}: ${pgErrorMessage(err)}. ${round.fix} (README "Data-plane failover")`);
    } finally {
        await client.query("RESET ROLE").catch(() => undefined);
    }
    return [...new Set(terminated)];
}

/** The ACL entries that still let roles connect, for the message. */
async function connectSources(client: Client, database: string): Promise<string> {
    const rows = (await client.query<{ grantee: string; grantor: string }>(
        "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(a.grantee) END AS grantee, pg_catalog.pg_get_userbyid(a.grantor) AS grantor " +
        "FROM pg_catalog.pg_database d, pg_catalog.aclexplode(coalesce(d.datacl, pg_catalog.acldefault('d', d.datdba))) a " +
        "WHERE d.datname = $1 AND a.privilege_type = 'CONNECT'", [database])).rows;
    return `CONNECT is held by ${rows.map((r) => `${r.grantee} (granted by ${r.grantor})`).join(", ")} (or by a role the login role is a member of)`;
}

export function renderFence(r: FenceResult, adminUrl: string): string {
    const lines = [
        `fence ${r.database} as ${r.orchestrator} on ${maskUrl(adminUrl)} (PostgreSQL ${r.serverVersion})`,
        `  CONNECT: revoked from ${r.from.role} (${r.from.plane}), granted to ${r.to.role} (${r.to.plane})`,
        `  terminated ${r.terminated.length} session(s) of ${r.from.role}${r.terminated.length ? `: pid ${r.terminated.join(", ")}` : ""} (${r.terminate === "function" ? "with the fencing function" : r.terminate === "pg_signal_backend" ? "with pg_signal_backend" : "failover.terminate: none"})`,
        `  now: ${r.remainingSessions} session(s) of ${r.from.role}; ${r.from.role} can connect: ${r.sourceCanConnect ? "YES" : "no"}; ${r.to.role} can connect: ${r.targetCanConnect ? "yes" : "NO"}`,
        ...r.warnings.map((w) => `  warning: ${w}`),
        ...r.problems.map((p) => `  problem: ${p}`),
        r.ok ? `fenced: ${r.from.plane} is out, ${r.to.plane} is in` : `NOT fenced completely: see the problems above`,
    ];
    return lines.join("\n") + "\n";
}

export interface FenceCliOptions {
    stack: string;
    deployment: string;
    from: string;
    adminUrl: string;
    stackFile?: string;
    /** The old name of --stack-file, still accepted. */
    file?: string;
    timeout: string;
    json: boolean;
}
