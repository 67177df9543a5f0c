import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { readStackFile } from "../../../cli/graph";
import { parseStackConfig } from "../../../stacks/config";
import { ConfigError } from "../../../stacks/configError";

const SERVERS = [
    { name: "local", engine: "postgres", existing: { host: "127.0.0.1", adminUser: "postgres" } },
    { name: "other", engine: "postgres", existing: { host: "10.0.0.5", adminUser: "postgres" } },
];
const DEPLOYMENTS = [{ release: "amateur-sunspot-5075" }];
const SECURE = { secure: "v1:abc" };

/** A temporary stack file holding `config` under the astro-db namespace. */
function stackFile(config: Record<string, unknown>): string {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "astro-db-stackfile-")), "Pulumi.t.yaml");
    const doc = { config: Object.fromEntries(Object.entries({ servers: SERVERS, deployments: DEPLOYMENTS, ...config }).map(([k, v]) => [`astro-db:${k}`, v])) };
    fs.writeFileSync(file, YAML.stringify(doc));
    return file;
}

function parse(config: Record<string, unknown>) {
    const { raw, secretKeys } = readStackFile("t", stackFile(config));
    return { secretKeys, parse: () => parseStackConfig("t", raw, secretKeys) };
}

function assertPlainTextRefused(config: Record<string, unknown>, key: string): void {
    const r = parse(config);
    assert.ok(!r.secretKeys.has(key), `${key} must not be marked secret`);
    assert.throws(r.parse, (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, new RegExp(`astro-db:${key}: holds credentials in plain text`));
        return true;
    });
}

describe("stack files: credentials must be encrypted, every one of them", () => {
    it("refuses serverPasswords with a plaintext password beside an encrypted one", () => {
        assertPlainTextRefused({ serverPasswords: { local: SECURE, other: "hunter2" } }, "serverPasswords");
    });

    it("accepts serverPasswords when every password is encrypted, and masks them", () => {
        const r = parse({ serverPasswords: { local: SECURE, other: { secure: "v1:def" } } });
        assert.ok(r.secretKeys.has("serverPasswords"));
        const spec = r.parse();
        for (const s of spec.servers) assert.strictEqual(s.kind === "existing" && s.adminPassword, "[secret]");
    });

    it("refuses a plaintext leaf nested deeper, and a wholly plaintext key", () => {
        assertPlainTextRefused({ fernetKeys: { "amateur-sunspot-5075": SECURE, stray: ["x"] } }, "fernetKeys");
        assertPlainTextRefused({ serverPasswords: { local: "hunter2" } }, "serverPasswords");
        assertPlainTextRefused({ kubernetes: { mode: "kubeconfig" }, kubeconfig: "apiVersion: v1" }, "kubeconfig");
    });

    it("accepts encrypted fernetKeys and kubeconfig", () => {
        const r = parse({ kubernetes: { mode: "kubeconfig" }, kubeconfig: SECURE, fernetKeys: { "amateur-sunspot-5075": SECURE } });
        assert.deepStrictEqual([...r.secretKeys].sort(), ["fernetKeys", "kubeconfig"]);
        const spec = r.parse();
        assert.strictEqual(spec.kubernetes.mode, "kubeconfig");
        assert.ok(spec.deployments[0].fernetKey, "the carried-over key stands in as a valid placeholder");
    });
});
