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
import { fenceFunctionProvider, type FenceFunctionInputs, type FenceFunctionOutputs } from "../../components/postgres/fenceFunction";
import { CALL_FENCE_FUNCTION_SQL, fenceFunctionSignature } from "../../engines/postgres/fence";
import { readFenceFunction } from "../../engines/postgres/resources/fenceFunction";
import { roleMembershipProvider, type RoleMembershipOutputs } from "../../components/postgres/roleMembership";
import { membershipId } from "../../engines/postgres/membership";
import { queryChecked } from "../../engines/postgres/checkedQuery";
import * as sql from "../../engines/postgres/statements";
import { quoteIdent, quoteLiteral } from "../../engines/postgres/quote";
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
                sql.createRole({ name: ORCHESTRATOR, login: true, passwordSql: quoteLiteral(ORCHESTRATOR_PASSWORD) }),
                sql.createRole({ name: "unrelated_app", login: true, passwordSql: quoteLiteral("app") }),
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
                        for (const role of [...mine.loginRoles, ...other.loginRoles]) await c.query(sql.alterRole(role, { passwordSql: quoteLiteral(LOGIN_PASSWORD) }));
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
                    assert.deepEqual(r.problems, []);
                    assert.equal(r.ok, true);
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
                        await c.query(`SET ROLE ${quoteIdent(mine.terminatorRole)}`);
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

                if (kind === "superuser") return;
                const q = quoteIdent;

                it("fence fails loudly and changes nothing when PostgreSQL only warns about its REVOKE (SQLSTATE 01006)", async function () {
                    // Drift: the database handed to the admin, CONNECT back to PUBLIC. The owner role then holds CONNECT
                    // through PUBLIC only, without grant option, and PostgreSQL answers its REVOKE with a warning.
                    await adminSql(server, [`ALTER DATABASE ${q(other.database)} OWNER TO ${q(admin.user)}`, `GRANT CONNECT ON DATABASE ${q(other.database)} TO PUBLIC`]);
                    try {
                        const message = await failureOf(fence({ stack: stack.stack, file: stack.file, deployment: `other-${kind}-1`, from: "dp1", adminUrl: `postgresql://${ORCHESTRATOR}:${ORCHESTRATOR_PASSWORD}@${server.host}:${server.port}/postgres` }));
                        const revoke = `REVOKE CONNECT ON DATABASE ${q(other.database)} FROM ${q(other.loginRoles[0])}`;
                        assert.ok((message ?? "").startsWith(`cannot move CONNECT on ${other.database} as owner role ${other.ownerRole}: PostgreSQL answered ${JSON.stringify(revoke)} with WARNING "no privileges could be revoked`), message);
                        assert.match(message ?? "", /\(SQLSTATE 01006, privilege not revoked\): "commander_user" neither owns the object nor holds a grant option on it/);
                        assert.match(message ?? "", /nothing was changed/);
                        const grantees = await withPg({ connectionString: server.adminUrl }, async (c) => (await c.query(
                            "SELECT array_agg(pg_get_userbyid(a.grantee)::text ORDER BY 1) AS g FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = $1 AND a.grantee <> 0 AND a.privilege_type = 'CONNECT' AND a.grantee <> d.datdba", [other.database])).rows[0].g);
                        assert.deepEqual(grantees, [other.loginRoles[0]], "the source keeps CONNECT and the target gets none");
                    } finally {
                        await adminSql(server, [`REVOKE CONNECT ON DATABASE ${q(other.database)} FROM PUBLIC`, `ALTER DATABASE ${q(other.database)} OWNER TO ${q(other.ownerRole)}`]);
                    }
                });

                if (version !== "embedded") return;
                const adminConnection = () => ({ host: server.host, port: server.port, user: admin.user, password: admin.password, database: "postgres", sslmode: "disable" as const });

                it("the FenceFunction provider fails loudly and leaves nothing when what it sets does not hold; read() reports drift and update() repairs it", async function () {
                    const probe = `fence_probe_${kind}`;
                    await adminSql(server, [`CREATE DATABASE ${q(probe)} OWNER ${q(admin.user)}`]);
                    const inputs: FenceFunctionInputs = { __kind: "FenceFunction", database: probe, loginRoles: [...mine.loginRoles], terminatorRole: mine.terminatorRole, connection: adminConnection() };
                    const noFunction = async () => (await withPg({ connectionString: server.adminUrl.replace(/\/postgres$/, `/${probe}`) }, (c) => readFenceFunction(c))) === undefined;
                    // A schema of that name another role left, open to PUBLIC: the admin holds privileges on it but no grant option.
                    await adminSql(server, [`CREATE SCHEMA astro_db_fence AUTHORIZATION unrelated_app`, "GRANT USAGE, CREATE ON SCHEMA astro_db_fence TO PUBLIC"], probe);
                    const refused = await failureOf(fenceFunctionProvider.create!(inputs)) ?? "";
                    assert.ok(refused.startsWith(`FenceFunction in database ${probe}: PostgreSQL answered ${JSON.stringify('REVOKE ALL PRIVILEGES ON SCHEMA "astro_db_fence" FROM PUBLIC')} with WARNING "no privileges could be revoked`), refused);
                    assert.match(refused, new RegExp(`\\(SQLSTATE 01006, privilege not revoked\\): "${admin.user}" neither owns the object nor holds a grant option on it`));
                    await adminSql(server, ["DROP SCHEMA astro_db_fence"], probe);
                    assert.equal(await noFunction(), true, "rolled back");
                    // The admin's default privileges give EXECUTE to another role: the read-back refuses it, nothing is left.
                    await adminSql(server, [`ALTER DEFAULT PRIVILEGES FOR ROLE ${q(admin.user)} GRANT EXECUTE ON FUNCTIONS TO unrelated_app`], probe);
                    assert.match(await failureOf(fenceFunctionProvider.create!(inputs)) ?? "", new RegExp(`after creating it, unrelated_app can EXECUTE .*: only ${mine.terminatorRole} may; nothing was changed`));
                    assert.equal(await noFunction(), true, "rolled back");
                    await adminSql(server, [`ALTER DEFAULT PRIVILEGES FOR ROLE ${q(admin.user)} REVOKE EXECUTE ON FUNCTIONS FROM unrelated_app`], probe);
                    const created = await fenceFunctionProvider.create!(inputs);
                    await adminSql(server, [`GRANT EXECUTE ON FUNCTION ${fenceFunctionSignature()} TO PUBLIC`], probe);
                    const read = await fenceFunctionProvider.read!(created.id, created.outs as FenceFunctionOutputs);
                    assert.match(read.props!.problems.join("; "), /PUBLIC can EXECUTE/);
                    assert.equal((await fenceFunctionProvider.diff!(created.id, read.props!, inputs)).changes, true);
                    const repaired = await fenceFunctionProvider.update!(created.id, read.props!, inputs);
                    assert.deepEqual(repaired.outs!.problems, []);
                    await fenceFunctionProvider.delete!(created.id, repaired.outs!);
                    assert.equal(await noFunction(), true);
                });

                if (kind !== "rds") return;

                it("what leaves the stack is revoked as the providers revoke it, and takes effect: another orchestrator, then failover off", async function () {
                    const leave = (role: string, member: string) => roleMembershipProvider.delete!(membershipId(role, member),
                        { __kind: "RoleMembership", role, member, inherit: false, set: false, admin: false, connection: adminConnection(), grants: [], serverVersion: "" });
                    const holds = () => withPg({ connectionString: server.adminUrl }, async (c) => (await c.query(
                        // Every membership of the Deployment's roles but the one PostgreSQL gives the admin in each role it created.
                        "SELECT DISTINCT pg_get_userbyid(m.roleid) AS role, pg_get_userbyid(m.member) AS member FROM pg_auth_members m WHERE (m.roleid = ANY($1::regrole[]) OR m.member = ANY($1::regrole[])) " +
                        "AND NOT (pg_get_userbyid(m.member) = $2 AND m.admin_option AND NOT m.inherit_option AND NOT m.set_option) ORDER BY 1, 2",
                        [[other.ownerRole, other.terminatorRole, ...other.loginRoles, other.user], admin.user])).rows);
                    // orchestratorUser changes: the old orchestrator's two memberships are deleted (RoleMembership.delete).
                    await leave(other.ownerRole, ORCHESTRATOR);
                    await leave(other.terminatorRole, ORCHESTRATOR);
                    assert.equal((await holds()).some((r) => r.member === ORCHESTRATOR), false);
                    assert.match(await failureOf(fence({ stack: stack.stack, file: stack.file, deployment: `other-${kind}-1`, from: "dp1", adminUrl: `postgresql://${ORCHESTRATOR}:${ORCHESTRATOR_PASSWORD}@${server.host}:${server.port}/postgres` })) ?? "",
                        /cannot move CONNECT .*permission denied to set role/);
                    // failover off: the database's owner becomes the admin (the postgresql provider's Database update), then the
                    // deletes in reverse dependency order: the planes' CONNECT grants (its Grant delete: REVOKE ALL PRIVILEGES ON
                    // DATABASE in a transaction on that database), every failover membership, the admin's own in the owner role.
                    await withPg({ connectionString: admin.url }, (c) => c.query(`ALTER DATABASE ${q(other.database)} OWNER TO ${q(admin.user)}`));
                    await withPg({ connectionString: admin.url.replace(/\/postgres$/, `/${other.database}`) }, async (c) => {
                        await c.query("BEGIN");
                        for (const role of other.loginRoles) await queryChecked(c, `REVOKE ALL PRIVILEGES ON DATABASE ${q(other.database)} FROM ${q(role)}`, admin.user);
                        await c.query("COMMIT");
                    });
                    for (const { role, member } of await holds()) await leave(role, member);
                    assert.deepEqual(await holds(), []);
                    const connect = await withPg({ connectionString: server.adminUrl }, async (c) => (await c.query(
                        "SELECT r AS role, has_database_privilege(r, $1, 'CONNECT') AS c FROM unnest($2::text[]) r ORDER BY 1", [other.database, [...other.loginRoles]])).rows);
                    assert.deepEqual(connect, other.loginRoles.map((role) => ({ role, c: false })));
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
                    await adminSql(server, [sql.alterRole(admin.user, { passwordSql: quoteLiteral(current) })]);
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
