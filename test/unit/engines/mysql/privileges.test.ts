/**
 * MySQL naming and provider helpers (engines/mysql/privileges.ts).
 */
import * as assert from "assert";
import * as M from "../../../../engines/mysql/privileges";

describe("MySQL naming and provider helpers", () => {
    it("escapes the GRANT wildcards so a grant matches exactly one database", () => {
        assert.strictEqual(M.grantDatabasePattern("airflow_db_a_b"), "airflow\\_db\\_a\\_b");
        assert.strictEqual(M.grantDatabasePattern("100%_sure"), "100\\%\\_sure");
        assert.strictEqual(M.databaseOfGrantPattern("airflow\\_db\\_a\\_b"), "airflow_db_a_b");
        assert.strictEqual(M.databaseOfGrantPattern("airflow_db"), undefined, "an unescaped _ matches other databases");
        assert.strictEqual(M.databaseOfGrantPattern("air%"), undefined);
    });

    it("writes the provider endpoint as host:port, IPv6 in brackets", () => {
        assert.strictEqual(M.mysqlProviderEndpoint("db.example.com", 3306), "db.example.com:3306");
        assert.strictEqual(M.mysqlProviderEndpoint("::1", 3307), "[::1]:3307");
        assert.strictEqual(M.mysqlProviderEndpoint("[fd00::5]", 3306), "[fd00::5]:3306");
    });

    it("refuses passwords with a quote or backslash", () => {
        assert.deepStrictEqual(M.checkMysqlProviderPassword("Abc-_.~123"), []);
        assert.match(M.checkMysqlProviderPassword("it's").join(), /unescaped/);
        assert.match(M.checkMysqlProviderPassword("back\\slash").join(), /unescaped/);
    });
});
