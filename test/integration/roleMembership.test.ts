/**
 * The RoleMembership dynamic provider's methods (check, create, read, diff, update, delete) called
 * directly, as the Pulumi engine calls them, against real PostgreSQL 17 (embedded) and 15 (Debian).
 */
import assert from "node:assert/strict";
import Module from "node:module";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { roleMembershipProvider as provider, type RoleMembershipInputs, type RoleMembershipOutputs } from "../../components/postgres/roleMembership";
import { membershipId, ROLE_MEMBERSHIP_KIND } from "../../engines/postgres/membership";
import { adminConnection, adminSql, failureOf, withPg } from "../support/pgSessions";
import { pgAdmin, requireOrSkip, startPostgres, type PgServer } from "../support/servers";

/** pg_auth_members rows for (role, member), as the catalog holds them on PostgreSQL 16+. */
async function catalogRows(server: PgServer, role: string, member: string) {
    return withPg({ connectionString: server.adminUrl }, async (c) => (await c.query(
        `SELECT g.rolname AS grantor, m.inherit_option, m.set_option, m.admin_option
           FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member JOIN pg_roles g ON g.oid = m.grantor
          WHERE r.rolname = $1 AND u.rolname = $2 ORDER BY 1`, [role, member])).rows);
}

/** create(), insisting it returned outputs (they are optional in Pulumi's types). */
async function create(i: RoleMembershipInputs): Promise<{ id: string; outs: RoleMembershipOutputs }> {
    const r = await provider.create(i);
    assert.ok(r.outs);
    return { id: r.id, outs: r.outs };
}

/** Compiles a serialized provider as Pulumi's dynamic-provider host does, resolving `require` from this repository. */
function loadSerialized(text: string): typeof provider {
    const filename = path.join(__dirname, "serialized-provider.js");
    const m = new Module(filename, module) as Module & { _compile(code: string, file: string): void };
    m.filename = filename;
    m.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(__dirname);
    m._compile(text, filename);
    return (m.exports as { handler(): typeof provider }).handler();
}

function inputs(server: PgServer, over: Partial<RoleMembershipInputs> = {}): RoleMembershipInputs {
    return {
        __kind: ROLE_MEMBERSHIP_KIND, role: "dp1_user_x", member: "airflow_conn_killer_x",
        inherit: false, set: false, admin: false, connection: adminConnection(server), ...over,
    };
}

describe("RoleMembership provider on real PostgreSQL 17 (embedded)", function () {
    let server: PgServer;

    before(async function () {
        server = await requireOrSkip(this, () => startPostgres("embedded"));
        await adminSql(server, [
            `CREATE ROLE dp1_user_x LOGIN PASSWORD 'dp1'`,
            `CREATE ROLE airflow_conn_killer_x NOLOGIN NOINHERIT`,
            `CREATE ROLE other_grantor LOGIN CREATEROLE PASSWORD 'other'`,
            `CREATE ROLE commander_user_ser LOGIN PASSWORD 'ser'`,
            `GRANT dp1_user_x TO other_grantor WITH ADMIN TRUE`,
        ]);
    });
    after(async function () {
        await server?.stop();
    });

    it("check() refuses a role granted to itself and keeps ADMIN false by default", async function () {
        const ok = await provider.check!(undefined as never, { ...inputs(server), admin: undefined as never });
        assert.deepEqual(ok.failures, []);
        assert.equal(ok.inputs!.admin, false);
        const bad = await provider.check!(undefined as never, inputs(server, { member: "dp1_user_x" }));
        assert.equal(bad.failures![0].property, "member");
    });

    let created: RoleMembershipOutputs;
    it("create() grants WITH INHERIT FALSE, SET FALSE and returns the live row", async function () {
        const result = await create(inputs(server));
        created = result.outs;
        assert.equal(result.id, `"dp1_user_x" TO "airflow_conn_killer_x"`);
        assert.equal(result.id, membershipId("dp1_user_x", "airflow_conn_killer_x"));
        assert.deepEqual({ inherit: created.inherit, set: created.set, admin: created.admin }, { inherit: false, set: false, admin: false });
        assert.deepEqual(created.grants, [{ grantor: "postgres", inherit: false, set: false, admin: false }]);
        assert.match(created.serverVersion, /^17\./);
        assert.deepEqual(await catalogRows(server, "dp1_user_x", "airflow_conn_killer_x"),
            [{ grantor: "postgres", inherit_option: false, set_option: false, admin_option: false }]);
    });

    it("read() sees drift made outside Pulumi, diff() asks for an update, update() restores the declared options", async function () {
        await adminSql(server, [`GRANT dp1_user_x TO airflow_conn_killer_x WITH INHERIT TRUE, SET TRUE`]);
        const id = membershipId("dp1_user_x", "airflow_conn_killer_x");
        const read = await provider.read!(id, created);
        assert.equal(read.id, id);
        assert.equal(read.props!.inherit, true);
        assert.equal(read.props!.set, true);
        assert.deepEqual(read.props!.grants, [{ grantor: "postgres", inherit: true, set: true, admin: false }]);

        const diff = await provider.diff!(id, read.props!, inputs(server));
        assert.equal(diff.changes, true);
        assert.deepEqual(diff.replaces, []);

        const updated = await provider.update!(id, read.props!, inputs(server));
        assert.equal(updated.outs!.inherit, false);
        assert.equal(updated.outs!.set, false);
        assert.deepEqual(await catalogRows(server, "dp1_user_x", "airflow_conn_killer_x"),
            [{ grantor: "postgres", inherit_option: false, set_option: false, admin_option: false }]);
        const again = await provider.read!(id, updated.outs!);
        assert.equal((await provider.diff!(id, again.props!, inputs(server))).changes, false);
    });

    it("update() changes the options of the existing grant both ways, ADMIN included", async function () {
        const id = membershipId("dp1_user_x", "airflow_conn_killer_x");
        const all = inputs(server, { inherit: true, set: true, admin: true });
        await provider.update!(id, created, all);
        assert.deepEqual(await catalogRows(server, "dp1_user_x", "airflow_conn_killer_x"),
            [{ grantor: "postgres", inherit_option: true, set_option: true, admin_option: true }]);
        await provider.update!(id, all as RoleMembershipOutputs, inputs(server));
        assert.deepEqual(await catalogRows(server, "dp1_user_x", "airflow_conn_killer_x"),
            [{ grantor: "postgres", inherit_option: false, set_option: false, admin_option: false }]);
    });

    it("diff() replaces on a new role, member or server, updates on new options or credentials, and is quiet otherwise", async function () {
        const id = membershipId("dp1_user_x", "airflow_conn_killer_x");
        const same = await provider.diff!(id, created, inputs(server));
        assert.deepEqual(same, { changes: false, replaces: [], deleteBeforeReplace: false });
        assert.deepEqual((await provider.diff!(id, created, inputs(server, { role: "dp2_user_x" }))).replaces, ["role"]);
        assert.deepEqual((await provider.diff!(id, created, inputs(server, { member: "commander_user" }))).replaces, ["member"]);
        const moved = await provider.diff!(id, created, inputs(server, { connection: { ...adminConnection(server), host: "localhost" } }));
        assert.deepEqual(moved, { changes: true, replaces: ["connection"], deleteBeforeReplace: true });
        const rotated = await provider.diff!(id, created, inputs(server, { connection: { ...adminConnection(server), password: "rotated" } }));
        assert.deepEqual(rotated, { changes: true, replaces: [], deleteBeforeReplace: false });
        assert.deepEqual((await provider.diff!(id, created, inputs(server, { set: true }))).replaces, []);
        assert.equal((await provider.diff!(id, created, inputs(server, { set: true }))).changes, true);
    });

    it("refuses to report success while another grantor's row gives the member more than declared", async function () {
        await withPg({ host: server.host, port: server.port, user: "other_grantor", password: "other", database: "postgres" },
            (c) => c.query(`GRANT dp1_user_x TO airflow_conn_killer_x WITH INHERIT TRUE, SET FALSE`));
        const id = membershipId("dp1_user_x", "airflow_conn_killer_x");
        const read = await provider.read!(id, created);
        assert.equal(read.props!.inherit, true, "the union over grantors is what the member gets");
        assert.equal(read.props!.grants.length, 2);
        const message = await failureOf(provider.update!(id, read.props!, inputs(server)));
        assert.match(message ?? "", /other_grantor: INHERIT TRUE, SET FALSE/);
        assert.match(message ?? "", /GRANTED BY/);
        await withPg({ host: server.host, port: server.port, user: "other_grantor", password: "other", database: "postgres" },
            (c) => c.query(`REVOKE dp1_user_x FROM airflow_conn_killer_x`));
    });

    it("as RDS's master user: create() refuses options another grantor widened; delete() fails loudly while another grantor's row keeps the membership", async function () {
        const admin = await pgAdmin(server, "rds");
        // The admin's own roles, as the stack creates them.
        await withPg({ connectionString: admin.url }, async (c) => {
            await c.query("CREATE ROLE rds_dp1 LOGIN");
            await c.query("CREATE ROLE rds_killer NOLOGIN NOINHERIT");
        });
        const i = inputs(server, { role: "rds_dp1", member: "rds_killer", connection: { ...adminConnection(server), user: admin.user, password: admin.password } });
        await adminSql(server, ["GRANT rds_dp1 TO rds_killer WITH INHERIT TRUE, SET FALSE"]);
        assert.match(await failureOf(provider.create(i)) ?? "", /declared INHERIT FALSE, SET FALSE, ADMIN FALSE but rds_killer gets INHERIT TRUE, SET FALSE, ADMIN FALSE from grants by other roles \(postgres: INHERIT TRUE/);
        // The superuser's row now grants the same as declared: created; the delete's REVOKE takes the admin's row only.
        await adminSql(server, ["GRANT rds_dp1 TO rds_killer WITH INHERIT FALSE"]);
        const { id, outs } = await create(i);
        assert.deepEqual(outs.grants.map((g) => g.grantor), ["postgres", admin.user]);
        assert.match(await failureOf(provider.delete!(id, outs)) ?? "", /after REVOKE, rds_killer still holds rds_dp1 through grants by other roles \(postgres: INHERIT FALSE, SET FALSE, ADMIN FALSE\): revoke those with `REVOKE "rds_dp1" FROM "rds_killer" GRANTED BY <grantor>`/);
        assert.deepEqual((await catalogRows(server, "rds_dp1", "rds_killer")).map((r) => r.grantor), ["postgres"]);
        await adminSql(server, ["REVOKE rds_dp1 FROM rds_killer"]);
        await provider.delete!(id, outs);
    });

    it("create() of a membership with a role that does not exist fails and names it", async function () {
        const message = await failureOf(provider.create(inputs(server, { role: "no_such_role" })));
        assert.match(message ?? "", /"no_such_role"/);
    });

    it("delete() revokes; read() then reports the membership gone; delete() again is harmless", async function () {
        const id = membershipId("dp1_user_x", "airflow_conn_killer_x");
        await provider.delete!(id, created);
        assert.deepEqual(await catalogRows(server, "dp1_user_x", "airflow_conn_killer_x"), []);
        const read = await provider.read!(id, created);
        assert.equal(read.id, "");
        await provider.delete!(id, created);
    });

    it("delete() after a role was dropped does nothing", async function () {
        await adminSql(server, [`CREATE ROLE doomed NOLOGIN`]);
        const r = await create(inputs(server, { role: "doomed" }));
        await adminSql(server, [`DROP ROLE doomed`]);
        await provider.delete!(r.id, r.outs);
    });

    it("works as Pulumi stores it: the serialized provider holds no credential and runs on its inputs alone", async function () {
        const serialized = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
        assert.equal(serialized.containsSecrets, false);
        assert.ok(!serialized.text.includes(server.adminPassword));
        // What the engine's dynamic-provider host does with `__provider`: compile it and call handler().
        const loaded = loadSerialized(serialized.text);
        const { id, outs } = await loaded.create(inputs(server, { role: "dp1_user_x", member: "commander_user_ser", inherit: true, set: false }));
        assert.ok(outs);
        assert.equal(outs.inherit, true);
        assert.equal((await loaded.read!(id, outs)).id, id);
        await loaded.delete!(id, outs);
        assert.equal((await loaded.read!(id, outs)).id, "");
    });

    it("quotes names that need it", async function () {
        await adminSql(server, [`CREATE ROLE "Odd ""Name""" NOLOGIN`]);
        const r = await create(inputs(server, { role: `Odd "Name"`, inherit: true, set: false }));
        assert.equal(r.outs.inherit, true);
        assert.deepEqual((await catalogRows(server, `Odd "Name"`, "airflow_conn_killer_x")).map((x) => x.inherit_option), [true]);
        await provider.delete!(r.id, r.outs);
    });
});

describe("RoleMembership provider on real PostgreSQL 15 (Debian): no INHERIT/SET grant options", function () {
    let server: PgServer;

    before(async function () {
        server = await requireOrSkip(this, () => startPostgres("15"));
        await adminSql(server, [
            `CREATE DATABASE airflow_db_x`,
            `CREATE ROLE dp1_user_x LOGIN PASSWORD 'dp1'`,
            `CREATE ROLE airflow_conn_killer_x NOLOGIN NOINHERIT`,
            `CREATE ROLE commander_user LOGIN PASSWORD 'commander'`,
            `ALTER DATABASE airflow_db_x OWNER TO dp1_user_x`,
        ]);
    });
    after(async function () {
        await server?.stop();
    });

    it("refuses INHERIT FALSE, SET FALSE with an error naming the server version, and grants nothing", async function () {
        const message = await failureOf(provider.create(inputs(server)));
        assert.match(message ?? "", /PostgreSQL 15\.\d+/);
        assert.match(message ?? "", /needs PostgreSQL 16 or later/);
        assert.match(message ?? "", /SET ROLE dp1_user_x/);
        const rows = await withPg({ connectionString: server.adminUrl }, async (c) => (await c.query(
            `SELECT 1 FROM pg_auth_members WHERE roleid = 'dp1_user_x'::regrole AND member = 'airflow_conn_killer_x'::regrole`)).rows);
        assert.equal(rows.length, 0);
    });

    it("refuses INHERIT TRUE for a NOINHERIT member (inheritance would not happen)", async function () {
        const message = await failureOf(provider.create(inputs(server, { inherit: true, set: true })));
        assert.match(message ?? "", /NOINHERIT attribute/);
    });

    it("grants what PostgreSQL 15 can express, reads it back, and takes ADMIN away again", async function () {
        // commander_user is INHERIT (the default): a plain grant inherits and allows SET ROLE.
        const wanted = inputs(server, { role: "airflow_conn_killer_x", member: "commander_user", inherit: true, set: true, admin: true });
        const r = await create(wanted);
        assert.match(r.outs.serverVersion, /^15\./);
        assert.deepEqual(r.outs.grants, [{ grantor: "postgres", inherit: true, set: true, admin: true }]);
        const noAdmin = { ...wanted, admin: false };
        assert.equal((await provider.diff!(r.id, r.outs, noAdmin)).changes, true);
        const u = await provider.update!(r.id, r.outs, noAdmin);
        assert.equal(u.outs!.admin, false);
        const read = await provider.read!(r.id, u.outs!);
        assert.deepEqual(read.props!.grants, [{ grantor: "postgres", inherit: true, set: true, admin: false }]);
        await provider.delete!(r.id, u.outs!);
        assert.equal((await provider.read!(r.id, u.outs!)).id, "");
    });

    it("why it refuses: on 15 the seed's plain GRANT lets the terminator's holder SET ROLE to the login role, NOINHERIT or not", async function () {
        await adminSql(server, [
            `CREATE TABLE private_dags (id int)`,
            `ALTER TABLE private_dags OWNER TO dp1_user_x`,
            `GRANT dp1_user_x TO airflow_conn_killer_x`,
            `GRANT airflow_conn_killer_x TO commander_user`,
        ], "airflow_db_x");
        const who = await withPg({ host: server.host, port: server.port, user: "commander_user", password: "commander", database: "airflow_db_x" }, async (c) => {
            await c.query(`SET ROLE dp1_user_x`);
            await c.query(`SELECT * FROM private_dags`);
            return (await c.query<{ u: string }>(`SELECT current_user AS u`)).rows[0].u;
        });
        assert.equal(who, "dp1_user_x", "the orchestrator became the login role");
        await adminSql(server, [`REVOKE dp1_user_x FROM airflow_conn_killer_x`]);
    });
});
