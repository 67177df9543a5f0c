import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";

pulumi.runtime.setMocks(
    {
        newResource: (a: pulumi.runtime.MockResourceArgs) => ({ id: a.name + "_id", state: a.inputs }),
        call: (a: pulumi.runtime.MockCallArgs) => {
            throw new Error("Mock not implemented: " + a.token);
        },
    },
    "astro-db",
    "test",
    false,
);

// Imported after setMocks, as the code under test would be in a program.
import {
    houstonVariablesOutput,
    manualConnectionValuesYamlOutput,
    metadataConnectionOutput,
    pgbouncerJsonOutput,
    resultBackendConnectionOutput,
    type DbEndpointInput,
} from "../../../../components/astronomer/outputs";
import { metadataConnection, parseConnection, type DbEndpoint } from "../../../../components/astronomer/connections";
import { parse } from "yaml";

function value<T>(out: pulumi.Output<T>): Promise<T> {
    return new Promise((r) => out.apply(r));
}

const PASSWORD = "p@ss:w/o?r#d%+& x";
const plain: DbEndpoint = {
    engine: "postgres",
    host: "db.example.internal",
    port: 5432,
    database: "airflow_db_amateur_sunspot_5075",
    user: "astro_amateur_sunspot_5075",
    password: PASSWORD,
    sslmode: "require",
};
// Inputs mixed from plain values and Outputs, none of them secret: the results must still be.
const input: DbEndpointInput = { ...plain, host: pulumi.output(plain.host), password: pulumi.output(PASSWORD) };

describe("astronomer Output wrappers", () => {
    it("connection strings are secret Outputs with the right value", async () => {
        const m = metadataConnectionOutput(input);
        assert.strictEqual(await pulumi.isSecret(m), true);
        assert.strictEqual(await value(m), metadataConnection(plain));
        assert.strictEqual(parseConnection(await value(m)).password, PASSWORD);

        const rb = resultBackendConnectionOutput(input);
        assert.strictEqual(await pulumi.isSecret(rb), true);
        assert.strictEqual(await value(rb), "db+" + metadataConnection(plain));
    });

    it("the PgBouncer JSON is a secret Output", async () => {
        const j = pgbouncerJsonOutput(input);
        assert.strictEqual(await pulumi.isSecret(j), true);
        assert.deepStrictEqual(await value(j), {
            user: plain.user, pass: PASSWORD, protocol: "postgresql", host: plain.host, port: 5432, db: plain.database,
        });
    });

    it("the Houston variables are a secret Output", async () => {
        const v = houstonVariablesOutput({
            endpoint: input,
            pgbouncer: pulumi.output(true),
            releaseName: "amateur-sunspot-5075",
            namespace: pulumi.output("astronomer-amateur-sunspot-5075"),
            executor: "KubernetesExecutor",
        });
        assert.strictEqual(await pulumi.isSecret(v), true);
        const vars = (await value(v)) as unknown as { createDeployment: Record<string, unknown>; upsertDeployment: Record<string, unknown> };
        assert.strictEqual((vars.createDeployment.metadataConnectionJson as { pass: string }).pass, PASSWORD);
        assert.strictEqual(vars.upsertDeployment.skipAirflowDatabaseProvisioning, true);
        assert.strictEqual(vars.createDeployment.executor, "KubernetesExecutor");
    });

    it("the values YAML is a secret Output", async () => {
        const y = manualConnectionValuesYamlOutput({ layout: pulumi.output("apc2" as const), connection: metadataConnectionOutput(input) });
        assert.strictEqual(await pulumi.isSecret(y), true);
        const parsed = parse(await value(y));
        assert.strictEqual(parsed.deployments.databaseManagement.database.connection, metadataConnection(plain));
        assert.strictEqual(parsed.deployments.databaseManagement.manualConnectionStrings.enabled, true);
    });
});
