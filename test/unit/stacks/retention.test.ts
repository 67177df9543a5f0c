import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { runStackGraph, stackFilePath, StackGraph } from "../../../cli/graph";
import { planMarkdown, planText } from "../../../cli/plan";
import { graphSql } from "../../../cli/sql/command";
import { removalStatements } from "../../../engines/removal";
import { retentionState } from "../../../components/retention";

const RELEASE = "quasar-nebula-1234";

/** The local stack with one Deployment retired on `retiredAt` (undefined: active). */
function stackWith(retiredAt: string | undefined, retentionDays?: number): string {
    const doc = YAML.parse(fs.readFileSync(stackFilePath("local"), "utf8"));
    const deployments = doc.config["astro-db:deployments"] as { release: string; retiredAt?: string; secrets?: string; pgbouncer?: boolean }[];
    // The stack's own secrets (create, without PgBouncer), so that retirement has secrets to remove.
    Object.assign(deployments.find((d) => d.release === RELEASE)!, { secrets: "create", pgbouncer: false });
    if (retiredAt) deployments.find((d) => d.release === RELEASE)!.retiredAt = retiredAt;
    if (retentionDays !== undefined) doc.config["astro-db:retentionDays"] = retentionDays;
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "astro-db-retention-")), "Pulumi.local.yaml");
    fs.writeFileSync(file, YAML.stringify(doc));
    return file;
}

const mine = (g: StackGraph) => g.resources.filter((r) => r.name.startsWith(RELEASE));
const day = (s: string) => new Date(`${s}T12:00:00Z`);

describe("retention of a removed Deployment (seed 002)", () => {
    it("judges the state from the retirement day and the period", () => {
        assert.deepStrictEqual(retentionState(undefined, 15, day("2026-11-23")), { state: "active" });
        assert.deepStrictEqual(retentionState("2026-11-20", 15, day("2026-11-23")), { state: "retired", retiredAt: "2026-11-20", removeOn: "2026-12-05", daysLeft: 12 });
        assert.deepStrictEqual(retentionState("2026-11-20", 15, day("2026-12-04")).state, "retired");
        assert.deepStrictEqual(retentionState("2026-11-20", 15, day("2026-12-05")), { state: "expired", retiredAt: "2026-11-20", removeOn: "2026-12-05" });
        assert.throws(() => retentionState("2026-02-30", 15, day("2026-11-23")), /not a calendar date/);
    });

    it("active: login enabled, secrets present, database and role kept on delete", async () => {
        const g = await runStackGraph("local", { file: stackWith(undefined), today: day("2026-11-23") });
        const role = mine(g).find((r) => r.type === "postgresql:index/role:Role")!;
        assert.strictEqual(role.inputs.login, true);
        assert.strictEqual(mine(g).filter((r) => r.type === "kubernetes:core/v1:Secret").length, 3);
        for (const r of mine(g).filter((x) => /database:Database|role:Role/.test(x.type))) assert.ok(r.options.retainOnDelete);
        assert.deepStrictEqual((g.outputs.retention as Record<string, unknown>)[RELEASE], { state: "active" });
    });

    it("retired within the period: login disabled, secrets removed, database and role kept; the plan says until when", async () => {
        const g = await runStackGraph("local", { file: stackWith("2026-11-20"), today: day("2026-11-23") });
        const role = mine(g).find((r) => r.type === "postgresql:index/role:Role")!;
        assert.strictEqual(role.inputs.login, false);
        assert.strictEqual(mine(g).filter((r) => r.type === "kubernetes:core/v1:Secret").length, 0);
        assert.ok(mine(g).some((r) => r.type === "postgresql:index/database:Database" && r.options.retainOnDelete));
        assert.ok(!mine(g).some((r) => r.name.endsWith("-removal")));
        assert.match(planText(g), /quasar-nebula-1234: retired since 2026-11-20; .*database kept until 2026-12-05 \(12 days left\)/);
        assert.match(planMarkdown(g), /### Retention/);
        // The fernet key stays in the stack, so un-retiring restores the same key.
        assert.ok(mine(g).some((r) => r.type === "random:index/randomBytes:RandomBytes" && r.parent === RELEASE));
    });

    it("revokes a grant that leaves the stack while its database stays, skips the revoke when the database leaves too (deletedWith), keeps schemas", async () => {
        const g = await runStackGraph("local", { file: stackWith(undefined), today: day("2026-11-23") });
        const grants = mine(g).filter((r) => /grant:Grant|defaultPrivileges/.test(r.type));
        assert.ok(grants.length >= 8);
        for (const r of grants) {
            assert.strictEqual(r.options.retainOnDelete, false, r.name);
            assert.strictEqual(r.options.deletedWith, `${RELEASE}-database`, r.name);
        }
        for (const r of mine(g).filter((x) => /schema:Schema|database:Database|role:Role/.test(x.type))) assert.strictEqual(r.options.retainOnDelete, true, r.name);
        const failover = g.resources.filter((r) => r.inputs.__kind === "RoleMembership");
        assert.ok(failover.length >= 7, "the failover Deployment's memberships");
        for (const r of failover) assert.strictEqual(r.options.retainOnDelete, false, `${r.name}: a membership that leaves the stack is revoked`);
    });

    it("lifts protect from a retired Deployment on a protected stack, so its removal can proceed; data stays retained", async () => {
        const doc = YAML.parse(fs.readFileSync(stackWith("2026-11-20"), "utf8"));
        doc.config["astro-db:protect"] = true;
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "astro-db-retention-")), "Pulumi.local.yaml");
        fs.writeFileSync(file, YAML.stringify(doc));
        const g = await runStackGraph("local", { file, today: day("2026-11-23") });
        for (const r of mine(g).filter((x) => /database:Database|role:Role/.test(x.type))) {
            assert.strictEqual(r.options.protect, false, r.name);
            assert.strictEqual(r.options.retainOnDelete, true, r.name);
        }
        assert.ok(g.resources.filter((r) => r.name.startsWith("amateur-sunspot-5075") && r.type === "postgresql:index/database:Database").every((r) => r.options.protect));
    });

    it("past the period: one explicit, dated removal drops its database and roles; nothing else is registered", async () => {
        const g = await runStackGraph("local", { file: stackWith("2026-11-01"), today: day("2026-11-23") });
        const own = mine(g);
        assert.deepStrictEqual(own.map((r) => r.name), [`${RELEASE}-removal`]);
        const removal = own[0];
        assert.strictEqual(removal.type, "pulumi-nodejs:dynamic:Resource");
        assert.strictEqual(removal.inputs.__kind, "DatabaseRemoval");
        assert.strictEqual(removal.inputs.database, "airflow_db_quasar_nebula_1234");
        assert.deepStrictEqual(removal.inputs.roles, ["astro_quasar_nebula_1234"]);
        assert.ok(removal.secretInputs.includes("connection"), "the admin connection is a secret input");
        assert.match(planText(g), /retention ended 2026-11-16: THIS UPDATE DROPS/);
        // `astro-db sql` shows the drop for review, with nothing of the Deployment's creation.
        const sql = graphSql(g, { deployment: RELEASE });
        // Behind a psql variable: a script handed to a DBA drops only with `psql -v confirm_drop=1`.
        // `:{?confirm_drop}` alone would be true for 0 or yes: the value itself is compared with '1'
        // (run in real psql by test/integration/postgres.test.ts).
        assert.match(sql, /\\if :\{\?confirm_drop\}\nSELECT :'confirm_drop' = '1' AS astro_db_run \\gset\n\\else\n\\set astro_db_run false\n\\endif\n\\if :astro_db_run\nDO \$astro_db_removal\$\n[^]*\nDROP DATABASE IF EXISTS "airflow_db_quasar_nebula_1234" WITH \(FORCE\);\nDROP ROLE IF EXISTS "astro_quasar_nebula_1234";\n\\else\n\\echo astro-db: skipped quasar-nebula-1234-removal .*confirm_drop=1.*\n\\endif/);
        assert.ok(!/CREATE DATABASE "airflow_db_quasar_nebula_1234"/.test(sql));
        // Other Deployments are untouched.
        assert.ok(g.resources.some((r) => r.name === "amateur-sunspot-5075-database"));
    });

    it("refuses a retirement day in the future, before anything is registered", async () => {
        await assert.rejects(runStackGraph("local", { file: stackWith("2026-12-01"), today: day("2026-11-23") }),
            /astro-db:deployments\[1\]\.retiredAt: 2026-12-01 is after today \(2026-11-23\)/);
    });

    it("a longer retention period keeps it longer", async () => {
        const g = await runStackGraph("local", { file: stackWith("2026-11-01", 30), today: day("2026-11-23") });
        assert.strictEqual((g.outputs.retention as Record<string, { state: string }>)[RELEASE].state, "retired");
    });

    it("drops with quoted identifiers, after taking the roles' privileges it lacks (a non-superuser admin) and ending open sessions", () => {
        const [take, terminate, ...drops] = removalStatements("postgres", 'db"x', ["r1", "r'2"]);
        assert.match(take, /rolname = ANY\(ARRAY\['r1', 'r''2'\]::text\[\]\)/, "only the Deployment's own roles");
        assert.match(take, /IF NOT pg_catalog\.pg_has_role\(current_user, r, 'USAGE'\) THEN\n\s+EXECUTE format\('GRANT %I TO %I', r, current_user\)/);
        assert.match(take, /ALTER DATABASE %I ALLOW_CONNECTIONS false', 'db"x'\)/);
        assert.strictEqual(terminate, `SELECT pid, pg_catalog.pg_terminate_backend(pid, 5000) FROM pg_catalog.pg_stat_activity WHERE datname = 'db"x' AND pid <> pg_catalog.pg_backend_pid()`);
        assert.deepStrictEqual(drops, [`DROP DATABASE IF EXISTS "db""x" WITH (FORCE)`, `DROP ROLE IF EXISTS "r1"`, `DROP ROLE IF EXISTS "r'2"`]);
        assert.deepStrictEqual(removalStatements("mysql", "db", ["u"]), ["DROP DATABASE IF EXISTS `db`", "DROP USER IF EXISTS 'u'@'%'"]);
    });
});
