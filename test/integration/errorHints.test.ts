/**
 * A connection that fails for a reason the user can fix names the fix: a PostgreSQL password given
 * nowhere (PGPASSWORD, ~/.pgpass), a MySQL server without TLS (?ssl-mode=DISABLED), a URL of the
 * other engine's scheme (mysql://, postgresql://). On real servers, through the CLI, exit 2.
 */
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { captureCli } from "../support/cli";
import { type MySqlServer, type PgServer, requireOrSkip, startMariaDb, startPostgres } from "../support/servers";

describe("connection errors name the fix", function () {
    this.timeout(10 * 60_000);
    let pg: PgServer;
    let my: MySqlServer;
    const saved = { PGPASSWORD: process.env.PGPASSWORD, PGPASSFILE: process.env.PGPASSFILE };

    before(async function () {
        pg = await requireOrSkip(this, () => startPostgres("embedded"));
        my = await requireOrSkip(this, () => startMariaDb());
        delete process.env.PGPASSWORD;
        process.env.PGPASSFILE = "/nonexistent/astro-db-test-pgpass"; // no ~/.pgpass either
    });
    after(async () => {
        for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
        await pg?.stop();
        await my?.stop();
    });

    it("a PostgreSQL URL without a password, none in PGPASSWORD or ~/.pgpass: names PGPASSWORD and ~/.pgpass", async () => {
        const r = await captureCli(["audit", "--stack", "local", "--admin-url", `postgresql://postgres@127.0.0.1:${pg.port}/postgres`]);
        assert.equal(r.code, 2);
        assert.match(r.err, /PGPASSWORD/);
        assert.match(r.err, /~\/\.pgpass/);
        assert.doesNotMatch(r.err, /SASL|must be a string/);
    });

    it("a PostgreSQL URL without a password, the password in PGPASSFILE: connects, and pg's pgpass deprecation warning is not printed", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "astro-db-pgpass-"));
        const file = path.join(dir, "pgpass");
        fs.writeFileSync(file, `127.0.0.1:${pg.port}:*:postgres:${pg.adminPassword.replace(/[\\:]/g, "\\$&")}\n`, { mode: 0o600 });
        try {
            // A process of its own: node prints a deprecation once per process, to its real stderr.
            const bin = path.join(__dirname, "..", "..", "bin", "astro-db.js");
            const env: NodeJS.ProcessEnv = { ...process.env, PGPASSFILE: file, ASTRO_DB_FROM_SOURCES: "1" };
            delete env.PGPASSWORD;
            const r = spawnSync(process.execPath, [bin, "audit", "--stack", "local", "--admin-url", `postgresql://postgres@127.0.0.1:${pg.port}/postgres`], { env, encoding: "utf8" });
            assert.notEqual(r.status, 2, r.stderr);
            assert.match(r.stdout, /audit/i);
            assert.doesNotMatch(r.stderr, /DeprecationWarning|pgpass support is deprecated/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("a mysql:// URL to a server without TLS: says to add ?ssl-mode=DISABLED", async () => {
        const r = await captureCli(["audit", "--stack", "mysql-dev", "--admin-url", my.adminUrl]);
        assert.equal(r.code, 2);
        assert.match(r.err, /\?ssl-mode=DISABLED/);
        assert.ok(!r.text.includes(my.adminPassword));
    });

    it("a postgresql:// URL to a MySQL server: says to use mysql://", async () => {
        const r = await captureCli(["audit", "--stack", "local", "--admin-url", `postgresql://root:${encodeURIComponent(my.adminPassword)}@127.0.0.1:${my.port}/postgres`]);
        assert.equal(r.code, 2);
        assert.match(r.err, /mysql:\/\//);
        assert.ok(!r.text.includes(my.adminPassword));
    });

    it("a mysql:// URL to a PostgreSQL server: says a PostgreSQL server needs postgresql://", async () => {
        const r = await captureCli(["audit", "--stack", "mysql-dev", "--connect-timeout", "2", "--admin-url", `mysql://postgres:${encodeURIComponent(pg.adminPassword)}@127.0.0.1:${pg.port}/?ssl-mode=DISABLED`]);
        assert.equal(r.code, 2);
        assert.match(r.err, /postgresql:\/\//);
        assert.ok(!r.text.includes(pg.adminPassword));
    });
});
