/**
 * Stack config for MySQL servers: the limits MySQL puts on names and the PostgreSQL-only settings are
 * refused with one error naming the key and the fix (test/unit/stacks/config.test.ts covers only
 * PgBouncer of these).
 */
import * as assert from "assert";
import { parseStackConfig } from "../../../stacks/config";
import { ConfigError } from "../../../stacks/configError";

function mysqlStack(deployments: unknown[], extra: Record<string, unknown> = {}): Record<string, string> {
    const values: Record<string, unknown> = {
        servers: [{ name: "main", engine: "mysql", existing: { host: "mysql.example.com", adminUser: "admin" } }],
        deployments,
        ...extra,
    };
    return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, JSON.stringify(v)]));
}

function refusal(raw: Record<string, string>, key: string): string {
    try {
        parseStackConfig("mysql-dev", raw);
    } catch (err) {
        assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
        assert.match(err.message, /^Stack "mysql-dev" has invalid config \(nothing was created\)/);
        const line = err.message.split("\n").find((l) => l.includes(`astro-db:${key}:`));
        assert.ok(line, `no line names astro-db:${key} in:\n${err.message}`);
        return line!;
    }
    return assert.fail("expected the config to be refused");
}

describe("stack config for MySQL", () => {
    it("accepts a MySQL server with default names and port 3306", () => {
        const spec = parseStackConfig("mysql-dev", mysqlStack([{ release: "amateur-sunspot-5075" }, { release: "quasar-nebula-1234" }]));
        assert.strictEqual(spec.servers[0].kind === "existing" && spec.servers[0].port, 3306);
        assert.strictEqual(spec.deployments[0].engine, "mysql");
        assert.strictEqual(spec.deployments[0].names.user, "astro_amateur_sunspot_5075");
    });

    it("refuses a default user name over 32 characters and says to override it", () => {
        // astro_ + 27 characters of id = 33.
        const line = refusal(mysqlStack([{ release: "interstellar-telescope-4821" }]), "deployments[0].overrides.user");
        assert.match(line, /"astro_interstellar_telescope_4821" is 33 characters; MySQL user names are at most 32: set a shorter user name override/);
        assert.ok(parseStackConfig("mysql-dev", mysqlStack([{ release: "interstellar-telescope-4821", overrides: { user: "astro_interstellar_4821" } }])));
    });

    it("accepts a user name of exactly 32 characters and counts characters, not bytes", () => {
        assert.ok(parseStackConfig("mysql-dev", mysqlStack([{ release: "ok-one", overrides: { user: "u".repeat(32) } }])));
        assert.ok(parseStackConfig("mysql-dev", mysqlStack([{ release: "ok-one", overrides: { user: "é".repeat(32) } }])));
        assert.match(refusal(mysqlStack([{ release: "ok-one", overrides: { user: "é".repeat(33) } }]), "deployments[0].overrides.user"), /33 characters/);
    });

    it("refuses a database name over 64 characters", () => {
        const line = refusal(mysqlStack([{ release: "ok-one", overrides: { database: "d".repeat(65) } }]), "deployments[0].overrides.database");
        assert.match(line, /is 65 characters; MySQL database names are at most 64: set a shorter database name override/);
        assert.ok(parseStackConfig("mysql-dev", mysqlStack([{ release: "ok-one", overrides: { database: "d".repeat(64) } }])));
    });

    it("refuses a long release whose default database name is over 64 characters", () => {
        const release = "a" + "-bcdefghij".repeat(6); // id 61 characters: airflow_db_ + 61 = 72
        const err = (() => {
            try {
                parseStackConfig("mysql-dev", mysqlStack([{ release }]));
            } catch (e) {
                return e as ConfigError;
            }
            return assert.fail("expected a refusal");
        })();
        assert.match(err.message, /astro-db:deployments\[0\]\.overrides\.database: "airflow_db_a_bcdefghij.*" is 72 characters; MySQL database names are at most 64/);
        assert.match(err.message, /astro-db:deployments\[0\]\.overrides\.user: .* MySQL user names are at most 32/);
    });

    it("refuses PgBouncer, schemas, failover roles and sslmode on MySQL", () => {
        assert.match(refusal(mysqlStack([{ release: "ok-one", pgbouncer: true }]), "deployments[0].pgbouncer"), /PostgreSQL only; server "main" is mysql: set pgbouncer: false/);
        assert.match(refusal(mysqlStack([{ release: "ok-one", schema: "airflow" }]), "deployments[0].schema"), /PostgreSQL setting/);
        assert.match(refusal(mysqlStack([{ release: "ok-one", failover: { orchestratorUser: "commander_user" } }]), "deployments[0].failover"), /PostgreSQL only/);
        const withSslmode = mysqlStack([{ release: "ok-one" }], { servers: [{ name: "main", engine: "mysql", existing: { host: "h", adminUser: "a", sslmode: "require" } }] });
        assert.match(refusal(withSslmode, "servers[0].existing.sslmode"), /PostgreSQL setting/);
    });
});
