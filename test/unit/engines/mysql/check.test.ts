/**
 * MySQL drift checks (engines/mysql/check.ts) over a hand-made server state.
 */
import * as assert from "assert";
import type { MysqlState, PrivilegeRow } from "../../../../engines/mysql/catalog";
import { checkMysqlDeclaration, mysqlNeedsRun, patternMatches, undeclaredMysqlFindings } from "../../../../engines/mysql/check";
import type { MysqlDeclaration } from "../../../../engines/model";

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
