/**
 * The SQL of seed 004 and of fencing, as the builders spell it (pure code, no server): what a
 * reviewer compares with the seed, and what `astro-db sql` prints for a RoleMembership.
 */
import * as assert from "assert";
import type { GraphResource } from "../../../../cli/graph";
import { translate as roleMembershipTranslator } from "../../../../engines/postgres/resources/roleMembership";
import type { TranslateContext } from "../../../../cli/sql/registry";
import { ensureAssumeRoleSql, failoverSetupSql, fenceConnectSql, whenNoPlaneConnectsSql, type FailoverNames } from "../../../../engines/postgres/failover";
import { grantMembershipSql, legacyRefusal, membershipId, ROLE_MEMBERSHIP_KIND } from "../../../../engines/postgres/membership";

const n: FailoverNames = {
    database: "airflow_db_x", ownerRole: "airflow_db_x_owner", terminatorRole: "airflow_conn_killer_x",
    loginRoles: ["dp1_user_x", "dp2_user_x"], orchestratorUser: "commander_user",
};

describe("seed 004 as SQL", () => {
    it("customer model: the seed's statements in the seed's order, CONNECT for the first plane only, no pg_signal_backend (the fencing function ends sessions)", () => {
        const statements = failoverSetupSql(n, { users: "customer", loginPasswords: ["p1", "p'2"] });
        const shapes = statements.map((s) => s.replace(/ WITH (ENCRYPTED PASSWORD .*? )?VALID UNTIL.*?(NOLOGIN|LOGIN).*$/, (_m, _pw: string, login: string) => ` ${login}`));
        assert.deepStrictEqual(shapes, [
            `CREATE ROLE "airflow_db_x_owner" NOLOGIN`,
            `CREATE ROLE "airflow_conn_killer_x" NOLOGIN`,
            `CREATE ROLE "dp1_user_x" LOGIN`,
            `CREATE ROLE "dp2_user_x" LOGIN`,
            `ALTER DATABASE "airflow_db_x" OWNER TO "airflow_db_x_owner"`,
            `REVOKE CONNECT ON DATABASE "airflow_db_x" FROM PUBLIC`,
            `GRANT CONNECT ON DATABASE "airflow_db_x" TO "dp1_user_x"`,
            `GRANT "dp1_user_x" TO "airflow_conn_killer_x" WITH INHERIT FALSE, SET FALSE`,
            `GRANT "dp2_user_x" TO "airflow_conn_killer_x" WITH INHERIT FALSE, SET FALSE`,
            `GRANT "airflow_db_x_owner" TO "commander_user" WITH INHERIT TRUE, SET TRUE`,
            `GRANT "airflow_conn_killer_x" TO "commander_user" WITH INHERIT TRUE, SET TRUE`,
        ]);
        assert.match(statements[1], / NOINHERIT /, "the terminator is NOINHERIT");
        assert.match(statements[3], /ENCRYPTED PASSWORD 'p''2'/);
        assert.doesNotMatch(statements[5], /TEMPORARY|ALL/, "PUBLIC loses CONNECT only");
    });

    it("customer model with the data role: each login role switches to it at login and is its member WITH INHERIT TRUE, SET TRUE", () => {
        const statements = failoverSetupSql(n, { users: "customer", dataRole: "astro_x" });
        const at = (re: RegExp) => statements.findIndex((t) => re.test(t));
        assert.ok(at(/^ALTER ROLE "dp1_user_x" SET ROLE TO "astro_x"$/) === at(/^CREATE ROLE "dp1_user_x"/) + 1);
        assert.ok(at(/^ALTER ROLE "dp2_user_x" SET ROLE TO "astro_x"$/) === at(/^CREATE ROLE "dp2_user_x"/) + 1);
        assert.deepStrictEqual(statements.slice(-2), [
            `GRANT "astro_x" TO "dp1_user_x" WITH INHERIT TRUE, SET TRUE`,
            `GRANT "astro_x" TO "dp2_user_x" WITH INHERIT TRUE, SET TRUE`,
        ]);
        assert.ok(!statements.some((t) => /astro_x.*_owner|_owner.*TO "dp/.test(t)), "no login role is a member of the owner role");
        assert.ok(!failoverSetupSql(n, { users: "apc", dataRole: "astro_x" }).some((t) => /"astro_x"/.test(t)), "APC creates the login roles: nothing to give them");
    });

    it("apc model: no login roles, no CONNECT grants, no login-role memberships", () => {
        const apc = failoverSetupSql(n, { users: "apc" });
        assert.ok(!apc.some((s) => /dp[12]_user_x/.test(s)));
        assert.strictEqual(apc.length, 6);
        assert.deepStrictEqual(failoverSetupSql(n, { users: "customer", terminate: "none" }), failoverSetupSql(n, { users: "customer" }), "none: the seed's exact statements");
    });

    it("pg_signal_backend only when asked: to the terminator WITH INHERIT TRUE, SET FALSE", () => {
        const wide = failoverSetupSql(n, { users: "apc", terminate: "pg_signal_backend" });
        assert.ok(wide.includes(`GRANT "pg_signal_backend" TO "airflow_conn_killer_x" WITH INHERIT TRUE, SET FALSE`));
    });

    it("an admin that cannot signal on its own holds each login role it created WITH INHERIT TRUE, SET FALSE (for the function it owns)", () => {
        const statements = failoverSetupSql(n, { users: "customer", adminSignals: false, adminUser: "createrole_admin" });
        const at = (t: string) => statements.indexOf(t);
        for (const login of n.loginRoles) assert.ok(at(`GRANT "${login}" TO "createrole_admin" WITH INHERIT TRUE, SET FALSE`) > at(`GRANT "${login}" TO "airflow_conn_killer_x" WITH INHERIT FALSE, SET FALSE`));
        assert.ok(!failoverSetupSql(n, { users: "customer", adminSignals: false, adminUser: "a", terminate: "pg_signal_backend" }).some((t) => /TO "a"/.test(t)), "only for the function");
        assert.throws(() => failoverSetupSql(n, { users: "customer", adminSignals: false }), /needs adminUser/);
    });

    it("fencing moves CONNECT as the owner role, inside the transaction only", () => {
        assert.deepStrictEqual(fenceConnectSql(n, "dp1_user_x", "dp2_user_x"), [
            `SET LOCAL ROLE "airflow_db_x_owner"`,
            `REVOKE CONNECT ON DATABASE "airflow_db_x" FROM "dp1_user_x"`,
            `GRANT CONNECT ON DATABASE "airflow_db_x" TO "dp2_user_x"`,
        ]);
    });
});

describe("the failover CONNECT grants and assumeRole as SQL", () => {
    it("grants a login role CONNECT only while no plane can connect: run again after a failover, it changes nothing", () => {
        const block = whenNoPlaneConnectsSql("airflow_db_x", ["dp1_user_x", "dp2_user_x"], [
            `REVOKE ALL PRIVILEGES ON DATABASE "airflow_db_x" FROM "dp1_user_x"`, `GRANT CONNECT ON DATABASE "airflow_db_x" TO "dp1_user_x"`,
        ]);
        assert.strictEqual(block, [
            "DO $astro_db$",
            "BEGIN",
            "  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname IN ('dp1_user_x', 'dp2_user_x') AND pg_catalog.has_database_privilege(oid, 'airflow_db_x', 'CONNECT')) THEN",
            `    REVOKE ALL PRIVILEGES ON DATABASE "airflow_db_x" FROM "dp1_user_x";`,
            `    GRANT CONNECT ON DATABASE "airflow_db_x" TO "dp1_user_x";`,
            "  ELSE",
            "    RAISE NOTICE '%', 'astro-db: CONNECT on database airflow_db_x left as it is: a data plane''s login role (dp1_user_x, dp2_user_x) can already connect, and exactly one may (a failover moves it)';",
            "  END IF;",
            "END",
            "$astro_db$",
        ].join("\n"));
        assert.throws(() => whenNoPlaneConnectsSql("db$astro_db$x", ["a"], []), /cannot quote/);
    });

    it("sets, keeps or resets the role a login switches to", () => {
        assert.match(ensureAssumeRoleSql("dp1_user_x", "astro_x"), /rolname = 'dp1_user_x' AND \(SELECT c FROM unnest\(rolconfig\) AS c WHERE c LIKE 'role=%'\) IS DISTINCT FROM 'role=astro_x'\) THEN ALTER ROLE "dp1_user_x" SET ROLE TO "astro_x"; END IF;/);
        assert.match(ensureAssumeRoleSql("astro_x", ""), /IS DISTINCT FROM NULL\) THEN ALTER ROLE "astro_x" RESET ROLE; END IF;/);
    });
});

describe("RoleMembership SQL", () => {
    it("spells all three options on 16+, only ADMIN below, and refuses below 16 what 15 cannot express", () => {
        const o = { inherit: false, set: false, admin: false };
        assert.strictEqual(grantMembershipSql("a", "b", o), `GRANT "a" TO "b" WITH ADMIN FALSE, INHERIT FALSE, SET FALSE`);
        assert.strictEqual(grantMembershipSql("a", "b", { ...o, admin: true }, 150000), `GRANT "a" TO "b" WITH ADMIN OPTION`);
        assert.strictEqual(membershipId(`we"ird`, "b"), `"we""ird" TO "b"`);
        assert.strictEqual(legacyRefusal("a", "b", { inherit: true, set: true, admin: true }, true, "15.8"), undefined);
        assert.match(legacyRefusal("a", "b", o, true, "15.8")!, /PostgreSQL 15\.8.*SET FALSE cannot be expressed.*SET ROLE a/);
        assert.match(legacyRefusal("a", "b", { inherit: true, set: true, admin: false }, false, "15.8")!, /NOINHERIT attribute/);
    });

    it("translates to a version check and one GRANT, and declares the membership with its options for audit", () => {
        const r: GraphResource = {
            type: "pulumi-nodejs:dynamic:Resource", name: "m", custom: true, secretInputs: ["connection"],
            inputs: { __kind: ROLE_MEMBERSHIP_KIND, role: "dp1_user_x", member: "airflow_conn_killer_x", inherit: false, set: false, admin: false, connection: "[secret]" },
            options: { protect: false, retainOnDelete: false, dependsOn: [], ignoreChanges: [] },
        };
        const [step] = roleMembershipTranslator(r, {} as TranslateContext);
        assert.deepStrictEqual(step.declares, [{ engine: "postgres", type: "membership", role: "dp1_user_x", member: "airflow_conn_killer_x", admin: false, inherit: false, set: false }]);
        const [check, grant] = step.statements({ password: () => "x" });
        assert.match(check, /server_version_num'\)::int < 160000 THEN RAISE EXCEPTION .*needs PostgreSQL 16 or later/);
        assert.strictEqual(grant, `GRANT "dp1_user_x" TO "airflow_conn_killer_x" WITH ADMIN FALSE, INHERIT FALSE, SET FALSE`);
        assert.throws(() => roleMembershipTranslator({ ...r, inputs: { ...r.inputs, role: "[unknown]" } }, {} as TranslateContext), /expected a name known offline/);
    });
});
