/**
 * Data-plane failover on real servers (seed 004): the roles built by failoverSetupSql, with the
 * Deployment's data role the login roles use, sessions opened as the source plane's login role,
 * `astro-db fence` run as the orchestrator, and then everything the issue asks checked by doing it:
 * the sessions died, a reconnect is refused, the target connects and uses the source's tables, the
 * orchestrator cannot become a login role or the data role nor read the tables. Also what the seed's
 * exact statements do (they cannot terminate), why INHERIT TRUE is needed on pg_signal_backend, what
 * that costs (why it is only an explicit option), and PostgreSQL 15. test/integration/failoverApply.test.ts
 * does it from the stack's resources; test/integration/fencing.test.ts shows the default, the fencing function.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fence, FenceRefused, renderFence, type FenceResult } from "../../cli/fence";
import { main } from "../../cli/main";
import { deploymentNames } from "../../components/names";
import { failoverSetupSql, type FailoverNames } from "../../engines/postgres/failover";
import * as sql from "../../engines/postgres/statements";
import { quoteIdent, quoteLiteral } from "../../engines/postgres/quote";
import { adminSql, failureOf, openSession, withPg, type RoleSession } from "../support/pgSessions";
import { requireOrSkip, startPostgres, type PgServer } from "../support/servers";

const ORCHESTRATOR = "commander_user";
const ORCHESTRATOR_PASSWORD = "commander-pw";
const PASSWORDS: [string, string] = ["dp1-pw", "dp2-pw"];

function failoverNames(release: string): FailoverNames {
    const n = deploymentNames(release);
    return { database: n.database, ownerRole: n.ownerRole, terminatorRole: n.terminatorRole, loginRoles: n.loginRoles, orchestratorUser: ORCHESTRATOR };
}

/** A stack file naming this server and the Deployments, each with failover (customer-managed users). */
function writeStackFile(server: PgServer, releases: string[]): { stack: string; file: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "astro-db-fence-"));
    const file = path.join(dir, "Pulumi.fence.yaml");
    const config = {
        "astro-db:servers": [{ name: "test", engine: "postgres", existing: { host: server.host, port: server.port, adminUser: server.adminUser, sslmode: "disable", superuser: true } }],
        "astro-db:deployments": [
            // The explicit option: these tests show what pg_signal_backend does (test/integration/fencing.test.ts: the default function).
            ...releases.map((release) => ({ release, failover: { users: "customer", orchestratorUser: ORCHESTRATOR, terminate: "pg_signal_backend" } })),
            { release: "no-failover-1" },
        ],
    };
    fs.writeFileSync(file, JSON.stringify({ config }, null, 2));
    return { stack: "fence", file };
}

/**
 * Seed 004 for one Deployment, as the admin: database, the data role with seed 000's grants (no
 * CONNECT), roles, grants, memberships; then the first plane creates a table, as Airflow would.
 */
async function setUpDeployment(server: PgServer, release: string, signalBackend: boolean): Promise<FailoverNames & { dataRole: string }> {
    const n = failoverNames(release);
    const dataRole = deploymentNames(release).user;
    const db: sql.GrantTarget = { kind: "database", database: n.database };
    await adminSql(server, [
        sql.createDatabase({ name: n.database, owner: server.adminUser }),
        sql.createRole({ name: dataRole, login: false }),
        sql.grant(["CREATE", "TEMPORARY"], db, dataRole),
    ]);
    await adminSql(server, [sql.grant(["CREATE", "USAGE"], { kind: "schema", schema: "public" }, dataRole)], n.database);
    await adminSql(server, failoverSetupSql(n, { users: "customer", loginPasswords: PASSWORDS, terminate: signalBackend ? "pg_signal_backend" : "none", dataRole }));
    await withPg({ host: server.host, port: server.port, user: n.loginRoles[0], password: PASSWORDS[0], database: n.database }, async (c) => {
        await c.query(`CREATE TABLE dag_run (id int PRIMARY KEY, conf text)`);
        await c.query(`INSERT INTO dag_run VALUES (1, 'secret conf of dp1')`);
    });
    return { ...n, dataRole };
}

const orchestratorUrl = (server: PgServer) => `postgresql://${ORCHESTRATOR}:${ORCHESTRATOR_PASSWORD}@${server.host}:${server.port}/postgres`;
const asOrchestrator = (server: PgServer, database: string) => ({ host: server.host, port: server.port, user: ORCHESTRATOR, password: ORCHESTRATOR_PASSWORD, database });

/** Runs the CLI, capturing what it writes. */
async function captured(run: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
    let out = "";
    let err = "";
    const write = { out: process.stdout.write, err: process.stderr.write };
    process.stdout.write = ((chunk: string) => ((out += chunk), true)) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string) => ((err += chunk), true)) as typeof process.stderr.write;
    try {
        return { code: await run(), out, err };
    } finally {
        process.stdout.write = write.out;
        process.stderr.write = write.err;
    }
}

/** Whether a session is still usable. */
async function alive(s: RoleSession): Promise<boolean> {
    return (await failureOf(s.client.query("SELECT 1"))) === undefined;
}

describe("data-plane failover fencing on real PostgreSQL 17 (embedded)", function () {
    let server: PgServer;
    let stack: { stack: string; file: string };
    const sessions: RoleSession[] = [];
    const open = async (user: string, password: string, database: string) => {
        const s = await openSession(server, user, password, database);
        sessions.push(s);
        return s;
    };

    before(async function () {
        server = await requireOrSkip(this, () => startPostgres("embedded"));
        await adminSql(server, [sql.createRole({ name: ORCHESTRATOR, login: true, passwordSql: quoteLiteral(ORCHESTRATOR_PASSWORD) })]);
        stack = writeStackFile(server, ["seed-exact-1", "amateur-sunspot-5075", "pg15-only-1"]);
    });
    after(async function () {
        await Promise.all(sessions.map((s) => s.close()));
        await server?.stop();
    });

    describe("with seed 004's exact statements", function () {
        let n: FailoverNames & { dataRole: string };
        before(async function () {
            n = await setUpDeployment(server, "seed-exact-1", false);
        });

        it("the orchestrator cannot terminate a login role's session, neither as itself nor after SET ROLE to the terminator", async function () {
            const s = await open(n.loginRoles[0], PASSWORDS[0], n.database);
            await withPg(asOrchestrator(server, "postgres"), async (c) => {
                assert.match(await failureOf(c.query("SELECT pg_terminate_backend($1)", [s.pid])) ?? "", /permission denied to terminate process/);
                await c.query(`SET ROLE ${quoteIdent(n.terminatorRole)}`);
                assert.match(await failureOf(c.query("SELECT pg_terminate_backend($1)", [s.pid])) ?? "", /permission denied to terminate process/);
            });
            assert.equal(await alive(s), true);
        });

        it("so fence revokes CONNECT but reports the sessions it could not end, and fails", async function () {
            const s = await open(n.loginRoles[0], PASSWORDS[0], n.database);
            const r = await fence({ ...stack, deployment: "seed-exact-1", from: "dp1", adminUrl: orchestratorUrl(server), timeoutMs: 2_000 });
            assert.equal(r.ok, false);
            assert.equal(r.sourceCanConnect, false);
            assert.ok(r.remainingSessions >= 1);
            assert.match(r.problems.join("\n"), /cannot terminate .* pg_signal_backend/);
            assert.equal(await alive(s), true, "the source plane is still writing: not fenced");
            assert.match(renderFence(r, orchestratorUrl(server)), /NOT fenced completely/);
            assert.ok(!renderFence(r, orchestratorUrl(server)).includes(ORCHESTRATOR_PASSWORD));
        });

        it("a plain GRANT pg_signal_backend to the NOINHERIT terminator is not enough: its INHERIT option defaults to FALSE", async function () {
            await adminSql(server, [sql.grantRoleMembership("pg_signal_backend", n.terminatorRole)]);
            const row = await withPg({ connectionString: server.adminUrl }, async (c) => (await c.query(
                `SELECT inherit_option FROM pg_auth_members WHERE roleid = 'pg_signal_backend'::regrole AND member = $1::regrole`, [n.terminatorRole])).rows[0]);
            assert.equal(row.inherit_option, false);
            // dp1 lost CONNECT above, but the two sessions opened before are still there.
            assert.match(await failureOf(openSession(server, n.loginRoles[0], PASSWORDS[0], n.database)) ?? "", /permission denied for database/);
            const r = await fence({ ...stack, deployment: "seed-exact-1", from: "dp1", adminUrl: orchestratorUrl(server), timeoutMs: 1_000 });
            assert.equal(r.ok, false);
            assert.ok(r.remainingSessions >= 2);
        });

        it("the smallest change, GRANT pg_signal_backend TO the terminator WITH INHERIT TRUE, SET FALSE, lets fence finish the job", async function () {
            await adminSql(server, [sql.grantRoleMembership("pg_signal_backend", n.terminatorRole, { inherit: true, set: false })]);
            const before = sessions.filter((s) => s.client.database === n.database);
            const r = await fence({ ...stack, deployment: "seed-exact-1", from: "dp1", adminUrl: orchestratorUrl(server) });
            assert.deepEqual(r.problems, []);
            assert.equal(r.ok, true);
            assert.deepEqual([...r.terminated].sort(), before.map((s) => s.pid).sort());
            for (const s of before) assert.ok(await s.ended);
        });
    });

    describe("with the explicit option failover.terminate: pg_signal_backend (seed 004 plus pg_signal_backend WITH INHERIT TRUE)", function () {
        let n: FailoverNames & { dataRole: string };
        let dp1a: RoleSession;
        let dp1b: RoleSession;
        let dp2: RoleSession;
        before(async function () {
            n = await setUpDeployment(server, "amateur-sunspot-5075", true);
            dp1a = await open(n.loginRoles[0], PASSWORDS[0], n.database);
            dp1b = await open(n.loginRoles[0], PASSWORDS[0], n.database);
            // One session idle in a transaction holding row locks: the case that matters in a split brain.
            await dp1b.client.query("BEGIN");
            await dp1b.client.query("SELECT * FROM dag_run FOR UPDATE");
        });

        it("before the fence only the first plane connects, as the data role, and the orchestrator already cannot act as a login role or the data role", async function () {
            assert.equal(await alive(dp1a), true);
            assert.deepEqual((await dp1a.client.query("SELECT current_user AS c, session_user AS s, (SELECT tableowner FROM pg_tables WHERE tablename = 'dag_run') AS o")).rows[0],
                { c: n.dataRole, s: n.loginRoles[0], o: n.dataRole });
            assert.match(await failureOf(openSession(server, n.loginRoles[1], PASSWORDS[1], n.database)) ?? "", /permission denied for database/);
            await withPg(asOrchestrator(server, "postgres"), async (c) => {
                for (const role of [...n.loginRoles, n.dataRole]) {
                    assert.deepEqual((await c.query("SELECT pg_has_role($1, 'SET') AS s, pg_has_role($1, 'USAGE') AS u", [role])).rows[0], { s: false, u: false });
                }
            });
        });

        it("fence, run as the orchestrator, succeeds without warnings and terminates exactly the source plane's sessions", async function () {
            const r = await fence({ ...stack, deployment: "amateur-sunspot-5075", from: "dp1", adminUrl: orchestratorUrl(server) });
            assert.equal(r.orchestrator, ORCHESTRATOR);
            assert.deepEqual(r.warnings, []);
            assert.deepEqual(r.problems, []);
            assert.equal(r.ok, true);
            assert.deepEqual([...r.terminated].sort(), [dp1a.pid, dp1b.pid].sort());
            assert.deepEqual({ sessions: r.remainingSessions, source: r.sourceCanConnect, target: r.targetCanConnect }, { sessions: 0, source: false, target: true });
            assert.match(renderFence(r, orchestratorUrl(server)), /fenced: dp1 is out, dp2 is in/);
        });

        it("the source plane's open sessions died", async function () {
            for (const s of [dp1a, dp1b]) {
                const ended = await s.ended;
                assert.ok(ended instanceof Error, "the server ended the session");
                assert.match(ended.message, /terminating connection due to administrator command/);
                assert.equal(await alive(s), false);
            }
            const left = await withPg({ connectionString: server.adminUrl }, async (c) => (await c.query(
                "SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1", [n.loginRoles[0]])).rows[0].n);
            assert.equal(left, 0);
        });

        it("the source plane cannot reconnect", async function () {
            const err = await openSession(server, n.loginRoles[0], PASSWORDS[0], n.database).then(async (s) => { await s.close(); return undefined; }, (e: { code?: string; message: string }) => e);
            assert.ok(err, "dp1 connected after the fence");
            assert.equal(err.code, "42501");
            assert.match(err.message, /permission denied for database/);
        });

        it("the target plane connects and uses, and alters, the table the source plane created", async function () {
            dp2 = await open(n.loginRoles[1], PASSWORDS[1], n.database);
            assert.deepEqual((await dp2.client.query("SELECT conf FROM dag_run")).rows, [{ conf: "secret conf of dp1" }]);
            await dp2.client.query("INSERT INTO dag_run VALUES (2, 'from dp2')");
            await dp2.client.query("ALTER TABLE dag_run ADD COLUMN note text");
        });

        it("the orchestrator cannot SET ROLE to a login role or the data role, has none of their privileges, and cannot read the table", async function () {
            await withPg(asOrchestrator(server, n.database), async (c) => {
                for (const role of [...n.loginRoles, n.dataRole]) {
                    assert.match(await failureOf(c.query(`SET ROLE ${quoteIdent(role)}`)) ?? "", /permission denied to set role/);
                    const r = (await c.query("SELECT pg_has_role($1, 'SET') AS s, pg_has_role($1, 'USAGE') AS u", [role])).rows[0];
                    assert.deepEqual(r, { s: false, u: false });
                }
                assert.match(await failureOf(c.query("SELECT * FROM dag_run")) ?? "", /permission denied for table dag_run/);
                // Nor through the roles it does hold.
                for (const role of [n.terminatorRole, n.ownerRole]) {
                    await c.query(`SET ROLE ${quoteIdent(role)}`);
                    assert.match(await failureOf(c.query("SELECT * FROM dag_run")) ?? "", /permission denied for table dag_run/);
                    for (const login of [...n.loginRoles, n.dataRole]) assert.match(await failureOf(c.query(`SET ROLE ${quoteIdent(login)}`)) ?? "", /permission denied to set role/);
                    await c.query("RESET ROLE");
                }
            });
        });

        it("fencing again changes nothing and still holds; fencing back lets the first plane in again", async function () {
            const again = await fence({ ...stack, deployment: "amateur-sunspot-5075", from: "dp1", adminUrl: orchestratorUrl(server) });
            assert.equal(again.ok, true);
            assert.deepEqual(again.terminated, []);
            const back = await fence({ ...stack, deployment: "amateur-sunspot-5075", from: "dp2", adminUrl: orchestratorUrl(server) });
            assert.equal(back.ok, true);
            assert.equal(await alive(dp2), false);
            const s = await open(n.loginRoles[0], PASSWORDS[0], n.database);
            assert.equal(await alive(s), true);
        });

        it("the astro-db fence command does the same as the orchestrator and exits 0 (2 when refused), never printing the password", async function () {
            // --stack-file as sql, apply and audit take it; --file, its old name, still works.
            const argv = ["node", "astro-db", "fence", "--stack", stack.stack, "--stack-file", stack.file, "--deployment", "amateur-sunspot-5075", "--admin-url", orchestratorUrl(server)];
            const dp1 = await open(n.loginRoles[0], PASSWORDS[0], n.database);
            const run = await captured(() => main([...argv, "--from", "dp1", "--json"]));
            assert.equal(run.code, 0, run.err);
            const r = JSON.parse(run.out) as FenceResult;
            assert.deepEqual([r.ok, r.remainingSessions, r.from.role, r.to.role], [true, 0, n.loginRoles[0], n.loginRoles[1]]);
            assert.ok(r.terminated.includes(dp1.pid));
            assert.ok(await dp1.ended);
            const old = await captured(() => main(["node", "astro-db", "fence", "--stack", stack.stack, "--file", stack.file, "--deployment", "amateur-sunspot-5075", "--admin-url", orchestratorUrl(server), "--from", "dp1", "--json"]));
            assert.equal(old.code, 0, old.err);
            const refused = await captured(() => main([...argv, "--from", "dp9"]));
            assert.equal(refused.code, 2);
            assert.match(refused.err, /refused: --from dp9/);
            const help = await captured(() => main(["node", "astro-db", "fence", "--help"]).catch(() => 0));
            assert.match(help.out, /--stack-file <path>/);
            assert.doesNotMatch(help.out, /--file </);
            for (const text of [run.out, run.err, old.out, old.err, refused.out, refused.err]) assert.ok(!text.includes(ORCHESTRATOR_PASSWORD));
        });

        it("the cost of pg_signal_backend: the orchestrator can terminate any non-superuser session on the server, never a superuser's", async function () {
            await adminSql(server, [sql.createRole({ name: "unrelated_app", login: true, passwordSql: quoteLiteral("app") })]);
            const other = await open("unrelated_app", "app", "postgres");
            const admin = await open(server.adminUser, server.adminPassword, "postgres");
            await withPg(asOrchestrator(server, "postgres"), async (c) => {
                assert.equal((await c.query("SELECT pg_terminate_backend($1) AS t", [other.pid])).rows[0].t, true);
                assert.match(await failureOf(c.query("SELECT pg_terminate_backend($1)", [admin.pid])) ?? "", /permission denied to terminate process/);
            });
            assert.ok(await other.ended);
            assert.equal(await alive(admin), true);
        });

        it("refuses, changing nothing, a plane or Deployment it does not know", async function () {
            const base = { ...stack, adminUrl: orchestratorUrl(server) };
            await assert.rejects(fence({ ...base, deployment: "amateur-sunspot-5075", from: "dp3" }), (e: Error) => e instanceof FenceRefused && /planes: dp1, dp2/.test(e.message));
            await assert.rejects(fence({ ...base, deployment: "no-failover-1", from: "dp1" }), (e: Error) => e instanceof FenceRefused && /no failover roles/.test(e.message));
            await assert.rejects(fence({ ...base, deployment: "nope-1", from: "dp1" }), (e: Error) => e instanceof FenceRefused && /no Deployment nope-1/.test(e.message));
        });
    });
});

describe("data-plane failover on real PostgreSQL 15 (Debian)", function () {
    let server: PgServer;
    let n: FailoverNames;

    before(async function () {
        server = await requireOrSkip(this, () => startPostgres("15"));
        n = failoverNames("pg15-only-1");
        await adminSql(server, [
            sql.createRole({ name: ORCHESTRATOR, login: true, passwordSql: quoteLiteral(ORCHESTRATOR_PASSWORD) }),
            sql.createDatabase({ name: n.database, owner: server.adminUser }),
        ]);
    });
    after(async function () {
        await server?.stop();
    });

    it("seed 004 cannot even be applied: PostgreSQL 15 has no INHERIT/SET grant options", async function () {
        const statements = failoverSetupSql(n, { users: "customer", loginPasswords: PASSWORDS });
        const membership = statements.findIndex((s) => /WITH INHERIT FALSE, SET FALSE/.test(s));
        assert.ok(membership > 0);
        await adminSql(server, statements.slice(0, membership));
        const message = await failureOf(adminSql(server, [statements[membership]]));
        assert.match(message ?? "", /syntax error at or near "INHERIT"/);
    });

    it("fence refuses with the server version and changes nothing", async function () {
        const stack = writeStackFile(server, ["pg15-only-1"]);
        const message = await failureOf(fence({ ...stack, deployment: "pg15-only-1", from: "dp1", adminUrl: orchestratorUrl(server) }));
        assert.match(message ?? "", /PostgreSQL 15\.\d+.*need PostgreSQL 16 or later/);
        const canConnect = await withPg({ connectionString: server.adminUrl }, async (c) => (await c.query(
            "SELECT has_database_privilege($1, $2, 'CONNECT') AS c", [n.loginRoles[0], n.database])).rows[0].c);
        assert.equal(canConnect, true);
    });
});
