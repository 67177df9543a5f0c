/**
 * The MySQL half of `astro-db sql / apply / audit` without a server: statement builders, the
 * translators over the mysql-dev stack's graph, the script `sql` prints, and the drift checks over a
 * hand-made server state.
 */
import * as assert from "assert";
import { runStackGraph, StackGraph } from "../../../cli/graph";
import type { MysqlState, PrivilegeRow } from "../../../engines/mysql/catalog";
import { checkMysqlDeclaration, mysqlNeedsRun, patternMatches, undeclaredMysqlFindings } from "../../../engines/mysql/check";
import { parseMysqlAdminUrl } from "../../../cli/mysql/client";
import { stackSql } from "../../../cli/sql/command";
import type { MysqlDeclaration } from "../../../engines/mysql/resources";
import { translateGraph } from "../../../cli/sql/registry";
import { MYSQL_PRIVILEGES } from "../../../engines/mysql/privileges";
import * as sql from "../../../engines/mysql/statements";

describe("MySQL statement builders", () => {
    it("quote identifiers and strings, and refuse what would read differently per sql_mode", () => {
        assert.strictEqual(sql.quoteIdent("a`b"), "`a``b`");
        assert.strictEqual(sql.quoteString("it's"), "'it''s'");
        assert.throws(() => sql.quoteString("back\\slash"), /NO_BACKSLASH_ESCAPES/);
        assert.throws(() => sql.quoteIdent(""), /empty/);
        assert.strictEqual(sql.account("o'brien", "%"), "'o''brien'@'%'");
    });

    it("spell the provider's statements", () => {
        assert.strictEqual(sql.createDatabase({ name: "db", characterSet: "utf8mb4", collation: "utf8mb4_unicode_ci" }), "CREATE DATABASE IF NOT EXISTS `db` CHARACTER SET `utf8mb4` COLLATE `utf8mb4_unicode_ci`");
        assert.deepStrictEqual(sql.createUser("u", "%", "'pw'", "NONE"), ["CREATE USER IF NOT EXISTS 'u'@'%' IDENTIFIED BY 'pw' REQUIRE NONE"]);
        assert.strictEqual(sql.grant(["SELECT", "CREATE TEMPORARY TABLES"], "a\\_b", "u", "%"), "GRANT SELECT, CREATE TEMPORARY TABLES ON `a\\_b`.* TO 'u'@'%'");
        assert.deepStrictEqual(sql.deleteGrant(["SELECT"], "a\\_b", "u", "%"), ["REVOKE GRANT OPTION ON `a\\_b`.* FROM 'u'@'%'", "REVOKE SELECT ON `a\\_b`.* FROM 'u'@'%'"]);
        assert.throws(() => sql.grant(["SELECT; DROP"], "db", "u", "%"), /not a privilege keyword/);
        assert.throws(() => sql.alterUserRequire("u", "%", "NONE; DROP"), /not NONE, SSL or X509/);
    });

    it("run a statement whose password is a user variable as a prepared statement", () => {
        const v = sql.passwordVariable("astro_x");
        assert.strictEqual(v, "@astro_db_password_astro_x");
        assert.deepStrictEqual(sql.createUser("astro_x", "%", v, "NONE"), [
            "SET @astro_db_statement = CONCAT('CREATE USER IF NOT EXISTS ''astro_x''@''%'' IDENTIFIED BY ', QUOTE(@astro_db_password_astro_x), ' REQUIRE NONE')",
            "PREPARE astro_db_statement FROM @astro_db_statement",
            "EXECUTE astro_db_statement",
            "DEALLOCATE PREPARE astro_db_statement",
        ]);
        assert.throws(() => sql.createUser("u", "%", "CONCAT('a')", "NONE"), /quoted literal or a user variable/);
    });
});

describe("MySQL translators over the mysql-dev stack", () => {
    let g: StackGraph;
    before(async () => {
        g = await runStackGraph("mysql-dev");
    });

    it("give each Deployment, in order, database (create, ensure), user (create, ensure) and grant, with no warning", () => {
        const { steps, warnings } = translateGraph(g);
        assert.deepStrictEqual(warnings, []);
        for (const d of g.spec.deployments) {
            const mine = steps.filter((s) => s.deployment === d.release);
            assert.deepStrictEqual(mine.map((s) => `${s.kind}:${s.action}`), ["database:create", "database:ensure", "user:create", "user:ensure", "grant:ensure"]);
            assert.ok(mine.every((s) => s.engine === "mysql" && s.server === "main" && s.transactional === false));
            const user = mine[2];
            assert.strictEqual(user.setsPasswordOf, d.names.user);
            assert.strictEqual(user.declaredPassword, undefined, "the password is generated");
            assert.deepStrictEqual(mine[4].declares, [{
                engine: "mysql", type: "privileges", user: d.names.user, host: "%", database: d.names.database.replace(/_/g, "\\_"), table: "*", privileges: [...MYSQL_PRIVILEGES].sort(),
            }]);
        }
    });

    it("print a mysql script with the passwords as user variables, never in clear", async () => {
        const text = await stackSql("mysql-dev", { deployment: "quasar-nebula-1234" });
        assert.match(text, /-- astro-db sql --stack mysql-dev --deployment quasar-nebula-1234: server "main" \(MySQL\)/);
        assert.match(text, /--\s+SET @astro_db_password_astro_quasar_nebula_1234 = '<password>';/);
        assert.match(text, /QUOTE\(@astro_db_password_astro_quasar_nebula_1234\)/);
        assert.match(text, /^GRANT .* ON `airflow\\_db\\_quasar\\_nebula\\_1234`\.\* TO 'astro_quasar_nebula_1234'@'%';$/m);
        assert.ok(!text.includes("amateur"), "only the Deployment asked for");
        assert.ok(!text.includes("generated-by-pulumi-up"));
    });
});

describe("MySQL drift checks", () => {
    const user = "astro_a";
    const pattern = "airflow\\_db\\_a";
    const grant: MysqlDeclaration = { engine: "mysql", type: "privileges", user, host: "%", database: pattern, table: "*", privileges: ["DELETE", "SELECT"] };
    const row = (p: Partial<PrivilegeRow> & Pick<PrivilegeRow, "privilege">): PrivilegeRow => ({ user, host: "%", level: "database", database: pattern, grantable: false, ...p });
    const state = (privileges: PrivilegeRow[], extra: Partial<MysqlState> = {}): MysqlState => ({
        version: "8.0.39", mariadb: false, currentUser: "admin@%",
        databases: new Map([["airflow_db_a", { characterSet: "utf8mb4", collation: "utf8mb4_unicode_ci" }], ["airflow_db_b", { characterSet: "utf8mb4", collation: "utf8mb4_unicode_ci" }]]),
        accounts: new Map([[`${user}\0%`, { user, host: "%", sslType: "" }], ["astro_b\0%", { user: "astro_b", host: "%", sslType: "" }]]),
        privileges: [{ user, host: "%", level: "global", privilege: "USAGE", grantable: false }, ...privileges],
        ...extra,
    });

    it("reads an escaped GRANT pattern as one database and an unescaped one as many", () => {
        assert.ok(patternMatches("airflow\\_db\\_a", "airflow_db_a"));
        assert.ok(!patternMatches("airflow\\_db\\_a", "airflowXdbXa"));
        assert.ok(patternMatches("airflow_db_a", "airflowXdbXa"));
        assert.ok(patternMatches("airflow%", "airflow_db_b"));
    });

    it("find a missing privilege, which apply runs the grant for", () => {
        const r = checkMysqlDeclaration(grant, state([row({ privilege: "SELECT" })]));
        assert.strictEqual(r.status, "different");
        assert.deepStrictEqual(r.findings.map((f) => [f.status, f.privileges]), [["missing", ["DELETE"]]]);
        assert.strictEqual(mysqlNeedsRun(grant, r), true);
    });

    it("find an extra privilege and a grant option, which apply leaves (the provider only grants)", () => {
        const r = checkMysqlDeclaration(grant, state([row({ privilege: "SELECT", grantable: true }), row({ privilege: "DELETE", grantable: true }), row({ privilege: "DROP", grantable: true })]));
        assert.deepStrictEqual(r.findings.map((f) => [f.status, f.privileges]), [["extra", ["DROP"]], ["different", ["DELETE", "DROP", "SELECT"]]]);
        assert.strictEqual(mysqlNeedsRun(grant, r), false);
    });

    it("report an absent account, database, and a drifted character set or REQUIRE clause", () => {
        assert.strictEqual(checkMysqlDeclaration({ engine: "mysql", type: "user", user: "nobody", host: "%" }, state([])).status, "absent");
        assert.strictEqual(checkMysqlDeclaration({ engine: "mysql", type: "database", name: "nope" }, state([])).status, "absent");
        const cs = checkMysqlDeclaration({ engine: "mysql", type: "database-charset", name: "airflow_db_a", characterSet: "utf8mb4", collation: "utf8mb4_0900_ai_ci" }, state([]));
        assert.match(cs.findings[0].message, /collation is utf8mb4_unicode_ci, the stack declares utf8mb4_0900_ai_ci/);
        const tls = checkMysqlDeclaration({ engine: "mysql", type: "user-tls", user, host: "%", tlsOption: "SSL" }, state([]));
        assert.match(tls.findings[0].message, /has REQUIRE NONE, the stack declares REQUIRE SSL/);
    });

    it("report any right of a declared user elsewhere, and other users' rights on a declared database", () => {
        const decls: MysqlDeclaration[] = [{ engine: "mysql", type: "database", name: "airflow_db_a" }, { engine: "mysql", type: "user", user, host: "%" }, grant];
        const findings = undeclaredMysqlFindings(decls, state([
            row({ privilege: "SELECT" }), row({ privilege: "DELETE" }),
            row({ level: "global", database: undefined, privilege: "PROCESS" }),
            row({ database: "airflow\\_db\\_b", privilege: "SELECT" }),
            row({ user: "astro_b", database: "airflow_db_%", privilege: "SELECT" }),
            row({ user: "astro_b", level: "table", database: "airflow_db_a", object: "dag", privilege: "UPDATE" }),
            row({ user: "astro_b", database: "airflow\\_db\\_b", privilege: "SELECT" }),
        ]));
        assert.deepStrictEqual(findings.map((f) => f.message), [
            "'astro_a'@'%' has PROCESS on *.*, which the stack does not declare",
            "'astro_a'@'%' has SELECT on `airflow\\_db\\_b`.*, which the stack does not declare",
            "'astro_b'@'%' has SELECT on `airflow_db_%`.* (a pattern: it reaches `airflow_db_a`), which the stack does not declare",
            "'astro_b'@'%' has UPDATE on `airflow_db_a`.`dag`, which the stack does not declare",
        ]);
    });
});

describe("MySQL admin URLs", () => {
    it("default to TLS required and port 3306, and refuse unknown parameters", () => {
        assert.deepStrictEqual(parseMysqlAdminUrl("mysql://admin:p%40ss@db.example.com/"), { host: "db.example.com", port: 3306, user: "admin", password: "p@ss", sslMode: "REQUIRED", sslCa: undefined });
        assert.strictEqual(parseMysqlAdminUrl("mysql://root@127.0.0.1:3307/?ssl-mode=disabled").sslMode, "DISABLED");
        assert.throws(() => parseMysqlAdminUrl("mysql://root@h/?sslmode=require"), /unknown parameter sslmode/);
        assert.throws(() => parseMysqlAdminUrl("postgresql://root@h/"), /expected mysql:\/\//);
    });
});
