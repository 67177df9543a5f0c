/**
 * The MySQL half of `astro-db sql` without a server: the translators over the mysql-dev stack's graph
 * and the script `sql` prints.
 */
import * as assert from "assert";
import { runStackGraph, StackGraph } from "../../../../cli/graph";
import { stackSql } from "../../../../cli/sql/command";
import { translateGraph } from "../../../../cli/sql/registry";
import { MYSQL_PRIVILEGES } from "../../../../engines/mysql/privileges";

describe("MySQL translators over the mysql-dev stack", () => {
    let g: StackGraph;
    before(async () => {
        g = await runStackGraph("mysql-dev");
    });

    it("give each Deployment, in order, database (create, ensure), user (create, ensure) and grant, with no warning", () => {
        const { steps, warnings } = translateGraph(g);
        assert.deepStrictEqual(warnings, []);
        for (const d of g.spec.deployments) {
            const mine = steps.filter((s) => s.deployment === d.release);
            assert.deepStrictEqual(mine.map((s) => `${s.kind}:${s.action}`), ["database:create", "database:ensure", "user:create", "user:ensure", "grant:ensure"]);
            assert.ok(mine.every((s) => s.engine === "mysql" && s.server === "main" && s.transactional === false));
            const user = mine[2];
            assert.strictEqual(user.setsPasswordOf, d.names.user);
            assert.strictEqual(user.declaredPassword, undefined, "the password is generated");
            assert.deepStrictEqual(mine[4].declares, [{
                engine: "mysql", type: "privileges", user: d.names.user, host: "%", database: d.names.database.replace(/_/g, "\\_"), table: "*", privileges: [...MYSQL_PRIVILEGES].sort(),
            }]);
        }
    });

    it("print a mysql script with the passwords as user variables, never in clear", async () => {
        const text = await stackSql("mysql-dev", { deployment: "quasar-nebula-1234" });
        assert.match(text, /-- astro-db sql --stack mysql-dev --deployment quasar-nebula-1234: server "main" \(MySQL\)/);
        assert.match(text, /--\s+SET @astro_db_password_astro_quasar_nebula_1234 = '<password>';/);
        assert.match(text, /QUOTE\(@astro_db_password_astro_quasar_nebula_1234\)/);
        assert.match(text, /^GRANT .* ON `airflow\\_db\\_quasar\\_nebula\\_1234`\.\* TO 'astro_quasar_nebula_1234'@'%';$/m);
        assert.ok(!text.includes("amateur"), "only the Deployment asked for");
        assert.ok(!text.includes("generated-by-pulumi-up"));
    });
});
