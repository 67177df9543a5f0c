/**
 * The mysql-dev stack file through the real stack program under Pulumi's mocks (cli/graph.ts), and the
 * plan JSON that `astro-db plan --stack mysql-dev --format json` prints.
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as path from "path";
import { GraphResource, runStackGraph, StackGraph } from "../../../cli/graph";
import { SECRET_MASK, UNKNOWN_MASK } from "../../../engines/model";
import { planJson } from "../../../cli/plan";
import { parseConnection } from "../../../components/astronomer/connections";
import { MYSQL_PRIVILEGES } from "../../../engines/mysql/privileges";

const of = (g: StackGraph, type: string) => g.resources.filter((r) => r.type === type);
const named = (g: StackGraph, name: string): GraphResource => {
    const r = g.resources.find((x) => x.name === name);
    assert.ok(r, `no resource named ${name}`);
    return r!;
};

describe("the mysql-dev stack under Pulumi's mocks", () => {
    for (const preview of [false, true]) {
        describe(`${preview ? "preview" : "update"} mode`, () => {
            let g: StackGraph;
            before(async () => {
                g = await runStackGraph("mysql-dev", { preview });
            });

            it("declares at least two Deployments, all on the MySQL server", () => {
                assert.ok(g.spec.deployments.length >= 2);
                for (const d of g.spec.deployments) assert.strictEqual(d.engine, "mysql");
            });

            it("creates one RDS MySQL 8.4 server on 3306 whose parameter group requires TLS", () => {
                const [rds] = of(g, "aws:rds/instance:Instance");
                assert.strictEqual(rds.inputs.engine, "mysql");
                assert.strictEqual(rds.inputs.engineVersion, "8.4");
                assert.strictEqual(rds.inputs.port, 3306);
                assert.strictEqual(rds.inputs.storageEncrypted, true);
                assert.strictEqual(rds.inputs.publiclyAccessible, false);
                assert.strictEqual(rds.inputs.manageMasterUserPassword, true);
                const [params] = of(g, "aws:rds/parameterGroup:ParameterGroup");
                assert.strictEqual(params.inputs.family, "mysql8.4");
                assert.deepStrictEqual((params.inputs.parameters as { name: string; value: string }[]).find((p) => p.name === "require_secure_transport")?.value, "1");
            });

            it("builds a mysql provider (no postgresql one) over TLS with the master password as a secret", () => {
                assert.strictEqual(of(g, "pulumi:providers:postgresql").length, 0);
                const [p] = of(g, "pulumi:providers:mysql");
                assert.strictEqual(p.inputs.tls, "skip-verify");
                assert.deepStrictEqual(p.secretInputs, ["password"]);
                assert.ok([SECRET_MASK, UNKNOWN_MASK].includes(p.inputs.password as string));
                if (!preview) {
                    assert.strictEqual(p.inputs.endpoint, "astro-dev-airflow-mysql.abcdefghijkl.us-east-1.rds.amazonaws.com:3306");
                    assert.strictEqual(p.inputs.username, "astroadmin");
                }
            });

            it("creates per Deployment its database, user and grant through the server's provider", () => {
                const [p] = of(g, "pulumi:providers:mysql");
                for (const d of g.spec.deployments) {
                    const db = named(g, `${d.release}-database`);
                    assert.strictEqual(db.type, "mysql:index/database:Database");
                    assert.deepStrictEqual(db.inputs, { name: d.names.database, defaultCharacterSet: "utf8mb4", defaultCollation: "utf8mb4_unicode_ci" });
                    const user = named(g, `${d.release}-user`);
                    assert.strictEqual(user.type, "mysql:index/user:User");
                    assert.strictEqual(user.inputs.user, d.names.user);
                    assert.strictEqual(user.inputs.host, "%");
                    assert.deepStrictEqual(user.secretInputs, ["plaintextPassword"]);
                    const grant = named(g, `${d.release}-grant`);
                    assert.strictEqual(grant.type, "mysql:index/grant:Grant");
                    assert.strictEqual(grant.inputs.database, d.names.database.replace(/_/g, "\\_"));
                    assert.deepStrictEqual(grant.inputs.privileges, [...MYSQL_PRIVILEGES]);
                    assert.deepStrictEqual(grant.options.dependsOn, [`${d.release}-database`, `${d.release}-user`]);
                    for (const r of [db, user, grant]) assert.strictEqual(r.options.provider, p.name, r.name);
                    assert.strictEqual(db.options.retainOnDelete, true);
                    assert.strictEqual(user.options.retainOnDelete, true);
                    assert.strictEqual(named(g, d.release).parentType, undefined);
                    assert.strictEqual(named(g, `${d.release}-database`).parentType, "astro-db:mysql:DeploymentAccess");
                }
            });

            it("keeps user names within MySQL's 32 characters (an override where the default is longer)", () => {
                for (const d of g.spec.deployments) assert.ok(d.names.user.length <= 32, d.names.user);
                assert.ok(g.spec.deployments.some((d) => `astro_${d.names.id}`.length > 32), "the stack shows the override a long release needs");
            });

            it("masks every credential-bearing output", () => {
                const expected = preview ? [SECRET_MASK, UNKNOWN_MASK] : [SECRET_MASK];
                for (const d of Object.values(g.outputs.deployments as Record<string, Record<string, unknown>>)) {
                    for (const k of ["metadataConnection", "resultBackendConnection", "houstonVariables"]) assert.ok(expected.includes(d[k] as string), k);
                }
                assert.ok(expected.includes(g.outputs.valuesYaml as string));
                assert.ok(!planJson(g).includes("generated-by-pulumi-up"), "a generated password leaked into the plan");
            });
        });
    }

    describe("revealed (update mode)", () => {
        let g: StackGraph;
        before(async () => {
            g = await runStackGraph("mysql-dev", { revealSecrets: true });
        });

        it("gives mysql:// and db+mysql:// connection strings that read back to the Deployment's database and user", () => {
            for (const d of g.spec.deployments) {
                const out = (g.outputs.deployments as Record<string, { metadataConnection: string; resultBackendConnection: string }>)[d.release];
                assert.match(out.metadataConnection, /^mysql:\/\//);
                assert.match(out.resultBackendConnection, /^db\+mysql:\/\//);
                for (const url of [out.metadataConnection, out.resultBackendConnection]) {
                    const c = parseConnection(url);
                    assert.strictEqual(c.engine, "mysql");
                    assert.strictEqual(c.port, 3306);
                    assert.strictEqual(c.database, d.names.database);
                    assert.strictEqual(c.user, d.names.user);
                    assert.strictEqual(c.sslmode, undefined, "no PostgreSQL sslmode on a MySQL string");
                }
            }
        });

        it("gives Houston the connection strings (no PgBouncer JSON) and skips its database provisioning on upsert", () => {
            const d = g.spec.deployments[0];
            const hv = (g.outputs.deployments as Record<string, { houstonVariables: Record<string, Record<string, unknown>> }>)[d.release].houstonVariables;
            assert.match(String(hv.createDeployment.metadataConnection), /^mysql:\/\//);
            assert.match(String(hv.createDeployment.resultBackendConnection), /^db\+mysql:\/\//);
            assert.strictEqual(hv.createDeployment.metadataConnectionJson, undefined);
            assert.strictEqual(hv.upsertDeployment.skipAirflowDatabaseProvisioning, true);
        });

        it("points the values.yaml fragment at the MySQL server", () => {
            assert.match(String(g.outputs.valuesYaml), /manualConnectionStrings:\s*\n\s*enabled: true/);
            // No credential by default (valuesConnection: placeholder): seed 000's format at the MySQL server.
            assert.match(String(g.outputs.valuesYaml), /connection: mysql:\/\/example_user:example_pass@astro-dev-airflow-mysql\.[a-z0-9.-]+:3306/);
        });
    });

    it("`astro-db plan --stack mysql-dev --format json` lists the RDS MySQL instance and each Deployment's database, user and grant", function () {
        this.timeout(120_000);
        const root = path.resolve(__dirname, "..", "..", "..");
        const out = execFileSync(process.execPath, [path.join(root, "bin", "astro-db.js"), "plan", "--stack", "mysql-dev", "--format", "json"], { cwd: root, encoding: "utf8" });
        const json = JSON.parse(out) as { stack: string; resources: { type: string; name: string; inputs: Record<string, unknown> }[] };
        assert.strictEqual(json.stack, "mysql-dev");
        const rds = json.resources.filter((r) => r.type === "aws:rds/instance:Instance");
        assert.strictEqual(rds.length, 1);
        assert.strictEqual(rds[0].inputs.engine, "mysql");
        const releases = ["amateur-sunspot-5075", "quasar-nebula-1234", "interstellar-telescope-4821"];
        for (const type of ["mysql:index/database:Database", "mysql:index/user:User", "mysql:index/grant:Grant"]) {
            const names = json.resources.filter((r) => r.type === type).map((r) => r.name);
            assert.strictEqual(names.length, releases.length, type);
            for (const release of releases) assert.ok(names.some((n) => n.startsWith(`${release}-`)), `${type} for ${release}`);
        }
    });
});
