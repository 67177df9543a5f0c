import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { isFernetKey } from "../../../components/astronomer/fernet";
import { deploymentNames } from "../../../components/names";

const value = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply(resolve));

interface Seen { type: string; name: string; inputs: Record<string, any> }

for (const preview of [false, true]) {
    describe(`AirflowDeploymentDatabase (${preview ? "preview" : "update"} mode)`, () => {
        let seen: Seen[];
        let mod: typeof import("../../../components/airflowDeployment");
        let k8s: typeof import("@pulumi/kubernetes");
        let postgresql: typeof import("@pulumi/postgresql");

        beforeEach(async () => {
            seen = [];
            pulumi.runtime.setMocks({
                newResource: (a) => {
                    seen.push({ type: a.type, name: a.name, inputs: a.inputs });
                    if (preview) return { id: `${a.name}-id`, state: a.inputs };
                    const extra: Record<string, unknown> =
                        a.type === "random:index/randomPassword:RandomPassword" ? { result: "p@ss:w/o?r#d%+& x" }
                            : a.type === "random:index/randomBytes:RandomBytes" ? { base64: Buffer.alloc(32, 0xfb).toString("base64") } : {};
                    return { id: `${a.name}-id`, state: { ...a.inputs, ...extra } };
                },
                call: (a) => { throw new Error(`Mock not implemented: ${a.token}`); },
            }, "astro-db", "test", preview);
            mod = await import("../../../components/airflowDeployment");
            k8s = await import("@pulumi/kubernetes");
            postgresql = await import("@pulumi/postgresql");
        });

        function make(fernetKey?: string, secrets: "houston" | "patch" | "create" = "houston", pgbouncer = true, createNamespace?: boolean) {
            const release = "amateur-sunspot-5075";
            return new mod.AirflowDeploymentDatabase(release, {
                release, executor: "CeleryExecutor", pgbouncer, names: deploymentNames(release), secrets,
                server: { engine: "postgres", host: "db.example.com", port: 5432, adminUser: "admin", sslmode: "verify-full" },
                databaseProvider: new postgresql.Provider("pg", { host: "db.example.com", username: "admin", password: pulumi.secret("x"), superuser: false }),
                kubernetesProvider: new k8s.Provider("k8s", { renderYamlToDirectory: "/tmp/x" }),
                fernetKey: fernetKey === undefined ? undefined : pulumi.secret(fernetKey),
                createNamespace,
            });
        }
        const SECRET_SIG = "4dabf18193072939515e22adb298388d"; // how the SDK marks a secret value on the wire
        const settle = () => new Promise((r) => setTimeout(r, 50));
        const ofType = (t: string) => seen.filter((r) => r.type === t);

        it("makes every credential a secret Output", async () => {
            const d = make(undefined, "create", false);
            for (const o of [d.metadataConnection, d.resultBackendConnection, d.houstonVariables, d.fernetKey!, d.access.password] as pulumi.Output<unknown>[]) {
                assert.strictEqual(await pulumi.isSecret(o), true);
            }
            if (!preview) {
                for (const s of seen.filter((r) => r.type === "kubernetes:core/v1:Secret")) assert.ok(s.inputs.stringData["4dabf18193072939515e22adb298388d"], "secret data is sent as a secret");
            }
        });

        it("builds connection strings that carry any password, and the PgBouncer JSON for Houston", async function () {
            if (preview) this.skip(); // the generated password is unknown in preview
            const d = make();
            const url = await value(d.metadataConnection);
            assert.ok(url.startsWith("postgresql://astro_amateur_sunspot_5075:"));
            assert.strictEqual(decodeURIComponent(new URL(url).password), "p@ss:w/o?r#d%+& x");
            assert.strictEqual(await value(d.resultBackendConnection), `db+${url}`);
            const vars = (await value(d.houstonVariables)) as any;
            assert.deepStrictEqual(vars.upsertDeployment.metadataConnectionJson, {
                user: "astro_amateur_sunspot_5075", pass: "p@ss:w/o?r#d%+& x", protocol: "postgresql", host: "db.example.com", port: 5432, db: "airflow_db_amateur_sunspot_5075",
            });
            assert.strictEqual(vars.upsertDeployment.skipAirflowDatabaseProvisioning, true);
            assert.ok(!("skipAirflowDatabaseProvisioning" in vars.createDeployment));
            assert.ok(!("metadataConnection" in vars.createDeployment));
        });

        it("generates a valid fernet key once, or keeps the carried-over one", async function () {
            if (preview) this.skip();
            assert.ok(isFernetKey(await value(make().fernetKey!)));
            const randomBytes = () => seen.filter((r) => r.type === "random:index/randomBytes:RandomBytes").length;
            assert.strictEqual(randomBytes(), 1);
            const carried = Buffer.alloc(32, 7).toString("base64url") + "=";
            const d = make(carried);
            assert.strictEqual(await value(d.fernetKey!), carried);
            assert.strictEqual(randomBytes(), 1, "no key is generated when one is carried over");
        });

        it("houston (the default): registers no Secret nor SecretPatch; the Houston variables are the hand-off", async () => {
            const d = make();
            await settle();
            assert.deepStrictEqual([ofType("kubernetes:core/v1:Secret").length, ofType("kubernetes:core/v1:SecretPatch").length, ofType("kubernetes:core/v1:Namespace").length], [0, 0, 0]);
            assert.deepStrictEqual(d.secretsHandOff.parts, []);
            assert.match(d.secretsHandOff.podsConnectTo, /^PgBouncer at amateur-sunspot-5075-pgbouncer\.astronomer-amateur-sunspot-5075:6543\/amateur-sunspot-5075-metadata/);
            assert.strictEqual(d.chartValues, undefined);
        });

        it("patch: one SecretPatch per data key, in the chart's secrets, with astro-db's field manager, forced, data base64 and secret", async () => {
            const d = make(undefined, "patch", false);
            await settle();
            assert.strictEqual(ofType("kubernetes:core/v1:Secret").length, 0, "no whole Secret: the chart owns them");
            const patches = ofType("kubernetes:core/v1:SecretPatch");
            assert.deepStrictEqual(patches.map((p) => [p.name, p.inputs.metadata.name, p.inputs.metadata.namespace]).sort(), [
                ["amateur-sunspot-5075-fernet-key-patch", "amateur-sunspot-5075-fernet-key", "astronomer-amateur-sunspot-5075"],
                ["amateur-sunspot-5075-metadata-patch", "amateur-sunspot-5075-airflow-metadata", "astronomer-amateur-sunspot-5075"],
                ["amateur-sunspot-5075-result-backend-patch", "amateur-sunspot-5075-airflow-result-backend", "astronomer-amateur-sunspot-5075"],
            ]);
            for (const p of patches) {
                assert.deepStrictEqual(p.inputs.metadata.annotations, { "pulumi.com/patchFieldManager": "astro-db", "pulumi.com/patchForce": "true" });
                assert.deepStrictEqual(Object.keys(p.inputs).sort(), ["apiVersion", "data", "kind", "metadata"], "only the data key: no type, labels or stringData");
                if (preview) continue;
                assert.ok(p.inputs.data[SECRET_SIG], "the data is sent as a secret");
                const [key, b64] = Object.entries(p.inputs.data.value as Record<string, string>)[0];
                const text = Buffer.from(b64, "base64").toString("utf8");
                if (p.inputs.metadata.name.endsWith("fernet-key")) assert.deepStrictEqual([key, text], ["fernet-key", await value(d.fernetKey)]);
                else if (p.inputs.metadata.name.endsWith("result-backend")) assert.deepStrictEqual([key, text], ["connection", await value(d.resultBackendConnection)]);
                else assert.deepStrictEqual([key, text], ["connection", await value(d.metadataConnection)]);
            }
            assert.strictEqual(d.chartValues, undefined, "the chart keeps its own secret names");
        });

        it("patch with PgBouncer: only the fernet key, the connection secrets stay the chart's (through PgBouncer)", async () => {
            const d = make(undefined, "patch", true);
            await settle();
            assert.deepStrictEqual(ofType("kubernetes:core/v1:SecretPatch").map((p) => p.inputs.metadata.name), ["amateur-sunspot-5075-fernet-key"]);
            assert.deepStrictEqual(d.secretsHandOff.parts, ["fernetKey"]);
            assert.match(d.secretsHandOff.podsConnectTo, /^PgBouncer at /);
        });

        it("create: the stack's own Secrets, the chart values that point the Deployment at them, the namespace only when asked", async () => {
            const d = make(undefined, "create", false);
            await settle();
            assert.strictEqual(ofType("kubernetes:core/v1:SecretPatch").length, 0);
            assert.strictEqual(ofType("kubernetes:core/v1:Namespace").length, 0, "Houston creates the namespace unless asked");
            assert.deepStrictEqual(d.chartValues, {
                data: { metadataSecretName: "amateur-sunspot-5075-airflow-metadata", resultBackendSecretName: "amateur-sunspot-5075-airflow-result-backend" },
                fernetKeySecretName: "amateur-sunspot-5075-fernet-key",
            });
            make(undefined, "create", false, true);
            await settle();
            assert.deepStrictEqual(ofType("kubernetes:core/v1:Namespace").map((n) => n.inputs.metadata.name), ["astronomer-amateur-sunspot-5075"]);
        });

        it("create with PgBouncer is refused, and createNamespace without create", () => {
            assert.throws(() => make(undefined, "create", true), /bypass PgBouncer/);
            assert.throws(() => make(undefined, "patch", false, true), /createNamespace and secrets: patch cannot both be set/);
        });

        it("writes the three secrets into the Deployment's namespace with seed 003's names and keys", async () => {
            make(undefined, "create", false);
            await settle();
            const secrets = seen.filter((r) => r.type === "kubernetes:core/v1:Secret");
            // In preview the data is unknown (the password is not generated yet): only names can be checked.
            const data = (s: Seen) => (s.inputs.stringData?.[SECRET_SIG] ? s.inputs.stringData.value : s.inputs.stringData);
            const keys = (s: Seen) => (preview ? [s.inputs.metadata.name.endsWith("fernet-key") ? "fernet-key" : "connection"] : Object.keys(data(s) ?? {}));
            assert.deepStrictEqual(secrets.map((s) => [s.inputs.metadata.name, keys(s)]).sort(), [
                ["amateur-sunspot-5075-airflow-metadata", ["connection"]],
                ["amateur-sunspot-5075-airflow-result-backend", ["connection"]],
                ["amateur-sunspot-5075-fernet-key", ["fernet-key"]],
            ]);
            for (const s of secrets) assert.strictEqual(s.inputs.metadata.namespace, "astronomer-amateur-sunspot-5075");
        });
    });
}
