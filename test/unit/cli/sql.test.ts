import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { GraphResource, runStackGraph, StackGraph, stackFilePath } from "../../../cli/graph";
import { GENERATED_PLACEHOLDER, SECRET_MASK } from "../../../engines/model";
import * as sql from "../../../engines/postgres/statements";
import { graphSql, stackSql } from "../../../cli/sql/command";
import { PgDeclaration, SqlStep } from "../../../engines/model";
import { translateGraph } from "../../../cli/sql/registry";
import { ALL_TRANSLATORS } from "../../../engines";
import type { Translator } from "../../../engines/model";
import { segmentSteps } from "../../../engines/postgres/render";

const render = (s: SqlStep) => s.statements({ password: (r) => sql.psqlVariable(sql.passwordVariable(r)) });

/** The local stack's file with its servers' admin edited: a managed server whose admin is no superuser (RDS). */
function localAsNonSuperuser(): string {
    const doc = YAML.parse(fs.readFileSync(stackFilePath("local"), "utf8"));
    const server = doc.config["astro-db:servers"][0].existing;
    server.adminUser = "rds_admin";
    server.superuser = false;
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "astro-db-sql-")), "Pulumi.local.yaml");
    fs.writeFileSync(file, YAML.stringify(doc));
    return file;
}

describe("astro-db sql: the local stack's resources as SQL", () => {
    let graph: StackGraph;
    let steps: SqlStep[];
    before(async () => {
        graph = await runStackGraph("local");
        steps = translateGraph(graph).steps;
    });

    const of = (release: string) => steps.filter((s) => s.deployment === release);

    it("orders each Deployment's SQL by the graph: database, role, public's grant, the user's grants, then default privileges", () => {
        assert.deepStrictEqual(of("quasar-nebula-1234").map((s) => `${s.kind}:${s.action}:${s.resource.name.replace("quasar-nebula-1234-", "")}`), [
            "database:create:database", "database:ensure:database",
            "role:create:user", "role:ensure:user",
            "grant:ensure:public-connect", "grant:ensure:database-grant", "grant:ensure:schema-grant",
            "grant:ensure:tables-grant", "grant:ensure:sequences-grant", "grant:ensure:functions-grant",
            "default privileges:ensure:tables-default", "default privileges:ensure:sequences-default", "default privileges:ensure:functions-default",
        ]);
        // Deployments follow the stack's order.
        const order = [...new Set(steps.map((s) => s.deployment))];
        assert.deepStrictEqual(order, graph.spec.deployments.map((d) => d.release));
    });

    it("revokes everything and then grants the list, in one step, as the postgresql provider's Grant does", () => {
        const grants = of("stellar-orbit-4821").filter((s) => s.kind === "grant").map(render);
        assert.deepStrictEqual(grants, [
            ['REVOKE ALL PRIVILEGES ON DATABASE "airflow_db_stellar_orbit_4821" FROM PUBLIC', 'GRANT TEMPORARY ON DATABASE "airflow_db_stellar_orbit_4821" TO PUBLIC'],
            ['REVOKE ALL PRIVILEGES ON DATABASE "airflow_db_stellar_orbit_4821" FROM "astro_stellar_orbit_4821"', 'GRANT CONNECT, CREATE, TEMPORARY ON DATABASE "airflow_db_stellar_orbit_4821" TO "astro_stellar_orbit_4821"'],
            ['REVOKE ALL PRIVILEGES ON SCHEMA "airflow" FROM "astro_stellar_orbit_4821"', 'GRANT CREATE, USAGE ON SCHEMA "airflow" TO "astro_stellar_orbit_4821"'],
            ['REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA "airflow" FROM "astro_stellar_orbit_4821"', 'GRANT DELETE, INSERT, REFERENCES, SELECT, TRIGGER, TRUNCATE, UPDATE ON ALL TABLES IN SCHEMA "airflow" TO "astro_stellar_orbit_4821"'],
            ['REVOKE ALL PRIVILEGES ON ALL SEQUENCES IN SCHEMA "airflow" FROM "astro_stellar_orbit_4821"', 'GRANT SELECT, UPDATE, USAGE ON ALL SEQUENCES IN SCHEMA "airflow" TO "astro_stellar_orbit_4821"'],
            ['REVOKE ALL PRIVILEGES ON ALL FUNCTIONS IN SCHEMA "airflow" FROM "astro_stellar_orbit_4821"', 'GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA "airflow" TO "astro_stellar_orbit_4821"'],
        ]);
        const defaults = of("stellar-orbit-4821").filter((s) => s.kind === "default privileges").map(render);
        assert.deepStrictEqual(defaults[0], [
            'ALTER DEFAULT PRIVILEGES FOR ROLE "postgres" IN SCHEMA "airflow" REVOKE ALL ON TABLES FROM "astro_stellar_orbit_4821"',
            'ALTER DEFAULT PRIVILEGES FOR ROLE "postgres" IN SCHEMA "airflow" GRANT DELETE, INSERT, REFERENCES, SELECT, TRIGGER, TRUNCATE, UPDATE ON TABLES TO "astro_stellar_orbit_4821"',
        ]);
    });

    it("creates the schema a Deployment asks for and sets it as its user's search_path", () => {
        const stellar = of("stellar-orbit-4821");
        const schema = stellar.find((s) => s.kind === "schema" && s.action === "create")!;
        assert.deepStrictEqual(render(schema), ['CREATE SCHEMA IF NOT EXISTS "airflow" AUTHORIZATION "postgres"']);
        assert.strictEqual(schema.database, "airflow_db_stellar_orbit_4821");
        const role = stellar.find((s) => s.kind === "role" && s.action === "create")!;
        assert.deepStrictEqual(render(role).slice(1), ['ALTER ROLE "astro_stellar_orbit_4821" SET search_path TO "airflow"']);
        assert.ok(!render(of("quasar-nebula-1234").find((s) => s.kind === "role" && s.action === "create")!).some((t) => /search_path/.test(t)));
    });

    it("runs CREATE DATABASE outside a transaction, guarded, and the rest in one transaction in the Deployment's database", () => {
        const segments = segmentSteps(of("quasar-nebula-1234"), "postgres");
        assert.deepStrictEqual(segments.map((g) => [g.database, g.transactional, g.steps.length]), [
            ["postgres", false, 1],
            ["airflow_db_quasar_nebula_1234", true, 12],
        ]);
        assert.match(segments[0].steps[0].guard!, /NOT EXISTS \(SELECT FROM pg_catalog\.pg_database WHERE datname = 'airflow_db_quasar_nebula_1234'\)/);
    });

    it("takes no temporary memberships for a superuser admin", () => {
        assert.ok(!steps.some((s) => render(s).some((t) => /astro_db\.temporary_roles/.test(t))));
    });

    it("prints a psql script: \\connect before each Deployment's transaction, passwords as psql variables, nothing in clear", async () => {
        const script = await stackSql("local", { deployment: "quasar-nebula-1234" });
        const lines = script.split("\n");
        const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
        assert.ok(at(/^CREATE DATABASE "airflow_db_quasar_nebula_1234"/) < at(/^\\connect "airflow_db_quasar_nebula_1234"$/));
        assert.ok(at(/^\\connect "airflow_db_quasar_nebula_1234"$/) < at(/^BEGIN;$/));
        assert.ok(at(/^BEGIN;$/) < at(/^CREATE ROLE/) && at(/^CREATE ROLE/) < at(/^COMMIT;$/));
        assert.match(script, /^CREATE ROLE "astro_quasar_nebula_1234" WITH ENCRYPTED PASSWORD :'astro_quasar_nebula_1234_password' /m);
        assert.match(script, /^SELECT NOT EXISTS \(SELECT FROM pg_catalog\.pg_roles WHERE rolname = 'astro_quasar_nebula_1234'\) AS astro_db_run \\gset$/m);
        assert.ok(!script.includes("amateur-sunspot-5075"), "only the Deployment asked for");
        assert.ok(!script.includes(GENERATED_PLACEHOLDER));
        // Every name in an SQL line is quoted (or a string literal in a catalog check).
        for (const line of lines.filter((l) => !l.startsWith("--") && !l.startsWith("\\echo"))) {
            assert.doesNotMatch(line, /(?<!["'])\b(airflow_db_quasar_nebula_1234|astro_quasar_nebula_1234)\b(?!["'_])/, line);
        }
    });

    it("keeps generated passwords out even with --show-passwords (they exist only after apply)", async () => {
        const script = await stackSql("local", { showPasswords: true });
        assert.ok(!script.includes(GENERATED_PLACEHOLDER));
        assert.match(script, /PASSWORD :'astro_stellar_orbit_4821_password'/);
    });

    it("shows a password the stack declares only with --show-passwords, as a quoted literal", async () => {
        const declare = (g: StackGraph, password: string): StackGraph => ({
            ...g, resources: g.resources.map((r) => (r.name === "quasar-nebula-1234-user" ? { ...r, inputs: { ...r.inputs, password } } : r)),
        });
        const revealed = await runStackGraph("local", { revealSecrets: true });
        const shown = graphSql(declare(revealed, "it's-declared"), { deployment: "quasar-nebula-1234", showPasswords: true });
        assert.match(shown, /^CREATE ROLE "astro_quasar_nebula_1234" WITH ENCRYPTED PASSWORD 'it''s-declared' /m);
        assert.doesNotMatch(shown, /astro_quasar_nebula_1234_password/);
        const masked = graphSql(declare(graph, SECRET_MASK), { deployment: "quasar-nebula-1234" });
        assert.match(masked, /PASSWORD :'astro_quasar_nebula_1234_password'/);
        assert.doesNotMatch(masked, /it''s-declared/);
    });

    it("refuses a Deployment the stack does not have", async () => {
        await assert.rejects(stackSql("local", { deployment: "no-such-thing" }), /has no Deployment "no-such-thing"/);
    });
});

describe("astro-db sql: a failover Deployment with customer-managed users (seed 004)", () => {
    const release = "amateur-sunspot-5075";
    let steps: SqlStep[];
    let script: string;
    before(async () => {
        const graph = await runStackGraph("local");
        steps = translateGraph(graph, { deployment: release }).steps;
        script = graphSql(graph, { deployment: release });
    });
    const named = (suffix: string) => steps.find((s) => s.resource.name === `${release}-${suffix}`)!;

    it("guards the planes' CONNECT grants: they run only while no plane can connect, so running the script again never undoes a failover", () => {
        for (const [plane, grants] of [["dp1", true], ["dp2", false]] as const) {
            const step = named(`${plane}-connect`);
            assert.strictEqual(step.ignoreDrift, true);
            const [block, ...rest] = render(step);
            assert.deepStrictEqual(rest, []);
            assert.match(block, /IF NOT EXISTS \(SELECT FROM pg_catalog\.pg_roles WHERE rolname IN \('dp1_user_amateur_sunspot_5075', 'dp2_user_amateur_sunspot_5075'\) AND pg_catalog\.has_database_privilege\(oid, 'airflow_db_amateur_sunspot_5075', 'CONNECT'\)\) THEN/);
            assert.match(block, new RegExp(`REVOKE ALL PRIVILEGES ON DATABASE "airflow_db_amateur_sunspot_5075" FROM "${plane}_user_amateur_sunspot_5075";`));
            assert.strictEqual(/GRANT CONNECT ON DATABASE/.test(block), grants, "only the first plane is granted CONNECT");
            assert.deepStrictEqual(step.declares, [{
                engine: "postgres", type: "plane-connect", database: "airflow_db_amateur_sunspot_5075",
                planes: [{ plane: "dp1", role: "dp1_user_amateur_sunspot_5075" }, { plane: "dp2", role: "dp2_user_amateur_sunspot_5075" }],
            }]);
        }
        assert.doesNotMatch(script, /^GRANT CONNECT ON DATABASE "airflow_db_amateur_sunspot_5075" TO "dp[12]_user/m, "no unguarded CONNECT grant to a plane");
    });

    it("makes the Astro role the NOLOGIN data role without CONNECT, and each login role switch to it and be its member", () => {
        assert.match(render(steps.find((s) => s.resource.name === `${release}-user` && s.action === "create")!)[0], /^CREATE ROLE "astro_amateur_sunspot_5075" WITH VALID UNTIL .* NOLOGIN /);
        assert.deepStrictEqual(render(named("database-grant"))[1], 'GRANT CREATE, TEMPORARY ON DATABASE "airflow_db_amateur_sunspot_5075" TO "astro_amateur_sunspot_5075"');
        for (const plane of ["dp1", "dp2"]) {
            const create = steps.find((s) => s.resource.name === `${release}-${plane}-login-role` && s.action === "create")!;
            assert.ok(render(create).includes(`ALTER ROLE "${plane}_user_amateur_sunspot_5075" SET ROLE TO "astro_amateur_sunspot_5075"`));
            const ensure = steps.find((s) => s.resource.name === `${release}-${plane}-login-role` && s.action === "ensure")!;
            assert.strictEqual((ensure.declares[0] as Extract<PgDeclaration, { type: "role-attributes" }>).assumeRole, "astro_amateur_sunspot_5075");
            const membership = named(`${plane}-data-role`);
            assert.deepStrictEqual(membership.declares, [{ engine: "postgres", type: "membership", role: "astro_amateur_sunspot_5075", member: `${plane}_user_amateur_sunspot_5075`, admin: false, inherit: true, set: true }]);
            assert.ok(steps.indexOf(membership) > steps.findIndex((s) => s.resource.name === `${release}-user`), "after the data role exists");
        }
        assert.ok(!script.includes("astro_amateur_sunspot_5075_password"), "the data role has no password");
    });
});

describe("astro-db sql: a managed server whose admin is no superuser (RDS)", () => {
    let steps: SqlStep[];
    before(async () => {
        const graph = await runStackGraph("local", { file: localAsNonSuperuser() });
        steps = translateGraph(graph).steps.filter((s) => s.deployment === "stellar-orbit-4821");
    });

    it("makes the admin a member of the objects' owners around grants on a schema's objects, as the provider's withRolesGranted does", () => {
        const tables = render(steps.find((s) => s.resource.name === "stellar-orbit-4821-tables-grant")!);
        assert.strictEqual(tables.length, 4);
        assert.match(tables[0], /^DO \$astro_db\$/);
        assert.match(tables[0], /EXECUTE format\('GRANT %I TO %I', r, current_user\)/);
        assert.match(tables[0], /relnamespace = \(SELECT oid FROM pg_catalog\.pg_namespace WHERE nspname = 'airflow'\)/);
        assert.match(tables[1], /^REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA "airflow"/);
        assert.match(tables[2], /^GRANT DELETE/);
        assert.match(tables[3], /EXECUTE format\('REVOKE %I FROM %I', r, current_user\)/);
        // Default privileges FOR ROLE the admin itself need no membership; the DO block skips current_user.
        assert.match(render(steps.find((s) => s.resource.name === "stellar-orbit-4821-tables-default")!)[0], /unnest\(ARRAY\['rds_admin'\]::text\[\]\)/);
    });

    it("takes none for grants on the database itself, which the admin owns", () => {
        assert.strictEqual(render(steps.find((s) => s.resource.name === "stellar-orbit-4821-database-grant")!).length, 2);
    });
});

describe("the translator registry", () => {
    it("dispatches dynamic resources by their __kind input and warns about those it cannot translate", async () => {
        const graph = await runStackGraph("local");
        const dynamic = (name: string, kind: string, parent: string): GraphResource => ({
            type: "pulumi-nodejs:dynamic:Resource", name, parent, custom: true, inputs: { __kind: kind, role: "a", member: "b" }, secretInputs: [],
            options: { protect: false, retainOnDelete: false, dependsOn: [`${parent}-user`], ignoreChanges: [] },
        });
        const withDynamic: StackGraph = { ...graph, resources: [...graph.resources, dynamic("q-membership", "TestMembership", "quasar-nebula-1234"), dynamic("q-other", "TestUnknownKind", "quasar-nebula-1234")] };
        const testMembership: Translator = (r) => [{
            engine: "postgres", resource: { type: r.type, name: r.name }, kind: "membership", action: "ensure", server: "", transactional: true,
            statements: () => [sql.grantRoleMembership(String(r.inputs.role), String(r.inputs.member))],
            declares: [{ engine: "postgres", type: "membership", role: String(r.inputs.role), member: String(r.inputs.member) }],
        }];
        const translators = { ...ALL_TRANSLATORS, byDynamicKind: { ...ALL_TRANSLATORS.byDynamicKind, TestMembership: testMembership } };
        const { steps, warnings } = translateGraph(withDynamic, { deployment: "quasar-nebula-1234", translators });
        const m = steps.find((s) => s.resource.name === "q-membership")!;
        assert.strictEqual(m.deployment, "quasar-nebula-1234");
        assert.strictEqual(m.server, "local");
        assert.deepStrictEqual(render(m), ['GRANT "a" TO "b"']);
        assert.ok(steps.indexOf(m) > steps.findIndex((s) => s.resource.name === "quasar-nebula-1234-user"), "after what it depends on");
        assert.ok(warnings.some((w) => /TestUnknownKind.*q-other/.test(w)));
    });
});
