/**
 * A server that accepts the connection and never answers: every command gives up after its
 * --connect-timeout with exit 2, naming the limit and the option, and never printing the password.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { runCli } from "../../support/cli";

const PASSWORD = "Silent-Server-Secret-42";

describe("commands against a server that never answers", function () {
    let server: net.Server;
    let port: number;
    const sockets: net.Socket[] = [];
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "astro-db-timeouts-"));

    before(async () => {
        server = net.createServer((s) => void sockets.push(s)); // accepts, then says nothing
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        port = (server.address() as net.AddressInfo).port;
    });
    after(async () => {
        sockets.forEach((s) => s.destroy());
        await new Promise((r) => server.close(r));
        fs.rmSync(out, { recursive: true, force: true });
    });

    const cases: [string, () => string[]][] = [
        ["audit (PostgreSQL)", () => ["audit", "--stack", "local", "--admin-url", `postgresql://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`, "--connect-timeout", "1"]],
        ["apply (PostgreSQL)", () => ["apply", "--stack", "local", "--admin-url", `postgresql://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`, "--connect-timeout", "1", "--out", path.join(out, "apply")]],
        ["audit (MySQL)", () => ["audit", "--stack", "mysql-dev", "--admin-url", `mysql://root:${PASSWORD}@127.0.0.1:${port}/?ssl-mode=DISABLED`, "--connect-timeout", "1"]],
        ["migrate", () => ["migrate", "--from", `postgresql://postgres:${PASSWORD}@127.0.0.1:${port}/airflow`, "--to", `postgresql://postgres:${PASSWORD}@127.0.0.1:${port}/airflow_db_x`, "--connect-timeout", "1"]],
    ];
    for (const [name, args] of cases) {
        it(`${name} gives up after --connect-timeout with exit 2, the password masked`, async () => {
            const err = await runCli(args()).then(
                (r) => assert.fail(`expected exit 2, got ${r.code}: ${r.out}`),
                (e: Error) => e.message,
            );
            assert.match(err, /no answer within 1 s \(--connect-timeout\)/);
            assert.ok(!err.includes(PASSWORD), err);
            assert.deepStrictEqual(fs.readdirSync(out), [], "nothing written");
        });
    }
});
