/**
 * MySQL quoting and statement builders (engines/mysql/quote.ts, statements.ts): the provider's statements as text.
 */
import * as assert from "assert";
import * as sql from "../../../../engines/mysql/statements";
import { account, quoteIdent, quoteString } from "../../../../engines/mysql/quote";

describe("MySQL statement builders", () => {
    it("quote identifiers and strings, and refuse what would read differently per sql_mode", () => {
        assert.strictEqual(quoteIdent("a`b"), "`a``b`");
        assert.strictEqual(quoteString("it's"), "'it''s'");
        assert.throws(() => quoteString("back\\slash"), /NO_BACKSLASH_ESCAPES/);
        assert.throws(() => quoteIdent(""), /empty/);
        assert.strictEqual(account("o'brien", "%"), "'o''brien'@'%'");
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
