/**
 * The local stack (every Deployment kind: failover with customer-managed users, failover with
 * APC-managed users, plain with PgBouncer, plain in its own schema) applied, audited and removed on
 * real PostgreSQL 17 and 16 by each admin a user may have: the superuser, RDS's master user (emulated:
 * CREATEDB CREATEROLE, member of rds_superuser) and a plain CREATEDB CREATEROLE admin (other managed
 * services). What is asserted is what a user relies on, read from the live catalog: PUBLIC cannot
 * connect, exactly one plane can, the data role holds its privileges, `astro-db audit` is clean, a GRANT
 * PostgreSQL answers with "no privileges were granted" fails the Deployment, and the DatabaseRemoval
 * leaves no database, role or session behind. Each server starts once; each admin removes what it
 * applied before the next one starts.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { applyStack, type ApplyResult } from "../../cli/apply";
import { auditStack, renderAudit } from "../../cli/audit";
import { outputLayout, planeLayout, readSecretValue } from "../../cli/manifests";
import { SECRETS } from "../../components/astronomer/facts";
import { removalProvider, type DatabaseRemovalInputs } from "../../components/databaseRemoval";
import { deploymentNames, type DeploymentNames } from "../../components/names";
import * as sql from "../../engines/postgres/statements";
import { quoteIdent, quoteLiteral } from "../../engines/postgres/quote";
import { captureCli } from "../support/cli";
import { adminSql, openSession, withPg, type RoleSession } from "../support/pgSessions";
import { pgAdmin, requireOrSkip, startPostgres, type PgAdmin, type PgAdminKind, type PgServer, type PgVariant } from "../support/servers";

const ORCHESTRATOR = "commander_user";
const ORCHESTRATOR_PASSWORD = "commander-pw";
const LOCAL_STACK = path.join(__dirname, "..", "..", "stacks", "Pulumi.local.yaml");

interface Kind {
    release: string;
    failover?: "customer" | "apc";
}

/** The local stack's Deployments plus one failover Deployment whose login roles APC manages; releases get the admin's suffix. */
function deployments(suffix: string): Kind[] {
    const local = YAML.parse(fs.readFileSync(LOCAL_STACK, "utf8")).config["astro-db:deployments"] as { release: string; failover?: { users: "customer" | "apc" } }[];
    return [
        ...local.map((d) => ({ release: `${d.release}-${suffix}`, failover: d.failover?.users })),
        { release: `apc-comet-9${suffix.length}-${suffix}`, failover: "apc" as const },
    ];
}

/** The local stack file, pointed at `server` with `admin`, each release suffixed, plus an APC failover Deployment. */
function stackFile(dir: string, server: PgServer, admin: PgAdmin, suffix: string): string {
    const doc = YAML.parse(fs.readFileSync(LOCAL_STACK, "utf8"));
    const c = doc.config;
    c["astro-db:servers"] = [{ name: "local", engine: "postgres", existing: { host: server.host, port: server.port, adminUser: admin.user, sslmode: "disable", superuser: admin.superuser } }];
    c["astro-db:kubernetes"] = { mode: "render", directory: path.join(dir, "manifests") };
    for (const plane of Object.keys(c["astro-db:dataPlanes"] ?? {})) c["astro-db:dataPlanes"][plane] = { mode: "render", directory: path.join(dir, `manifests-${plane}`) };
    c["astro-db:deployments"] = [
        ...c["astro-db:deployments"].map((d: { release: string }) => ({ ...d, release: `${d.release}-${suffix}` })),
        { release: deployments(suffix).at(-1)!.release, executor: "CeleryExecutor", failover: { users: "apc", orchestratorUser: ORCHESTRATOR } },
    ];
    const file = path.join(dir, "Pulumi.local.yaml");
    fs.writeFileSync(file, YAML.stringify(doc));
    return file;
}

/** Every role a Deployment of this kind owns (what its DatabaseRemoval drops): as stacks/program.ts lists them. */
function ownedRoles(n: DeploymentNames, k: Kind): string[] {
    return [n.user, ...(k.failover ? [n.ownerRole, n.terminatorRole] : []), ...(k.failover === "customer" ? n.loginRoles : [])];
}

const VARIANTS: { variant: PgVariant; major: number }[] = [
    { variant: "embedded", major: 17 },
    { variant: "16", major: 16 },
];
const ADMINS: PgAdminKind[] = ["superuser", "rds", "createrole"];

for (const { variant, major } of VARIANTS) {
    describe(`the local stack on real PostgreSQL ${major} as each admin (superuser, RDS master user, CREATEROLE admin)`, function () {
        let server: PgServer;
        let dir: string;

        before(async function () {
            server = await requireOrSkip(this, () => startPostgres(variant));
            // The orchestrator's database user exists before the stack (seed 004's commander_user).
            await adminSql(server, [sql.createRole({ name: ORCHESTRATOR, login: true, passwordSql: quoteLiteral(ORCHESTRATOR_PASSWORD) })]);
            dir = fs.mkdtempSync(path.join(os.tmpdir(), `astro-db-admins-${major}-`));
        });
        after(async function () {
            await server?.stop();
            if (dir) fs.rmSync(dir, { recursive: true, force: true });
        });

        for (const kind of ADMINS) {
            describe(`as the ${kind} admin`, function () {
                const suffix = kind === "superuser" ? "su" : kind;
                const all = deployments(suffix);
                /**
                 * A CREATEROLE admin without rds_superuser can end the sessions of the login roles it created
                 * (customer-managed users), not of APC's: the fencing function of an APC failover Deployment is
                 * refused, loudly and rolled back, with the fixes named (components/postgres/fenceFunction.ts).
                 */
                const refused = (k: Kind) => kind === "createrole" && k.failover === "apc";
                const kinds = all.filter((k) => !refused(k));
                let admin: PgAdmin;
                let file: string;
                let applied: ApplyResult;
                const sessions: RoleSession[] = [];

                before(async function () {
                    if (!server) this.skip();
                    admin = await pgAdmin(server, kind);
                    const sub = path.join(dir, kind);
                    fs.mkdirSync(sub);
                    file = stackFile(sub, server, admin, suffix);
                    applied = await applyStack({ stack: "local", file, adminUrl: admin.url, out: path.join(sub, "out"), port: server.port });
                });
                after(async function () {
                    await Promise.all(sessions.map((s) => s.close()));
                });

                const asSuperuser = <T>(f: (c: import("pg").Client) => Promise<T>, database = "postgres") =>
                    withPg({ host: server.host, port: server.port, user: server.adminUser, password: server.adminPassword, database }, f);

                it("apply succeeds for every Deployment and the audit that follows is clean", async function () {
                    assert.equal(applied.admin.superuser, kind === "superuser");
                    const failed = applied.deployments.filter((d) => d.status !== "applied");
                    assert.deepEqual(failed.map((d) => d.release), all.filter(refused).map((k) => k.release));
                    for (const d of failed) {
                        assert.match(d.failure!.resource, /fence/);
                        assert.match(d.failure!.error, /could not fence[\s\S]*GRANT pg_signal_backend TO[\s\S]*failover\.terminate: none/);
                    }
                    assert.equal(applied.ok, failed.length === 0);
                    for (const audit of failed.length ? await Promise.all(kinds.map((k) => auditStack({ stack: "local", file, adminUrl: admin.url, deployment: k.release })))
                        : [await auditStack({ stack: "local", file, adminUrl: admin.url })]) {
                        assert.equal(audit.clean, true, renderAudit(audit, "text"));
                    }
                    if (kind !== "rds") return;
                    // The commands a user runs (issue 10's "done when"): apply exits 0, and the audit after it is clean (exit 0).
                    const again = await captureCli(["apply", "--stack", "local", "--stack-file", file, "--admin-url", admin.url, "--out", path.join(dir, kind, "out"), "--port", String(server.port)]);
                    assert.equal(again.code, 0, again.text);
                    const audit = await captureCli(["audit", "--stack", "local", "--stack-file", file, "--admin-url", admin.url]);
                    assert.equal(audit.code, 0, audit.text);
                });

                it("on the live catalog: PUBLIC never connects, exactly one plane does, the data role holds CREATE and TEMPORARY, every Astro user of a plain or APC Deployment connects", async function () {
                    for (const k of kinds) {
                        const n = deploymentNames(k.release);
                        const row = await asSuperuser(async (c) => (await c.query(
                            `SELECT pg_get_userbyid(datdba) AS owner, has_database_privilege('public', datname, 'CONNECT') AS public_connect,
                                    has_database_privilege($2, datname, 'CONNECT') AS astro_connect,
                                    has_database_privilege($2, datname, 'CREATE') AND has_database_privilege($2, datname, 'TEMPORARY') AS astro_create_temp
                               FROM pg_database WHERE datname = $1`, [n.database, n.user])).rows[0]);
                        assert.ok(row, `${n.database} exists`);
                        assert.equal(row.public_connect, false, `${k.release}: PUBLIC cannot connect`);
                        assert.equal(row.astro_create_temp, true, `${k.release}: ${n.user} holds CREATE and TEMPORARY`);
                        assert.equal(row.owner, k.failover ? n.ownerRole : admin.user, `${k.release}: database owner`);
                        if (k.failover === "customer") {
                            assert.equal(row.astro_connect, false, "the shared data role never connects (a fenced plane would connect through it)");
                            const planes = await asSuperuser(async (c) => (await c.query(
                                "SELECT rolname FROM pg_roles WHERE rolname = ANY($2) AND has_database_privilege(oid, $1, 'CONNECT') ORDER BY 1", [n.database, [...n.loginRoles]])).rows.map((r) => r.rolname));
                            assert.deepEqual(planes, [n.loginRoles[0]], `${k.release}: exactly one plane connects, the first`);
                        } else {
                            assert.equal(row.astro_connect, true, `${k.release}: ${n.user} connects`);
                        }
                        // The orchestrator gains nothing but seed 004's two memberships.
                        const orchestrator = await asSuperuser(async (c) => (await c.query(
                            "SELECT pg_get_userbyid(roleid) AS role FROM pg_auth_members WHERE member = $1::regrole ORDER BY 1", [ORCHESTRATOR])).rows.map((r) => r.role));
                        for (const r of orchestrator) assert.ok(kinds.some((x) => x.failover && [deploymentNames(x.release).ownerRole, deploymentNames(x.release).terminatorRole].includes(r)), `${ORCHESTRATOR} is a member of ${r} only through seed 004`);
                    }
                });

                it("the first plane's login role works as the data role: it connects, creates a table and writes to it", async function () {
                    const k = kinds.find((x) => x.failover === "customer");
                    if (!k) return this.skip();
                    const n = deploymentNames(k.release);
                    const file = planeLayout(outputLayout(path.join(dir, kind, "out")), "dp1").secret(n.secrets.metadata);
                    const url = new URL(readSecretValue(file, SECRETS.metadata.key)!);
                    const s = await openSession(server, n.loginRoles[0], decodeURIComponent(url.password), n.database);
                    sessions.push(s);
                    await s.client.query("CREATE TABLE IF NOT EXISTS probe (id int)");
                    await s.client.query("INSERT INTO probe VALUES (1)");
                    const owner = (await s.client.query("SELECT current_user AS u, (SELECT tableowner FROM pg_tables WHERE tablename = 'probe') AS o")).rows[0];
                    assert.deepEqual(owner, { u: n.user, o: n.user });
                });

                if (kind !== "superuser") {
                    it("a GRANT that PostgreSQL answers with \"no privileges were granted\" fails apply: the Deployment is rolled back and the message names the statement and why", async function () {
                        const k = kinds.find((x) => !x.failover)!;
                        const n = deploymentNames(k.release);
                        // The admin owns nothing in the database `postgres`: PostgreSQL only warns (SQLSTATE 01007).
                        const noop = `GRANT CREATE ON DATABASE "postgres" TO ${quoteIdent(n.user)}`;
                        const r = await applyStack({
                            stack: "local", file, adminUrl: admin.url, out: path.join(dir, kind, "out-noop"), port: server.port, deployment: k.release,
                            // One more step, declaring what the GRANT would give, so apply runs it.
                            interceptSteps: (steps) => steps.flatMap((st) => (st.resource.name === `${k.release}-database-grant` ? [st, {
                                ...st, resource: { ...st.resource, name: `${k.release}-noop-grant` }, database: "postgres", statements: () => [noop],
                                declares: [{ engine: "postgres" as const, type: "privileges" as const, on: { kind: "database" as const, database: "postgres" }, grantee: n.user, privileges: ["CREATE"], withGrantOption: false }],
                            }] : [st])),
                        });
                        assert.equal(r.ok, false);
                        const d = r.deployments.find((x) => x.release === k.release)!;
                        assert.equal(d.status, "failed");
                        assert.equal(d.failure!.statement, noop);
                        assert.match(d.failure!.error, /SQLSTATE 01007/);
                        assert.match(d.failure!.error, new RegExp(`no privileges were granted for "postgres"[^]*${admin.user}" neither owns the object nor holds a grant option on it`));
                        const granted = await asSuperuser(async (c) => (await c.query("SELECT has_database_privilege($1, 'postgres', 'CREATE') AS g", [n.user])).rows[0].g);
                        assert.equal(granted, false);
                    });
                }

                it("DatabaseRemoval ends every session, then drops each Deployment's database and every role it owned", async function () {
                    const connection = { host: server.host, port: server.port, user: admin.user, password: admin.password, sslmode: "disable" };
                    for (const k of all) {
                        const n = deploymentNames(k.release);
                        const roles = ownedRoles(n, k);
                        const inputs: DatabaseRemovalInputs = { __kind: "DatabaseRemoval", release: k.release, engine: "postgres", connection, database: n.database, roles, retiredAt: "2026-01-01", removeOn: "2026-01-16" };
                        await removalProvider.create!(inputs);
                        const left = await asSuperuser(async (c) => ({
                            databases: (await c.query("SELECT datname FROM pg_database WHERE datname = $1", [n.database])).rowCount,
                            roles: (await c.query("SELECT rolname FROM pg_roles WHERE rolname = ANY($1)", [roles])).rows.map((r) => r.rolname),
                            sessions: (await c.query("SELECT pid FROM pg_stat_activity WHERE datname = $1", [n.database])).rowCount,
                        }));
                        assert.deepEqual(left, { databases: 0, roles: [], sessions: 0 }, k.release);
                    }
                    // The plane's session (the test above) was ended, not waited for.
                    for (const s of sessions.splice(0)) await s.close().catch(() => undefined);
                });
            });
        }
    });
}
