import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { compareGraphs, renderFindings } from "../../../cli/compare";
import { runStackGraph, stackFilePath } from "../../../cli/graph";

/** prod's stack file, edited. */
function prodWith(edit: (config: Record<string, any>) => void): string {
    const doc = YAML.parse(fs.readFileSync(stackFilePath("prod"), "utf8"));
    edit(doc.config);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "astro-db-compare-")), "Pulumi.prod.yaml");
    fs.writeFileSync(file, YAML.stringify(doc));
    return file;
}

describe("plan --against: what a reviewer must see", () => {
    it("flags an input change that makes AWS replace the RDS instance", async () => {
        const base = await runStackGraph("prod");
        const head = await runStackGraph("prod", { file: prodWith((c) => (c["astro-db:servers"][0].rds.kmsKeyId = "arn:aws:kms:us-east-1:123456789012:key/abc")) });
        const findings = compareGraphs(base, head);
        assert.deepStrictEqual(findings.map((f) => [f.severity, f.resource]), [["replace", "main-instance"]]);
        assert.match(findings[0].message, /^kmsKeyId changes unset -> "arn:aws:kms.*AWS REPLACES this instance/);
    });

    it("says a Deployment removed from the stack is forgotten, not dropped, and that protect blocks it", async () => {
        const base = await runStackGraph("prod");
        const head = await runStackGraph("prod", { file: prodWith((c) => c["astro-db:deployments"].pop()) });
        const findings = compareGraphs(base, head);
        assert.deepStrictEqual(findings.map((f) => f.resource).sort(), ["quasar-nebula-1234-database", "quasar-nebula-1234-user"]);
        for (const f of findings) {
            assert.strictEqual(f.severity, "forget");
            assert.match(f.message, /stays on the server.*protected/);
        }
    });

    it("flags the removal that drops a Deployment whose retention has ended", async () => {
        const base = await runStackGraph("prod");
        const head = await runStackGraph("prod", { file: prodWith((c) => (c["astro-db:deployments"][1].retiredAt = "2020-01-01")) });
        const findings = compareGraphs(base, head).filter((f) => f.severity === "drop");
        assert.deepStrictEqual(findings.map((f) => f.resource), ["quasar-nebula-1234-removal"]);
        assert.match(renderFindings("main", findings), /! \[drop\] quasar-nebula-1234-removal: drops database airflow_db_quasar_nebula_1234/);
    });

    it("finds nothing to flag when nothing changes", async () => {
        assert.deepStrictEqual(compareGraphs(await runStackGraph("prod"), await runStackGraph("prod")), []);
    });
});
