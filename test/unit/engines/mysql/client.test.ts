/**
 * MySQL admin URLs (--admin-url mysql://...): defaults and refusals.
 */
import * as assert from "assert";
import { parseMysqlAdminUrl } from "../../../../engines/mysql/client";

describe("MySQL admin URLs", () => {
    it("default to TLS required and port 3306, and refuse unknown parameters", () => {
        assert.deepStrictEqual(parseMysqlAdminUrl("mysql://admin:p%40ss@db.example.com/"), { host: "db.example.com", port: 3306, user: "admin", password: "p@ss", sslMode: "REQUIRED", sslCa: undefined });
        assert.strictEqual(parseMysqlAdminUrl("mysql://root@127.0.0.1:3307/?ssl-mode=disabled").sslMode, "DISABLED");
        assert.throws(() => parseMysqlAdminUrl("mysql://root@h/?sslmode=require"), /unknown parameter sslmode/);
        assert.throws(() => parseMysqlAdminUrl("postgresql://root@h/"), /expected mysql:\/\//);
    });
});
