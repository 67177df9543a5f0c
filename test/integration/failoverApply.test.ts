/**
 * The issue's "done when", and the customer-managed users design proven, on a real PostgreSQL 17,
 * from the stack's own resources: `astro-db apply` creates seed 004's roles and memberships, the
 * Deployment's shared data role and the planes' secrets; the first plane runs Airflow-like DDL and
 * DML as the data role; `astro-db fence` as the orchestrator leaves it with no session and no way
 * back in, while the second plane takes over its tables (reads, writes, ALTER TABLE, new tables);
 * the orchestrator never reads a table nor becomes a login role or the data role; `astro-db audit`
 * checks the memberships' options and that exactly one plane can connect; neither a later apply nor
 * the `sql` script undoes the fence.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { applyStack } from "../../cli/apply";
import { auditStack, renderAudit } from "../../cli/audit";
import { fence } from "../../cli/fence";
import { outputLayout, planeLayout, readSecretValue } from "../../cli/manifests";
import { stackSql } from "../../cli/sql/command";
import { SECRETS } from "../../components/astronomer/facts";
import { deploymentNames } from "../../components/names";
import * as sql from "../../engines/postgres/statements";
import { quoteIdent, quoteLiteral } from "../../engines/postgres/quote";
import { MIGRATION } from "../support/airflowSql";
import { adminSql, failureOf, openSession, withPg, type RoleSession } from "../support/pgSessions";
import { requireOrSkip, startPostgres, type PgServer } from "../support/servers";

const RELEASE = "amateur-sunspot-5075";
const SCHEMA = "airflow";
const ORCHESTRATOR = "commander_user";
const ORCHESTRATOR_PASSWORD = "commander-pw";
const PLANES = ["dp1", "dp2"] as const;

describe("apply, audit and fence a failover Deployment (customer-managed users) on real PostgreSQL 17 (embedded)", function () {
    const n = deploymentNames(RELEASE);
    const [dp1, dp2] = n.loginRoles;
    const astro = n.user;
    let server: PgServer;
    let dir: string;
    let file: string;
    const stack = "failover-e2e";
    const sessions: RoleSession[] = [];

    before(async function () {
        server = await requireOrSkip(this, () => startPostgres("embedded"));
        await adminSql(server, [sql.createRole({ name: ORCHESTRATOR, login: true, passwordSql: quoteLiteral(ORCHESTRATOR_PASSWORD) })]);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "astro-db-failover-e2e-"));
        file = path.join(dir, `Pulumi.${stack}.yaml`);
        fs.writeFileSync(file, YAML.stringify({
            config: {
                // apply writes the three secrets per plane (the stack's own: secrets: create).
                "astro-db:secrets": "create",
                "astro-db:servers": [{ name: "test", engine: "postgres", existing: { host: server.host, port: server.port, adminUser: server.adminUser, sslmode: "disable", superuser: true } }],
                "astro-db:deployments": [{ release: RELEASE, schema: SCHEMA, failover: { users: "customer", orchestratorUser: ORCHESTRATOR } }],
            },
        }));
    });
    after(async function () {
        await Promise.all(sessions.map((s) => s.close()));
        await server?.stop();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    const out = () => path.join(dir, "out");
    const apply = () => applyStack({ stack, file, adminUrl: server.adminUrl, out: out(), port: server.port });
    const audit = () => auditStack({ stack, file, adminUrl: server.adminUrl });
    const orchestratorUrl = () => `postgresql://${ORCHESTRATOR}:${ORCHESTRATOR_PASSWORD}@${server.host}:${server.port}/postgres`;
    const asOrchestrator = (database: string) => ({ host: server.host, port: server.port, user: ORCHESTRATOR, password: ORCHESTRATOR_PASSWORD, database });
    const secretFile = (plane: string, part: keyof typeof SECRETS) => planeLayout(outputLayout(out()), plane).secret(n.secrets[part]);
    /** A plane's metadata connection string, as its own secret holds it. */
    const planeUrl = (plane: string) => readSecretValue(secretFile(plane, "metadata"), SECRETS.metadata.key)!;
    const planePassword = (i: number) => decodeURIComponent(new URL(planeUrl(PLANES[i])).password);
    const open = async (i: number, database = n.database) => {
        const s = await openSession(server, n.loginRoles[i], planePassword(i), database);
        sessions.push(s);
        return s;
    };
    const admin = <T>(f: (c: import("pg").Client) => Promise<T>) => withPg({ connectionString: server.adminUrl }, f);
    const mode = (p: string) => fs.statSync(p).mode & 0o777;
    /** Until the server has seen every closed session of `role` end (a backend exits a moment after its client). */
    const gone = async (role: string) => {
        for (let i = 0; i < 100; i++) {
            if ((await admin((c) => c.query("SELECT 1 FROM pg_stat_activity WHERE usename = $1", [role]))).rowCount === 0) return;
            await new Promise((r) => setTimeout(r, 50));
        }
        assert.fail(`sessions of ${role} did not end`);
    };

    it("apply creates the roles, the data role, the memberships with their options, CONNECT for the first plane only, and one set of secrets per plane", async function () {
        const r = await apply();
        assert.equal(r.ok, true, JSON.stringify(r.deployments.map((d) => d.failure)));
        assert.deepEqual(r.warnings.filter((w) => /RoleMembership/.test(w)), [], "every membership has a translator");
        const rows = await admin(async (c) => (await c.query(
            `SELECT r.rolname AS role, u.rolname AS member, m.inherit_option AS inherit, m.set_option AS set, m.admin_option AS admin
               FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member
              WHERE u.rolname = ANY($1) ORDER BY 2, 1`, [[n.terminatorRole, ORCHESTRATOR, dp1, dp2]])).rows);
        assert.deepEqual(rows, [
            { role: n.loginRoles[0], member: n.terminatorRole, inherit: false, set: false, admin: false },
            { role: n.loginRoles[1], member: n.terminatorRole, inherit: false, set: false, admin: false },
            { role: n.terminatorRole, member: ORCHESTRATOR, inherit: true, set: true, admin: false },
            { role: n.ownerRole, member: ORCHESTRATOR, inherit: true, set: true, admin: false },
            // Each login role uses the data role (and nothing else: no membership in the owner role).
            { role: astro, member: dp1, inherit: true, set: true, admin: false },
            { role: astro, member: dp2, inherit: true, set: true, admin: false },
        ]);
        const db = await admin(async (c) => (await c.query(
            "SELECT pg_get_userbyid(datdba) AS owner, has_database_privilege($2, datname, 'CONNECT') AS dp1, has_database_privilege($3, datname, 'CONNECT') AS dp2, " +
            "has_database_privilege($4, datname, 'CONNECT') AS astro, has_database_privilege('public', datname, 'CONNECT') AS public FROM pg_database WHERE datname = $1",
            [n.database, dp1, dp2, astro])).rows[0]);
        assert.deepEqual(db, { owner: n.ownerRole, dp1: true, dp2: false, astro: false, public: false });
        const roles = await admin(async (c) => (await c.query(
            "SELECT r.rolname, r.rolcanlogin, a.rolpassword IS NULL AS no_password, r.rolconfig FROM pg_roles r JOIN pg_authid a ON a.oid = r.oid WHERE r.rolname = ANY($1) ORDER BY 1", [[astro, dp1, dp2]])).rows);
        assert.deepEqual(roles, [
            { rolname: astro, rolcanlogin: false, no_password: true, rolconfig: [`search_path=${SCHEMA}`] },
            { rolname: dp1, rolcanlogin: true, no_password: false, rolconfig: [`search_path=${SCHEMA}`, `role=${astro}`] },
            { rolname: dp2, rolcanlogin: true, no_password: false, rolconfig: [`search_path=${SCHEMA}`, `role=${astro}`] },
        ]);

        // Per plane, the three secrets with that plane's own login role and the Deployment's one fernet key.
        const d = r.deployments.find((x) => x.release === RELEASE)!;
        assert.deepEqual(d.files.map((f) => [path.relative(out(), f.path), f.status]), PLANES.flatMap((plane) =>
            Object.values(n.secrets).map((name) => [path.join("secrets", plane, `${name}.yaml`), "written"])));
        const fernet = new Set<string>();
        PLANES.forEach((plane, i) => {
            const url = new URL(planeUrl(plane));
            assert.equal(decodeURIComponent(url.username), n.loginRoles[i]);
            assert.equal(`${url.hostname}:${url.port}${url.pathname}`, `127.0.0.1:${server.port}/${n.database}`);
            assert.equal(readSecretValue(secretFile(plane, "resultBackend"), SECRETS.resultBackend.key), `db+${planeUrl(plane)}`);
            fernet.add(readSecretValue(secretFile(plane, "fernetKey"), SECRETS.fernetKey.key)!);
            for (const part of Object.keys(SECRETS) as (keyof typeof SECRETS)[]) assert.equal(mode(secretFile(plane, part)), 0o600);
            assert.equal(mode(path.dirname(secretFile(plane, "metadata"))), 0o700);
        });
        assert.equal(fernet.size, 1, "both planes decrypt with the same fernet key");
        assert.equal(fs.existsSync(outputLayout(out()).secret(n.secrets.metadata)), false, "no secret for the Astro role, which cannot log in");
        assert.equal(r.rolePasswords, undefined, "the login roles' passwords are in their planes' secrets");
    });

    it("the first plane connects as the data role and migrates, writes and reads like Airflow", async function () {
        const s = await open(0);
        assert.deepEqual((await s.client.query("SELECT current_user AS c, session_user AS u, current_schema() AS sc")).rows[0], { c: astro, u: dp1, sc: SCHEMA });
        for (const statement of MIGRATION) await s.client.query(statement);
        const owners = await s.client.query(
            "SELECT c.relname AS name, pg_get_userbyid(c.relowner) AS owner FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace WHERE ns.nspname = $1 AND c.relkind IN ('r', 'S', 'i') " +
            "UNION ALL SELECT p.proname, pg_get_userbyid(p.proowner) FROM pg_proc p JOIN pg_namespace ns ON ns.oid = p.pronamespace WHERE ns.nspname = $1", [SCHEMA]);
        assert.ok(owners.rows.length >= 7);
        for (const row of owners.rows) assert.equal(row.owner, astro, `${row.name} belongs to the data role, not to ${dp1}`);
        // PgBouncer's session reset keeps the data role (it is the session default).
        await s.client.query("DISCARD ALL");
        assert.equal((await s.client.query("SELECT current_user AS c")).rows[0].c, astro);
        await s.close();
        await gone(dp1);
    });

    it("audit is clean, lists each membership with its options, and reports a membership whose INHERIT or SET option drifted", async function () {
        const clean = await audit();
        assert.deepEqual(clean.findings, []);
        const text = renderAudit(clean, "text");
        assert.match(text, /^clean: /m);
        assert.match(text, new RegExp(`^    ${dp1} TO ${n.terminatorRole}: ADMIN FALSE, INHERIT FALSE, SET FALSE$`, "m"));
        assert.doesNotMatch(text, /pg_signal_backend/, "the fencing function ends sessions: the terminator holds no pg_signal_backend");
        assert.match(text, new RegExp(`^    ${astro} TO ${dp2}: ADMIN FALSE, INHERIT TRUE, SET TRUE$`, "m"));
        // The admin holds the owner role (its grants on the owner's database take effect also when it is no superuser).
        assert.match(text, new RegExp(`^    ${n.ownerRole} TO ${server.adminUser}: ADMIN FALSE, INHERIT TRUE, SET TRUE$`, "m"));
        assert.equal(clean.memberships?.length, 7);

        await adminSql(server, [sql.grantRoleMembership(dp1, n.terminatorRole, { inherit: true, set: true })]);
        const drift = await audit();
        const about = drift.findings.filter((f) => f.object.includes(dp1));
        assert.deepEqual(about.map((f) => f.status), ["different", "different"]);
        assert.match(about.map((f) => f.message).join("\n"), /INHERIT[\s\S]*SET/);
        assert.equal((await apply()).ok, true);
        assert.deepEqual((await audit()).findings, []);
    });

    describe("fence dp1 -> dp2, as the orchestrator", function () {
        let a: RoleSession;
        let b: RoleSession;
        before(async function () {
            a = await open(0);
            b = await open(0);
            // One session idle in a transaction holding row locks: the case that matters in a split brain.
            await b.client.query("BEGIN");
            await b.client.query("SELECT * FROM dag_run FOR UPDATE");
            assert.match(await failureOf(open(1)) ?? "", /permission denied for database/, "the second plane cannot connect before the failover");
        });

        it("fences: the source's sessions die, it cannot connect, the target can", async function () {
            const r = await fence({ stack, file, deployment: RELEASE, from: "dp1", adminUrl: orchestratorUrl() });
            assert.deepEqual([r.ok, r.warnings, [...r.terminated].sort()], [true, [], [a.pid, b.pid].sort()]);
            for (const s of [a, b]) assert.ok((await s.ended) instanceof Error);
            assert.match(await failureOf(open(0)) ?? "", /permission denied for database/);
        });

        it("the source cannot get back in by any path through the data role", async function () {
            // Asking to become the data role at connect time: CONNECT is checked for the login role.
            const asData = withPg({ host: server.host, port: server.port, user: dp1, password: planePassword(0), database: n.database, options: `-c role=${astro}` }, (c) => c.query("SELECT 1"));
            assert.match(await failureOf(asData) ?? "", /permission denied for database/);
            // From a database it may still reach (PUBLIC connects to postgres), as the data role: it cannot grant itself CONNECT.
            const other = await open(0, "postgres");
            assert.equal((await other.client.query("SELECT current_user AS c")).rows[0].c, astro);
            await failureOf(other.client.query(`GRANT CONNECT ON DATABASE ${quoteIdent(n.database)} TO ${quoteIdent(dp1)}`));
            await other.client.query("RESET ROLE");
            await failureOf(other.client.query(`GRANT CONNECT ON DATABASE ${quoteIdent(n.database)} TO ${quoteIdent(astro)}`));
            await other.close();
            const can = await admin(async (c) => (await c.query(
                "SELECT has_database_privilege($1, $3, 'CONNECT') AS dp1, has_database_privilege($2, $3, 'CONNECT') AS astro, pg_has_role($1, $4, 'MEMBER') AS owner",
                [dp1, astro, n.database, n.ownerRole])).rows[0]);
            assert.deepEqual(can, { dp1: false, astro: false, owner: false });
            assert.match(await failureOf(open(0)) ?? "", /permission denied for database/);
        });

        it("the data role cannot log in, even with a password", async function () {
            await adminSql(server, [`ALTER ROLE ${quoteIdent(astro)} PASSWORD 'data-role-pw'`]);
            try {
                assert.match(await failureOf(openSession(server, astro, "data-role-pw", n.database)) ?? "", /not permitted to log in/);
            } finally {
                await adminSql(server, [`ALTER ROLE ${quoteIdent(astro)} PASSWORD NULL`]);
            }
        });

        it("the target reads and writes the source's tables, alters them, and creates new ones", async function () {
            const s = await open(1);
            const c = s.client;
            assert.deepEqual((await c.query("SELECT current_user AS c, session_user AS u")).rows[0], { c: astro, u: dp2 });
            assert.deepEqual((await c.query("SELECT r.run_id, t.state FROM dag_run r JOIN task_instance t ON t.run_id = r.id")).rows, [{ run_id: "manual_1", state: "success" }]);
            await c.query("INSERT INTO dag_run (dag_id, run_id) VALUES ('example', 'manual_2')");
            await c.query("INSERT INTO task_instance (run_id, state) SELECT id, 'queued' FROM dag_run WHERE run_id = 'manual_2'");
            await c.query("UPDATE task_instance SET state = 'running' WHERE state = 'queued'");
            await c.query("DELETE FROM task_instance WHERE state = 'running'");
            // A migration after the failover: ALTER TABLE needs ownership, which the data role has.
            await c.query("ALTER TABLE dag ADD COLUMN description text");
            await c.query("ALTER TABLE task_instance ALTER COLUMN state TYPE varchar(50)");
            await c.query("CREATE INDEX dag_run_dag ON dag_run (dag_id)");
            await c.query("CREATE TABLE log (id serial PRIMARY KEY, dag_id varchar(250) REFERENCES dag (dag_id), event text)");
            await c.query("INSERT INTO log (dag_id, event) VALUES ('example', 'failover')");
            assert.equal((await c.query("SELECT tableowner FROM pg_tables WHERE tablename = 'log'")).rows[0].tableowner, astro);
            await assert.rejects(c.query("INSERT INTO dag_run (dag_id, run_id) VALUES ('missing', 'x')"), /foreign key/);
        });

        it("the orchestrator cannot read the tables, nor SET ROLE to either login role or the data role", async function () {
            await withPg(asOrchestrator(n.database), async (c) => {
                for (const role of [dp1, dp2, astro]) {
                    assert.match(await failureOf(c.query(`SET ROLE ${quoteIdent(role)}`)) ?? "", /permission denied to set role/);
                    assert.deepEqual((await c.query("SELECT pg_has_role($1, 'SET') AS s, pg_has_role($1, 'USAGE') AS u", [role])).rows[0], { s: false, u: false });
                }
                for (const via of [undefined, n.ownerRole, n.terminatorRole]) {
                    if (via) await c.query(`SET ROLE ${quoteIdent(via)}`);
                    assert.match(await failureOf(c.query(`SELECT * FROM ${SCHEMA}.dag_run`)) ?? "", /permission denied for (table dag_run|schema airflow)/);
                    assert.match(await failureOf(c.query(`SELECT * FROM ${SCHEMA}.log`)) ?? "", /permission denied for (table log|schema airflow)/);
                    await c.query("RESET ROLE");
                }
            });
        });

        it("audit accepts the moved CONNECT; a later apply, and the sql script run in psql, leave the fence in place", async function () {
            assert.deepEqual((await audit()).findings, []);
            const again = await apply();
            assert.equal(again.ok, true);
            const d = again.deployments.find((x) => x.release === RELEASE)!;
            assert.deepEqual(d.files.map((f) => f.status), PLANES.flatMap(() => ["kept", "kept", "kept"]));
            const canConnect = () => admin(async (c) => (await c.query(
                "SELECT has_database_privilege($1, $3, 'CONNECT') AS dp1, has_database_privilege($2, $3, 'CONNECT') AS dp2", [dp1, dp2, n.database])).rows[0]);
            assert.deepEqual(await canConnect(), { dp1: false, dp2: true });
            assert.deepEqual((await audit()).findings, []);

            if (spawnSync("psql", ["--version"]).status !== 0) return; // the script itself is checked in test/unit/cli/sql.test.ts
            const script = path.join(dir, "failover.sql");
            fs.writeFileSync(script, await stackSql(stack, { file }));
            const r = spawnSync("psql", ["-X", "-q", "-f", script, server.adminUrl], { encoding: "utf8" });
            assert.equal(r.status, 0, r.stderr);
            assert.doesNotMatch(r.stderr, /ERROR/);
            assert.match(r.stderr, /CONNECT on database airflow_db_amateur_sunspot_5075 left as it is/);
            assert.deepEqual(await canConnect(), { dp1: false, dp2: true });
            assert.deepEqual((await audit()).findings, []);
        });

        it("audit reports both planes able to connect, and no plane able to; apply restores the first plane only when none can", async function () {
            const db = quoteIdent(n.database);
            await adminSql(server, [`GRANT CONNECT ON DATABASE ${db} TO ${quoteIdent(dp1)}`]);
            const both = await audit();
            assert.deepEqual(both.findings.map((f) => f.status), ["different"]);
            assert.match(both.findings[0].message, /^both planes can connect to database "airflow_db_amateur_sunspot_5075" \(dp1_user_amateur_sunspot_5075 \(dp1\) through dp1_user_amateur_sunspot_5075 itself; dp2_user_amateur_sunspot_5075 \(dp2\) through dp2_user_amateur_sunspot_5075 itself\)/);
            const left = (await apply()).deployments.find((x) => x.release === RELEASE)!;
            assert.match(left.notes.join("\n"), /-connect differs from the stack but ignores changes/);
            await adminSql(server, [`REVOKE CONNECT ON DATABASE ${db} FROM ${quoteIdent(dp1)}`, `REVOKE CONNECT ON DATABASE ${db} FROM ${quoteIdent(dp2)}`]);
            const none = await audit();
            assert.match(none.findings.map((f) => f.message).join("\n"), /^no plane can connect to database "airflow_db_amateur_sunspot_5075"/);
            assert.equal((await apply()).ok, true);
            assert.deepEqual((await audit()).findings, []);
            const extra = await admin(async (c) => {
                await c.query(`GRANT TEMPORARY ON DATABASE ${db} TO ${quoteIdent(dp2)}`);
                return c.query("SELECT has_database_privilege($1, $2, 'CONNECT') AS dp1", [dp1, n.database]);
            });
            assert.equal(extra.rows[0].dp1, true, "apply gave CONNECT back to the first plane, as Pulumi's first create did");
            assert.deepEqual((await audit()).findings.map((f) => [f.status, f.grantee, f.privileges]), [["extra", dp2, ["TEMPORARY"]]]);
            await adminSql(server, [`REVOKE TEMPORARY ON DATABASE ${db} FROM ${quoteIdent(dp2)}`]);
        });

        it("--rotate-password renews both login roles' passwords and rewrites both planes' connection secrets, keeping the fernet key", async function () {
            const before = PLANES.map((plane) => ({ url: planeUrl(plane), fernet: readSecretValue(secretFile(plane, "fernetKey"), SECRETS.fernetKey.key) }));
            const r = await applyStack({ stack, file, adminUrl: server.adminUrl, out: out(), port: server.port, rotatePasswords: [RELEASE] });
            assert.equal(r.ok, true);
            assert.deepEqual(r.deployments.find((x) => x.release === RELEASE)!.files.map((f) => f.status), PLANES.flatMap(() => ["written", "written", "kept"]));
            for (const [i, plane] of PLANES.entries()) {
                assert.notEqual(planeUrl(plane), before[i].url);
                assert.equal(readSecretValue(secretFile(plane, "fernetKey"), SECRETS.fernetKey.key), before[i].fernet);
                assert.match(await failureOf(openSession(server, n.loginRoles[i], decodeURIComponent(new URL(before[i].url).password), "postgres")) ?? "", /password authentication failed/);
            }
            const s = await open(0);
            assert.equal((await s.client.query("SELECT count(*)::int AS n FROM log")).rows[0].n, 1);
            await s.close();
        });
    });
});
