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
import { runStackGraph, SECRET_MASK } from "../../../cli/graph";
import { passwordFromSecretString, readSecretPassword, resolveAdminPassword, secretRegion, withoutSecretArn } from "../../../components/adminPassword";
import { removalProvider } from "../../../components/databaseRemoval";
import { roleMembershipProvider, type RoleMembershipOutputs } from "../../../components/postgres/roleMembership";

const ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-0123-AbCdEf";
const SDK = "@aws-sdk/client-secrets-manager";

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
