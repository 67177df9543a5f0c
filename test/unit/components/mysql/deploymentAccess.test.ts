/**
 * MysqlDeploymentAccess under Pulumi's mocks: the resources it registers, their inputs and options,
 * and that every credential is a secret. setMocks runs in `before` and the component is imported after
 * it, because other test files in the same mocha process set their own mocks.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import type * as MysqlComponents from "../../../../components/mysql/deploymentAccess";
import { MYSQL_PRIVILEGES, MYSQL_PROVIDER_TLS } from "../../../../engines/mysql/privileges";

const GENERATED = "Generated-Pa55word-0123456789abcd";
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

interface Recorded { type: string; name: string; inputs: Record<string, any> }

function unwrap(v: any): any {
    return typeof v === "object" && v !== null && SECRET_SIG in v ? v.value : v;
}

async function settle<T>(o: pulumi.Output<T>): Promise<{ known: boolean; secret: boolean; value: T | undefined }> {
    const internal = o as unknown as { isKnown: Promise<boolean>; isSecret: Promise<boolean>; promise(): Promise<T> };
    return { known: await internal.isKnown, secret: await internal.isSecret, value: await internal.promise() };
}

describe("MysqlDeploymentAccess under Pulumi's mocks", () => {
    let M: typeof MysqlComponents;
    let resources: Recorded[];
    let options: Map<string, pulumi.CustomResourceOptions>;
    let provider: pulumi.ProviderResource;

    const record = (): pulumi.ComponentResourceOptions => ({
        provider,
        transformations: [({ name, opts }) => {
            options.set(name, opts);
            return undefined;
        }],
    });
    const one = (type: string, name: string): Recorded => {
        const found = resources.filter((r) => r.type === type && r.name === name);
        assert.strictEqual(found.length, 1, `expected one ${type} named ${name}, saw ${found.length}`);
        return found[0];
    };
    /** Waits until the component's children are registered with the mocks. */
    const registered = async (a: MysqlComponents.MysqlDeploymentAccess) => {
        await Promise.all([a.database.urn, a.user.urn, ...a.grants.map((g) => g.urn)].map((u) => settle(u)));
    };

    before(async () => {
        resources = [];
        options = new Map();
        pulumi.runtime.setMocks({
            newResource: (args) => {
                resources.push({ type: args.type, name: args.name, inputs: args.inputs });
                if (args.type === "random:index/randomPassword:RandomPassword") return { id: "pw", state: { ...args.inputs, result: GENERATED } };
                return { id: `${args.name}-id`, state: { ...args.inputs } };
            },
            call: (args) => {
                throw new Error(`Mock not implemented: ${args.token}`);
            },
        }, "astro-db", "unit", false);
        M = await import("../../../../components/mysql/deploymentAccess");
        const mysql = await import("@pulumi/mysql");
        provider = new mysql.Provider("server-mysql", { endpoint: "db.example.com:3306", username: "astroadmin", password: pulumi.secret("admin-pw"), tls: MYSQL_PROVIDER_TLS });
    });

    describe("a Deployment with defaults", () => {
        let access: MysqlComponents.MysqlDeploymentAccess;
        before(async () => {
            access = new M.MysqlDeploymentAccess("amateur-sunspot-5075", {
                database: "airflow_db_amateur_sunspot_5075",
                user: "astro_amateur_sunspot_5075",
            }, record());
            await registered(access);
        });

        it("registers under its own type token: a database, a user, one grant and a generated password", () => {
            const mine = resources.filter((r) => r.name.startsWith("amateur-sunspot-5075"));
            assert.deepStrictEqual(mine.map((r) => `${r.type} ${r.name}`).sort(), [
                "astro-db:mysql:DeploymentAccess amateur-sunspot-5075",
                "mysql:index/database:Database amateur-sunspot-5075-database",
                "mysql:index/grant:Grant amateur-sunspot-5075-grant",
                "mysql:index/user:User amateur-sunspot-5075-user",
                "random:index/randomPassword:RandomPassword amateur-sunspot-5075-password",
            ]);
            assert.strictEqual(M.MYSQL_DEPLOYMENT_ACCESS_TYPE, "astro-db:mysql:DeploymentAccess");
        });

        it("creates the database in utf8mb4 with a collation MySQL 8 and MariaDB both have", () => {
            const db = one("mysql:index/database:Database", "amateur-sunspot-5075-database");
            assert.deepStrictEqual(db.inputs, { name: "airflow_db_amateur_sunspot_5075", defaultCharacterSet: "utf8mb4", defaultCollation: "utf8mb4_unicode_ci" });
        });

        it("creates the user for any host with the generated password as plaintextPassword, never the deprecated password", () => {
            const user = one("mysql:index/user:User", "amateur-sunspot-5075-user");
            assert.strictEqual(user.inputs.user, "astro_amateur_sunspot_5075");
            assert.strictEqual(user.inputs.host, "%");
            assert.strictEqual(unwrap(user.inputs.plaintextPassword), GENERATED);
            assert.strictEqual(user.inputs.password, undefined);
            assert.strictEqual(user.inputs.tlsOption, "NONE");
            const pw = one("random:index/randomPassword:RandomPassword", "amateur-sunspot-5075-password");
            assert.strictEqual(pw.inputs.length, 32);
            assert.strictEqual(pw.inputs.overrideSpecial, "-_.~", "no quote or backslash: the provider does not escape the password");
        });

        it("grants the explicit database-level list on the escaped database pattern only, without GRANT OPTION", () => {
            const grant = one("mysql:index/grant:Grant", "amateur-sunspot-5075-grant");
            assert.deepStrictEqual(grant.inputs, {
                user: "astro_amateur_sunspot_5075",
                host: "%",
                database: "airflow\\_db\\_amateur\\_sunspot\\_5075",
                table: "*",
                privileges: [...MYSQL_PRIVILEGES],
                grant: false,
            });
            assert.strictEqual(MYSQL_PRIVILEGES.length, 18);
            assert.ok(!(MYSQL_PRIVILEGES as readonly string[]).some((p) => /ALL|GRANT|SUPER|FILE|PROCESS|SHOW DATABASES|CREATE USER/.test(p)));
        });

        it("keeps the database and user on delete, and replaces the grant delete-first", () => {
            for (const n of ["amateur-sunspot-5075-database", "amateur-sunspot-5075-user"]) {
                assert.strictEqual(options.get(n)?.retainOnDelete, true, n);
                assert.strictEqual(options.get(n)?.protect, false, n);
            }
            const grant = options.get("amateur-sunspot-5075-grant")!;
            assert.strictEqual(grant.retainOnDelete, undefined);
            assert.strictEqual(grant.deleteBeforeReplace, true);
            assert.deepStrictEqual((grant.dependsOn as pulumi.Resource[]), [access.database, access.user]);
        });

        it("exposes the same public shape as the PostgreSQL DeploymentAccess, the password as a secret", async () => {
            assert.strictEqual((await settle(access.databaseName)).value, "airflow_db_amateur_sunspot_5075");
            assert.strictEqual((await settle(access.userName)).value, "astro_amateur_sunspot_5075");
            const pw = await settle(access.password);
            assert.strictEqual(pw.value, GENERATED);
            assert.strictEqual(await pulumi.isSecret(access.password), true);
            assert.strictEqual(access.grants.length, 1);
        });
    });

    it("takes protect from its args and a given password, kept secret", async () => {
        const a = new M.MysqlDeploymentAccess("given", { database: "legacy_db", user: "legacy", password: "Given-pw-1", protect: true }, record());
        await registered(a);
        assert.strictEqual(options.get("given-database")?.protect, true);
        assert.strictEqual(options.get("given-user")?.protect, true);
        assert.ok(!resources.some((r) => r.name === "given-password"), "no password generated when one is given");
        assert.strictEqual(await pulumi.isSecret(a.password), true);
        assert.strictEqual(unwrap(one("mysql:index/user:User", "given-user").inputs.plaintextPassword), "Given-pw-1");
    });

    it("registers no grant while login is disabled, and keeps database and user", async () => {
        const a = new M.MysqlDeploymentAccess("retired", { database: "airflow_db_retired", user: "astro_retired", loginEnabled: false }, record());
        await registered(a);
        assert.deepStrictEqual(a.grants, []);
        assert.ok(!resources.some((r) => r.name === "retired-grant"));
        one("mysql:index/user:User", "retired-user");
    });

    it("refuses names the provider would put into its SQL unescaped", () => {
        assert.throws(() => new M.MysqlDeploymentAccess("bad-user", { database: "ok_db", user: "o'brien" }, record()), /user "o'brien" contains a quote/);
        assert.throws(() => new M.MysqlDeploymentAccess("bad-db", { database: "db`x", user: "ok" }, record()), /database "db`x" contains/);
    });
});
