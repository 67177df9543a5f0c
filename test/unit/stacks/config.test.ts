import * as assert from "assert";
import { parseStackConfig } from "../../../stacks/config";
import { ConfigError } from "../../../stacks/configError";

/** A valid existing-server config as raw Pulumi config values (objects as JSON text). */
function base(overrides: Record<string, unknown> = {}): Record<string, string> {
    const values: Record<string, unknown> = {
        servers: [{ name: "main", engine: "postgres", existing: { host: "db.example.com", adminUser: "admin", sslmode: "require" } }],
        deployments: [
            { release: "amateur-sunspot-5075", executor: "CeleryExecutor" },
            { release: "quasar-nebula-1234", executor: "KubernetesExecutor", pgbouncer: true },
        ],
        ...overrides,
    };
    return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

function problemsOf(stack: string, raw: Record<string, string>, secretKeys: string[] = []): ConfigError {
    try {
        parseStackConfig(stack, raw, new Set(secretKeys));
    } catch (err) {
        assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
        return err;
    }
    assert.fail("expected the config to be refused");
}

/** One error that names the stack, the key and says what to do. */
function assertRefused(raw: Record<string, string>, key: string, fix: RegExp, secretKeys: string[] = [], stack = "dev") {
    const err = problemsOf(stack, raw, secretKeys);
    assert.match(err.message, new RegExp(`^Stack "${stack}" has invalid config \\(nothing was created\\)`));
    const line = err.message.split("\n").find((l) => l.includes(`astro-db:${key}`));
    assert.ok(line, `no line names astro-db:${key} in:\n${err.message}`);
    assert.match(line!, fix);
}

describe("stack config", () => {
    it("derives every name from the release name as the seeds do", () => {
        const spec = parseStackConfig("dev", base());
        const d = spec.deployments[0];
        assert.deepStrictEqual(
            { id: d.names.id, database: d.names.database, user: d.names.user, namespace: d.names.namespace },
            { id: "amateur_sunspot_5075", database: "airflow_db_amateur_sunspot_5075", user: "astro_amateur_sunspot_5075", namespace: "astronomer-amateur-sunspot-5075" },
        );
        assert.deepStrictEqual(d.names.secrets, {
            metadata: "amateur-sunspot-5075-airflow-metadata",
            resultBackend: "amateur-sunspot-5075-airflow-result-backend",
            fernetKey: "amateur-sunspot-5075-fernet-key",
        });
        assert.strictEqual(d.server, "main", "a Deployment lives on the first server by default");
        assert.strictEqual(spec.servers[0].kind === "existing" && spec.servers[0].port, 5432);
    });

    it("applies the platform release to namespaces and accepts overrides", () => {
        const spec = parseStackConfig("dev", base({
            platformRelease: "apc",
            deployments: [{ release: "amateur-sunspot-5075", overrides: { database: "legacy_db", user: "legacy_user" } }],
        }));
        assert.strictEqual(spec.deployments[0].names.namespace, "apc-amateur-sunspot-5075");
        assert.strictEqual(spec.deployments[0].names.database, "legacy_db");
        assert.strictEqual(spec.deployments[0].names.user, "legacy_user");
    });

    it("refuses an invalid release name", () => {
        assertRefused(base({ deployments: [{ release: "Amateur_Sunspot" }] }), "deployments[0].release", /not a release name: use lowercase/);
    });

    it("refuses a PostgreSQL identifier over 63 bytes", () => {
        const release = "a" + "-bcdefghij".repeat(6);
        assertRefused(base({ deployments: [{ release }] }), "deployments[0].overrides.database", /at most 63 bytes/);
    });

    it("counts bytes, not characters, for PostgreSQL identifiers", () => {
        assertRefused(base({ deployments: [{ release: "ok-one", overrides: { user: "é".repeat(32) } }] }), "deployments[0].overrides.user", /64 bytes/);
    });

    it("refuses a namespace that is not a DNS-1123 label", () => {
        assertRefused(base({ deployments: [{ release: "ok-one", overrides: { namespace: "Bad_Namespace" } }] }), "deployments[0].overrides.namespace", /DNS-1123/);
        const long = "x".repeat(60);
        assertRefused(base({ platformRelease: long, deployments: [{ release: "ok-one" }] }), "deployments[0].overrides.namespace", /at most 63/);
    });

    it("refuses duplicate Deployments", () => {
        assertRefused(base({ deployments: [{ release: "same-name" }, { release: "same-name" }] }), "deployments[1].release", /already used by deployments\[0\]/);
    });

    it("refuses two Deployments that would share a database", () => {
        assertRefused(base({ deployments: [{ release: "one-a" }, { release: "two-b", overrides: { database: "airflow_db_one_a" } }] }), "deployments[1]", /database on server main "airflow_db_one_a" is already used/);
    });

    it("refuses an unknown server name and lists the known ones", () => {
        assertRefused(base({ deployments: [{ release: "ok-one", server: "replica" }] }), "deployments[0].server", /no declared server "replica" \(servers: main\)/);
    });

    it("refuses missing required config", () => {
        const raw = base();
        delete raw.servers;
        assertRefused(raw, "servers", /required but missing/);
        assertRefused(base({ servers: [{ name: "main", existing: { adminUser: "admin" } }] }), "servers[0].existing.host", /required but missing/);
    });

    it("refuses a server with neither or both of rds and existing", () => {
        assertRefused(base({ servers: [{ name: "main" }] }), "servers[0]", /exactly one of `rds`/);
    });

    it("refuses PgBouncer JSON where it cannot apply (MySQL)", () => {
        assertRefused(base({
            servers: [{ name: "main", engine: "mysql", existing: { host: "db", adminUser: "admin" } }],
            deployments: [{ release: "ok-one", pgbouncer: true }],
        }), "deployments[0].pgbouncer", /PostgreSQL only.*set pgbouncer: false/);
    });

    it("refuses a misspelt setting instead of ignoring it", () => {
        assertRefused(base({ deployments: [{ release: "ok-one", pgbouncr: true }] }), "deployments[0]", /unknown setting\(s\) pgbouncr/);
        assertRefused({ ...base(), platfromRelease: "x" }, "platfromRelease", /not a known setting/);
    });

    it("refuses credentials stored in plain text", () => {
        assertRefused(base({ serverPasswords: { main: "hunter2" } }), "serverPasswords", /pulumi config set --secret --path serverPasswords/);
        const spec = parseStackConfig("dev", base({ serverPasswords: { main: "hunter2" } }), new Set(["serverPasswords"]));
        assert.strictEqual(spec.servers[0].kind === "existing" && spec.servers[0].adminPassword, "hunter2");
    });

    it("refuses a carried-over fernet key that is not one", () => {
        assertRefused(base({ fernetKeys: { "amateur-sunspot-5075": "not-a-key" } }), "fernetKeys.amateur-sunspot-5075", /./, ["fernetKeys"]);
    });

    it("reports every problem at once, each on its own line", () => {
        const err = problemsOf("staging", base({ deployments: [{ release: "BAD" }, { release: "ok-one", server: "nope" }] }));
        assert.match(err.message, /astro-db:deployments\[0\]\.release/);
        assert.match(err.message, /astro-db:deployments\[1\]\.server/);
        assert.strictEqual(err.problems.length, 2);
    });

    it("stops at the schema stage when the schema fails: cross-key problems are reported only once the schema passes (as the README says)", () => {
        const raw = base({ retentionDays: "abc", deployments: [{ release: "ok-one", server: "nope" }, { release: "ok-one" }] });
        const err = problemsOf("dev", raw);
        assert.deepStrictEqual(err.problems.map((p) => p.key), ["retentionDays"]);
        const second = problemsOf("dev", base({ deployments: [{ release: "ok-one", server: "nope" }, { release: "ok-one" }] }));
        assert.ok(second.problems.some((p) => p.key === "deployments[0].server"), second.message);
    });

    it("asks production stacks to protect their data", () => {
        assertRefused(base(), "protect", /set `astro-db:protect: true`/, [], "prod");
        assert.ok(parseStackConfig("prod", base({ protect: true })).protect);
    });
});

describe("stack config: data planes", () => {
    it("asks for each data plane's cluster when the stack creates the login roles", () => {
        const raw = base({ kubernetes: { mode: "render", directory: "out" }, secrets: "patch", deployments: [{ release: "ok-one", failover: { users: "customer", orchestratorUser: "commander_user" } }] });
        // A stack that writes no Kubernetes secrets (houston, the default) needs no clusters.
        parseStackConfig("dev", { ...raw, secrets: "houston" });
        assert.throws(() => parseStackConfig("dev", raw), (err: Error) => {
            assert.match(err.message, /astro-db:deployments\[0\]\.failover\.planes: data plane "dp1" has no cluster: declare `astro-db:dataPlanes\.dp1`/);
            assert.match(err.message, /data plane "dp2"/);
            return true;
        });
        const planes = { dp1: { mode: "render", directory: "a" }, dp2: { mode: "stackReference", stackReference: "acme/dp2/prod" } };
        assert.strictEqual(parseStackConfig("dev", { ...raw, dataPlanes: JSON.stringify(planes) }).dataPlanes.dp2.mode, "stackReference");
        // APC creates the login roles, and their secrets: no data-plane cluster needed.
        parseStackConfig("dev", base({ deployments: [{ release: "ok-one", failover: { users: "apc", orchestratorUser: "commander_user" } }] }));
    });
});

describe("stack config: what would lose data or break a server", () => {
    const rds = (extra: Record<string, unknown> = {}) => ({
        name: "main", engine: "postgres",
        rds: { identifier: "astro-dev", network: { vpcId: "vpc-1", subnetIds: ["subnet-a", "subnet-b"], allowedSecurityGroupIds: ["sg-1"] }, ...extra },
    });

    it("checks RDS arguments before anything is registered, naming the key", () => {
        assertRefused(base({ servers: [rds({ allocatedStorage: 100, maxAllocatedStorage: 50 })] }), "servers[0].rds", /maxAllocatedStorage \(50 GiB\) is below allocatedStorage/);
        assertRefused(base({ servers: [rds({ engineVersion: "abc" })] }), "servers[0].rds", /engineVersion/);
        parseStackConfig("dev", base({ servers: [rds()] }));
    });

    it("keeps RDS deletion protection on production stacks", () => {
        assertRefused(base({ protect: true, servers: [rds({ deletionProtection: false })] }), "servers[0].rds.deletionProtection", /stays on/, [], "prod");
    });

    it("bounds the retention period: at least a day, and no longer than RDS keeps backups", () => {
        assertRefused(base({ retentionDays: 0 }), "retentionDays", /at least 1 day/);
        assertRefused(base({ retentionDays: 40, servers: [rds()] }), "retentionDays", /longer than RDS keeps backups \(35\)/);
        assert.strictEqual(parseStackConfig("dev", base({ retentionDays: 40 })).retentionDays, 40, "an existing server's backups are the operator's");
    });

    it("refuses names that belong to the server or the orchestrator", () => {
        assertRefused(base({ deployments: [{ release: "ok-one", overrides: { database: "template1" } }] }), "deployments[0].overrides.database", /system database/);
        assertRefused(base({ deployments: [{ release: "ok-one", overrides: { user: "admin" } }] }), "deployments[0].overrides.user", /server or orchestrator role/);
        assertRefused(base({ deployments: [{ release: "ok-one", overrides: { user: "rds_superuser" } }] }), "deployments[0].overrides.user", /server or orchestrator role/);
        assertRefused(base({ deployments: [
            { release: "ok-one", failover: { users: "apc", orchestratorUser: "commander_user" } },
            { release: "ok-two", overrides: { user: "commander_user" } },
        ] }), "deployments[1].overrides.user", /server or orchestrator role/);
    });
});

describe("stack config: data-plane names", () => {
    it("refuses plane names that cannot name a provider, a key and a directory, or that repeat", () => {
        const withPlanes = (planes: unknown) => base({ deployments: [{ release: "ok-one", failover: { users: "apc", orchestratorUser: "commander_user", planes } }] });
        assertRefused(withPlanes(["dp1", "../etc"]), "deployments[0].failover.planes[1]", /a data plane name/);
        assertRefused(withPlanes(["dp1", "dp1"]), "deployments[0].failover.planes", /different names/);
        parseStackConfig("dev", withPlanes(["east", "west"]));
    });
});

describe("stack config: who owns a Deployment's secrets", () => {
    it("defaults to houston, takes the stack's choice and a Deployment's override", () => {
        assert.deepStrictEqual(parseStackConfig("dev", base()).deployments.map((d) => [d.secrets, d.createNamespace]), [["houston", false], ["houston", false]]);
        const spec = parseStackConfig("dev", base({
            kubernetes: { mode: "render", directory: "out" }, secrets: "create", createNamespace: true,
            deployments: [{ release: "amateur-sunspot-5075" }, { release: "quasar-nebula-1234", pgbouncer: true, secrets: "patch" }],
        }));
        assert.deepStrictEqual(spec.deployments.map((d) => [d.secrets, d.createNamespace]), [["create", true], ["patch", false]]);
    });

    it("refuses create with PgBouncer: the pods would bypass it", () => {
        assertRefused(base({ kubernetes: { mode: "render", directory: "out" }, secrets: "create" }), "secrets", /Deployment quasar-nebula-1234: secrets: create with pgbouncer: true would make the pods bypass PgBouncer.*use secrets: houston or patch/);
        assertRefused(base({ kubernetes: { mode: "render", directory: "out" }, deployments: [{ release: "quasar-nebula-1234", pgbouncer: true, secrets: "create" }] }), "deployments[0].secrets", /bypass PgBouncer/);
    });

    it("refuses createNamespace without create, and an unknown owner", () => {
        assertRefused(base({ kubernetes: { mode: "render", directory: "out" }, deployments: [{ release: "ok-one", secrets: "patch", createNamespace: true }] }), "deployments[0].createNamespace", /applies to secrets: create only/);
        assertRefused(base({ secrets: "shared" }), "secrets", /houston|patch|create/);
    });
});
