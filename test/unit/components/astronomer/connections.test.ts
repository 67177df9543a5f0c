import * as assert from "assert";
import {
    adminConnection,
    metadataConnection,
    parseConnection,
    pgbouncerJson,
    resultBackendConnection,
    type DbEndpoint,
} from "../../../../components/astronomer/connections";

const NASTY = "p@ss:w/o?r#d%+& x";
const UNICODE = "пароль-密码-🔑-é";

function pg(over: Partial<DbEndpoint> = {}): DbEndpoint {
    return {
        engine: "postgres",
        host: "db.example.internal",
        port: 5432,
        database: "airflow_db_amateur_sunspot_5075",
        user: "astro_amateur_sunspot_5075",
        password: "secret",
        ...over,
    };
}

/** What Python's urllib.parse.unquote does: %XX -> byte, UTF-8 decode; `+` stays `+`. */
function pythonUnquote(s: string): string {
    return decodeURIComponent(s);
}
/** Python's unquote_plus (SQLAlchemy before 1.0): `+` is a space, then unquote. */
function pythonUnquotePlus(s: string): string {
    return decodeURIComponent(s.replace(/\+/g, " "));
}
/** SQLAlchemy 2.x's URL regex (engine/url.py `_parse_url`), to check the split points. */
const SQLA = /^(?<name>[\w+]+):\/\/(?:(?<username>[^:/]*)(?::(?<password>[^@]*))?@)?(?:(?:\[(?<ipv6host>[^/?]+)\]|(?<ipv4host>[^/:?]+))?(?::(?<port>[^/?]*))?)?(?:\/(?<database>[^?]*))?(?:\?(?<query>.*))?$/;

describe("astronomer connection strings", () => {
    it("a password with @ : / ? # % + & and a space round-trips exactly", () => {
        const e = pg({ password: NASTY, user: "u@s:e/r x", database: "db name?" });
        const s = metadataConnection(e);
        const back = parseConnection(s);
        assert.strictEqual(back.password, NASTY);
        assert.strictEqual(back.user, "u@s:e/r x");
        assert.strictEqual(back.database, "db name?");
        assert.strictEqual(back.host, e.host);
        assert.strictEqual(back.port, 5432);
    });

    it("unicode passwords round-trip", () => {
        const back = parseConnection(metadataConnection(pg({ password: UNICODE })));
        assert.strictEqual(back.password, UNICODE);
    });

    it("node's URL plus decodeURIComponent read the same credentials", () => {
        for (const password of [NASTY, UNICODE, "it's (a) *star*!", "~-._"]) {
            const u = new URL(metadataConnection(pg({ password })));
            assert.strictEqual(decodeURIComponent(u.password), password);
            assert.strictEqual(decodeURIComponent(u.username), "astro_amateur_sunspot_5075");
            assert.strictEqual(u.hash, "", "no part of the password may become a fragment");
            assert.strictEqual(u.hostname, "db.example.internal");
        }
    });

    it("SQLAlchemy's URL regex splits at the same places, and unquote and unquote_plus agree", () => {
        const s = metadataConnection(pg({ password: NASTY, sslmode: "require" }));
        const m = SQLA.exec(s);
        assert.ok(m && m.groups);
        const g = m.groups;
        assert.strictEqual(g.name, "postgresql");
        assert.strictEqual(pythonUnquote(g.password), NASTY);
        // + and space are written %2B and %20, so the pre-1.0 unquote_plus reads the same text.
        assert.strictEqual(pythonUnquotePlus(g.password), NASTY);
        assert.strictEqual(g.ipv4host, "db.example.internal");
        assert.strictEqual(g.port, "5432");
        assert.strictEqual(g.database, "airflow_db_amateur_sunspot_5075");
        assert.strictEqual(g.query, "sslmode=require");
    });

    it("only RFC 3986 unreserved characters stay unencoded in the user info", () => {
        const s = metadataConnection(pg({ password: "a!b'c(d)e*f" }));
        assert.ok(s.includes(":a%21b%27c%28d%29e%2Af@"), s);
    });

    it("writes the seed 000 form, with sslmode as a query parameter", () => {
        assert.strictEqual(
            metadataConnection(pg({ user: "astro-user-name", password: "astro-user-password", host: "host", database: "astro-db-name" })),
            "postgresql://astro-user-name:astro-user-password@host:5432/astro-db-name",
        );
        const s = metadataConnection(pg({ sslmode: "verify-full" }));
        assert.ok(s.endsWith("/airflow_db_amateur_sunspot_5075?sslmode=verify-full"), s);
        assert.strictEqual(parseConnection(s).sslmode, "verify-full");
        assert.strictEqual(parseConnection(metadataConnection(pg())).sslmode, undefined);
    });

    it("the result backend is the metadata string with the db+ prefix", () => {
        const e = pg({ password: NASTY, sslmode: "require" });
        const rb = resultBackendConnection(e);
        assert.strictEqual(rb, "db+" + metadataConnection(e));
        const back = parseConnection(rb);
        assert.strictEqual(back.resultBackend, true);
        assert.strictEqual(back.engine, "postgres");
        assert.strictEqual(back.password, NASTY);
        assert.strictEqual(parseConnection(metadataConnection(e)).resultBackend, false);
    });

    it("puts IPv6 hosts in brackets and reads them back without", () => {
        for (const host of ["2001:db8::1", "[2001:db8::1]"]) {
            const s = metadataConnection(pg({ host }));
            assert.ok(s.includes("@[2001:db8::1]:5432/"), s);
            assert.strictEqual(parseConnection(s).host, "2001:db8::1");
            assert.strictEqual(pgbouncerJson(pg({ host })).host, "2001:db8::1");
        }
    });

    it("writes MySQL strings without TLS parameters and refuses sslmode for MySQL", () => {
        const e: DbEndpoint = { ...pg({ password: NASTY }), engine: "mysql", port: 3306 };
        const s = metadataConnection(e);
        assert.ok(s.startsWith("mysql://astro_amateur_sunspot_5075:"), s);
        assert.ok(!s.includes("?"), s);
        assert.ok(resultBackendConnection(e).startsWith("db+mysql://"));
        const back = parseConnection(s);
        assert.deepStrictEqual([back.engine, back.port, back.password], ["mysql", 3306, NASTY]);
        assert.throws(() => metadataConnection({ ...e, sslmode: "require" }), /sslmode is a PostgreSQL setting/);
    });

    it("refuses bad endpoints with a reason and without echoing the password", () => {
        const bad: [Partial<DbEndpoint>, RegExp][] = [
            [{ sslmode: "required" }, /not one of disable, allow, prefer, require, verify-ca, verify-full/],
            [{ port: 0 }, /not a TCP port/],
            [{ port: 5432.5 }, /not a TCP port/],
            [{ host: "db/evil" }, /not a host name/],
            [{ host: "fe80::1%eth0" }, /zone id/],
            [{ user: "" }, /empty user/],
            [{ password: "" }, /empty password/],
            [{ database: "" }, /no database/],
            [{ password: "a\0b" }, /NUL/],
            [{ password: "\ud800" }, /unpaired UTF-16 surrogate/],
        ];
        for (const [over, re] of bad) {
            assert.throws(() => metadataConnection(pg(over)), (err: Error) => {
                assert.match(err.message, re);
                return true;
            });
        }
        assert.throws(() => metadataConnection(pg({ password: "hunter2", port: 0 })), (err: Error) => !err.message.includes("hunter2"));
    });

    it("the admin connection has no database, like the values.yaml example of seed 000", () => {
        assert.strictEqual(
            adminConnection({ engine: "postgres", host: "host", port: 5432, user: "example_user", password: "example_pass", sslmode: "prefer" }),
            "postgresql://example_user:example_pass@host:5432?sslmode=prefer",
        );
        const back = parseConnection(adminConnection({ engine: "postgres", host: "h", port: 5432, user: "admin", password: NASTY }));
        assert.strictEqual(back.database, "");
        assert.strictEqual(back.password, NASTY);
    });

    it("parseConnection reads drivers, default ports and other options, and refuses ambiguous strings", () => {
        const p = parseConnection("postgresql+psycopg2://u:p@h/d?sslmode=require&connect_timeout=10");
        assert.deepStrictEqual(
            { driver: p.driver, port: p.port, sslmode: p.sslmode, options: p.options },
            { driver: "psycopg2", port: 5432, sslmode: "require", options: { connect_timeout: "10" } },
        );
        assert.strictEqual(parseConnection("mysql+mysqldb://u:p@h/d").port, 3306);
        assert.throws(() => parseConnection("postgres://u:p@h/d"), /use postgresql:\/\//);
        assert.throws(() => parseConnection("redis://u:p@h/d"), /unsupported scheme/);
        assert.throws(() => parseConnection("postgresql://u:p#w@h/d"), /unencoded #/);
        assert.throws(() => parseConnection("postgresql://u:p@w@h/d"), /unencoded @/);
        assert.throws(() => parseConnection("postgresql://u:p%zz@h/d"), /malformed % escape/);
        assert.throws(() => parseConnection("not a url at all"), (err: Error) => !err.message.includes("not a url"));
    });
});

describe("astronomer PgBouncer JSON form", () => {
    it("has exactly the keys of seed 000, plain values and a numeric port", () => {
        const j = pgbouncerJson(pg({ user: "astro-user-name", password: NASTY, host: "host", database: "astro-db-name", sslmode: "require" }));
        assert.deepStrictEqual(Object.keys(j), ["user", "pass", "protocol", "host", "port", "db"]);
        assert.deepStrictEqual(j, { user: "astro-user-name", pass: NASTY, protocol: "postgresql", host: "host", port: 5432, db: "astro-db-name" });
        assert.strictEqual(typeof j.port, "number");
    });

    it("refuses MySQL, which PgBouncer cannot front", () => {
        assert.throws(() => pgbouncerJson({ ...pg(), engine: "mysql", port: 3306 }), /PgBouncer works only with PostgreSQL/);
    });
});
