/**
 * plan --against as a reviewer reads it: the resource diff in Pulumi's terms, the PR comment, a
 * saved plan as the base, and the policy rules run offline. The example comment in
 * docs/review-example.md is regenerated here and must match (ASTRO_DB_UPDATE_EXAMPLES=1 rewrites it).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { diffPlans, ResourceChange } from "../../../cli/diff";
import { runStackGraph, stackFilePath, StackGraph } from "../../../cli/graph";
import { planJson } from "../../../cli/plan";
import { execFileSync } from "child_process";
import { commentMarker, policyViolations, readPlanFile, renderReviewMarkdown, renderReviewText, review, reviewExitCode, reviewGraphs, reviewJson } from "../../../cli/review";

const TODAY = new Date("2026-12-01T00:00:00Z");

function stackWith(edit: (config: Record<string, any>) => void, stack = "prod"): string {
    const doc = YAML.parse(fs.readFileSync(stackFilePath(stack), "utf8"));
    edit(doc.config);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "astro-db-review-")), `Pulumi.${stack}.yaml`);
    fs.writeFileSync(file, YAML.stringify(doc));
    return file;
}

/** The README's example: prod's engine 16 -> 17 (allowed), a customer KMS key, one Deployment replaced by another. */
const EXAMPLE_EDIT = (c: Record<string, any>) => {
    Object.assign(c["astro-db:servers"][0].rds, { engineVersion: "17", allowMajorVersionUpgrade: true, kmsKeyId: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" });
    c["astro-db:deployments"][1] = { release: "nebular-pulsar-4242", executor: "KubernetesExecutor" };
};

const one = (changes: ResourceChange[], name: string) => {
    const c = changes.find((x) => x.name === name);
    assert.ok(c, `no change for ${name}`);
    return c;
};

describe("plan --against: the resource diff and the PR comment", function () {
    this.timeout(60_000);
    let base: StackGraph;
    let example: StackGraph;
    before(async () => {
        base = await runStackGraph("prod", { today: TODAY });
        example = await runStackGraph("prod", { file: stackWith(EXAMPLE_EDIT), today: TODAY });
    });

    it("names the input that forces each replacement, and forgets (not deletes) what leaves with retainOnDelete", () => {
        const changes = diffPlans(base, example);
        const params = one(changes, "main-params");
        assert.strictEqual(params.action, "replace");
        assert.deepStrictEqual(params.replaceBecause, ["family", "name"]);
        assert.strictEqual(params.protect, false, "the parameter group a major upgrade replaces is not protected");
        assert.strictEqual(params.refused, undefined);
        const instance = one(changes, "main-instance");
        assert.strictEqual(instance.action, "replace");
        assert.deepStrictEqual(instance.replaceBecause, ["kmsKeyId"]);
        assert.match(instance.refused!, /protected/);
        assert.deepStrictEqual(instance.changes.find((c) => c.input === "engineVersion"), { input: "engineVersion", old: "16", new: "17", secret: false, forcesReplacement: false });
        assert.strictEqual(one(changes, "quasar-nebula-1234-database").action, "forget");
        assert.strictEqual(one(changes, "quasar-nebula-1234-password").action, "delete");
        assert.strictEqual(one(changes, "nebular-pulsar-4242-database").action, "create");
        assert.strictEqual(one(changes, "nebular-pulsar-4242-database").group, "Deployment nebular-pulsar-4242");
        assert.strictEqual(one(changes, "amateur-sunspot-5075-database").action, "same");
    });

    it("a major upgrade alone is an update of the instance and a replacement of an unprotected parameter group: nothing is refused", async () => {
        const head = await runStackGraph("prod", { file: stackWith((c) => Object.assign(c["astro-db:servers"][0].rds, { engineVersion: "17", allowMajorVersionUpgrade: true })), today: TODAY });
        const changes = diffPlans(base, head).filter((c) => c.action !== "same");
        assert.deepStrictEqual(changes.map((c) => [c.action, c.name]), [["replace", "main-params"], ["update", "main-instance"]]);
        assert.deepStrictEqual(changes.filter((c) => c.refused), []);
    });

    it("shows a changed secret as [secret] changed, never its value; an unchanged one not at all", async () => {
        // prod's default secrets owner (houston) registers no Secret: the stack owns quasar-nebula-1234's here.
        const owned = (c: Record<string, any>) => (c["astro-db:deployments"][1].secrets = "create");
        const before = await runStackGraph("prod", { file: stackWith(owned), today: TODAY });
        const head = await runStackGraph("prod", { file: stackWith((c) => { owned(c); c["astro-db:servers"][0].rds.identifier = "astro-prod-airflow-2"; }), today: TODAY });
        const changes = diffPlans(before, head);
        const secret = one(changes, "quasar-nebula-1234-metadata");
        assert.strictEqual(secret.action, "update");
        assert.deepStrictEqual(secret.changes, [{ input: "stringData", old: "[secret]", new: "[secret]", secret: true, forcesReplacement: false }]);
        assert.match(renderReviewText(reviewGraphs("prod", before, head, { rev: "main", base: "compared" })), /~ stringData: "\[secret\]" => "\[secret\]" \(\[secret\] changed\)/);
        assert.deepStrictEqual(one(changes, "main-subnets").replaceBecause, ["name"]);
        assert.strictEqual(one(changes, "main-instance").action, "update", "a rename is in place");
        assert.strictEqual(one(changes, "quasar-nebula-1234-user").action, "same", "its password did not change");
    });

    it("against a git revision: the stack file there is the base; --fail-on and JSON", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "astro-db-review-git-"));
        const git = (...a: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...a], { cwd: dir });
        git("init", "-q");
        fs.copyFileSync(stackFilePath("prod"), path.join(dir, "Pulumi.prod.yaml"));
        git("add", "."); git("commit", "-q", "-m", "base");
        const file = path.join(dir, "Pulumi.prod.yaml");
        fs.copyFileSync(stackWith(EXAMPLE_EDIT), file);
        const r = await review("prod", example, { rev: "HEAD" }, { file, today: TODAY });
        assert.deepStrictEqual(r.against, { rev: "HEAD", base: "compared" });
        assert.deepStrictEqual(r.changes.map((c) => [c.action, c.name]), diffPlans(base, example).map((c) => [c.action, c.name]));
        assert.strictEqual(reviewExitCode(r, "replace"), 1);
        assert.strictEqual(reviewExitCode(r, "drop"), 0);
        const doc = JSON.parse(reviewJson(planJson(example), r));
        assert.deepStrictEqual(doc.diff.counts, { create: 13, update: 0, replace: 3, delete: 2, forget: 11, same: 17 });
        assert.deepStrictEqual(doc.diff.resources.find((x: { name: string }) => x.name === "main-params").replaceBecause, ["family", "name"]);
    });

    it("diffs against a saved plan JSON as against the stack program", () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "astro-db-saved-")), "plan.json");
        fs.writeFileSync(file, planJson(base));
        const saved = readPlanFile(file);
        const strip = (l: ResourceChange[]) => l.map((c) => [c.action, c.name, c.replaceBecause, c.changes.length]);
        assert.deepStrictEqual(strip(diffPlans(saved, example)), strip(diffPlans(base, example)));
    });

    it("Markdown: the marker, the verdict and the findings first, counts, one collapsible block per group, nothing unchanged", () => {
        const md = renderReviewMarkdown({ ...reviewGraphs("prod", base, example, { rev: "HEAD", base: "compared" }), policy: policyViolations(example) });
        const lines = md.split("\n");
        assert.strictEqual(lines[0], commentMarker("prod"));
        assert.match(lines[3], /^\*\*Decide before merging: this change alters the database server \(main-instance kmsKeyId, main-instance engineVersion: .*`pulumi up` refuses 3 step\(s\) as planned \(protect\)\.\*\*$/);
        assert.ok(md.indexOf("**Findings**") < md.indexOf("| action | resources |"));
        assert.match(md, /\| replace \| 3 \|/);
        assert.match(md, /<details><summary><b>Deployment nebular-pulsar-4242<\/b>: 13 create<\/summary>/);
        assert.match(md, /<details><summary><b>Deployment quasar-nebula-1234<\/b>: 2 delete, 11 forget<\/summary>/);
        assert.ok(!md.includes("amateur-sunspot-5075"), "an unchanged Deployment is not listed");
        assert.match(renderReviewMarkdown(reviewGraphs("prod", base, example, { rev: "HEAD", base: "compared" }), { showUnchanged: true }), /Deployment amateur-sunspot-5075/);
    });

    it("Markdown: stays within the size bound and says what it cut", () => {
        const r = reviewGraphs("prod", { resources: [] }, example, { rev: "HEAD", base: "absent" });
        const full = renderReviewMarkdown(r);
        const small = renderReviewMarkdown(r, { maxChars: 4000 });
        assert.ok(full.length > 4000);
        assert.ok(small.length <= 4000, `${small.length}`);
        assert.match(small, /> Cut to fit a PR comment \(4000 characters\):.*run `npx astro-db plan --stack prod --against HEAD` for the whole diff/);
    });

    it("every stack file passes the policy rules offline (plan --policy)", async () => {
        for (const stack of ["prod", "dev", "staging", "local", "mysql-dev"]) {
            const g = stack === "prod" ? base : await runStackGraph(stack, { today: TODAY });
            assert.deepStrictEqual(policyViolations(g), [], stack);
        }
    });

    it("the README's example comment is what the tool prints (docs/review-example.md)", () => {
        const md = renderReviewMarkdown({ ...reviewGraphs("prod", base, example, { rev: "HEAD", base: "compared" }), policy: policyViolations(example) });
        const file = path.resolve(__dirname, "../../../docs/review-example.md");
        if (process.env.ASTRO_DB_UPDATE_EXAMPLES === "1") fs.writeFileSync(file, md);
        assert.strictEqual(fs.readFileSync(file, "utf8"), md, "regenerate with ASTRO_DB_UPDATE_EXAMPLES=1 and review the change");
        const readme = fs.readFileSync(path.resolve(__dirname, "../../../README.md"), "utf8");
        assert.ok(readme.includes(md.split("\n").slice(0, 4).join("\n")), "README quotes the example's first lines (marker, title, verdict)");
    });
});
