import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import * as pulumi from "@pulumi/pulumi";
import { GraphResource, runStackGraph, stackFilePath, StackGraph } from "../../../cli/graph";
import { SECRET_MASK, UNKNOWN_MASK } from "../../../engines/model";
import { planJson, planMarkdown, planText } from "../../../cli/plan";
import { PG_PRIVILEGES } from "../../../engines/postgres/privileges";

const of = (g: StackGraph, type: string) => g.resources.filter((r) => r.type === type);
const named = (g: StackGraph, name: string): GraphResource => {
    const r = g.resources.find((x) => x.name === name);
    assert.ok(r, `no resource named ${name}`);
    return r!;
};

describe("the stack program under Pulumi's mocks", function () {
    for (const preview of [false, true]) {
        describe(`local stack, ${preview ? "preview" : "update"} mode`, () => {
            let g: StackGraph;
            before(async () => {
                g = await runStackGraph("local", { preview });
            });

            it("creates per Deployment its database, Astro role, grants, default privileges and three secrets", () => {
                for (const d of g.spec.deployments) {
                    const db = named(g, `${d.release}-database`);
                    assert.strictEqual(db.type, "postgresql:index/database:Database");
                    assert.strictEqual(db.inputs.name, d.names.database);
                    const role = named(g, `${d.release}-user`);
                    assert.strictEqual(role.inputs.name, d.names.user);
                    if (d.failover?.users === "customer") {
                        // The shared data role of the planes' login roles: it never logs in itself.
                        assert.strictEqual(role.inputs.login, false);
                        assert.deepStrictEqual([role.secretInputs, role.inputs.password], [[], undefined]);
                    } else {
                        assert.strictEqual(role.inputs.login, true);
                        assert.deepStrictEqual(role.secretInputs, ["password"]);
                        assert.strictEqual(role.inputs.password, preview ? UNKNOWN_MASK : SECRET_MASK);
                    }
                    // Who owns the secrets decides what is registered: houston nothing, patch SecretPatches, create Secrets;
                    // per cluster: the stack's, or each data plane's (failover, customer-managed users).
                    const clusters = d.failover?.users === "customer" ? d.failover.planes.map((p) => `${d.release}-${p}`) : [d.release];
                    const mine = (type: string) => g.resources.filter((r) => r.type === type && clusters.includes(r.parent!));
                    const [secrets, patches] = [mine("kubernetes:core/v1:Secret"), mine("kubernetes:core/v1:SecretPatch")];
                    const written = d.secrets === "create" ? secrets : d.secrets === "patch" ? patches : [];
                    assert.strictEqual(secrets.length + patches.length, written.length, `${d.release}: only ${d.secrets}'s kind of resource`);
                    const parts = d.secrets === "houston" ? [] : d.secrets === "patch" && d.pgbouncer ? [d.names.secrets.fernetKey] : Object.values(d.names.secrets);
                    for (const cluster of clusters) {
                        const names = written.filter((s) => s.parent === cluster).map((s) => (s.inputs.metadata as { name: string }).name);
                        assert.deepStrictEqual(names.sort(), [...parts].sort(), `${d.release} (${d.secrets})`);
                    }
                    for (const s of written) {
                        assert.strictEqual((s.inputs.metadata as { namespace: string }).namespace, d.names.namespace);
                        assert.ok(s.secretInputs.includes(d.secrets === "patch" ? "data" : "stringData"), `${s.name} data must be secret`);
                    }
                    // A patch is kept on delete: releasing its fields would blank the running Deployment's connection.
                    for (const p of patches) assert.deepStrictEqual([p.options.retainOnDelete, (p.inputs.metadata as { annotations: Record<string, string> }).annotations], [true, { "pulumi.com/patchFieldManager": "astro-db", "pulumi.com/patchForce": "true" }]);
                    const out = (g.outputs.deployments as Record<string, { secrets: { owner: string; writes: string[] }; chartValues?: unknown }>)[d.release];
                    assert.deepStrictEqual([out.secrets.owner, out.secrets.writes.sort()], [d.secrets, [...parts].sort()]);
                    assert.strictEqual(out.chartValues !== undefined, d.secrets === "create", "chart values only for the stack's own secrets");
                }
            });

            it("shows all three owners on the local stack: create, houston (PgBouncer), patch (the migrated Deployment)", () => {
                assert.deepStrictEqual(g.spec.deployments.map((d) => [d.release, d.secrets]), [
                    ["amateur-sunspot-5075", "create"], ["quasar-nebula-1234", "houston"], ["stellar-orbit-4821", "patch"],
                ]);
            });

            it("grants exactly seed 000's privileges; the grants on the database one after another, the others once the database and the role exist", () => {
                // A Deployment without failover: failover's CONNECT grants join the chain (test/unit/components/postgres/failoverRoles.test.ts).
                const d = g.spec.deployments.find((x) => !x.failover)!;
                const chain = g.resources.filter((r) => r.parent === d.release && /grant|default|public-connect/.test(r.name));
                assert.deepStrictEqual(chain.map((r) => r.name), [
                    `${d.release}-public-connect`, `${d.release}-database-grant`, `${d.release}-schema-grant`,
                    `${d.release}-tables-grant`, `${d.release}-sequences-grant`, `${d.release}-functions-grant`,
                    `${d.release}-tables-default`, `${d.release}-sequences-default`, `${d.release}-functions-default`,
                ]);
                // Grants on the database rewrite one row (pg_database.datacl): in parallel they fail with
                // "tuple concurrently updated", so the second waits for the first.
                assert.deepStrictEqual(chain[0].options.dependsOn, [`${d.release}-database`, `${d.release}-user`].sort());
                assert.deepStrictEqual(chain[1].options.dependsOn, [chain[0].name]);
                // Each of the others rewrites rows of its own: it waits only for the database and the role.
                for (const r of chain.slice(2)) assert.deepStrictEqual(r.options.dependsOn, [`${d.release}-database`, `${d.release}-user`].sort(), r.name);
                assert.deepStrictEqual(chain[0].inputs, { database: d.names.database, role: "public", objectType: "database", privileges: ["TEMPORARY"] });
                assert.deepStrictEqual(chain[1].inputs.privileges, [...PG_PRIVILEGES.database]);
                assert.deepStrictEqual(chain[2].inputs.privileges, [...PG_PRIVILEGES.schema]);
                for (const r of chain.slice(3, 6)) assert.deepStrictEqual(r.inputs.objects, [], "ALL ... IN SCHEMA");
                for (const r of chain.slice(6)) {
                    assert.strictEqual(r.type, "postgresql:index/defaultPrivileges:DefaultPrivileges");
                    assert.strictEqual(r.inputs.owner, "postgres", "default privileges for objects the admin creates");
                }
                for (const r of chain) assert.strictEqual(r.options.provider, "local-postgresql");
            });

            it("keeps databases and roles when a Deployment is renamed or removed", () => {
                for (const r of [...of(g, "postgresql:index/database:Database"), ...of(g, "postgresql:index/role:Role")]) {
                    assert.strictEqual(r.options.retainOnDelete, true, r.name);
                }
                for (const r of of(g, "postgresql:index/role:Role")) assert.strictEqual(r.inputs.skipReassignOwned, true);
            });

            it("sets the search_path and creates the schema for a Deployment outside public", () => {
                const d = g.spec.deployments.find((x) => x.schema !== "public")!;
                assert.deepStrictEqual(named(g, `${d.release}-user`).inputs.searchPaths, [d.schema]);
                assert.strictEqual(named(g, `${d.release}-schema`).inputs.name, d.schema);
                assert.strictEqual(named(g, `${d.release}-schema-grant`).inputs.schema, d.schema);
            });

            it("renders manifests to a directory instead of a cluster", () => {
                const [k8s] = of(g, "pulumi:providers:kubernetes");
                assert.strictEqual(k8s.inputs.renderYamlToDirectory, "out/local/manifests");
            });

            it("masks every credential-bearing output", () => {
                const expected = preview ? [SECRET_MASK, UNKNOWN_MASK] : [SECRET_MASK];
                for (const [release, d] of Object.entries(g.outputs.deployments as Record<string, Record<string, unknown>>)) {
                    for (const k of ["metadataConnection", "resultBackendConnection", "houstonVariables"]) {
                        assert.ok(expected.includes(d[k] as string), `${release}.${k} = ${d[k]}`);
                    }
                    assert.ok(typeof d.database === "string" && !expected.includes(d.database as string) || preview);
                }
                assert.ok(expected.includes(g.outputs.valuesYaml as string));
            });
        });
    }

    describe("every stack file", () => {
        for (const stack of ["local", "dev", "staging", "prod"]) {
            it(`${stack}: renders, with at least two Deployments`, async () => {
                const g = await runStackGraph(stack);
                assert.ok(g.spec.deployments.length >= 2);
                assert.ok(planText(g).includes("postgresql:index/role:Role"));
                assert.ok(planMarkdown(g).startsWith(`## astro-db plan: \`${stack}\``));
                const json = JSON.parse(planJson(g));
                assert.deepStrictEqual(Object.keys(json), ["capacity", "outputs", "resources", "stack"]);
                for (const r of json.resources) {
                    assert.deepStrictEqual(Object.keys(r).sort(), ["custom", "inputs", "name", "options", "parent", "parentType", "secretDigests", "secretInputs", "type"]);
                    assert.deepStrictEqual(Object.keys(r.options), ["deletedWith", "dependsOn", "ignoreChanges", "protect", "provider", "retainOnDelete"]);
                }
                // No credential appears anywhere in a plan.
                assert.ok(!planJson(g).includes("generated-by-pulumi-up"), "a generated password leaked into the plan");
            });
        }

        it("local holds three Deployments, one with PgBouncer", async () => {
            const g = await runStackGraph("local");
            assert.strictEqual(g.spec.deployments.length, 3);
            assert.ok(g.spec.deployments.some((d) => d.pgbouncer));
        });

        it("prod: RDS with deletion protection, encryption, Multi-AZ, and every database protected", async () => {
            const g = await runStackGraph("prod");
            const [rds] = of(g, "aws:rds/instance:Instance");
            assert.strictEqual(rds.inputs.deletionProtection, true);
            assert.strictEqual(rds.inputs.storageEncrypted, true);
            assert.strictEqual(rds.inputs.multiAz, true);
            assert.strictEqual(rds.options.protect, true);
            for (const db of of(g, "postgresql:index/database:Database")) assert.strictEqual(db.options.protect, true);
            const [provider] = of(g, "pulumi:providers:postgresql");
            // Provider config reaches the engine as JSON text, as the SDK serialises it.
            assert.strictEqual(String(provider.inputs.superuser), "false", "the RDS master user is no superuser");
            assert.ok(provider.secretInputs.includes("password"));
            // Default secrets: houston: the platform's chart makes them from the Houston variables; no cluster is touched.
            assert.deepStrictEqual([of(g, "kubernetes:core/v1:Secret").length, of(g, "kubernetes:core/v1:SecretPatch").length, of(g, "pulumi:providers:kubernetes").length], [0, 0, 0]);
            for (const d of Object.values(g.outputs.deployments as Record<string, { houstonVariables: unknown; secrets: { owner: string; writes: string[] } }>)) {
                assert.deepStrictEqual([d.houstonVariables, d.secrets.owner, d.secrets.writes], [SECRET_MASK, "houston", []]);
            }
        });

        it("dev: the RDS network comes from the cluster's stack", async () => {
            const g = await runStackGraph("dev");
            const refs = of(g, "pulumi:pulumi:StackReference").map((r) => r.inputs.name);
            assert.ok(refs.includes("acme/astro-cluster/dev"));
        });
    });

    it("reveals secrets only when asked", async () => {
        const g = await runStackGraph("local", { revealSecrets: true });
        const d = (g.outputs.deployments as Record<string, { metadataConnection: string }>)["quasar-nebula-1234"];
        assert.match(d.metadataConnection, /^postgresql:\/\/astro_quasar_nebula_1234:[^@]+@127\.0\.0\.1:5432\/airflow_db_quasar_nebula_1234\?sslmode=disable$/);
        // Failover with customer-managed users: the Deployment-level connection is the first plane's login role.
        const f = (g.outputs.deployments as Record<string, { metadataConnection: string }>)["amateur-sunspot-5075"];
        assert.match(f.metadataConnection, /^postgresql:\/\/dp1_user_amateur_sunspot_5075:[^@]+@127\.0\.0\.1:5432\/airflow_db_amateur_sunspot_5075\?sslmode=disable$/);
        assert.ok(pulumi.runtime.isDryRun() === false);
    });
});

describe("data-plane failover with customer-managed users (seed 004)", () => {
    it("sends each plane's cluster the Deployment's secrets with that plane's own login role, sharing one fernet key", async () => {
        const g = await runStackGraph("local", { revealSecrets: true });
        const d = g.spec.deployments.find((x) => x.failover?.users === "customer")!;
        const secrets = g.resources.filter((r) => r.type === "kubernetes:core/v1:Secret" && r.name.startsWith(d.release));
        const byPlane = (plane: string) => secrets.filter((s) => s.options.provider === `kubernetes-${plane}`);
        assert.strictEqual(secrets.filter((s) => s.options.provider === "kubernetes").length, 0, "no Astro-user secrets on the control cluster");
        const fernet = new Set<string>();
        d.failover!.planes.forEach((plane, i) => {
            const mine = byPlane(plane);
            assert.deepStrictEqual(mine.map((s) => (s.inputs.metadata as { name: string }).name).sort(), Object.values(d.names.secrets).sort());
            const data = (suffix: string) => (mine.find((s) => (s.inputs.metadata as { name: string }).name.endsWith(suffix))!.inputs.stringData as Record<string, string>);
            assert.match(data("airflow-metadata").connection, new RegExp(`^postgresql://${d.names.loginRoles[i]}:`));
            assert.match(data("airflow-result-backend").connection, new RegExp(`^db\\+postgresql://${d.names.loginRoles[i]}:`));
            fernet.add(data("fernet-key")["fernet-key"]);
        });
        assert.strictEqual(fernet.size, 1, "both planes decrypt with the same fernet key");
        const providers = g.resources.filter((r) => r.type === "pulumi:providers:kubernetes").map((r) => [r.name, r.inputs.renderYamlToDirectory]);
        assert.deepStrictEqual(providers, [["kubernetes", "out/local/manifests"], ["kubernetes-dp1", "out/local/manifests-dp1"], ["kubernetes-dp2", "out/local/manifests-dp2"]]);
    });
});

describe("values.yaml for the platform (seed 000 step 1)", () => {
    it("holds no credential by default: seed 000's format with the placeholder user and password, still a secret output", async () => {
        const masked = await runStackGraph("prod");
        assert.strictEqual(masked.outputs.valuesYaml, SECRET_MASK);
        const g = await runStackGraph("prod", { revealSecrets: true });
        const text = g.outputs.valuesYaml as string;
        assert.match(text, /connection: postgresql:\/\/example_user:example_pass@astro-prod-airflow\.abcdefghijkl\.us-east-1\.rds\.amazonaws\.com:5432\?sslmode=require$/m);
        assert.ok(!text.includes("generated-by-pulumi-up") && !text.includes("astroadmin"), "neither the admin's password nor its name");
    });

    it("puts the real admin connection there only with valuesConnection: admin", async () => {
        const doc = YAML.parse(fs.readFileSync(stackFilePath("prod"), "utf8"));
        doc.config["astro-db:valuesConnection"] = "admin";
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "astro-db-values-")), "Pulumi.prod.yaml");
        fs.writeFileSync(file, YAML.stringify(doc));
        const g = await runStackGraph("prod", { revealSecrets: true, file });
        assert.match(g.outputs.valuesYaml as string, /connection: postgresql:\/\/astroadmin:generated-by-pulumi-up@astro-prod-airflow\./);
    });
});
