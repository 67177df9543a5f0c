/**
 * PostgreSQL quoting and statement builders (engines/postgres/quote.ts, statements.ts): the provider's statements as text.
 */
import * as assert from "assert";
import * as sql from "../../../../engines/postgres/statements";
import { quoteIdent, quoteLiteral } from "../../../../engines/postgres/quote";

describe("PostgreSQL statement builders", () => {
    it("always quote identifiers and double embedded quotes", () => {
        assert.strictEqual(quoteIdent("airflow"), '"airflow"');
        assert.strictEqual(quoteIdent('we"ird'), '"we""ird"');
        assert.strictEqual(quoteIdent("Mixed Case"), '"Mixed Case"');
        assert.throws(() => quoteIdent(""), /cannot be empty/);
        assert.throws(() => quoteIdent("a\0b"), /NUL/);
    });

    it("quote literals for standard_conforming_strings: quotes doubled, backslashes as they are", () => {
        assert.strictEqual(quoteLiteral("it's"), "'it''s'");
        assert.strictEqual(quoteLiteral("a\\b"), "'a\\b'");
        assert.throws(() => quoteLiteral("x\0"), /NUL/);
    });

    it("spell the provider's role `public` as PUBLIC and every other grantee quoted", () => {
        assert.strictEqual(sql.grant(["TEMPORARY"], { kind: "database", database: "db" }, "public"), 'GRANT TEMPORARY ON DATABASE "db" TO PUBLIC');
        assert.strictEqual(sql.revoke({ kind: "database", database: "db" }, "Public"), 'REVOKE ALL PRIVILEGES ON DATABASE "db" FROM "Public"');
    });

    it("build grants on all objects of a type, on named objects (with function arguments) and with grant option", () => {
        assert.strictEqual(sql.grant(["SELECT"], { kind: "all", objectType: "table", schema: "air flow" }, "u"), 'GRANT SELECT ON ALL TABLES IN SCHEMA "air flow" TO "u"');
        assert.strictEqual(sql.grant(["EXECUTE"], { kind: "objects", objectType: "function", schema: "s", objects: ["f(integer, text)"] }, "u", true),
            'GRANT EXECUTE ON FUNCTION "s"."f"(integer, text) TO "u" WITH GRANT OPTION');
        assert.strictEqual(sql.revoke({ kind: "objects", objectType: "table", schema: "s", objects: ["t"] }, "u", ["SELECT"]), 'REVOKE SELECT ON TABLE "s"."t" FROM "u"');
    });

    it("refuse privileges and argument lists that could carry SQL", () => {
        assert.throws(() => sql.grant(["SELECT; DROP TABLE x"], { kind: "database", database: "d" }, "u"), /not a privilege keyword/);
        assert.throws(() => sql.grant(["EXECUTE"], { kind: "objects", objectType: "function", schema: "s", objects: ["f(); DROP TABLE x; --"] }, "u"), /not a list of type names/);
        assert.throws(() => sql.grant([], { kind: "database", database: "d" }, "u"), /at least one privilege/);
    });

    it("alter default privileges FOR ROLE the owner IN SCHEMA", () => {
        const t = { owner: "postgres", schema: "airflow", objectType: "sequence" as const };
        assert.strictEqual(sql.revokeDefaultPrivileges(t, "u"), 'ALTER DEFAULT PRIVILEGES FOR ROLE "postgres" IN SCHEMA "airflow" REVOKE ALL ON SEQUENCES FROM "u"');
        assert.strictEqual(sql.grantDefaultPrivileges(t, ["SELECT", "USAGE"], "u"), 'ALTER DEFAULT PRIVILEGES FOR ROLE "postgres" IN SCHEMA "airflow" GRANT SELECT, USAGE ON SEQUENCES TO "u"');
    });

    it("create roles with every attribute spelled out, the password as the given SQL expression", () => {
        assert.strictEqual(sql.createRole({ name: "astro_x", login: true, passwordSql: ":'astro_x_password'" }),
            `CREATE ROLE "astro_x" WITH ENCRYPTED PASSWORD :'astro_x_password' VALID UNTIL 'infinity' CONNECTION LIMIT -1 NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT LOGIN NOBYPASSRLS NOREPLICATION`);
        assert.strictEqual(sql.alterRole("astro_x", { login: false }), 'ALTER ROLE "astro_x" WITH NOLOGIN');
        assert.strictEqual(sql.setRoleSearchPath("astro_x", ["airflow"]), 'ALTER ROLE "astro_x" SET search_path TO "airflow"');
        assert.strictEqual(sql.setRoleSearchPath("astro_x", []), 'ALTER ROLE "astro_x" RESET search_path');
    });

    it("create databases with the provider's defaults", () => {
        assert.strictEqual(sql.createDatabase({ name: "airflow_db_x", owner: "postgres" }),
            `CREATE DATABASE "airflow_db_x" OWNER "postgres" TEMPLATE "template0" ENCODING 'UTF8' ALLOW_CONNECTIONS true CONNECTION LIMIT -1 IS_TEMPLATE false`);
    });

    it("grant memberships with PostgreSQL 16 options only when asked", () => {
        assert.strictEqual(sql.grantRoleMembership("owner", "u"), 'GRANT "owner" TO "u"');
        assert.strictEqual(sql.grantRoleMembership("owner", "u", { admin: true }), 'GRANT "owner" TO "u" WITH ADMIN OPTION');
        assert.strictEqual(sql.grantRoleMembership("owner", "u", { inherit: false, set: true }), 'GRANT "owner" TO "u" WITH INHERIT FALSE, SET TRUE');
    });
});
