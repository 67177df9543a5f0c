/**
 * PostgreSQL declarations against a server's catalogs (engines/postgres/check.ts), over a hand-made state.
 */
import * as assert from "assert";
import { PgState } from "../../../../engines/postgres/catalog";
import { checkDeclaration, undeclaredFindings } from "../../../../engines/postgres/check";
import { PgDeclaration } from "../../../../engines/model";

describe("declarations against a server's catalogs", () => {
    const acl = (grantee: string, ...privileges: string[]) => privileges.map((privilege) => ({ grantor: "postgres", grantee, privilege, grantable: false }));
    const state = (): PgState => ({
        version: 170000, currentUser: "admin", superuser: false,
        roles: new Map(["postgres", "admin", "astro_x", "astro_y"].map((name) => [name, {
            name, superuser: false, inherit: true, createRole: false, createDatabase: false, login: true, replication: false,
            bypassRowLevelSecurity: false, connectionLimit: -1, validUntil: "infinity", searchPath: [], assumeRole: "",
        }])),
        memberships: [
            // What PostgreSQL 16+ records when a CREATEROLE admin creates a role: never drift.
            { role: "astro_x", member: "admin", grantor: "postgres", admin: true, inherit: false, set: false },
        ],
        databases: new Map([["db_x", { name: "db_x", owner: "postgres", acl: [...acl("postgres", "CONNECT", "CREATE", "TEMPORARY"), ...acl("public", "TEMPORARY"), ...acl("astro_x", "CONNECT", "CREATE", "TEMPORARY")] }]]),
        contents: new Map([["db_x", {
            database: "db_x",
            schemas: new Map([["public", { name: "public", owner: "postgres", ownerRole: "pg_database_owner", acl: [...acl("pg_database_owner", "CREATE", "USAGE"), ...acl("public", "USAGE"), ...acl("astro_x", "CREATE", "USAGE")] }]]),
            objects: [
                // Airflow's own table: the Astro user owns it.
                { schema: "public", name: "dag", kind: "table" as const, owner: "astro_x", acl: acl("astro_x", "SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER", "MAINTAIN") },
                { schema: "public", name: "admin_t", kind: "table" as const, owner: "postgres", acl: [...acl("postgres", "SELECT"), ...acl("astro_x", "SELECT", "INSERT")] },
                { schema: "public", name: "f()", kind: "function" as const, owner: "astro_x", acl: [...acl("public", "EXECUTE"), ...acl("astro_x", "EXECUTE")] },
            ],
            defaultAcls: [{ owner: "postgres", schema: "public", objtype: "r", acl: acl("astro_x", "SELECT", "INSERT") }],
        }]]),
    });
    const privileges = (on: Extract<PgDeclaration, { type: "privileges" }>["on"], grantee: string, list: string[]): PgDeclaration =>
        ({ engine: "postgres", type: "privileges", on, grantee, privileges: list, withGrantOption: false });

    it("holds when the grantee has exactly the declared privileges", () => {
        assert.strictEqual(checkDeclaration(privileges({ kind: "database", database: "db_x" }, "astro_x", ["CONNECT", "CREATE", "TEMPORARY"]), state()).status, "ok");
        assert.strictEqual(checkDeclaration(privileges({ kind: "database", database: "db_x" }, "public", ["TEMPORARY"]), state()).status, "ok");
    });

    it("reports a missing privilege, and privileges the grantee has beyond the declared ones", () => {
        const s = state();
        s.databases.get("db_x")!.acl = s.databases.get("db_x")!.acl.filter((e) => !(e.grantee === "astro_x" && e.privilege === "CONNECT"));
        const r = checkDeclaration(privileges({ kind: "database", database: "db_x" }, "astro_x", ["CONNECT", "CREATE", "TEMPORARY"]), s);
        assert.strictEqual(r.status, "different");
        assert.deepStrictEqual(r.findings.map((f) => [f.status, f.grantee, f.privileges]), [["missing", "astro_x", ["CONNECT"]]]);
        const public_ = checkDeclaration(privileges({ kind: "database", database: "db_x" }, "public", []), state());
        assert.deepStrictEqual(public_.findings.map((f) => [f.status, f.privileges]), [["extra", ["TEMPORARY"]]]);
    });

    it("leaves out of ALL TABLES the tables the grantee owns, and checks the others", () => {
        const r = checkDeclaration(privileges({ kind: "all", database: "db_x", schema: "public", objectType: "table" }, "astro_x", ["INSERT", "SELECT"]), state());
        assert.strictEqual(r.status, "ok");
        const more = checkDeclaration(privileges({ kind: "all", database: "db_x", schema: "public", objectType: "table" }, "astro_x", ["DELETE", "INSERT", "SELECT"]), state());
        assert.deepStrictEqual(more.findings.map((f) => [f.status, f.object, f.privileges]), [["missing", 'table "public"."admin_t" in database "db_x"', ["DELETE"]]]);
    });

    it("is absent (so apply creates it) when the role or database does not exist yet", () => {
        const r = checkDeclaration(privileges({ kind: "database", database: "db_x" }, "astro_new", ["CONNECT"]), state());
        assert.strictEqual(r.status, "absent");
        assert.deepStrictEqual(r.findings.map((f) => f.message), ['role "astro_new" does not exist']);
        assert.strictEqual(checkDeclaration({ engine: "postgres", type: "database", name: "db_new", owner: "postgres" }, state()).status, "absent");
    });

    describe("the planes' CONNECT (failover): exactly one plane, CONNECT only", () => {
        const planes = (): PgState => {
            const s = state();
            for (const name of ["dp1_x", "dp2_x"]) s.roles.set(name, { ...s.roles.get("astro_x")!, name });
            // The data role holds no CONNECT: the planes inherit it WITH INHERIT TRUE.
            s.databases.get("db_x")!.acl = s.databases.get("db_x")!.acl.filter((e) => !(e.grantee === "astro_x" && e.privilege === "CONNECT"));
            s.memberships.push(...["dp1_x", "dp2_x"].map((member) => ({ role: "astro_x", member, grantor: "postgres", admin: false, inherit: true, set: true })));
            return s;
        };
        const decl: PgDeclaration = { engine: "postgres", type: "plane-connect", database: "db_x", planes: [{ plane: "dp1", role: "dp1_x" }, { plane: "dp2", role: "dp2_x" }] };
        const messages = (s: PgState) => checkDeclaration(decl, s).findings.map((f) => `${f.status}: ${f.message}`);

        it("holds with either plane alone, and is absent (apply grants the first) when none can connect", () => {
            for (const holder of ["dp1_x", "dp2_x"]) {
                const s = planes();
                s.databases.get("db_x")!.acl.push(...acl(holder, "CONNECT"));
                assert.strictEqual(checkDeclaration(decl, s).status, "ok", holder);
            }
            const none = checkDeclaration(decl, planes());
            assert.strictEqual(none.status, "absent");
            assert.match(none.findings[0].message, /^no plane can connect to database "db_x": neither dp1_x \(dp1\) nor dp2_x \(dp2\) holds CONNECT/);
        });

        it("reports both planes connecting, however they get there: directly, through the data role, PUBLIC or the owner role", () => {
            const direct = planes();
            direct.databases.get("db_x")!.acl.push(...acl("dp1_x", "CONNECT"), ...acl("dp2_x", "CONNECT"));
            assert.match(messages(direct).join("\n"), /^different: both planes can connect to database "db_x" \(dp1_x \(dp1\) through dp1_x itself; dp2_x \(dp2\) through dp2_x itself\)/);
            const viaData = planes();
            viaData.databases.get("db_x")!.acl.push(...acl("dp1_x", "CONNECT"), ...acl("astro_x", "CONNECT"));
            assert.match(messages(viaData).join("\n"), /both planes can connect .*dp2_x \(dp2\) through astro_x/);
            const viaPublic = planes();
            viaPublic.databases.get("db_x")!.acl.push(...acl("dp1_x", "CONNECT"), ...acl("public", "CONNECT"));
            assert.match(messages(viaPublic).join("\n"), /dp2_x \(dp2\) through PUBLIC/);
            const viaOwner = planes();
            viaOwner.databases.get("db_x")!.acl.push(...acl("dp1_x", "CONNECT"));
            viaOwner.memberships.push({ role: "postgres", member: "dp2_x", grantor: "postgres", admin: false, inherit: true, set: false });
            assert.match(messages(viaOwner).join("\n"), /dp2_x \(dp2\) through postgres/);
            // A membership that does not inherit gives no CONNECT.
            const noInherit = planes();
            noInherit.databases.get("db_x")!.acl.push(...acl("dp1_x", "CONNECT"));
            noInherit.memberships.push({ role: "postgres", member: "dp2_x", grantor: "postgres", admin: false, inherit: false, set: false });
            assert.strictEqual(checkDeclaration(decl, noInherit).status, "ok");
        });

        it("reports anything a plane holds beyond CONNECT, and CONNECT with grant option", () => {
            const s = planes();
            s.databases.get("db_x")!.acl.push(...acl("dp1_x", "CONNECT", "CREATE"), { grantor: "postgres", grantee: "dp2_x", privilege: "TEMPORARY", grantable: true });
            assert.deepStrictEqual(messages(s), [
                'extra: dp1_x (plane dp1) has CREATE on database "db_x": a data plane\'s login role holds CONNECT at most (Airflow\'s privileges come from the data role)',
                'extra: dp2_x (plane dp2) has TEMPORARY on database "db_x": a data plane\'s login role holds CONNECT at most (Airflow\'s privileges come from the data role)',
                'extra: dp2_x (plane dp2) holds TEMPORARY on database "db_x" with grant option: it could let another role connect',
            ]);
            // ... which undeclaredFindings leaves to this check (no second report of the planes' privileges).
            assert.deepStrictEqual(undeclaredFindings([decl], s).filter((f) => /dp[12]_x/.test(f.message) && /database/.test(f.object)), []);
        });

        it("compares the role a login switches to (assumeRole)", () => {
            const s = planes();
            s.roles.get("dp1_x")!.assumeRole = "astro_x";
            const attrs = { engine: "postgres" as const, type: "role-attributes" as const, name: "dp1_x", login: true, inherit: true, superuser: false, createDatabase: false, createRole: false, replication: false, bypassRowLevelSecurity: false, connectionLimit: -1, validUntil: "infinity", searchPath: [] };
            assert.strictEqual(checkDeclaration({ ...attrs, assumeRole: "astro_x" }, s).status, "ok");
            assert.match(checkDeclaration({ ...attrs, assumeRole: "" }, s).findings[0].message, /the role it switches to at login \(SET ROLE\) is "astro_x", the stack declares ""/);
        });
    });

    it("finds what nothing declares: another role's CONNECT, PUBLIC's CONNECT, a stray membership; never PostgreSQL's own defaults", () => {
        const s = state();
        s.databases.get("db_x")!.acl.push(...acl("astro_y", "CONNECT"), ...acl("public", "CONNECT"));
        s.memberships.push({ role: "pg_read_all_data", member: "astro_x", grantor: "postgres", admin: false, inherit: true, set: true });
        const decls: PgDeclaration[] = [
            { engine: "postgres", type: "database", name: "db_x", owner: "postgres" },
            { engine: "postgres", type: "role", name: "astro_x" },
            privileges({ kind: "database", database: "db_x" }, "public", ["TEMPORARY"]),
            privileges({ kind: "database", database: "db_x" }, "astro_x", ["CONNECT", "CREATE", "TEMPORARY"]),
            privileges({ kind: "schema", database: "db_x", schema: "public" }, "astro_x", ["CREATE", "USAGE"]),
            privileges({ kind: "all", database: "db_x", schema: "public", objectType: "table" }, "astro_x", ["INSERT", "SELECT"]),
            privileges({ kind: "all", database: "db_x", schema: "public", objectType: "function" }, "astro_x", ["EXECUTE"]),
            { engine: "postgres", type: "default-privileges", database: "db_x", owner: "postgres", schema: "public", objectType: "table", grantee: "astro_x", privileges: ["INSERT", "SELECT"], withGrantOption: false },
        ];
        const extras = undeclaredFindings(decls, s);
        assert.deepStrictEqual(extras.map((f) => f.message).sort(), [
            '"astro_x" is a member of role "pg_read_all_data", which the stack does not declare',
            'astro_y has CONNECT on database "db_x", which the stack does not declare',
        ]);
        // PUBLIC's CONNECT is a difference from the Grant to public that keeps only TEMPORARY.
        assert.deepStrictEqual(checkDeclaration(decls[2], s).findings.map((f) => f.message), ['PUBLIC has CONNECT on database "db_x", which the stack does not declare']);
        for (const d of decls.filter((x) => x !== decls[2])) assert.strictEqual(checkDeclaration(d, s).findings.filter((f) => f.grantee === "astro_x").length, 0, JSON.stringify(d));
    });
});
