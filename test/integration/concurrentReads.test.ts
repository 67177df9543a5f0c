/**
 * `apply` and `audit` read every Deployment database before they compare or write, several at once
 * (engines/readers.ts). A database that cannot be read is reported with its Deployment, and every
 * other Deployment is still applied and audited, on a real PostgreSQL 17, as superuser and as an
 * RDS-like admin.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { applyStack } from "../../cli/apply";
import { auditStack, renderAudit } from "../../cli/audit";
import { deploymentNames } from "../../components/names";
import { quoteIdent } from "../../engines/postgres/quote";
import { captureCli } from "../support/cli";
import { adminSql } from "../support/pgSessions";
import { pgAdmin, requireOrSkip, startPostgres, type PgAdminKind, type PgServer } from "../support/servers";

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
