import * as assert from "assert";
import { type DbEndpoint, metadataConnection, pgbouncerJson, resultBackendConnection } from "../../../../components/astronomer/connections";
import { houstonVariables } from "../../../../components/astronomer/houston";

const endpoint: DbEndpoint = {
    engine: "postgres",
    host: "db.example.internal",
    port: 5432,
    database: "airflow_db_amateur_sunspot_5075",
    user: "astro_amateur_sunspot_5075",
    password: "p@ss:w/o?r#d%+& x",
    sslmode: "require",
};
const base = { endpoint, releaseName: "amateur-sunspot-5075", namespace: "astronomer-amateur-sunspot-5075", executor: "CeleryExecutor" as const };
const STRING_FIELDS = ["metadataConnection", "resultBackendConnection"];
const JSON_FIELDS = ["metadataConnectionJson", "resultBackendConnectionJson"];

describe("astronomer Houston variables", () => {
    it("without PgBouncer: the connection strings, the result backend with db+, and no JSON fields", () => {
        const v = houstonVariables({ ...base, pgbouncer: false });
        for (const set of [v.createDeployment, v.upsertDeployment] as Record<string, unknown>[]) {
            assert.strictEqual(set.metadataConnection, metadataConnection(endpoint));
            assert.strictEqual(set.resultBackendConnection, resultBackendConnection(endpoint));
            assert.ok(String(set.resultBackendConnection).startsWith("db+postgresql://"));
            for (const f of JSON_FIELDS) assert.ok(!(f in set), `${f} must not be sent with the strings`);
        }
    });

    it("with PgBouncer: the JSON forms of seed 000 for both connections, and no strings", () => {
        const v = houstonVariables({ ...base, pgbouncer: true });
        for (const set of [v.createDeployment, v.upsertDeployment] as Record<string, unknown>[]) {
            assert.deepStrictEqual(set.metadataConnectionJson, pgbouncerJson(endpoint));
            assert.deepStrictEqual(set.resultBackendConnectionJson, pgbouncerJson(endpoint));
            for (const f of STRING_FIELDS) assert.ok(!(f in set), `${f} must not be sent with the JSON forms`);
        }
    });

    it("skipAirflowDatabaseProvisioning is true on upsert and absent on create", () => {
        for (const pgbouncer of [false, true]) {
            const v = houstonVariables({ ...base, pgbouncer });
            assert.ok(!("skipAirflowDatabaseProvisioning" in v.createDeployment));
            assert.strictEqual(v.upsertDeployment.skipAirflowDatabaseProvisioning, true);
            // Apart from that field the two sets are the same.
            const { skipAirflowDatabaseProvisioning: _skip, ...rest } = v.upsertDeployment;
            assert.deepStrictEqual(rest, v.createDeployment);
        }
    });

    it("carries exactly the release name, namespace, executor and connections", () => {
        const v = houstonVariables({ ...base, pgbouncer: false });
        assert.deepStrictEqual(Object.keys(v.createDeployment).sort(), ["executor", "metadataConnection", "namespace", "releaseName", "resultBackendConnection"]);
        assert.strictEqual(v.createDeployment.releaseName, "amateur-sunspot-5075");
        assert.strictEqual(v.createDeployment.namespace, "astronomer-amateur-sunspot-5075");
        assert.strictEqual(v.createDeployment.executor, "CeleryExecutor");
    });

    it("refuses PgBouncer with MySQL and unknown executors", () => {
        const mysql: DbEndpoint = { ...endpoint, engine: "mysql", port: 3306, sslmode: undefined };
        assert.throws(() => houstonVariables({ ...base, endpoint: mysql, pgbouncer: true }), /PgBouncer works only with PostgreSQL.*amateur-sunspot-5075/);
        assert.doesNotThrow(() => houstonVariables({ ...base, endpoint: mysql, pgbouncer: false }));
        assert.throws(
            () => houstonVariables({ ...base, executor: "AstroExecutor" as never, pgbouncer: false }),
            /not one of CeleryExecutor, KubernetesExecutor, LocalExecutor/,
        );
    });
});
