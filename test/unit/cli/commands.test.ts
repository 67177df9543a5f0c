/**
 * What every command does with the names a user types: a typo in --server or --deployment is an
 * error (bin/astro-db.js exits 2), never an empty result with exit 0; `plan` reads --stack-file.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stackFilePath } from "../../../cli/graph";
import { runCli } from "../../support/cli";

const run = runCli;

describe("the astro-db commands and the names a user types", () => {
    it("sql refuses an unknown --server or --deployment instead of printing nothing", async () => {
        await assert.rejects(run(["sql", "--stack", "local", "--server", "nope"]), /--server nope: stack "local" has no such server \(servers: local\)/);
        await assert.rejects(run(["sql", "--stack", "mysql-dev", "--deployment", "nope"]), /no Deployment "nope" \(Deployments: amateur-sunspot-5075/);
    });

    it("audit and apply refuse an unknown --deployment before connecting to any server", async () => {
        // Port 1 on 127.0.0.1 refuses connections: reaching it would be another error.
        for (const command of ["audit", "apply"]) {
            await assert.rejects(run([command, "--stack", "local", "--admin-url", "postgresql://x@127.0.0.1:1/postgres", "--deployment", "nope"]), /--deployment nope: (stack "local" has no such Deployment|no such Deployment on server "local")/);
        }
    });

    it("plan reads --stack-file instead of stacks/Pulumi.<stack>.yaml", async () => {
        const text = fs.readFileSync(stackFilePath("local"), "utf8").replace("- release: quasar-nebula-1234", "- release: quasar-nebula-1234\n      retiredAt: \"2020-01-02\"");
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "astro-db-plan-file-")), "Pulumi.local.yaml");
        fs.writeFileSync(file, text);
        const r = await run(["plan", "--stack", "local", "--stack-file", file]);
        assert.strictEqual(r.code, 0);
        assert.match(r.out, /quasar-nebula-1234: retired since 2020-01-02; retention ended 2020-01-17: THIS UPDATE DROPS/);
    });
});
