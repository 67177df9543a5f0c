/**
 * Bad stack files and bad command lines are refused before anything happens: exit 2, a message that
 * names the key or option, no connection to the (recording) server, no file written; and no known
 * secret in the inputs appears in any output, raw, percent-encoded or base64-encoded. In-process.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { captureCli } from "../../support/cli";

const SECRET = "Sup3r/Secr#t?pw@x%";
const TOKEN = "kube-token-7f3a9c1e5b";
const FERNET = "Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE=";
const FORMS = [SECRET, encodeURIComponent(SECRET), Buffer.from(SECRET).toString("base64"), Buffer.from(SECRET).toString("base64url"), TOKEN, Buffer.from(TOKEN).toString("base64"), FERNET];

const SERVER = { name: "main", existing: { host: "127.0.0.1", adminUser: "postgres" } };
const DEPLOYMENT = { release: "amateur-sunspot-5075" };

const run = captureCli;

describe("bad input is refused before anything happens, and no secret is printed", function () {
    this.timeout(120_000);
    let dir: string;
    let listener: net.Server;
    let port = 0;
    let connections = 0;
    const url = (pw = encodeURIComponent(SECRET)) => `postgresql://postgres:${pw}@127.0.0.1:${port}/postgres`;

    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "astro-db-bad-"));
        listener = net.createServer((s) => {
            connections++;
            s.destroy();
        });
        await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
        port = (listener.address() as net.AddressInfo).port;
    });
    after(() => listener.close());

    function file(name: string, text: string): string {
        const f = path.join(dir, name);
        fs.writeFileSync(f, text);
        return f;
    }
    function stack(config: Record<string, unknown>, name = "t.yaml"): string {
        const all = { servers: [SERVER], deployments: [DEPLOYMENT], ...config };
        const doc = { config: Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined).map(([k, v]) => [`astro-db:${k}`, v])) };
        return file(name, YAML.stringify(doc));
    }

    async function refused(argv: string[], names: RegExp): Promise<void> {
        const before = connections;
        const out = path.join(dir, "out");
        const r = await run([...argv, ...(argv[0] === "apply" && !argv.includes("-o") ? ["--out", out] : [])]);
        assert.strictEqual(r.code, 2, `${argv.join(" ")}: ${r.text}`);
        assert.match(r.text, names, argv.join(" "));
        assert.strictEqual(connections, before, `${argv.join(" ")} connected to the server`);
        assert.ok(!fs.existsSync(out), `${argv.join(" ")} wrote ${out}`);
        for (const f of FORMS) assert.ok(!r.text.includes(f), `${argv.join(" ")} printed a secret (${f}):\n${r.text}`);
    }

    const BAD_STACKS: [string, () => string, RegExp][] = [
        ["missing file", () => path.join(dir, "nope.yaml"), /--stack-file .*nope\.yaml: no such file/],
        ["a directory", () => dir, /--stack-file .*: is a directory/],
        ["YAML syntax error", () => file("syntax.yaml", "config:\n  astro-db:servers: [\n"), /syntax\.yaml is not valid YAML/],
        ["a list", () => file("list.yaml", "- a\n- b\n"), /list\.yaml is a YAML list/],
        ["config: hello", () => file("hello.yaml", "config: hello\n"), /`config` is a string/],
        ["empty file", () => file("empty.yaml", ""), /empty\.yaml is empty/],
        ["no config", () => file("noconfig.yaml", "encryptionsalt: x\n"), /has no `config:` section/],
        ["key without namespace", () => file("ns.yaml", "config:\n  servers: []\n"), /servers: has no namespace/],
        ["unknown key", () => stack({ retentionDay: 3 }), /astro-db:retentionDay: is not a known setting/],
        ["no servers", () => stack({ servers: [] }), /astro-db:servers/],
        ["no deployments", () => stack({ deployments: [] }), /astro-db:deployments/],
        ["host with a space", () => stack({ servers: [{ ...SERVER, existing: { host: "db host.example", adminUser: "postgres" } }] }), /servers\[0\]\.existing\.host: .*not a host name/],
        ["host with a scheme", () => stack({ servers: [{ ...SERVER, existing: { host: "postgresql://db", adminUser: "postgres" } }] }), /servers\[0\]\.existing\.host/],
        ["port 0", () => stack({ servers: [{ ...SERVER, existing: { host: "db", adminUser: "postgres", port: 0 } }] }), /existing\.port: .*from 1 to 65535/],
        ["port 70000", () => stack({ servers: [{ ...SERVER, existing: { host: "db", adminUser: "postgres", port: 70000 } }] }), /existing\.port: .*65535/],
        ["port as text", () => stack({ servers: [{ ...SERVER, existing: { host: "db", adminUser: "postgres", port: "abc" } }] }), /existing\.port/],
        ["retentionDays huge", () => stack({ retentionDays: 1e12 }), /retentionDays: .*at most 3650/],
        ["retentionDays 0", () => stack({ retentionDays: 0 }), /retentionDays: .*at least 1 day/],
        ["retentionDays fraction", () => stack({ retentionDays: 1.5 }), /retentionDays/],
        ["kubernetes.mode unknown", () => stack({ kubernetes: { mode: "helm" } }), /kubernetes\.mode: .*"kubeconfig", "stackReference", "render", "none"/],
        ["engine unknown", () => stack({ servers: [{ ...SERVER, engine: "oracle" }] }), /servers\[0\]\.engine: .*"postgres", "mysql"/],
        ["executor unknown", () => stack({ deployments: [{ ...DEPLOYMENT, executor: "Dask" }] }), /deployments\[0\]\.executor: .*CeleryExecutor/],
        ["schema information_schema", () => stack({ deployments: [{ ...DEPLOYMENT, schema: "information_schema" }] }), /deployments\[0\]\.schema: .*system schema/],
        ["schema pg_catalog", () => stack({ deployments: [{ ...DEPLOYMENT, schema: "pg_catalog" }] }), /deployments\[0\]\.schema/],
        ["database mysql", () => stack({ deployments: [{ ...DEPLOYMENT, overrides: { database: "mysql" } }] }), /overrides\.database: .*system database/],
        ["release with capitals", () => stack({ deployments: [{ release: "Bad_Release" }] }), /deployments\[0\]\.release/],
        ["server not declared", () => stack({ deployments: [{ ...DEPLOYMENT, server: "other" }] }), /deployments\[0\]\.server/],
        ["retiredAt not a date", () => stack({ deployments: [{ ...DEPLOYMENT, retiredAt: "2024-13-45" }] }), /retiredAt/],
        ["plaintext serverPasswords", () => stack({ serverPasswords: { main: SECRET } }), /serverPasswords: holds credentials in plain text: remove it from .*t\.yaml/],
        ["serverPasswords a number", () => stack({ serverPasswords: { main: 987654321 } }), /serverPasswords\.main: has the wrong type/],
        ["kubeconfig as YAML", () => stack({ kubernetes: { mode: "kubeconfig" }, kubeconfig: { apiVersion: "v1", users: [{ name: "u", user: { token: TOKEN } }] } }), /astro-db:kubeconfig: /],
        ["fernet key as a list", () => stack({ fernetKeys: { [DEPLOYMENT.release]: [FERNET] } }), /fernetKeys/],
        ["pgbouncer on mysql", () => stack({ servers: [{ ...SERVER, engine: "mysql" }], deployments: [{ ...DEPLOYMENT, pgbouncer: true }] }), /deployments\[0\]\.pgbouncer/],
    ];

    for (const [kind, make, names] of BAD_STACKS) {
        it(`a bad stack file (${kind}) is refused by sql, apply and audit`, async () => {
            const f = make();
            for (const argv of [["sql"], ["apply", "--admin-url", url()], ["audit", "--admin-url", url()]]) {
                await refused([argv[0], "--stack", "t", "--stack-file", f, ...argv.slice(1)], names);
            }
        });
    }

    const BAD_LINES: [string, () => string[], RegExp][] = [
        ["apply --port abc", () => ["apply", "--stack", "t", "--stack-file", stack({}), "--admin-url", url(), "--port", "abc"], /--port "abc" is not a TCP port/],
        ["apply --port 0", () => ["apply", "--stack", "t", "--stack-file", stack({}), "--admin-url", url(), "--port", "0"], /--port/],
        ["apply --host with a space", () => ["apply", "--stack", "t", "--stack-file", stack({}), "--admin-url", url(), "--host", "db host"], /--host "db host"/],
        ["apply --out a file", () => ["apply", "--stack", "t", "--stack-file", stack({}), "--admin-url", url(), "-o", file("afile", "x")], /--out .*is a file/],
        ["apply URL with a raw /", () => ["apply", "--stack", "t", "--stack-file", stack({}), "--admin-url", url(SECRET.replace(/[#?@%]/g, ""))], /--admin-url: .*percent-encode them \("\/" as %2F/],
        ["apply URL with a raw #", () => ["apply", "--stack", "t", "--stack-file", stack({}), "--admin-url", url("a#bcdefgh")], /--admin-url: .*"#" as %23/],
        ["audit URL with a raw ?", () => ["audit", "--stack", "t", "--stack-file", stack({}), "--admin-url", url("a?bcdefgh")], /--admin-url: .*"\?" as %3F/],
        ["audit URL with a stray %", () => ["audit", "--stack", "t", "--stack-file", stack({}), "--admin-url", `mysql://root:50%offSecret@127.0.0.1:${port}/`], /--admin-url: .*"%" as %25/],
        ["audit URL with a raw @", () => ["audit", "--stack", "t", "--stack-file", stack({}), "--admin-url", url("a@bcdefgh")], /"@" as %40/],
        ["audit not a URL", () => ["audit", "--stack", "t", "--stack-file", stack({}), "--admin-url", "not a url"], /--admin-url/],
        ["audit http scheme", () => ["audit", "--stack", "t", "--stack-file", stack({}), "--admin-url", url().replace("postgresql:", "http:")], /--admin-url has the scheme http:/],
        ["audit URL port 0", () => ["audit", "--stack", "t", "--stack-file", stack({}), "--admin-url", `postgresql://u:${encodeURIComponent(SECRET)}@127.0.0.1:0/db`], /--admin-url: the port/],
        ["audit --connect-timeout 0", () => ["audit", "--stack", "t", "--stack-file", stack({}), "--admin-url", url(), "--connect-timeout", "0"], /--connect-timeout/],
        ["audit --statement-timeout x", () => ["audit", "--stack", "t", "--stack-file", stack({}), "--admin-url", url(), "--statement-timeout", "x"], /--statement-timeout/],
        ["mysql ssl-mode bad", () => ["audit", "--stack", "t", "--stack-file", stack({}), "--admin-url", `mysql://root:${encodeURIComponent(SECRET)}@127.0.0.1:${port}/?ssl-mode=MAYBE`], /ssl-mode=MAYBE is not one of/],
        ["mysql ssl-ca missing", () => ["audit", "--stack", "t", "--stack-file", stack({}), "--admin-url", `mysql://root:${encodeURIComponent(SECRET)}@127.0.0.1:${port}/?ssl-mode=VERIFY_CA&ssl-ca=/nonexistent.pem`], /ssl-ca=.*no such file/],
        ["fence --timeout x", () => ["fence", "--stack", "t", "--stack-file", stack({}), "--deployment", DEPLOYMENT.release, "--from", "dp1", "--admin-url", url(), "--timeout", "x"], /--timeout/],
        ["fence missing stack file", () => ["fence", "--stack", "t", "--stack-file", path.join(dir, "none.yaml"), "--deployment", DEPLOYMENT.release, "--from", "dp1", "--admin-url", url()], /--stack-file .*none\.yaml: no such file/],
        ["migrate --from not a URL", () => ["migrate", "--from", "not-a-url", "--to", url()], /--from is not a URL/],
        ["migrate --to a mysql URL", () => ["migrate", "--from", url(), "--to", `mysql://root:${encodeURIComponent(SECRET)}@127.0.0.1:${port}/`], /--to has the scheme mysql:/],
        ["migrate --from with a raw /", () => ["migrate", "--from", url(SECRET.replace(/[#?@%]/g, "")), "--to", url()], /--from: .*"\/" as %2F/],
        ["migrate --batch-size 0", () => ["migrate", "--from", url(), "--to", url(), "--batch-size", "0"], /--batch-size/],
        ["migrate --schema empty", () => ["migrate", "--from", url(), "--to", url(), "--schema", ""], /--schema/],
        ["houston unknown --deployment", () => ["houston", "--stack", "t", "--stack-file", stack({}), "--deployment", "no-such-release"], /--deployment no-such-release: stack "t" has no such Deployment/],
        ["houston --outputs missing", () => ["houston", "--stack", "t", "--stack-file", stack({}), "--deployment", DEPLOYMENT.release, "--outputs", path.join(dir, "none.json")], /--outputs .*none\.json: no such file/],
        ["houston --outputs not JSON", () => ["houston", "--stack", "t", "--stack-file", stack({}), "--deployment", DEPLOYMENT.release, "--outputs", file("outputs.txt", `password ${SECRET}`)], /--outputs .*is not JSON/],
        ["houston --create --deployment-uuid", () => ["houston", "--stack", "t", "--stack-file", stack({}), "--deployment", DEPLOYMENT.release, "--create", "--deployment-uuid", "x"], /--deployment-uuid .*--upsert/],
        ["migrate --stack without --deployment", () => ["migrate", "--from", url(), "--stack", "t", "--stack-file", stack({})], /--stack needs --deployment/],
        ["migrate --stack unknown --deployment", () => ["migrate", "--from", url(), "--stack", "t", "--stack-file", stack({}), "--deployment", "no-such-release"], /--deployment no-such-release: stack "t" has no such Deployment/],
        ["migrate --host with --to", () => ["migrate", "--from", url(), "--to", url().replace("/postgres", "/other"), "--host", "db.example.com"], /--host does not go with --to/],
        ["migrate --stack --port bad", () => ["migrate", "--from", url(), "--stack", "t", "--stack-file", stack({}), "--deployment", DEPLOYMENT.release, "--port", "99999"], /--port "99999" is not a TCP port/],
        ["migrate --to-schema bad", () => ["migrate", "--from", url(), "--to", url(), "--to-schema", ""], /--to-schema/],
        ["migrate neither --to nor --stack", () => ["migrate", "--from", url()], /name the target: --to <url>, or --stack/],
        ["migrate --stack into a MySQL Deployment", () => ["migrate", "--from", url(), "--stack", "t", "--stack-file", stack({ servers: [{ ...SERVER, engine: "mysql" }] }), "--deployment", DEPLOYMENT.release], /Deployment amateur-sunspot-5075 is on a mysql server: migrate moves PostgreSQL metadata only/],
        ["plan --today bad", () => ["plan", "--stack", "local", "--today", "2024-13-01"], /--today/],
        ["plan unknown format", () => ["plan", "--stack", "local", "--format", "xml"], /--format|format/],
        ["sql missing stack file", () => ["sql", "--stack", "t", "--stack-file", path.join(dir, "none.yaml")], /--stack-file/],
        ["sql unknown stack", () => ["sql", "--stack", "no-such-stack"], /No stack "no-such-stack"/],
    ];

    for (const [kind, argv, names] of BAD_LINES) {
        it(`a bad command line (${kind}) is refused`, async () => refused(argv(), names));
    }

    it("help and usage errors never show ASTRO_DB_ADMIN_URL's value", async () => {
        process.env.ASTRO_DB_ADMIN_URL = url();
        try {
            for (const argv of [["apply", "--help"], ["audit", "--help"], ["audit", "--no-such-option"]]) {
                const r = await run(argv);
                assert.match(r.text, /ASTRO_DB_ADMIN_URL/);
                for (const f of FORMS) assert.ok(!r.text.includes(f), `${argv.join(" ")} printed the secret`);
            }
        } finally {
            delete process.env.ASTRO_DB_ADMIN_URL;
        }
    });

    it("a connection failure names the server with its password masked, in every form", async () => {
        const r = await run(["audit", "--stack", "t", "--stack-file", stack({}), "--admin-url", url(), "--connect-timeout", "2"]);
        assert.strictEqual(r.code, 2, r.text);
        assert.match(r.text, /cannot connect to postgresql:\/\/postgres:\*\*\*\*@127\.0\.0\.1/);
        for (const f of FORMS) assert.ok(!r.text.includes(f), r.text);
    });
});
