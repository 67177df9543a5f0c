/**
 * MySQL end to end on a real MariaDB server (Debian's mariadb-server, started on 127.0.0.1 by the
 * harness): `astro-db apply` runs the mysql-dev stack's database side against it (the admin URL stands
 * in for the RDS endpoint), then each Astro user acts as Airflow would, and `audit` compares.
 * The server has no TLS, so the admin URL says ssl-mode=DISABLED; RDS requires TLS.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as mysql from "mysql2/promise";
import { parseConnection } from "../../components/astronomer/connections";
import { MYSQL_PRIVILEGES } from "../../engines/mysql/privileges";
import { applyStack } from "../../cli/apply";
import type { SqlStep } from "../../engines/model";
import { requireOrSkip, startMariaDb, type MySqlServer } from "../support/servers";
import { removalProvider, type DatabaseRemovalInputs } from "../../components/databaseRemoval";

const ROOT = path.resolve(__dirname, "..", "..");
const STACK = "mysql-dev";
const A = { release: "amateur-sunspot-5075", database: "airflow_db_amateur_sunspot_5075", user: "astro_amateur_sunspot_5075" };
const B = { release: "quasar-nebula-1234", database: "airflow_db_quasar_nebula_1234", user: "astro_quasar_nebula_1234" };
const RELEASES = ["amateur-sunspot-5075", "quasar-nebula-1234", "interstellar-telescope-4821"];

interface CliRun { status: number | null; stdout: string; stderr: string }

function cli(...args: string[]): CliRun {
    const r = spawnSync(process.execPath, [path.join(ROOT, "bin", "astro-db.js"), ...args], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json<T>(r: CliRun): T {
    try {
        return JSON.parse(r.stdout) as T;
    } catch {
        return assert.fail(`not JSON (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
    }
}

async function refused(p: Promise<unknown>, code: RegExp): Promise<void> {
    await assert.rejects(p, (err: { code?: string }) => {
        assert.match(String(err.code), code);
        return true;
    });
}

describe("MySQL end to end on MariaDB: apply, the Astro users at work, audit", function () {
    let server: MySqlServer;
    let adminUrl: string;
    let out: string;
    let admin: mysql.Connection;
    const sessions: mysql.Connection[] = [];

    /** The metadata connection string apply wrote for a Deployment. */
    const secretConnection = (release: string, part = "airflow-metadata") => {
        const text = fs.readFileSync(path.join(out, "secrets", `${release}-${part}.yaml`), "utf8");
        const m = /connection: (\S+)/.exec(text);
        assert.ok(m, `no connection in ${release}-${part}`);
        return m![1];
    };
    /** A session as a Deployment's Astro user, from its written secret. */
    const asAstro = async (release: string, database = true): Promise<mysql.Connection> => {
        const c = parseConnection(secretConnection(release));
        const conn = await mysql.createConnection({ host: c.host, port: c.port, user: c.user, password: c.password, database: database ? c.database : undefined });
        sessions.push(conn);
        return conn;
    };
    const apply = (...extra: string[]) => cli("apply", "--stack", STACK, "--admin-url", adminUrl, "--out", out, "--format", "json", ...extra);
    const audit = () => cli("audit", "--stack", STACK, "--admin-url", adminUrl, "--format", "json");

    before(async function () {
        server = await requireOrSkip(this, () => startMariaDb());
        adminUrl = `${server.adminUrl}?ssl-mode=DISABLED`;
        out = fs.mkdtempSync(path.join(os.tmpdir(), "astro-db-mysql-"));
        admin = await mysql.createConnection({ host: server.host, port: server.port, user: server.adminUser, password: server.adminPassword });
    });

    after(async () => {
        for (const s of sessions) await s.end().catch(() => undefined);
        await admin?.end().catch(() => undefined);
        await server?.stop();
        if (out) fs.rmSync(out, { recursive: true, force: true });
    });

    it("apply creates each Deployment's database, user and grant, and writes its secrets 0600 in 0700 directories", () => {
        const r = apply();
        assert.equal(r.status, 0, r.stdout + r.stderr);
        const result = json<{ ok: boolean; deployments: { release: string; status: string; summary: Record<string, Record<string, number>>; files: { path: string; status: string }[] }[] }>(r);
        assert.equal(result.ok, true);
        assert.deepEqual(result.deployments.map((d) => d.release), RELEASES);
        for (const d of result.deployments) {
            assert.equal(d.status, "applied");
            assert.deepEqual(d.summary, { database: { created: 1, changed: 0, unchanged: 0 }, user: { created: 1, changed: 0, unchanged: 0 }, grant: { created: 1, changed: 0, unchanged: 0 } });
            assert.deepEqual(d.files.map((f) => f.status), ["written", "written", "written"]);
            for (const f of d.files) assert.equal(fs.statSync(f.path).mode & 0o777, 0o600, f.path);
        }
        for (const dir of [out, path.join(out, "secrets")]) assert.equal(fs.statSync(dir).mode & 0o777, 0o700, dir);
        assert.equal(fs.statSync(path.join(out, "values.yaml")).mode & 0o777, 0o600);
        assert.match(fs.readFileSync(path.join(out, "values.yaml"), "utf8"), /connection: mysql:\/\/example_user:example_pass@127\.0\.0\.1:\d+/);
        assert.ok(!r.stdout.includes(server.adminPassword), "the admin password leaked into the report");

        const metadata = parseConnection(secretConnection(A.release));
        assert.deepEqual([metadata.engine, metadata.database, metadata.user, metadata.resultBackend], ["mysql", A.database, A.user, false]);
        assert.match(secretConnection(A.release, "airflow-result-backend"), /^db\+mysql:\/\//);
    });

    it("makes utf8mb4 / utf8mb4_unicode_ci databases, users with no global privilege and exactly the declared grant", async () => {
        const [dbs] = await admin.query<mysql.RowDataPacket[]>("SELECT SCHEMA_NAME AS n, DEFAULT_CHARACTER_SET_NAME AS cs, DEFAULT_COLLATION_NAME AS co FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'airflow\\_db\\_%' ORDER BY 1");
        assert.equal(dbs.length, 3);
        for (const d of dbs) assert.deepEqual([d.cs, d.co], ["utf8mb4", "utf8mb4_unicode_ci"]);
        const [global] = await admin.query<mysql.RowDataPacket[]>("SELECT PRIVILEGE_TYPE AS p FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = ?", [`'${A.user}'@'%'`]);
        assert.deepEqual(global.map((g) => g.p), ["USAGE"]);
        const [onDb] = await admin.query<mysql.RowDataPacket[]>("SELECT TABLE_SCHEMA AS db, PRIVILEGE_TYPE AS p, IS_GRANTABLE AS g FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = ?", [`'${A.user}'@'%'`]);
        assert.deepEqual([...new Set(onDb.map((x) => x.db))], ["airflow\\_db\\_amateur\\_sunspot\\_5075"], "one escaped pattern, matching only its own database");
        assert.deepEqual(onDb.map((x) => x.p).sort(), [...MYSQL_PRIVILEGES].sort());
        assert.ok(onDb.every((x) => x.g === "NO"), "no GRANT OPTION");
    });

    it("lets the Astro user create Airflow-like tables with foreign keys and indexes, and read and write them", async () => {
        const c = await asAstro(A.release);
        // Airflow's MySQL schema: ids in utf8mb3_bin (sql_engine_collation_for_ids) to keep composite keys under InnoDB's limit.
        await c.query(`CREATE TABLE dag (
            dag_id VARCHAR(250) COLLATE utf8mb3_bin NOT NULL PRIMARY KEY,
            is_paused BOOL NOT NULL DEFAULT FALSE,
            last_parsed_time TIMESTAMP(6) NULL,
            description TEXT,
            INDEX idx_dag_is_paused (is_paused))`);
        await c.query(`CREATE TABLE dag_run (
            id INT AUTO_INCREMENT PRIMARY KEY,
            dag_id VARCHAR(250) COLLATE utf8mb3_bin NOT NULL,
            run_id VARCHAR(250) COLLATE utf8mb3_bin NOT NULL,
            state VARCHAR(50),
            logical_date TIMESTAMP(6) NULL,
            conf JSON,
            UNIQUE KEY dag_run_dag_id_run_id_key (dag_id, run_id),
            INDEX idx_dag_run_state (state),
            CONSTRAINT dag_run_dag_fkey FOREIGN KEY (dag_id) REFERENCES dag (dag_id) ON DELETE CASCADE)`);
        await c.query(`CREATE TABLE task_instance (
            dag_id VARCHAR(250) COLLATE utf8mb3_bin NOT NULL,
            task_id VARCHAR(250) COLLATE utf8mb3_bin NOT NULL,
            run_id VARCHAR(250) COLLATE utf8mb3_bin NOT NULL,
            map_index INT NOT NULL DEFAULT -1,
            state VARCHAR(20),
            PRIMARY KEY (dag_id, task_id, run_id, map_index),
            CONSTRAINT task_instance_dag_run_fkey FOREIGN KEY (dag_id, run_id) REFERENCES dag_run (dag_id, run_id) ON DELETE CASCADE)`);
        // A migration's shape: add a column and an index, then drop a scratch table.
        await c.query("ALTER TABLE task_instance ADD COLUMN hostname VARCHAR(1000) NOT NULL DEFAULT ''");
        await c.query("CREATE INDEX ti_state ON task_instance (state)");
        await c.query("CREATE TABLE alembic_scratch (v INT)");
        await c.query("DROP TABLE alembic_scratch");

        await c.query("INSERT INTO dag (dag_id, description) VALUES ('etl', 'Nächtlicher Lauf 🌙'), ('report', NULL)");
        await c.beginTransaction();
        await c.query("SELECT * FROM dag WHERE dag_id = 'etl' FOR UPDATE");
        await c.query("INSERT INTO dag_run (dag_id, run_id, state, conf) VALUES ('etl', 'manual__1', 'running', '{\"a\": 1}')");
        await c.query("INSERT INTO task_instance (dag_id, task_id, run_id, state) VALUES ('etl', 'extract', 'manual__1', 'success'), ('etl', 'load', 'manual__1', 'queued')");
        await c.commit();
        await c.query("UPDATE task_instance SET state = 'running' WHERE task_id = 'load'");
        const [rows] = await c.query<mysql.RowDataPacket[]>("SELECT d.description, r.state AS run, ti.task_id, ti.state FROM dag d JOIN dag_run r USING (dag_id) JOIN task_instance ti ON ti.dag_id = r.dag_id AND ti.run_id = r.run_id ORDER BY ti.task_id");
        assert.deepEqual(rows.map((r) => [r.description, r.run, r.task_id, r.state]), [["Nächtlicher Lauf 🌙", "running", "extract", "success"], ["Nächtlicher Lauf 🌙", "running", "load", "running"]]);
        await refused(c.query("INSERT INTO dag_run (dag_id, run_id) VALUES ('no-such-dag', 'x')"), /ER_NO_REFERENCED_ROW/);
        await c.query("DELETE FROM dag WHERE dag_id = 'etl'");
        const [[left]] = await c.query<mysql.RowDataPacket[]>("SELECT COUNT(*) AS n FROM task_instance");
        assert.equal(Number(left.n), 0, "deletes cascade through the foreign keys");
        // Session scratch tables and table locks, which the grant includes.
        await c.query("CREATE TEMPORARY TABLE tmp_ids (id INT)");
        await c.query("LOCK TABLES dag WRITE");
        await c.query("UNLOCK TABLES");
    });

    it("keeps each Astro user out of every other database, including one its unescaped name pattern would match", async () => {
        // `airflow_db_amateur_sunspot_5075` as an unescaped GRANT pattern would also match this database.
        await admin.query("CREATE DATABASE `airflowXdbXamateurXsunspotX5075`");
        await admin.query("CREATE TABLE `airflowXdbXamateurXsunspotX5075`.t (id INT)");
        const other = await asAstro(B.release);
        await other.query("CREATE TABLE dag (dag_id VARCHAR(250) PRIMARY KEY)");
        await other.query("INSERT INTO dag VALUES ('secret-dag')");

        const c = await asAstro(A.release, false);
        const [dbs] = await c.query<mysql.RowDataPacket[]>("SHOW DATABASES");
        assert.deepEqual(dbs.map((d) => d.Database).sort(), [A.database, "information_schema"].sort());
        await refused(c.query(`USE \`${B.database}\``), /ER_DBACCESS_DENIED_ERROR/);
        await refused(c.query(`SELECT * FROM \`${B.database}\`.dag`), /ER_(TABLEACCESS|DBACCESS)_DENIED_ERROR/);
        await refused(c.query(`CREATE TABLE \`${B.database}\`.intruder (id INT)`), /ER_(TABLEACCESS|DBACCESS)_DENIED_ERROR/);
        await refused(c.query("USE `airflowXdbXamateurXsunspotX5075`"), /ER_DBACCESS_DENIED_ERROR/);
        await refused(c.query("SELECT * FROM `airflowXdbXamateurXsunspotX5075`.t"), /ER_(TABLEACCESS|DBACCESS)_DENIED_ERROR/);
        await refused(c.query("SELECT User FROM mysql.user"), /ER_(TABLEACCESS|DBACCESS)_DENIED_ERROR/);
        await refused(c.query("CREATE DATABASE airflow_db_squatter"), /ER_DBACCESS_DENIED_ERROR/);
        // No GRANT OPTION: it cannot hand its access to anyone.
        await refused(c.query(`GRANT SELECT ON \`${A.database}\`.* TO '${B.user}'@'%'`), /ER_(DBACCESS_DENIED_ERROR|ACCESS_DENIED_ERROR|PASSWORD_NOT_ALLOWED)/);
        await admin.query("DROP DATABASE `airflowXdbXamateurXsunspotX5075`");
    });

    it("a second apply is a no-op: nothing created or changed, every secret kept as it was", () => {
        const before = fs.readdirSync(path.join(out, "secrets")).map((f) => fs.readFileSync(path.join(out, "secrets", f), "utf8"));
        const r = apply();
        assert.equal(r.status, 0, r.stdout + r.stderr);
        const result = json<{ deployments: { summary: Record<string, Record<string, number>>; files: { status: string }[] }[] }>(r);
        for (const d of result.deployments) {
            for (const counts of Object.values(d.summary)) assert.deepEqual(counts, { created: 0, changed: 0, unchanged: 1 });
            assert.deepEqual(d.files.map((f) => f.status), ["kept", "kept", "kept"]);
        }
        const after = fs.readdirSync(path.join(out, "secrets")).map((f) => fs.readFileSync(path.join(out, "secrets", f), "utf8"));
        assert.deepEqual(after, before);
    });

    it("audit is clean after apply (exit 0)", () => {
        const r = audit();
        assert.equal(r.status, 0, r.stdout + r.stderr);
        assert.equal(json<{ clean: boolean }>(r).clean, true);
    });

    it("audit finds a revoked privilege (exit 1); apply grants it again and audit is clean", async () => {
        await admin.query(`REVOKE DELETE ON \`airflow\\_db\\_amateur\\_sunspot\\_5075\`.* FROM '${A.user}'@'%'`);
        const r = audit();
        assert.equal(r.status, 1, r.stdout + r.stderr);
        const findings = json<{ findings: { status: string; grantee?: string; privileges?: string[]; deployment?: string; resource?: string }[] }>(r).findings;
        assert.deepEqual(findings.map((f) => [f.status, f.grantee, f.privileges, f.deployment, f.resource]), [["missing", `'${A.user}'@'%'`, ["DELETE"], A.release, `${A.release}-grant`]]);
        const text = cli("audit", "--stack", STACK, "--admin-url", adminUrl);
        assert.equal(text.status, 1);
        assert.match(text.stdout, /missing\s+'astro_amateur_sunspot_5075'@'%' lacks DELETE on `airflow\\_db\\_amateur\\_sunspot\\_5075`\.\*/);

        const fixed = apply();
        assert.equal(fixed.status, 0, fixed.stdout + fixed.stderr);
        const d = json<{ deployments: { release: string; summary: Record<string, Record<string, number>> }[] }>(fixed).deployments.find((x) => x.release === A.release)!;
        assert.deepEqual(d.summary.grant, { created: 0, changed: 1, unchanged: 0 });
        assert.equal(audit().status, 0);
    });

    it("audit reports a grant on another Deployment's database as extra (exit 1), which apply leaves alone", async () => {
        await admin.query(`GRANT SELECT ON \`airflow\\_db\\_quasar\\_nebula\\_1234\`.* TO '${A.user}'@'%'`);
        const r = audit();
        assert.equal(r.status, 1);
        const [f] = json<{ findings: { status: string; grantee?: string; message: string }[] }>(r).findings;
        assert.equal(f.status, "extra");
        assert.equal(f.grantee, `'${A.user}'@'%'`);
        assert.match(f.message, /has SELECT on `airflow\\_db\\_quasar\\_nebula\\_1234`\.\*/);
        assert.equal(apply().status, 0);
        assert.equal(audit().status, 1, "the mysql provider revokes nothing, and neither does apply");
        await admin.query(`REVOKE SELECT ON \`airflow\\_db\\_quasar\\_nebula\\_1234\`.* FROM '${A.user}'@'%'`);
        assert.equal(audit().status, 0);
    });

    describe("a failure part-way", () => {
        let file: string;
        const release = "rollback-test-42";
        const db = "airflow_db_rollback_test_42";
        const user = "astro_rollback_test_42";
        const exists = async () => {
            const [d] = await admin.query<mysql.RowDataPacket[]>("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", [db]);
            const [u] = await admin.query<mysql.RowDataPacket[]>("SELECT 1 FROM mysql.user WHERE User = ?", [user]);
            return { database: d.length > 0, user: u.length > 0 };
        };
        /** Rewrites the statements of one step (resource and action) so that they fail. */
        const failAt = (resource: string, action: SqlStep["action"], statement: (original: string) => string) => (steps: SqlStep[]) =>
            steps.map((s) => (s.resource.name === resource && s.action === action ? { ...s, statements: (c: Parameters<SqlStep["statements"]>[0]) => s.statements(c).map(statement) } : s));

        before(() => {
            file = path.join(out, "Pulumi.mysql-rollback.yaml");
            fs.writeFileSync(file, [
                "config:",
                "  astro-db:servers:",
                "    - name: local",
                "      engine: mysql",
                "      existing:",
                `        host: ${server.host}`,
                `        port: ${server.port}`,
                "        adminUser: root",
                "  astro-db:deployments:",
                `    - release: ${release}`,
                "",
            ].join("\n"));
        });

        it("at the grant: drops the user and the database this run created and names the statement", async () => {
            const r = await applyStack({
                stack: "mysql-rollback", file, adminUrl, out: path.join(out, "rollback"),
                interceptSteps: failAt(`${release}-grant`, "ensure", () => "GRANT SELECT ON `no_such_db`.`t` TO 'no_such_user'@'%'"),
            });
            assert.equal(r.ok, false);
            const d = r.deployments[0];
            assert.equal(d.status, "failed");
            assert.equal(d.failure!.resource, `mysql:index/grant:Grant ${release}-grant`);
            assert.equal(d.failure!.statement, "GRANT SELECT ON `no_such_db`.`t` TO 'no_such_user'@'%'");
            assert.ok(d.failure!.error.length > 0);
            assert.deepEqual(d.failure!.undone, [`dropped user '${user}'@'%', which this run had created`, `dropped database ${db}, which this run had created`]);
            assert.deepEqual(await exists(), { database: false, user: false });
            assert.deepEqual(d.files, [], "no secret is written for a failed Deployment");
        });

        it("at the user: masks the password in the reported statement and drops the database", async () => {
            const r = await applyStack({
                stack: "mysql-rollback", file, adminUrl, out: path.join(out, "rollback"),
                interceptSteps: failAt(`${release}-user`, "create", (s) => s.replace("REQUIRE NONE", "REQUIRE NOTHING")),
            });
            const d = r.deployments[0];
            assert.equal(d.status, "failed");
            assert.match(d.failure!.statement, /^CREATE USER IF NOT EXISTS 'astro_rollback_test_42'@'%' IDENTIFIED BY '\*\*\*' REQUIRE NOTHING$/);
            assert.deepEqual(d.failure!.undone, [`dropped database ${db}, which this run had created`]);
            assert.deepEqual(await exists(), { database: false, user: false });
        });

        it("at the grant, when the server accepts it but SHOW GRANTS then lacks what it declares (a wildcard pattern, not the database): undone", async () => {
            // What the mysql provider runs when handed the bare name: `_` is a wildcard there, so the grant is not on the database.
            const r = await applyStack({
                stack: "mysql-rollback", file, adminUrl, out: path.join(out, "rollback"),
                interceptSteps: failAt(`${release}-grant`, "ensure", (s) => s.replace(/\\_/g, "_")),
            });
            const d = r.deployments[0];
            assert.equal(r.ok, false);
            assert.equal(d.status, "failed");
            assert.match(d.failure!.statement, /^GRANT ALTER, .*SELECT.* ON `airflow_db_rollback_test_42`\.\* TO 'astro_rollback_test_42'@'%'$/);
            assert.match(d.failure!.error, /^the server accepted it but SHOW GRANTS FOR 'astro_rollback_test_42'@'%' still lacks what it declares: 'astro_rollback_test_42'@'%' lacks ALTER, .*SELECT.* on `airflow\\_db\\_rollback\\_test\\_42`\.\*$/);
            assert.deepEqual(d.failure!.undone.slice(-2), [`dropped user '${user}'@'%', which this run had created`, `dropped database ${db}, which this run had created`]);
            assert.deepEqual(await exists(), { database: false, user: false });
        });

        it("as an admin without GRANT OPTION on one privilege (EVENT): MariaDB refuses the grant rather than granting less, and apply undoes", async () => {
            await admin.query("CREATE USER 'limited_admin'@'%' IDENTIFIED BY 'limited'");
            await admin.query(`GRANT ${MYSQL_PRIVILEGES.filter((p) => p !== "EVENT").join(", ")}, CREATE USER, RELOAD ON *.* TO 'limited_admin'@'%' WITH GRANT OPTION`);
            const limited = path.join(out, "Pulumi.mysql-limited.yaml");
            fs.writeFileSync(limited, fs.readFileSync(file, "utf8").replace("adminUser: root", "adminUser: limited_admin"));
            try {
                const r = await applyStack({ stack: "mysql-limited", file: limited, adminUrl: `mysql://limited_admin:limited@${server.host}:${server.port}/?ssl-mode=DISABLED`, out: path.join(out, "limited") });
                const d = r.deployments[0];
                assert.equal(d.status, "failed");
                assert.match(d.failure!.statement, /^GRANT .*EVENT.* ON `airflow\\_db\\_rollback\\_test\\_42`\.\*/);
                assert.match(d.failure!.error, /Access denied for user 'limited_admin'@'%' to database 'airflow\\_db\\_rollback\\_test\\_42' \(ER_DBACCESS_DENIED_ERROR 1044\)/);
                assert.deepEqual(await exists(), { database: false, user: false });
            } finally {
                await admin.query("DROP USER 'limited_admin'@'%'");
            }
        });

        it("then succeeds when nothing fails, and again changes nothing", async () => {
            const first = await applyStack({ stack: "mysql-rollback", file, adminUrl, out: path.join(out, "rollback") });
            assert.equal(first.ok, true);
            assert.deepEqual(await exists(), { database: true, user: true });
            const second = await applyStack({ stack: "mysql-rollback", file, adminUrl, out: path.join(out, "rollback") });
            assert.ok(second.deployments[0].steps.every((s) => s.outcome === "unchanged"));
        });

        it("once expired, the printed drop runs in the mariadb client only after SET @confirm_drop = 1 exactly", async function () {
            if (spawnSync("mariadb", ["--version"]).status !== 0) this.skip();
            const expired = path.join(out, "Pulumi.mysql-rollback-expired.yaml");
            fs.writeFileSync(expired, fs.readFileSync(file, "utf8").replace(`- release: ${release}`, `- release: ${release}\n      retiredAt: "2020-01-02"`));
            const script = cli("sql", "--stack", "mysql-rollback", "--stack-file", expired);
            assert.equal(script.status, 0, script.stderr);
            assert.match(script.stdout, /DROP DATABASE IF EXISTS `airflow_db_rollback_test_42`/);
            const run = (prefix: string) => spawnSync("mariadb", ["-h", server.host, "-P", String(server.port), "-u", "root", `-p${server.adminPassword}`, "--batch"],
                { input: prefix + script.stdout, encoding: "utf8" });
            assert.deepEqual(await exists(), { database: true, user: true });
            for (const prefix of ["", "SET @confirm_drop = 0;\n", "SET @confirm_drop = 'yes';\n", "SET @confirm_drop = '1 ';\n", "SET @confirm_drop = '';\n"]) {
                const r = run(prefix);
                assert.equal(r.status, 0, r.stderr);
                assert.match(r.stdout, /astro-db: skipped rollback-test-42-removal \(it drops\): put SET @confirm_drop = 1; in front/);
                assert.deepEqual(await exists(), { database: true, user: true }, `${JSON.stringify(prefix)} dropped`);
            }
            const r = run("SET @confirm_drop = 1;\n");
            assert.equal(r.status, 0, r.stderr);
            assert.deepEqual(await exists(), { database: false, user: false });
        });
    });

    it("DatabaseRemoval drops a retired Deployment's database and its user (ssl-mode through engines/mysql/client.ts)", async () => {
        await admin.query("CREATE DATABASE `airflow_db_retired_1` CHARACTER SET utf8mb4");
        await admin.query("CREATE USER 'retired_user'@'%' IDENTIFIED BY 'retired-pw-1'");
        await admin.query("GRANT ALL PRIVILEGES ON `airflow_db_retired_1`.* TO 'retired_user'@'%'");
        const inputs: DatabaseRemovalInputs = {
            __kind: "DatabaseRemoval", release: "retired-1", engine: "mysql",
            connection: { host: server.host, port: server.port, user: server.adminUser, password: server.adminPassword, sslmode: "disable" },
            database: "airflow_db_retired_1", roles: ["retired_user"], retiredAt: "2026-01-01", removeOn: "2026-01-16",
        };
        await removalProvider.create!(inputs);
        const [dbs] = await admin.query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'airflow_db_retired_1'");
        const [users] = await admin.query("SELECT User FROM mysql.user WHERE User = 'retired_user'");
        assert.deepEqual({ databases: (dbs as unknown[]).length, users: (users as unknown[]).length }, { databases: 0, users: 0 });
    });
});
