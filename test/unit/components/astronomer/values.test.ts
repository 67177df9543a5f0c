import * as assert from "assert";
import { parse } from "yaml";
import { manualConnectionValues, manualConnectionValuesYaml } from "../../../../components/astronomer/values";
import { VALUES_LAYOUTS, type ValuesLayout } from "../../../../components/astronomer/facts";

const SEED_EXAMPLE = "postgresql://example_user:example_pass@host:5432?sslmode=prefer";
const NASTY = "postgresql://u:it's: #not a comment@host:5432?sslmode=prefer";

describe("astronomer values.yaml for manual connection strings", () => {
    it("top-level: the keys of seed 000 step 1", () => {
        assert.deepStrictEqual(parse(manualConnectionValuesYaml({ layout: "top-level", connection: SEED_EXAMPLE })), {
            deployments: { manualConnectionStrings: { enabled: true }, database: { connection: SEED_EXAMPLE } },
        });
    });

    it("umbrella: nested under astronomer.houston.config", () => {
        assert.deepStrictEqual(parse(manualConnectionValuesYaml({ layout: "umbrella", connection: SEED_EXAMPLE })), {
            astronomer: { houston: { config: { deployments: { manualConnectionStrings: { enabled: true }, database: { connection: SEED_EXAMPLE } } } } },
        });
    });

    it("apc2: under deployments.databaseManagement", () => {
        assert.deepStrictEqual(parse(manualConnectionValuesYaml({ layout: "apc2", connection: SEED_EXAMPLE })), {
            deployments: { databaseManagement: { manualConnectionStrings: { enabled: true }, database: { connection: SEED_EXAMPLE } } },
        });
    });

    it("a connection string with : # and ' survives the YAML in every layout", () => {
        for (const layout of Object.keys(VALUES_LAYOUTS) as ValuesLayout[]) {
            const text = manualConnectionValuesYaml({ layout, connection: NASTY });
            assert.deepStrictEqual(parse(text), manualConnectionValues({ layout, connection: NASTY }));
            assert.ok(!text.includes("\n  \n"));
        }
    });

    it("a long connection string stays on one line", () => {
        const long = `postgresql://u:${"a b ".repeat(60)}@host:5432?sslmode=prefer`;
        const text = manualConnectionValuesYaml({ layout: "top-level", connection: long });
        assert.strictEqual(parse(text).deployments.database.connection, long);
        assert.strictEqual(text.split("\n").filter((l) => l.includes("connection:")).length, 1);
        assert.ok(text.split("\n").some((l) => l.includes("connection:") && l.includes("@host:5432")));
    });

    it("says in a header comment when the values take effect", () => {
        const text = manualConnectionValuesYaml({ layout: "top-level", connection: SEED_EXAMPLE });
        const header = text.split("\n").filter((l) => l.startsWith("#")).join(" ");
        assert.match(header, /first install/);
        assert.match(header, /Houston's cluster configuration override/);
    });

    it("refuses an unknown layout and an empty connection", () => {
        assert.throws(() => manualConnectionValues({ layout: "flat" as ValuesLayout, connection: SEED_EXAMPLE }), /unknown values layout "flat"/);
        assert.throws(() => manualConnectionValues({ layout: "top-level", connection: "" }), /empty/);
    });
});
