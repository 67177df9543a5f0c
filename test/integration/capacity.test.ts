/**
 * `audit`'s connection capacity on real servers: PostgreSQL 17 started with max_connections 20 and
 * MariaDB with max_connections 30; two Deployments' users open sessions, and audit (as a superuser, as
 * the RDS-like admin on PostgreSQL; as root on MariaDB) reports the
 * live slots, the sessions per Deployment database and role, the headroom and the Deployment above
 * its estimate. On PostgreSQL the RDS-like admin applies the stack, as on RDS (it then owns what audit
 * reads); a plain CREATEROLE admin could not connect to those databases, so it is not audited here.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import * as mysql from "mysql2/promise";
import { Client } from "pg";
import { applyStack } from "../../cli/apply";
import { auditStack, renderAudit } from "../../cli/audit";
import { pgAdmin, PgServer, MySqlServer, requireOrSkip, startMariaDb, startPostgres } from "../support/servers";

/** A stack with two Deployments on one existing server: alpha behind PgBouncer (estimate 15 on PostgreSQL), beta measured at 2. */
function stackFile(engine: "postgres" | "mysql", port: number, adminUser: string, superuser = true): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "astro-db-capacity-"));
    const file = path.join(dir, "Pulumi.capacity.yaml");
    const existing = engine === "postgres" ? { host: "127.0.0.1", port, adminUser, sslmode: "disable", superuser } : { host: "127.0.0.1", port, adminUser };
    fs.writeFileSync(file, YAML.stringify({
        config: {
            "astro-db:servers": [{ name: "main", engine, existing }],
            "astro-db:deployments": [
                { release: "alpha-one-0001", executor: "CeleryExecutor", ...(engine === "postgres" ? { pgbouncer: true } : { connections: { maxConnections: 15 } }) },
                { release: "beta-two-0002", executor: "KubernetesExecutor", connections: { maxConnections: 2 } },
            ],
        },
    }));
    return file;
}

const PASSWORD = "capacity-test-pw";

describe("audit: live connection capacity on PostgreSQL 17 (max_connections 20)", function () {
    let server: PgServer;
    let file: string;
    const sessions: Client[] = [];

    before(async function () {
        server = await requireOrSkip(this, () => startPostgres("embedded", { settings: { max_connections: "20" } }));
        const rds = await pgAdmin(server, "rds");
        file = stackFile("postgres", server.port, rds.user, false);
        const out = fs.mkdtempSync(path.join(os.tmpdir(), "astro-db-capacity-out-"));
        assert.ok((await applyStack({ stack: "capacity", file, adminUrl: rds.url, out, port: server.port })).ok);
        const admin = new Client({ connectionString: server.adminUrl });
        await admin.connect();
        for (const user of ["astro_alpha_one_0001", "astro_beta_two_0002"]) await admin.query(`ALTER ROLE ${user} PASSWORD '${PASSWORD}'`);
        await admin.end();
        for (const [user, database, n] of [["astro_alpha_one_0001", "airflow_db_alpha_one_0001", 3], ["astro_beta_two_0002", "airflow_db_beta_two_0002", 3]] as const) {
            for (let i = 0; i < n; i++) {
                const c = new Client({ host: server.host, port: server.port, user, password: PASSWORD, database });
                await c.connect();
                sessions.push(c);
            }
        }
    });

    after(async () => {
        await Promise.all(sessions.map((c) => c.end().catch(() => undefined)));
        await server?.stop();
    });

    for (const kind of ["superuser", "rds"] as const) {
        it(`as the ${kind} admin: max_connections, reserved slots, sessions per Deployment database and role, headroom, the Deployment above its estimate`, async () => {
            const admin = await pgAdmin(server, kind);
            const r = await auditStack({ stack: "capacity", file, adminUrl: admin.url });
            const c = r.capacity;
            assert.deepStrictEqual([c.maxConnections, c.reserved, c.available], [20, [{ setting: "superuser_reserved_connections", slots: 3 }], 17]);
            const alpha = c.deployments.find((d) => d.release === "alpha-one-0001")!;
            const beta = c.deployments.find((d) => d.release === "beta-two-0002")!;
            assert.deepStrictEqual([alpha.sessions, alpha.estimate, alpha.above, alpha.by], [3, 15, false, { "airflow_db_alpha_one_0001/astro_alpha_one_0001": 3 }]);
            assert.deepStrictEqual([beta.sessions, beta.estimate, beta.above, beta.by], [3, 2, true, { "airflow_db_beta_two_0002/astro_beta_two_0002": 3 }]);
            // The audit's own session (and nothing else of the Deployments) is "other".
            assert.ok(c.other >= 1, `other: ${c.other}`);
            assert.strictEqual(c.inUse, 6 + c.other);
            assert.strictEqual(c.headroom, 17 - c.inUse);
            const text = renderAudit(r, "text");
            assert.match(text, new RegExp(`connections: max_connections 20 - 3 superuser_reserved_connections = 17 available; ${c.inUse} in use, headroom ${c.headroom}`));
            assert.match(text, /beta-two-0002: 3 session\(s\) \(estimate 2\): airflow_db_beta_two_0002\/astro_beta_two_0002 3 {2}ABOVE ITS ESTIMATE/);
            assert.doesNotMatch(text, /alpha-one-0001[^\n]*ABOVE/);
        });
    }
});

describe("audit: live connection capacity on MariaDB (max_connections 30)", function () {
    let server: MySqlServer;
    let file: string;
    let adminUrl: string;
    const sessions: mysql.Connection[] = [];

    before(async function () {
        server = await requireOrSkip(this, () => startMariaDb());
        adminUrl = `${server.adminUrl}?ssl-mode=DISABLED`;
        file = stackFile("mysql", server.port, "root");
        const out = fs.mkdtempSync(path.join(os.tmpdir(), "astro-db-capacity-out-"));
        assert.ok((await applyStack({ stack: "capacity", file, adminUrl, out, port: server.port })).ok);
        const admin = await mysql.createConnection({ host: server.host, port: server.port, user: "root", password: server.adminPassword });
        await admin.query("SET GLOBAL max_connections = 30");
        for (const user of ["astro_alpha_one_0001", "astro_beta_two_0002"]) await admin.query(`ALTER USER '${user}'@'%' IDENTIFIED BY '${PASSWORD}'`);
        await admin.end();
        for (const [user, database, n] of [["astro_alpha_one_0001", "airflow_db_alpha_one_0001", 2], ["astro_beta_two_0002", "airflow_db_beta_two_0002", 4]] as const) {
            for (let i = 0; i < n; i++) sessions.push(await mysql.createConnection({ host: server.host, port: server.port, user, password: PASSWORD, database }));
        }
    });

    after(async () => {
        await Promise.all(sessions.map((c) => c.end().catch(() => undefined)));
        await server?.stop();
    });

    it("as root: max_connections, no reserved slots, sessions per Deployment database and user, headroom, the Deployment above its estimate", async () => {
        const r = await auditStack({ stack: "capacity", file, adminUrl });
        const c = r.capacity;
        assert.deepStrictEqual([c.maxConnections, c.reserved, c.available], [30, [], 30]);
        const alpha = c.deployments.find((d) => d.release === "alpha-one-0001")!;
        const beta = c.deployments.find((d) => d.release === "beta-two-0002")!;
        assert.deepStrictEqual([alpha.sessions, alpha.above, alpha.by], [2, false, { "airflow_db_alpha_one_0001/astro_alpha_one_0001": 2 }]);
        assert.deepStrictEqual([beta.sessions, beta.estimate, beta.above, beta.by], [4, 2, true, { "airflow_db_beta_two_0002/astro_beta_two_0002": 4 }]);
        assert.ok(c.other >= 1, `other: ${c.other}`);
        assert.strictEqual(c.headroom, 30 - c.inUse);
        assert.match(renderAudit(r, "text"), /beta-two-0002: 4 session\(s\) \(estimate 2\).*ABOVE ITS ESTIMATE/);
    });
});
