/**
 * Least-privilege fencing on real PostgreSQL 17 and 16, as a superuser, an RDS-like master user and a
 * plain CREATEDB CREATEROLE admin: `astro-db apply` creates two failover Deployments with their fencing
 * functions (components/postgres/fenceFunction.ts), then the orchestrator fences one of them and is
 * shown unable to end any other session: the other Deployment's, the same login role's in another
 * database, an unrelated role's. Also (PostgreSQL 17, RDS-like admin) the dynamic providers after a
 * rotation of the admin password kept in a (faked) Secrets Manager secret.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { applyStack } from "../../cli/apply";
import { auditStack } from "../../cli/audit";
import { fence } from "../../cli/fence";
import { deploymentNames } from "../../components/names";
import { CALL_FENCE_FUNCTION_SQL, fenceFunctionProvider, type FenceFunctionOutputs } from "../../components/postgres/fenceFunction";
import { roleMembershipProvider, type RoleMembershipOutputs } from "../../components/postgres/roleMembership";
import * as sql from "../../engines/postgres/statements";
import { adminSql, failureOf, openSession, withPg, type RoleSession } from "../support/pgSessions";
import { pgAdmin, PG_ADMIN_KINDS, requireOrSkip, startPostgres, type PgAdmin, type PgServer } from "../support/servers";

const ORCHESTRATOR = "commander_user";
const ORCHESTRATOR_PASSWORD = "commander-pw";
const LOGIN_PASSWORD = "login-pw";

function writeStack(server: PgServer, admin: PgAdmin, releases: string[]): { stack: string; file: string; out: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "astro-db-fencing-"));
    const file = path.join(dir, "Pulumi.fencing.yaml");
    fs.writeFileSync(file, JSON.stringify({
        config: {
            "astro-db:servers": [{ name: "test", engine: "postgres", existing: { host: server.host, port: server.port, adminUser: admin.user, sslmode: "disable", superuser: admin.superuser } }],
            "astro-db:deployments": releases.map((release) => ({ release, failover: { users: "customer", orchestratorUser: ORCHESTRATOR } })),
        },
    }));
    return { stack: "fencing", file, out: path.join(dir, "out") };
}

const asOrchestrator = (server: PgServer, database: string) => ({ host: server.host, port: server.port, user: ORCHESTRATOR, password: ORCHESTRATOR_PASSWORD, database });

for (const version of ["embedded", "16"] as const) {
    describe(`least-privilege fencing on real PostgreSQL ${version === "embedded" ? "17" : "16"}`, function () {
        let server: PgServer;
        const sessions: RoleSession[] = [];
        const open = async (user: string, password: string, database: string) => {
            const s = await openSession(server, user, password, database);
            sessions.push(s);
            return s;
        };
        const alive = async (s: RoleSession) => (await failureOf(s.client.query("SELECT 1"))) === undefined;

        before(async function () {
            server = await requireOrSkip(this, () => startPostgres(version));
            await adminSql(server, [
                sql.createRole({ name: ORCHESTRATOR, login: true, passwordSql: sql.quoteLiteral(ORCHESTRATOR_PASSWORD) }),
                sql.createRole({ name: "unrelated_app", login: true, passwordSql: sql.quoteLiteral("app") }),
            ]);
        });
        after(async function () {
            await Promise.all(sessions.map((s) => s.close()));
            await server?.stop();
        });

        for (const kind of PG_ADMIN_KINDS) {
            describe(`applied by the ${kind} admin`, function () {
                const mine = deploymentNames(`fence-${kind}-1`);
                const other = deploymentNames(`other-${kind}-1`);
                let admin: PgAdmin;
                let stack: ReturnType<typeof writeStack>;
                before(async function () {
                    admin = await pgAdmin(server, kind);
                    stack = writeStack(server, admin, [`fence-${kind}-1`, `other-${kind}-1`]);
                    const r = await applyStack({ stack: stack.stack, file: stack.file, adminUrl: admin.url, out: stack.out });
                    assert.ok(r.ok, JSON.stringify(r.deployments.map((d) => d.failure), null, 2));
                    // Known passwords for the login roles (the admin created them and may set them).
                    await withPg({ connectionString: admin.url }, async (c) => {
                        for (const role of [...mine.loginRoles, ...other.loginRoles]) await c.query(sql.alterRole(role, { passwordSql: sql.quoteLiteral(LOGIN_PASSWORD) }));
                    });
                });

                it("apply created the function as the stack declares it, and the orchestrator holds no pg_signal_backend", async function () {
                    const audit = await auditStack({ stack: stack.stack, file: stack.file, adminUrl: admin.url });
                    const aboutFunction = audit.findings.filter((f) => /terminate_plane_sessions|fencing function/.test(`${f.object} ${f.message}`));
                    assert.deepEqual(aboutFunction, []);
                    await withPg(asOrchestrator(server, "postgres"), async (c) => {
                        assert.equal((await c.query("SELECT pg_has_role('pg_signal_backend', 'USAGE') AS u")).rows[0].u, false);
                    });
                });

                it("the orchestrator fences its Deployment: exactly the source plane's sessions on its database end", async function () {
                    const source = await open(mine.loginRoles[0], LOGIN_PASSWORD, mine.database);
                    const elsewhere = await open(mine.loginRoles[0], LOGIN_PASSWORD, "postgres");
                    const otherDeployment = await open(other.loginRoles[0], LOGIN_PASSWORD, other.database);
                    const unrelated = await open("unrelated_app", "app", "postgres");
                    const r = await fence({ stack: stack.stack, file: stack.file, deployment: `fence-${kind}-1`, from: "dp1", adminUrl: `postgresql://${ORCHESTRATOR}:${ORCHESTRATOR_PASSWORD}@${server.host}:${server.port}/postgres` });
                    // Whether PUBLIC still connects is issue 10's point 1 (the grants of a non-superuser admin), not fencing's.
                    assert.deepEqual(r.problems.filter((p) => !/can still connect to .*CONNECT is held by PUBLIC/.test(p)), []);
                    assert.equal(r.remainingSessions, 0);
                    assert.equal(r.terminate, "function");
                    assert.deepEqual(r.terminated, [source.pid]);
                    assert.ok(await source.ended);
                    for (const s of [elsewhere, otherDeployment, unrelated]) assert.equal(await alive(s), true);
                });

                it("the orchestrator cannot end another Deployment's session or an unrelated role's, directly or through the function", async function () {
                    const otherDeployment = await open(other.loginRoles[0], LOGIN_PASSWORD, other.database);
                    const unrelated = await open("unrelated_app", "app", "postgres");
                    await withPg(asOrchestrator(server, mine.database), async (c) => {
                        for (const s of [otherDeployment, unrelated]) {
                            assert.match(await failureOf(c.query("SELECT pg_terminate_backend($1)", [s.pid])) ?? "", /permission denied to terminate process/);
                        }
                        await c.query(`SET ROLE ${sql.quoteIdent(mine.terminatorRole)}`);
                        for (const role of [other.loginRoles[0], "unrelated_app", admin.user]) {
                            assert.match(await failureOf(c.query(CALL_FENCE_FUNCTION_SQL, [role, 0])) ?? "", /is not a data-plane login role of this Deployment/);
                        }
                        assert.match(await failureOf(c.query(`SELECT pg_terminate_backend($1)`, [otherDeployment.pid])) ?? "", /permission denied to terminate process/);
                        await c.query("RESET ROLE");
                    });
                    // Nor as a login role of its own Deployment: it has none of their privileges.
                    await withPg({ host: server.host, port: server.port, user: mine.loginRoles[1], password: LOGIN_PASSWORD, database: mine.database }, async (c) => {
                        assert.match(await failureOf(c.query(CALL_FENCE_FUNCTION_SQL, [mine.loginRoles[0], 0])) ?? "", /permission denied for (schema|function)/);
                    });
                    for (const s of [otherDeployment, unrelated]) assert.equal(await alive(s), true);
                });
            });
        }

        if (version === "embedded") {
            describe("the dynamic providers after RDS rotates the admin password (Secrets Manager faked)", function () {
                const ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-rotation";
                let current = "";
                let restore: () => void;
                before(async function () {
                    const admin = await pgAdmin(server, "rds");
                    current = admin.password;
                    const id = require.resolve("@aws-sdk/client-secrets-manager");
                    const saved = require.cache[id];
                    require.cache[id] = { id, filename: id, loaded: true, exports: {
                        GetSecretValueCommand: class { constructor(readonly input: unknown) {} },
                        SecretsManagerClient: class { async send() { return { SecretString: JSON.stringify({ username: admin.user, password: current }) }; } destroy() { /* */ } },
                    } } as unknown as NodeJS.Module;
                    restore = () => { if (saved) require.cache[id] = saved; else delete require.cache[id]; };
                });
                after(() => restore?.());

                it("read the rotated password from the secret: refresh neither fails nor changes anything, delete works", async function () {
                    const admin = await pgAdmin(server, "rds");
                    const n = deploymentNames("fence-rds-1");
                    const connection = { host: server.host, port: server.port, user: admin.user, passwordSecretArn: ARN, database: "postgres", sslmode: "disable" as const };
                    const m = await roleMembershipProvider.create!({ __kind: "RoleMembership", role: n.loginRoles[0], member: "unrelated_app", inherit: false, set: false, admin: false, connection });
                    const f = await fenceFunctionProvider.create!({ __kind: "FenceFunction", database: n.database, loginRoles: [...n.loginRoles], terminatorRole: n.terminatorRole, connection });
                    current = "rotated-by-secrets-manager";
                    await adminSql(server, [sql.alterRole(admin.user, { passwordSql: sql.quoteLiteral(current) })]);
                    const mRead = await roleMembershipProvider.read!(m.id, m.outs as RoleMembershipOutputs);
                    const fRead = await fenceFunctionProvider.read!(f.id, f.outs as FenceFunctionOutputs);
                    assert.deepEqual([mRead.id, mRead.props], [m.id, m.outs]);
                    assert.deepEqual([fRead.id, fRead.props], [f.id, f.outs]);
                    assert.equal(JSON.stringify([m.outs, f.outs]).includes(current), false, "no password in the state");
                    await roleMembershipProvider.delete!(m.id, m.outs as RoleMembershipOutputs);
                    const left = await withPg({ connectionString: server.adminUrl }, async (c) => (await c.query("SELECT count(*)::int AS n FROM pg_auth_members WHERE member = 'unrelated_app'::regrole")).rows[0].n);
                    assert.equal(left, 0);
                });
            });
        }
    });
}
