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
import { adminSql, withPg } from "../support/pgSessions";
import { PG_ADMIN_KINDS, pgAdmin, requireOrSkip, startPostgres, type PgAdminKind, type PgServer } from "../support/servers";

describe("apply and audit with one Deployment database that cannot be read (real PostgreSQL 17)", function () {
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

    for (const kind of ["superuser", "rds"] as PgAdminKind[]) {
        it(`names that Deployment and still applies and audits the others (${kind})`, async () => {
            const admin = await pgAdmin(server, kind);
            const releases = ["alpha", "bravo", "charlie", "delta", "echo"].map((r) => `${r}-${kind}`);
            const file = path.join(dir, `Pulumi.readers-${kind}.yaml`);
            fs.writeFileSync(file, YAML.stringify({ config: {
                "astro-db:servers": [{ name: "pg", engine: "postgres", existing: { host: server.host, port: server.port, adminUser: admin.user, sslmode: "disable", superuser: admin.superuser } }],
                "astro-db:deployments": releases.map((release) => ({ release })),
            } }));
            const stack = { stack: `readers-${kind}`, file, adminUrl: admin.url, out: path.join(dir, `out-${kind}`) };
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
                const cli = await captureCli(["audit", "--stack", stack.stack, "--stack-file", file, "--admin-url", admin.url]);
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
describe("reads begun before the stack program runs (real PostgreSQL 17)", function () {
    let server: PgServer;
    let dir: string;

    before(async function () {
        server = await requireOrSkip(this, () => startPostgres("embedded"));
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "astro-db-early-"));
    });
    after(async () => {
        await server?.stop();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

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
            const file = path.join(dir, `Pulumi.early-${kind}.yaml`);
            fs.writeFileSync(file, YAML.stringify({ config: {
                "astro-db:servers": [{ name: "pg", engine: "postgres", existing: { host: server.host, port: server.port, adminUser: admin.user, sslmode: "disable", superuser: admin.superuser } }],
                "astro-db:deployments": releases.map((release) => ({ release })),
            } }));
            const stack = { stack: `early-${kind}`, file, adminUrl: admin.url, out: path.join(dir, `out-${kind}`) };
            assert.equal((await applyStack(stack)).ok, true);
            const [k, l, m] = releases.map((r) => deploymentNames(r).database);
            await adminSql(server, [`GRANT CREATE ON SCHEMA public TO PUBLIC`], l);

            // Told of two databases and one that does not exist: it holds the two, as a fresh connection reads them.
            const reads = new PgReads(admin.url, [k, l, "no_such_database"]);
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
            const graph = await runStackGraph(stack.stack, { file });
            const late = await ENGINES.postgres.audit.audit({ adminUrl: admin.url, server: "pg", translate: serverSteps(graph, graph.spec.servers[0], ENGINES.postgres) });
            assert.deepEqual(early.findings, late.findings);
            assert.ok(early.findings.some((f) => f.deployment === releases[1]), JSON.stringify(early.findings));
            assert.equal(await astroDbSessions(), 0);
        });
    }

    it("closed before it connected: reads no database and leaves no connection open", async () => {
        const dbs = Array.from({ length: 12 }, (_, i) => `early_stop_${i}`);
        await adminSql(server, dbs.map((db) => `CREATE DATABASE ${quoteIdent(db)}`));
        const reads = new PgReads(server.adminUrl, dbs);
        await reads.close();
        // Closed while connecting: the connection is ended once made, and nothing is read.
        await assert.rejects(reads.snapshot, /closed before they began/);
        assert.equal(await astroDbSessions(), 0);
        await assert.rejects(reads.readMissing(dbs), /closed before they began/);
    });

    it("closed while still connecting to a server that does not answer: returns without waiting for the connect timeout", async () => {
        const sockets: net.Socket[] = [];
        const silent = net.createServer((s) => void sockets.push(s));
        await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
        const port = (silent.address() as net.AddressInfo).port;
        try {
            const reads = new PgReads(`postgresql://admin:secret@127.0.0.1:${port}/postgres`, ["anything"]);
            const settled = reads.snapshot.then(() => "read", () => "failed");
            assert.equal(await Promise.race([reads.close().then(() => "closed"), settled]), "closed");
        } finally {
            for (const s of sockets) s.destroy();
            await new Promise((resolve) => silent.close(resolve));
        }
    });

    it("a server it cannot reach: the run reports the connection error, as when it read after the program", async () => {
        const url = server.adminUrl.replace(/:(\d+)\//, ":1/");
        const reads = new PgReads(url, ["anything"]);
        await assert.rejects(reads.snapshot, /cannot connect to postgresql:\/\/.*:1\/postgres/);
        await reads.close();
    });
});
