/**
 * The dynamic providers after RDS rotates its managed master password (components/adminPassword.ts):
 * under Pulumi's mocks an RDS stack hands them the secret's ARN and no password, and the provider
 * functions, called directly, read the password when they run and never see a rotation as a change.
 * The real round trip (rotate, then read/delete against a server) is in test/integration/fencing.test.ts.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runStackGraph } from "../../../cli/graph";
import { SECRET_MASK } from "../../../engines/model";
import { passwordFromSecretString, readSecretPassword, resolveAdminPassword, secretRegion, withoutSecretArn } from "../../../components/adminPassword";
import * as pulumi from "@pulumi/pulumi";
import { DatabaseRemoval, removalProvider } from "../../../components/databaseRemoval";
import { FenceFunction, fenceFunctionProvider, type FenceFunctionOutputs } from "../../../components/postgres/fenceFunction";
import { RoleMembership, roleMembershipProvider, type RoleMembershipOutputs } from "../../../components/postgres/roleMembership";

const ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-0123-AbCdEf";
const SDK = "@aws-sdk/client-secrets-manager";
const GIVEN = "given-admin-password-never-in-the-provider";
/** How Pulumi marks a secret value in the inputs its mocks receive. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** Replaces the AWS SDK for one test: every GetSecretValue answers with `current()`, recording the region and secret id. */
function fakeSecretsManager(current: () => string): { calls: { region: string; secretId: string }[]; restore(): void } {
    const id = require.resolve(SDK);
    const saved = require.cache[id];
    const calls: { region: string; secretId: string }[] = [];
    class GetSecretValueCommand { constructor(readonly input: { SecretId: string }) {} }
    class SecretsManagerClient {
        constructor(readonly config: { region: string }) {}
        async send(cmd: GetSecretValueCommand) {
            calls.push({ region: this.config.region, secretId: cmd.input.SecretId });
            return { SecretString: JSON.stringify({ username: "astroadmin", password: current() }) };
        }
        destroy() { /* nothing */ }
    }
    require.cache[id] = { id, filename: id, loaded: true, exports: { SecretsManagerClient, GetSecretValueCommand } } as unknown as NodeJS.Module;
    return { calls, restore: () => { if (saved) require.cache[id] = saved; else delete require.cache[id]; } };
}

describe("the admin password of the dynamic providers (RDS rotation)", () => {
    describe("under Pulumi's mocks, an RDS stack with passwordMode secretsManager", () => {
        let dynamic: { name: string; connection: Record<string, unknown>; secretInputs: string[] }[];
        let file: string;
        const today = new Date("2026-12-01T00:00:00Z");
        before(async () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "astro-db-rotation-"));
            file = path.join(dir, "Pulumi.rotation.yaml");
            fs.writeFileSync(file, JSON.stringify({
                config: {
                    "aws:region": "us-east-1",
                    "astro-db:servers": [{ name: "main", rds: { identifier: "astro-rotation", network: { vpcId: "vpc-1", subnetIds: ["subnet-1", "subnet-2"], allowedSecurityGroupIds: ["sg-1"] } } }],
                    "astro-db:deployments": [
                        { release: "amateur-sunspot-5075", failover: { users: "customer", orchestratorUser: "commander_user" } },
                        { release: "old-comet-1111", retiredAt: "2026-01-01" },
                    ],
                },
            }));
            const g = await runStackGraph("rotation", { file, revealSecrets: true, today });
            dynamic = g.resources.filter((r) => r.type === "pulumi-nodejs:dynamic:Resource")
                .map((r) => ({ name: r.name, connection: r.inputs.connection as Record<string, unknown>, secretInputs: r.secretInputs }));
        });

        it("gives every dynamic resource (memberships, removal) the secret's ARN and no password", () => {
            const names = dynamic.map((d) => d.name);
            assert.ok(names.includes("old-comet-1111-removal"), names.join(", "));
            assert.ok(names.some((n) => /-data-role$/.test(n)), names.join(", "));
            for (const d of dynamic) {
                assert.match(String(d.connection.passwordSecretArn), /^arn:aws:secretsmanager:us-east-1:\d+:secret:rds!db-/, d.name);
                assert.ok(!("password" in d.connection), `${d.name} carries a password`);
                assert.ok(d.secretInputs.includes("connection"), `${d.name}: connection must be secret`);
            }
        });

        it("keeps the connection secret in plan output", async () => {
            const g = await runStackGraph("rotation", { file, today });
            const shown = g.resources.filter((x) => x.type === "pulumi-nodejs:dynamic:Resource");
            assert.ok(shown.length > 0);
            for (const r of shown) assert.strictEqual(r.inputs.connection, SECRET_MASK, r.name);
        });
    });

    describe("a password the stack gives (serverPasswords, RDS passwordMode random): stored with the dynamic resources, always as a secret", () => {
        const stacks: Record<string, unknown> = {
            serverPasswords: {
                "astro-db:servers": [{ name: "main", engine: "postgres", existing: { host: "db.example.com", port: 5432, adminUser: "astroadmin", superuser: false } }],
                "astro-db:serverPasswords": { main: { secure: "v1:AAAAAAAAAAAAAAAAAAAAAA==" } },
            },
            random: {
                "aws:region": "us-east-1",
                "astro-db:servers": [{ name: "main", rds: { identifier: "astro-random", passwordMode: "random", network: { vpcId: "vpc-1", subnetIds: ["subnet-1", "subnet-2"], allowedSecurityGroupIds: ["sg-1"] } } }],
            },
        };
        for (const [label, config] of Object.entries(stacks)) {
            it(`${label}: every dynamic resource's connection is a secret input holding the password, masked in plan output`, async () => {
                const dir = fs.mkdtempSync(path.join(os.tmpdir(), "astro-db-given-"));
                const file = path.join(dir, `Pulumi.${label}.yaml`);
                fs.writeFileSync(file, JSON.stringify({ config: { ...(config as object), "astro-db:deployments": [
                    { release: "amateur-sunspot-5075", failover: { users: "customer", orchestratorUser: "commander_user" } },
                    { release: "old-comet-1111", retiredAt: "2026-01-01" },
                ] } }));
                const today = new Date("2026-12-01T00:00:00Z");
                const revealed = (await runStackGraph(label, { file, revealSecrets: true, today })).resources.filter((r) => r.type === "pulumi-nodejs:dynamic:Resource");
                const kinds = new Set(revealed.map((r) => r.inputs.__kind));
                assert.deepStrictEqual([...kinds].sort(), ["DatabaseRemoval", "FenceFunction", "RoleMembership"]);
                for (const r of revealed) {
                    assert.ok(r.secretInputs.includes("connection"), `${r.name}: connection must be secret (pulumi.isSecret)`);
                    const c = r.inputs.connection as Record<string, unknown>;
                    assert.ok(typeof c.password === "string" && c.password.length > 0, `${r.name} carries the given password`);
                    assert.ok(!("passwordSecretArn" in c) || c.passwordSecretArn === undefined, r.name);
                }
                for (const r of (await runStackGraph(label, { file, today })).resources.filter((x) => x.type === "pulumi-nodejs:dynamic:Resource")) {
                    assert.strictEqual(r.inputs.connection, SECRET_MASK, r.name);
                }
            });
        }

        it("each dynamic resource asks Pulumi to store its connection output encrypted (additionalSecretOutputs), and its serialized provider holds no password", async () => {
            const seen: { name: string; inputs: Record<string, unknown> }[] = [];
            const opts: Record<string, pulumi.CustomResourceOptions> = {};
            pulumi.runtime.setMocks({
                newResource: (a) => { seen.push({ name: a.name, inputs: a.inputs }); return { id: `${a.name}-id`, state: a.inputs }; },
                call: (a) => { throw new Error(`Mock not implemented: ${a.token}`); },
            }, "astro-db", "given", false);
            const record: pulumi.ResourceTransformation = (a) => { opts[a.name] = a.opts as pulumi.CustomResourceOptions; return undefined; };
            const connection = { host: "db.example.com", port: 5432, user: "astroadmin", password: GIVEN, sslmode: "require" as const };
            new RoleMembership("m", { role: "a", member: "b", connection }, { transformations: [record] });
            new FenceFunction("f", { database: "d", loginRoles: ["l1", "l2"], terminatorRole: "t", connection }, { transformations: [record] });
            new DatabaseRemoval("r", { release: "r", engine: "postgres", connection, database: "d", roles: ["u"], retiredAt: "2026-01-01", removeOn: "2026-01-16" }, { transformations: [record] });
            await new Promise((r) => setTimeout(r, 50));
            assert.deepStrictEqual(seen.map((s) => s.name).sort(), ["f", "m", "r"]);
            for (const s of seen) {
                assert.ok(opts[s.name].additionalSecretOutputs?.includes("connection"), s.name);
                const c = s.inputs.connection as Record<string, unknown>;
                assert.ok(c && typeof c === "object" && SECRET_SIG in c, `${s.name}: the connection is sent as a secret`);
                assert.ok(!String(s.inputs.__provider).includes(GIVEN), `${s.name}: the serialized provider holds no password`);
            }
        });
    });

    it("the three dynamic providers serialize to code that loads pg and the AWS SDK when it runs (require), capturing no driver and no secret", async () => {
        for (const [name, provider] of Object.entries({ fenceFunctionProvider, roleMembershipProvider, removalProvider })) {
            const s = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
            assert.strictEqual(s.containsSecrets, false, name);
            assert.ok(s.text.includes('require("pg")') && s.text.includes(`require("${SDK}")`), name);
            assert.ok(!/class Client extends|node_modules/.test(s.text), `${name} carries a driver's code`);
        }
    });

    describe("the provider functions, called directly", () => {
        it("read the password from the secret at each call, so a rotation is seen at once", async () => {
            let current = "before-rotation";
            const fake = fakeSecretsManager(() => current);
            try {
                assert.strictEqual(await resolveAdminPassword({ passwordSecretArn: ARN, password: "stale" }), "before-rotation");
                current = "after-rotation";
                assert.strictEqual(await resolveAdminPassword({ passwordSecretArn: ARN }), "after-rotation");
                assert.deepStrictEqual(fake.calls, [{ region: "eu-west-1", secretId: ARN }, { region: "eu-west-1", secretId: ARN }]);
            } finally {
                fake.restore();
            }
        });

        it("use a given password, else none (PGPASSWORD)", async () => {
            assert.strictEqual(await resolveAdminPassword({ password: "given" }), "given");
            assert.strictEqual(await resolveAdminPassword({}), undefined);
        });

        it("RoleMembership: a new secret is no change; another server, user or given password still is", async () => {
            const base: RoleMembershipOutputs = {
                __kind: "RoleMembership", role: "a", member: "b", inherit: true, set: false, admin: false,
                connection: { host: "h", port: 5432, user: "astroadmin", passwordSecretArn: ARN, database: "postgres", sslmode: "require" }, grants: [], serverVersion: "17",
            };
            const rotated = { ...base, connection: { ...base.connection, passwordSecretArn: `${ARN}x` } };
            assert.deepStrictEqual(await roleMembershipProvider.diff!("id", base, rotated), { changes: false, replaces: [], deleteBeforeReplace: false });
            const otherUser = { ...base, connection: { ...base.connection, user: "other" } };
            assert.strictEqual((await roleMembershipProvider.diff!("id", base, otherUser)).changes, true);
            const given = { ...base, connection: { ...base.connection, passwordSecretArn: undefined, password: "a" } };
            assert.deepStrictEqual(await roleMembershipProvider.diff!("id", given, { ...given, connection: { ...given.connection, password: "b" } }), { changes: true, replaces: [], deleteBeforeReplace: false });
            const otherHost = { ...base, connection: { ...base.connection, host: "h2" } };
            assert.deepStrictEqual((await roleMembershipProvider.diff!("id", base, otherHost)).replaces, ["connection"]);
        });

        it("FenceFunction: a new secret is no change; a new given password updates, never replaces", async () => {
            const base: FenceFunctionOutputs = {
                __kind: "FenceFunction", database: "d", loginRoles: ["l1", "l2"], terminatorRole: "t", owner: "astroadmin", problems: [],
                connection: { host: "h", port: 5432, user: "astroadmin", passwordSecretArn: ARN, database: "postgres", sslmode: "require" },
            };
            assert.deepStrictEqual(await fenceFunctionProvider.diff!("id", base, { ...base, connection: { ...base.connection, passwordSecretArn: `${ARN}x` } }), { changes: false, replaces: [], deleteBeforeReplace: false });
            const given = { ...base, connection: { ...base.connection, passwordSecretArn: undefined, password: "a" } };
            assert.deepStrictEqual(await fenceFunctionProvider.diff!("id", given, { ...given, connection: { ...given.connection, password: "b" } }), { changes: true, replaces: [], deleteBeforeReplace: false });
        });

        it("DatabaseRemoval: a rotation is no change", async () => {
            const inputs = { __kind: "DatabaseRemoval", release: "r", engine: "postgres", connection: { host: "h", port: 5432, user: "u", passwordSecretArn: ARN }, database: "d", roles: [], retiredAt: "2026-01-01", removeOn: "2026-01-16" };
            const d = await removalProvider.diff!("id", inputs, { ...inputs, connection: { ...inputs.connection, password: "x" } });
            assert.strictEqual(d.changes, false);
        });

        it("name the secret and the fix when the secret is unreadable or malformed", async () => {
            assert.throws(() => secretRegion("not-an-arn"), /not a Secrets Manager secret ARN/);
            assert.throws(() => passwordFromSecretString("{}", ARN), /has no "password" field/);
            assert.throws(() => passwordFromSecretString("nope", ARN), /is not JSON/);
            const id = require.resolve(SDK);
            const saved = require.cache[id];
            class Denied extends Error { override name = "AccessDeniedException"; }
            require.cache[id] = { id, filename: id, loaded: true, exports: {
                GetSecretValueCommand: class { constructor(readonly input: unknown) {} },
                SecretsManagerClient: class { async send() { throw new Denied("not authorized"); } destroy() { /* */ } },
            } } as unknown as NodeJS.Module;
            try {
                await assert.rejects(readSecretPassword(ARN), /cannot read the master user secret .*secretsmanager:GetSecretValue.*AccessDeniedException: not authorized/);
            } finally {
                if (saved) require.cache[id] = saved; else delete require.cache[id];
            }
            assert.deepStrictEqual(withoutSecretArn({ host: "h", password: "p", passwordSecretArn: ARN }), { host: "h", password: "p" });
        });
    });
});
