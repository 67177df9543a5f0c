/**
 * `apply` and `audit` read every Deployment database before they compare or write, several at once
 * (engines/readers.ts), beginning while the stack program runs. A database that cannot be read is
 * reported with its Deployment, and every other Deployment is still applied and audited, on a real
 * PostgreSQL 17, as superuser and as an RDS-like admin (the early reads also as a CREATEROLE admin).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { applyStack, serverSteps } from "../../cli/apply";
import { auditStack, renderAudit } from "../../cli/audit";
import { deploymentNames } from "../../components/names";
import { quoteIdent } from "../../engines/postgres/quote";
import { runStackGraph } from "../../cli/graph";
import { ENGINES } from "../../engines/index";
import { readDatabaseContents } from "../../engines/postgres/catalog";
import { PgReads } from "../../engines/postgres/snapshot";
import { captureCli } from "../support/cli";
import { adminSql, openSession, withPg } from "../support/pgSessions";
import { PG_ADMIN_KINDS, pgAdmin, requireOrSkip, startPostgres, type PgAdminKind, type PgServer } from "../support/servers";

describe("reading the Deployment databases (real PostgreSQL 17)", function () {
    let server: PgServer;
    let dir: string;

    before(async function () {
        server = await requireOrSkip(this, () => startPostgres("embedded"));
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "astro-db-readers-"));
    });
    after(async () => {
        await server?.stop();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    /** A stack file with these Deployments on the test server, administered by `admin`; what apply and audit are called with. */
    const stackOn = (name: string, admin: { user: string; superuser: boolean; url: string }, deployments: Record<string, unknown>[]) => {
        const file = path.join(dir, `Pulumi.${name}.yaml`);
        fs.writeFileSync(file, YAML.stringify({ config: {
            "astro-db:servers": [{ name: "pg", engine: "postgres", existing: { host: server.host, port: server.port, adminUser: admin.user, sslmode: "disable", superuser: admin.superuser } }],
            "astro-db:deployments": deployments,
        } }));
        return { stack: name, file, adminUrl: admin.url, out: path.join(dir, `out-${name}`) };
    };

    describe("apply and audit with one Deployment database that cannot be read", function () {
        for (const kind of ["superuser", "rds"] as PgAdminKind[]) {
            it(`names that Deployment and still applies and audits the others (${kind})`, async () => {
                const admin = await pgAdmin(server, kind);
                const releases = ["alpha", "bravo", "charlie", "delta", "echo"].map((r) => `${r}-${kind}`);
                const stack = stackOn(`readers-${kind}`, admin, releases.map((release) => ({ release })));
                assert.equal((await applyStack(stack)).ok, true);

                const [blocked, drifted] = [releases[1], releases[3]].map((r) => deploymentNames(r));
                await adminSql(server, [`ALTER DATABASE ${quoteIdent(blocked.database)} ALLOW_CONNECTIONS false`]);
                await adminSql(server, [`GRANT CREATE ON SCHEMA public TO PUBLIC`], drifted.database);
                try {
                    const audit = await auditStack(stack);
                    assert.deepEqual(audit.errors!.map((e) => [e.deployment, e.database]), [[releases[1], blocked.database]]);
                    assert.match(audit.errors![0].error, /not currently accepting connections/);
                    // The other Deployments were audited: the drift in one of them is found.
                    assert.deepEqual([...new Set(audit.findings.map((f) => f.deployment))], [releases[3]]);
                    assert.match(renderAudit(audit, "text"), new RegExp(`could not read Deployment ${releases[1]}'s database ${blocked.database}`));
                    const cli = await captureCli(["audit", "--stack", stack.stack, "--stack-file", stack.file, "--admin-url", admin.url]);
                    assert.equal(cli.code, 2, cli.text);

                    const apply = await applyStack(stack);
                    assert.equal(apply.ok, false);
                    const status = Object.fromEntries(apply.deployments.map((d) => [d.release, d.status]));
                    assert.deepEqual(releases.map((r) => status[r]), ["applied", "failed", "applied", "applied", "applied"]);
                    assert.match(apply.deployments.find((d) => d.release === releases[1])!.failure!.error, /not currently accepting connections/);
                } finally {
                    await adminSql(server, [`ALTER DATABASE ${quoteIdent(blocked.database)} ALLOW_CONNECTIONS true`]);
                }
            });
        }
    });

    /**
     * `apply` and `audit` begin reading the server (engines/postgres/snapshot.ts) as soon as the stack's
     * config names the Deployment databases, while the stack program runs; what they then compare is what
     * reading after the program would have found, and reads they do not take over leave nothing connected.
     */
    describe("reads begun before the stack program runs", function () {

        /** Sessions of astro-db's own connections (application_name astro-db) other than this test's. */
        const astroDbSessions = async () => {
            const rows = await withPg({ connectionString: server.adminUrl }, (c) =>
                c.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'astro-db' AND pid <> pg_backend_pid()"));
            return rows.rows[0].n;
        };

        for (const kind of PG_ADMIN_KINDS) {
            it(`reads the same contents as a fresh connection, reads what it was not told of, and closes every connection (${kind})`, async () => {
                const admin = await pgAdmin(server, kind);
                const releases = ["kilo", "lima", "mike"].map((r) => `${r}-${kind}`);
                const stack = stackOn(`early-${kind}`, admin, releases.map((release) => ({ release })));
                assert.equal((await applyStack(stack)).ok, true);
                const [k, l, m] = releases.map((r) => deploymentNames(r).database);
                await adminSql(server, [`GRANT CREATE ON SCHEMA public TO PUBLIC`], l);

                // Told of two databases and one that does not exist: it holds the two, as a fresh connection reads them.
                const reads = new PgReads(admin.url, [k, l, "no_such_database"], "apply");
                const snapshot = await reads.snapshot;
                assert.deepEqual([...snapshot.contents.keys()].sort(), [k, l].sort());
                for (const db of [k, l]) {
                    const fresh = await withPg({ connectionString: admin.url.replace(/\/postgres$/, `/${db}`) }, (c) => readDatabaseContents(c));
                    assert.deepEqual(snapshot.contents.get(db), fresh);
                }
                // What it was not told of is read when asked for.
                await reads.readMissing([k, m]);
                assert.deepEqual([...snapshot.contents.keys()].sort(), [k, l, m].sort());
                assert.equal(await astroDbSessions(), 1, "the maintenance connection stays open until the reads are closed");
                await reads.close();
                await reads.close();
                assert.equal(await astroDbSessions(), 0);

                // The audit that took early reads over finds what one that read afterwards finds.
                const early = await auditStack(stack);
                // The same audit with nothing read before it: it reads after the program, as before.
                const graph = await runStackGraph(stack.stack, { file: stack.file });
                const late = await ENGINES.postgres.audit.audit({ adminUrl: admin.url, server: "pg", translate: serverSteps(graph, graph.spec.servers[0], ENGINES.postgres) });
                assert.deepEqual(early.findings, late.findings);
                assert.ok(early.findings.some((f) => f.deployment === releases[1]), JSON.stringify(early.findings));
                assert.equal(await astroDbSessions(), 0);
            });
        }

        it("closed before it connected: reads no database and leaves no connection open", async () => {
            const dbs = Array.from({ length: 12 }, (_, i) => `early_stop_${i}`);
            await adminSql(server, dbs.map((db) => `CREATE DATABASE ${quoteIdent(db)}`));
            const reads = new PgReads(server.adminUrl, dbs, "apply");
            await reads.close();
            // Closed while connecting: the connection is ended once made, and nothing is read.
            await assert.rejects(reads.snapshot, /closed before they began/);
            assert.equal(await astroDbSessions(), 0);
            await assert.rejects(reads.readMissing(dbs), /closed before they began/);
        });

        /** A TCP server that accepts connections and never answers, and what it accepted. */
        const silentServer = async () => {
            const sockets: net.Socket[] = [];
            /** Settles when the client side hung up. */
            const hungUp: Promise<void>[] = [];
            const silent = net.createServer((sock) => {
                sockets.push(sock);
                sock.on("error", () => undefined).resume();
                hungUp.push(new Promise((resolve) => sock.once("close", () => resolve())));
            });
            await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
            const url = `postgresql://admin:secret@127.0.0.1:${(silent.address() as net.AddressInfo).port}/postgres`;
            const stop = async () => {
                for (const sock of sockets) sock.destroy();
                await new Promise((resolve) => silent.close(resolve));
            };
            return { url, sockets, hungUp, stop };
        };

        it("reads many databases without a warning on stderr, and closes each connection", async () => {
            const dbs = Array.from({ length: 24 }, (_, i) => `early_many_${i}`);
            await adminSql(server, dbs.map((db) => `CREATE DATABASE ${quoteIdent(db)}`));
            const warnings: string[] = [];
            const onWarning = (w: Error) => void warnings.push(`${w.name}: ${w.message}`);
            process.on("warning", onWarning);
            try {
                const reads = new PgReads(server.adminUrl, dbs, "audit");
                const snapshot = await reads.snapshot;
                assert.equal([...snapshot.contents.values()].filter((c) => !(c instanceof Error)).length, dbs.length);
                await reads.close();
                await new Promise((resolve) => setImmediate(resolve));
                assert.deepEqual(warnings, []);
                assert.equal(await astroDbSessions(), 0);
            } finally {
                process.off("warning", onWarning);
            }
        });

        it("closed while still connecting to a server that does not answer: ends the connection attempt at once", async () => {
            const silent = await silentServer();
            try {
                const reads = new PgReads(silent.url, ["anything"], "audit");
                while (silent.sockets.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
                await reads.close();
                await assert.rejects(reads.snapshot, /closed before they began/);
                // The client hung up: nothing keeps a library caller's process waiting for the connect timeout (15 s).
                const outcome = await Promise.race([Promise.all(silent.hungUp).then(() => "hung up"), new Promise((resolve) => setTimeout(() => resolve("still open after 5 s"), 5000))]);
                assert.equal(outcome, "hung up");
            } finally {
                await silent.stop();
            }
        });

        it("a config error that depends on the day (a retirement in the future) is reported before any connection", async () => {
            const silent = await silentServer();
            try {
                const file = path.join(dir, "Pulumi.early-future.yaml");
                fs.writeFileSync(file, YAML.stringify({ config: {
                    "astro-db:servers": [{ name: "pg", engine: "postgres", existing: { host: "127.0.0.1", port: 5432, adminUser: "admin", sslmode: "disable" } }],
                    "astro-db:deployments": [{ release: "future-retired", retiredAt: "2999-01-01" }],
                } }));
                for (const run of [() => applyStack({ stack: "early-future", file, adminUrl: silent.url, out: path.join(dir, "out-future") }), () => auditStack({ stack: "early-future", file, adminUrl: silent.url })]) {
                    await assert.rejects(run(), /deployments\[0\]\.retiredAt: 2999-01-01 is after today/);
                }
                assert.equal(silent.sockets.length, 0, "no connection was made");
            } finally {
                await silent.stop();
            }
        });

        for (const kind of ["rds", "createrole"] as PgAdminKind[]) {
            it(`audit on a server with one slot left for its role: frees its own connection for the reader (${kind})`, async () => {
                const admin = await pgAdmin(server, kind);
                const release = `slot-${kind}`;
                const stack = stackOn(`slot-${kind}`, admin, [{ release }]);
                assert.equal((await applyStack(stack)).ok, true);
                // Fill every slot an ordinary role may take but one, with another role's idle sessions.
                const free = await withPg({ connectionString: server.adminUrl }, async (c) => {
                    const r = await c.query<{ max: number; su: number; r: string | null; used: number }>(
                        "SELECT current_setting('max_connections')::int AS max, current_setting('superuser_reserved_connections')::int AS su, " +
                        "current_setting('reserved_connections', true) AS r, (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend') AS used");
                    const row = r.rows[0];
                    return row.max - row.su - Number(row.r ?? 0) - (row.used - 1);
                });
                await adminSql(server, [`DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'slot_filler') THEN CREATE ROLE slot_filler LOGIN PASSWORD 'slot-filler'; END IF; END $$`]);
                const held = [];
                try {
                    for (let i = 0; i < free - 1; i++) held.push(await openSession(server, "slot_filler", "slot-filler", "postgres"));
                    const audit = await auditStack(stack);
                    assert.deepEqual(audit.errors, [], JSON.stringify(audit.errors));
                    assert.equal(audit.clean, true);
                    // The sessions it counted include the other role's (without pg_read_all_stats, their backend_type is hidden).
                    assert.ok(audit.capacity.inUse > held.length, `counted ${audit.capacity.inUse} sessions in use, ${held.length} held by another role`);
                } finally {
                    await Promise.all(held.map((h) => h.close()));
                }
            });
        }

        it("a server it cannot reach: the run reports the connection error, as when it read after the program", async () => {
            const url = server.adminUrl.replace(/:(\d+)\//, ":1/");
            const reads = new PgReads(url, ["anything"], "audit");
            await assert.rejects(reads.snapshot, /cannot connect to postgresql:\/\/.*:1\/postgres/);
            await reads.close();
        });
    });
});
