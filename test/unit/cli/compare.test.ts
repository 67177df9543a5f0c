import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { compareGraphs, compareWithRevision, failsOn } from "../../../cli/compare";
import { Finding } from "../../../cli/findings";
import { runStackGraph, stackFilePath } from "../../../cli/graph";
import { renderReviewText, type Review, reviewJson } from "../../../cli/review";
import { captureCli } from "../../support/cli";

/** A stack's file, edited, as YAML text. */
function stackText(edit: (config: Record<string, any>) => void = () => undefined, stack = "prod"): string {
    const doc = YAML.parse(fs.readFileSync(stackFilePath(stack), "utf8"));
    edit(doc.config);
    return YAML.stringify(doc);
}
const prodText = (edit?: (config: Record<string, any>) => void) => stackText(edit, "prod");

/** A stack's file, edited, in a temporary directory. */
function stackWith(edit: (config: Record<string, any>) => void, stack = "prod"): string {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "astro-db-compare-")), `Pulumi.${stack}.yaml`);
    fs.writeFileSync(file, stackText(edit, stack));
    return file;
}
const prodWith = (edit: (config: Record<string, any>) => void) => stackWith(edit, "prod");

/** The findings on a stack's RDS instance after an edit of its rds settings. */
async function rdsFindings(before: (rds: Record<string, any>) => void, after: (rds: Record<string, any>) => void, stack = "prod"): Promise<Finding[]> {
    const base = await runStackGraph(stack, { file: stackWith((c) => before(c["astro-db:servers"][0].rds), stack) });
    const head = await runStackGraph(stack, { file: stackWith((c) => after(c["astro-db:servers"][0].rds), stack) });
    return compareGraphs(base, head);
}

/** A git repository holding a stack file: `commits` are committed in order, `workTree` is left in the work tree. */
function repoWith(commits: { file?: string; text: string }[], workTree?: string, stack = "prod"): { file: string; revs: string[] } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "astro-db-against-"));
    const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: dir, encoding: "utf8" }).trim();
    git("init", "-q");
    const revs: string[] = [];
    for (const c of commits) {
        const name = c.file ?? `Pulumi.${stack}.yaml`;
        fs.writeFileSync(path.join(dir, name), c.text);
        git("add", name);
        git("commit", "-q", "-m", name);
        revs.push(git("rev-parse", "HEAD"));
    }
    const file = path.join(dir, `Pulumi.${stack}.yaml`);
    if (workTree !== undefined) fs.writeFileSync(file, workTree);
    return { file, revs };
}

/** Findings compared with `main`, as `plan --against main` holds them (cli/review.ts). */
const reviewOf = (findings: Finding[]): Review => ({ stack: "prod", against: { rev: "main", base: "compared" }, findings, changes: [] });

/** `astro-db plan --stack <stack> --stack-file <file> --against <rev>` and more options, in-process. */
const planAgainst = (stack: string, file: string, rev: string, ...more: string[]) => captureCli(["plan", "--stack", stack, "--stack-file", file, "--against", rev, ...more]);

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

    it("flags grants and memberships that pulumi up revokes: another orchestrator, failover turned off; not those deleted with their database", async () => {
        const base = await runStackGraph("local");
        const other = compareGraphs(base, await runStackGraph("local", { file: stackWith((c) => (c["astro-db:deployments"][0].failover.orchestratorUser = "other_orchestrator"), "local") }));
        assert.deepStrictEqual(other.map((f) => [f.severity, f.resource]), [
            ["revoke", "amateur-sunspot-5075-orchestrator-owner"],
            ["revoke", "amateur-sunspot-5075-orchestrator-terminator"],
        ]);
        assert.match(other[0].message, /member changes "commander_user" -> "other_orchestrator": `pulumi up` revokes the membership of "commander_user" in role "airflow_db_amateur_sunspot_5075_owner"/);

        const off = compareGraphs(base, await runStackGraph("local", { file: stackWith((c) => delete c["astro-db:deployments"][0].failover, "local") }));
        const revoked = off.filter((f) => f.severity === "revoke").map((f) => f.resource);
        for (const r of ["admin-owner", "orchestrator-owner", "orchestrator-terminator", "dp1-connect", "dp2-connect", "dp1-data-role"]) assert.ok(revoked.includes(`amateur-sunspot-5075-${r}`), `${r} is revoked`);
        assert.ok(off.some((f) => f.severity === "forget" && f.resource === "amateur-sunspot-5075-owner-role"), "the roles themselves stay");

        // A Deployment that leaves the stack: its grants go with its (retained) database, nothing is revoked.
        const gone = compareGraphs(base, await runStackGraph("local", { file: stackWith((c) => c["astro-db:deployments"].pop(), "local") }));
        assert.deepStrictEqual(gone.filter((f) => f.severity === "revoke"), []);
        assert.ok(failsOn(other, "revoke") && !failsOn(other, "capacity"));
    });

    it("flags the removal that drops a Deployment whose retention has ended", async () => {
        const base = await runStackGraph("prod");
        const head = await runStackGraph("prod", { file: prodWith((c) => (c["astro-db:deployments"][1].retiredAt = "2020-01-01")) });
        const findings = compareGraphs(base, head);
        // One finding for the Deployment: its database and role are not flagged again as "forget".
        assert.deepStrictEqual(findings.map((f) => f.resource), ["quasar-nebula-1234-removal"]);
        assert.match(renderReviewText(reviewOf(findings)), /! \[drop\] quasar-nebula-1234-removal: drops database airflow_db_quasar_nebula_1234/);
        // prod is protected: the one message says what happens and what the operator must do first.
        assert.match(findings[0].message, /quasar-nebula-1234-database, quasar-nebula-1234-user are protected in the base plan.*pulumi state unprotect/);
    });

    it("lists findings worst first, in text and JSON: drop, replace, forget, change", async () => {
        const base = await runStackGraph("prod", { file: prodWith((c) => (c["astro-db:servers"][0].rds.engineVersion = "16.4")) });
        const head = await runStackGraph("prod", { file: prodWith((c) => {
            const rds = c["astro-db:servers"][0].rds;
            rds.engineVersion = "16.6";
            rds.kmsKeyId = "arn:aws:kms:us-east-1:123456789012:key/abc";
            c["astro-db:deployments"][1].retiredAt = "2020-01-01";
            c["astro-db:deployments"].shift();
        }) });
        const findings = compareGraphs(base, head);
        assert.deepStrictEqual(findings.map((f) => [f.severity, f.resource]), [
            ["drop", "quasar-nebula-1234-removal"],
            ["replace", "main-instance"],
            ["forget", "amateur-sunspot-5075-database"],
            ["forget", "amateur-sunspot-5075-user"],
            ["change", "main-instance"],
        ]);
        assert.deepStrictEqual([...renderReviewText(reviewOf(findings)).matchAll(/\[(\w+)\]/g)].map((m) => m[1]), ["drop", "replace", "forget", "forget", "change"]);
        const json = JSON.parse(reviewJson("{}", reviewOf(findings)));
        assert.deepStrictEqual(json.findings.map((f: Finding) => f.severity), ["drop", "replace", "forget", "forget", "change"]);
    });

    it("finds nothing to flag when nothing changes", async () => {
        assert.deepStrictEqual(compareGraphs(await runStackGraph("prod"), await runStackGraph("prod")), []);
    });

    it("flags deletion protection turned off on the RDS instance", async () => {
        // dev: a prod* stack refuses deletionProtection: false outright.
        const findings = await rdsFindings(() => undefined, (rds) => (rds.deletionProtection = false), "dev");
        assert.deepStrictEqual(findings.map((f) => [f.severity, f.resource]), [["replace", "main-instance"]]);
        assert.match(findings[0].message, /^deletionProtection changes true -> false: AWS no longer refuses to delete this instance/);
        assert.deepStrictEqual(await rdsFindings((rds) => (rds.deletionProtection = false), () => undefined, "dev"), [], "turning it back on is no finding");
    });

    it("flags a renamed RDS instance: in place, but every connection string changes", async () => {
        const findings = await rdsFindings(() => undefined, (rds) => (rds.identifier = "astro-prod-airflow-2"));
        assert.deepStrictEqual(findings.map((f) => [f.severity, f.resource]), [["replace", "main-instance"]]);
        assert.match(findings[0].message, /^identifier changes "astro-prod-airflow" -> "astro-prod-airflow-2": RDS renames the instance in place \(its data stays\), but its endpoint and EVERY connection string change/);
    });

    it("flags engine version changes and says which are major upgrades", async () => {
        const major = await rdsFindings(() => undefined, (rds) => (rds.engineVersion = "17"));
        assert.deepStrictEqual(major.map((f) => [f.severity, f.resource]), [["replace", "main-instance"]]);
        assert.match(major[0].message, /^engineVersion changes "16" -> "17": a MAJOR version upgrade, in place .*RDS refuses it while allowMajorVersionUpgrade is false$/);

        const minor = await rdsFindings((rds) => (rds.engineVersion = "16.4"), (rds) => (rds.engineVersion = "16.6"));
        assert.deepStrictEqual(minor.map((f) => f.severity), ["change"]);
        assert.match(minor[0].message, /^engineVersion changes "16.4" -> "16.6": a minor version change, in place/);

        const down = await rdsFindings((rds) => (rds.engineVersion = "16"), (rds) => (rds.engineVersion = "15"));
        assert.deepStrictEqual(down.map((f) => f.severity), ["replace"]);
        assert.match(down[0].message, /a major DOWNGRADE, which RDS cannot do in place/);
    });

    it("orders severities drop > replace > forget > change for --fail-on", () => {
        const f = (severity: Finding["severity"]): Finding[] => [{ severity, resource: "r", message: "m" }];
        assert.ok(failsOn(f("drop"), "replace"));
        assert.ok(failsOn(f("replace"), "replace"));
        assert.ok(!failsOn(f("forget"), "replace"));
        assert.ok(failsOn(f("forget"), "forget"));
        assert.ok(!failsOn(f("change"), "forget"));
        assert.ok(!failsOn(f("replace"), "drop"));
        assert.ok(!failsOn([], "change"));
    });

    describe("against a git revision", () => {
        it("compares the stack file at the revision with the current one", async () => {
            const dev = (edit?: (config: Record<string, any>) => void) => stackText(edit, "dev");
            const { file, revs } = repoWith([{ text: dev() }], dev((c) => (c["astro-db:servers"][0].rds.deletionProtection = false)), "dev");
            const c = await compareWithRevision("dev", revs[0], { file });
            assert.strictEqual(c.base, "compared");
            assert.deepStrictEqual(c.findings.map((f) => [f.severity, f.resource]), [["replace", "main-instance"]]);
            assert.match(c.findings[0].message, /^deletionProtection changes true -> false/);
        });

        it("treats a stack file that did not exist at the revision as empty: everything is new", async () => {
            const { file, revs } = repoWith([{ file: "README", text: "before the stack\n" }], prodText((c) => (c["astro-db:deployments"][1].retiredAt = "2020-01-01")));
            const c = await compareWithRevision("prod", revs[0], { file });
            assert.strictEqual(c.base, "absent");
            assert.deepStrictEqual(c.findings.map((f) => [f.severity, f.resource]), [["drop", "quasar-nebula-1234-removal"]]);
            const run = await planAgainst("prod", file, revs[0]);
            assert.strictEqual(run.code, 0);
            assert.match(run.out, new RegExp(`^astro-db plan prod against ${revs[0]}: .*\\n\\(the stack file did not exist at ${revs[0]}: everything is new\\)\\n`));
        });

        it("says an invalid base is the stack file at the revision, and still prints the current plan", async () => {
            const broken = prodText((c) => (c["astro-db:retentionDays"] = "fifteen"));
            const { file, revs } = repoWith([{ text: broken }], prodText());
            const c = await compareWithRevision("prod", revs[0], { file });
            assert.strictEqual(c.base, "invalid");
            assert.match(c.error!, new RegExp(`^the stack file at ${revs[0]} is invalid: Stack "prod" has invalid config[^]*astro-db:retentionDays`));

            for (const format of ["text", "json"] as const) {
                const run = await planAgainst("prod", file, revs[0], "--format", format);
                assert.strictEqual(run.code, 2);
                assert.match(run.err, new RegExp(`the stack file at ${revs[0]} is invalid`));
                // The current plan all the same: its resources listed as new (text), its document (JSON).
                if (format === "text") assert.match(run.out, /^astro-db plan prod against [0-9a-f]+: Not compared: [^]*\n {4}\+ {2}\d+ to create\n/);
                else {
                    const doc = JSON.parse(run.out);
                    assert.deepStrictEqual(doc.against, { rev: revs[0], base: "invalid", error: c.error });
                    assert.ok(doc.resources.length > 0);
                }
            }
        });

        it("refuses a revision that does not exist", async () => {
            const { file } = repoWith([{ text: prodText() }]);
            await assert.rejects(compareWithRevision("prod", "no-such-branch", { file }), /--against no-such-branch: not a git revision/);
        });

        it("JSON: the findings are in the plan's document under `findings`; --fail-on sets the exit code", async () => {
            const { file, revs } = repoWith([{ text: prodText() }], prodText((c) => c["astro-db:deployments"].pop()));
            const run = async (failOn?: Finding["severity"]) => {
                const r = await planAgainst("prod", file, revs[0], "--format", "json", ...(failOn ? ["--fail-on", failOn] : []));
                assert.strictEqual(r.err, "");
                return { code: r.code, doc: JSON.parse(r.out) };
            };
            const { code, doc } = await run();
            assert.strictEqual(code, 0);
            assert.deepStrictEqual(Object.keys(doc), [...Object.keys(doc)].sort());
            for (const key of ["against", "findings", "outputs", "resources", "stack"]) assert.ok(key in doc, key);
            assert.deepStrictEqual(doc.against, { rev: revs[0], base: "compared" });
            assert.deepStrictEqual(doc.findings.map((f: Finding) => [f.severity, f.resource]).sort(), [["forget", "quasar-nebula-1234-database"], ["forget", "quasar-nebula-1234-user"]]);
            assert.deepStrictEqual(Object.keys(doc.findings[0]), ["message", "resource", "severity"]);
            assert.strictEqual((await run("forget")).code, 1);
            assert.strictEqual((await run("change")).code, 1);
            assert.strictEqual((await run("replace")).code, 0);
            assert.strictEqual((await run("drop")).code, 0);
        });
    });
});
