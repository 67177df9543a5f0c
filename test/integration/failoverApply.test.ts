/**
 * The "done when" on a real PostgreSQL 17: on a stack with failover (customer-managed
 * users), `astro-db apply` creates seed 004's roles and memberships from the stack's own resources,
 * `astro-db audit` checks the memberships' INHERIT and SET options (and reports drift in them),
 * and `astro-db fence` as the orchestrator leaves the source plane with no session and no way back in.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { applyStack } from "../../cli/apply";
import { auditStack } from "../../cli/audit";
import { fence } from "../../cli/fence";
import { outputLayout } from "../../cli/manifests";
import { deploymentNames } from "../../components/names";
import * as sql from "../../components/postgres/sql";
import { adminSql, failureOf, openSession, withPg } from "../support/pgSessions";
import { requireOrSkip, startPostgres, type PgServer } from "../support/servers";

const RELEASE = "amateur-sunspot-5075";
const ORCHESTRATOR = "commander_user";
const ORCHESTRATOR_PASSWORD = "commander-pw";

describe("apply, audit and fence a failover Deployment on real PostgreSQL 17 (embedded)", function () {
    const n = deploymentNames(RELEASE);
    let server: PgServer;
    let dir: string;
    let file: string;
    const stack = "failover-e2e";

    before(async function () {
        server = await requireOrSkip(this, () => startPostgres("embedded"));
        await adminSql(server, [sql.createRole({ name: ORCHESTRATOR, login: true, passwordSql: sql.quoteLiteral(ORCHESTRATOR_PASSWORD) })]);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "astro-db-failover-e2e-"));
        file = path.join(dir, `Pulumi.${stack}.yaml`);
        fs.writeFileSync(file, YAML.stringify({
            config: {
                "astro-db:servers": [{ name: "test", engine: "postgres", existing: { host: server.host, port: server.port, adminUser: server.adminUser, sslmode: "disable", superuser: true } }],
                "astro-db:deployments": [{ release: RELEASE, failover: { users: "customer", orchestratorUser: ORCHESTRATOR } }],
            },
        }));
    });
    after(async function () {
        await server?.stop();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    const out = () => path.join(dir, "out");
    const orchestratorUrl = () => `postgresql://${ORCHESTRATOR}:${ORCHESTRATOR_PASSWORD}@${server.host}:${server.port}/postgres`;
    const loginPassword = (role: string) => (YAML.parse(fs.readFileSync(outputLayout(out()).rolePasswords, "utf8")) as Record<string, string>)[role];

    it("apply creates the roles, the database owned by the owner role, CONNECT for the login roles and the memberships with their options", async function () {
        const r = await applyStack({ stack, file, adminUrl: server.adminUrl, out: out(), port: server.port });
        assert.equal(r.ok, true, JSON.stringify(r.deployments.map((d) => d.failure)));
        assert.deepEqual(r.warnings.filter((w) => /RoleMembership/.test(w)), [], "every membership has a translator");
        const rows = await withPg({ connectionString: server.adminUrl }, async (c) => (await c.query(
            `SELECT r.rolname AS role, u.rolname AS member, m.inherit_option AS inherit, m.set_option AS set
               FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member
              WHERE u.rolname IN ($1, $2) ORDER BY 2, 1`, [n.terminatorRole, ORCHESTRATOR])).rows);
        assert.deepEqual(rows, [
            { role: n.loginRoles[0], member: n.terminatorRole, inherit: false, set: false },
            { role: n.loginRoles[1], member: n.terminatorRole, inherit: false, set: false },
            { role: "pg_signal_backend", member: n.terminatorRole, inherit: true, set: false },
            { role: n.terminatorRole, member: ORCHESTRATOR, inherit: true, set: true },
            { role: n.ownerRole, member: ORCHESTRATOR, inherit: true, set: true },
        ]);
        const owner = await withPg({ connectionString: server.adminUrl }, async (c) => (await c.query(
            "SELECT pg_get_userbyid(datdba) AS owner, has_database_privilege($2, datname, 'CONNECT') AS dp1, has_database_privilege($3, datname, 'CONNECT') AS dp2, " +
            "has_database_privilege('public', datname, 'CONNECT') AS public FROM pg_database WHERE datname = $1", [n.database, ...n.loginRoles])).rows[0]);
        assert.deepEqual(owner, { owner: n.ownerRole, dp1: true, dp2: true, public: false });
    });

    it("audit is clean, and reports a membership whose INHERIT or SET option drifted", async function () {
        assert.deepEqual((await auditStack({ stack, file, adminUrl: server.adminUrl })).findings, []);
        await adminSql(server, [sql.grantRoleMembership(n.loginRoles[0], n.terminatorRole, { inherit: true, set: true })]);
        const drift = await auditStack({ stack, file, adminUrl: server.adminUrl });
        const about = drift.findings.filter((f) => f.object.includes(n.loginRoles[0]));
        assert.deepEqual(about.map((f) => f.status), ["different", "different"]);
        assert.match(about.map((f) => f.message).join("\n"), /INHERIT[\s\S]*SET/);
        const repaired = await applyStack({ stack, file, adminUrl: server.adminUrl, out: out(), port: server.port });
        assert.equal(repaired.ok, true);
        assert.deepEqual((await auditStack({ stack, file, adminUrl: server.adminUrl })).findings, []);
    });

    it("fence as the orchestrator: the source plane's sessions die, it cannot reconnect, the target connects", async function () {
        const [dp1, dp2] = n.loginRoles;
        const a = await openSession(server, dp1, loginPassword(dp1), n.database);
        const b = await openSession(server, dp2, loginPassword(dp2), n.database);
        try {
            const r = await fence({ stack, file, deployment: RELEASE, from: "dp1", adminUrl: orchestratorUrl() });
            assert.deepEqual([r.ok, r.warnings, r.terminated], [true, [], [a.pid]]);
            assert.ok((await a.ended) instanceof Error);
            assert.match(await failureOf(openSession(server, dp1, loginPassword(dp1), n.database)) ?? "", /permission denied for database/);
            assert.equal(await failureOf(b.client.query("SELECT 1")), undefined);
            assert.match(await failureOf(withPg({ host: server.host, port: server.port, user: ORCHESTRATOR, password: ORCHESTRATOR_PASSWORD, database: n.database },
                (c) => c.query(`SET ROLE ${sql.quoteIdent(dp1)}`))) ?? "", /permission denied to set role/);
        } finally {
            await a.close();
            await b.close();
        }
    });

    it("a later apply leaves the fence in place, and audit does not call it drift", async function () {
        const r = await applyStack({ stack, file, adminUrl: server.adminUrl, out: out(), port: server.port });
        assert.equal(r.ok, true);
        const canConnect = await withPg({ connectionString: server.adminUrl }, async (c) => (await c.query(
            "SELECT has_database_privilege($1, $3, 'CONNECT') AS dp1, has_database_privilege($2, $3, 'CONNECT') AS dp2", [...n.loginRoles, n.database])).rows[0]);
        assert.deepEqual(canConnect, { dp1: false, dp2: true });
        assert.deepEqual((await auditStack({ stack, file, adminUrl: server.adminUrl })).findings, []);
    });
});
