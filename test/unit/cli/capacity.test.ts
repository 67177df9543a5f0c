import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { assessStack, capacityFindings } from "../../../cli/capacity";
import { runStackGraph, stackFilePath } from "../../../cli/graph";
import { planJson, planMarkdown, planText } from "../../../cli/plan";
import { parseStackConfig } from "../../../stacks/config";
import { ConfigError } from "../../../stacks/configError";
import { captureCli } from "../../support/cli";

/** The dev stack (one db.t4g.medium) with `extra` KubernetesExecutor Deployments without PgBouncer (124 connections each). */
function devText(extra: number, edit: (config: Record<string, any>) => void = () => undefined): string {
    const doc = YAML.parse(fs.readFileSync(stackFilePath("dev"), "utf8"));
    for (let i = 0; i < extra; i++) doc.config["astro-db:deployments"].push({ release: `cosmic-comet-${1000 + i}`, executor: "KubernetesExecutor" });
    edit(doc.config);
    return YAML.stringify(doc);
}

function devFile(extra: number, edit?: (config: Record<string, any>) => void): string {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "astro-db-capacity-")), "Pulumi.dev.yaml");
    fs.writeFileSync(file, devText(extra, edit));
    return file;
}

describe("plan: connection capacity under Pulumi's mocks", () => {
    it("prints the server's capacity and each Deployment's estimate (text, Markdown, JSON)", async () => {
        const g = await runStackGraph("prod");
        const text = planText(g);
        assert.match(text, /server main \(RDS db\.r6g\.xlarge, postgres\): max_connections 3604 .* = 3599 available/);
        assert.match(text, /amateur-sunspot-5075: 15 \(PgBouncer/);
        assert.match(text, /quasar-nebula-1234: 124 \(Airflow pools, no PgBouncer/);
        assert.match(planMarkdown(g), /\| `quasar-nebula-1234` \| 124 \|/);
        const json = JSON.parse(planJson(g));
        assert.deepStrictEqual(json.capacity.map((a: any) => [a.server, a.total, a.capacity.available, a.over]), [["main", 139, 3599, false]]);
    });

    it("a stack that fits: no finding", async () => {
        const base = await runStackGraph("dev");
        const head = await runStackGraph("dev", { file: devFile(1) });
        assert.deepStrictEqual(capacityFindings(assessStack(base.spec), assessStack(head.spec)), []);
    });

    it("a stack that does not fit: one capacity finding naming the server, the numbers and the fix", async () => {
        const base = await runStackGraph("dev");
        const head = await runStackGraph("dev", { file: devFile(2) });
        const findings = capacityFindings(assessStack(base.spec), assessStack(head.spec));
        assert.deepStrictEqual(findings.map((f) => [f.severity, f.resource]), [["capacity", "main"]]);
        assert.match(findings[0].message, /^server main \(db\.t4g\.medium\): its 4 Deployment\(s\) may hold 372 connections, 84% of the 445 available .*threshold \(356\) \(before this change: 124\).*Fix: a larger instance class \(db\.t4g\.large fits\)/);
        assert.match(planText(head), /! \[capacity\] server main/);
    });

    it("a server already over its threshold is flagged again only when a change adds to it", async () => {
        const over = await runStackGraph("dev", { file: devFile(2) });
        const same = await runStackGraph("dev", { file: devFile(2, (c) => (c["astro-db:retentionDays"] = 20)) });
        const more = await runStackGraph("dev", { file: devFile(3) });
        assert.deepStrictEqual(capacityFindings(assessStack(over.spec), assessStack(same.spec)), []);
        assert.strictEqual(capacityFindings(assessStack(over.spec), assessStack(more.spec)).length, 1);
    });

    it("PgBouncer, a parameter-group max_connections or a higher threshold make it fit", async () => {
        const base = await runStackGraph("dev");
        for (const edit of [
            (c: Record<string, any>) => c["astro-db:deployments"].slice(2).forEach((d: any) => (d.pgbouncer = true)),
            (c: Record<string, any>) => (c["astro-db:servers"][0].rds.maxConnections = 1000),
            (c: Record<string, any>) => (c["astro-db:capacityThreshold"] = 90),
        ]) {
            const head = await runStackGraph("dev", { file: devFile(2, edit) });
            assert.deepStrictEqual(capacityFindings(assessStack(base.spec), assessStack(head.spec)), []);
        }
    });

    it("sets max_connections in the RDS parameter group, applied at the next reboot (a static parameter)", async () => {
        const g = await runStackGraph("dev", { file: devFile(0, (c) => (c["astro-db:servers"][0].rds.maxConnections = 1000)) });
        const group = g.resources.find((r) => r.type === "aws:rds/parameterGroup:ParameterGroup")!;
        const params = group.inputs.parameters as { name: string; value: string; applyMethod: string }[];
        assert.deepStrictEqual(params.find((p) => p.name === "max_connections"), { name: "max_connections", value: "1000", applyMethod: "pending-reboot" });
        assert.strictEqual(params.find((p) => p.name === "rds.force_ssl")?.applyMethod, "immediate");
    });

    it("plan --against --fail-on capacity exits 1 when a change takes the server over, 0 when it fits", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "astro-db-capacity-git-"));
        const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: dir, encoding: "utf8" });
        const file = path.join(dir, "Pulumi.dev.yaml");
        git("init", "-q");
        fs.writeFileSync(file, devText(0));
        git("add", ".");
        git("commit", "-qm", "base");
        const run = () => captureCli(["plan", "--stack", "dev", "--stack-file", file, "--against", "HEAD", "--fail-on", "capacity"]);
        fs.writeFileSync(file, devText(1));
        assert.strictEqual((await run()).code, 0);
        fs.writeFileSync(file, devText(2));
        const { code, out } = await run();
        assert.strictEqual(code, 1);
        assert.match(out, /! \[capacity\] main: server main \(db\.t4g\.medium\).*372 connections/);
    });
});

describe("stack config: connection settings", () => {
    const raw = (deployment: Record<string, unknown>, server: Record<string, unknown> = {}) => ({
        servers: JSON.stringify([{ name: "main", existing: { host: "db.example.com", adminUser: "admin", ...server } }]),
        deployments: JSON.stringify([{ release: "amateur-sunspot-5075", ...deployment }]),
    });
    const refused = (r: Record<string, string>): string => {
        try {
            parseStackConfig("dev", r);
        } catch (err) {
            assert.ok(err instanceof ConfigError);
            return err.message;
        }
        return assert.fail("expected the config to be refused");
    };

    it("takes the overrides and an existing server's max_connections", () => {
        const spec = parseStackConfig("dev", raw({ pgbouncer: true, connections: { metadataPoolSize: 20 } }, { maxConnections: 200 }));
        assert.deepStrictEqual(spec.deployments[0].connections, { metadataPoolSize: 20 });
        assert.deepStrictEqual(assessStack(spec).map((a) => [a.total, a.capacity.available]), [[25, 197]]);
        assert.strictEqual(spec.capacityThreshold, 80);
    });

    it("refuses settings that would not reach the server, naming the key and the fix", () => {
        assert.match(refused(raw({ connections: { metadataPoolSize: 20 } })), /astro-db:deployments\[0\]\.connections\.metadataPoolSize: .*set pgbouncer: true/);
        assert.match(refused(raw({ pgbouncer: true, connections: { poolSize: 3 } })), /astro-db:deployments\[0\]\.connections\.poolSize: does not reach the server/);
        assert.match(refused(raw({ connections: { sessions: 3 } })), /astro-db:deployments\[0\]\.connections: unknown setting\(s\) sessions/);
        assert.match(refused({ ...raw({}), capacityThreshold: "120" }), /astro-db:capacityThreshold/);
    });
});
