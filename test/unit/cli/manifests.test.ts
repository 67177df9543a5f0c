/**
 * The secrets `astro-db apply` writes for a failover Deployment with customer-managed users: one set
 * per data plane, each with that plane's login role, all with the Deployment's one fernet key.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { outputLayout, planeLayout, readDeploymentPassword, readFernetKeyFile, readSecretValue, secretManifest, writeDeploymentSecrets, writePlaneSecrets, writePrivateFile } from "../../../cli/manifests";
import { parse } from "yaml";
import { SECRETS } from "../../../components/astronomer/facts";
import { fernetKeyFromBytes } from "../../../components/astronomer/fernet";
import { deploymentNames } from "../../../components/names";
import type { DeploymentSpec } from "../../../stacks/config";

const release = "amateur-sunspot-5075";
const d: DeploymentSpec = {
    release, executor: "CeleryExecutor", pgbouncer: false, server: "local", engine: "postgres", schema: "public",
    names: deploymentNames(release), failover: { users: "customer", orchestratorUser: "commander_user", planes: ["dp1", "dp2"], terminate: "function" }, secrets: "create", createNamespace: false,
};
const endpoint = { engine: "postgres" as const, host: "db.example.com", port: 5432, sslmode: "require" };
const planes = (fresh = true) => d.names.loginRoles.map((user, i) => ({ plane: d.failover!.planes[i], user, freshPassword: fresh ? `pw-${user}` : undefined }));
const mode = (p: string) => fs.statSync(p).mode & 0o777;
/** This run created the Deployment's database: a new fernet key is safe. */
const created = { newDeployment: true };

describe("apply's secrets per data plane (failover, customer-managed users)", () => {
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "astro-db-planes-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
    const layout = () => outputLayout(dir);
    const value = (plane: string, part: keyof typeof SECRETS) => readSecretValue(planeLayout(layout(), plane).secret(d.names.secrets[part]), SECRETS[part].key);

    it("writes each plane's three secrets with its own login role and one fernet key, 0600 in 0700 directories", () => {
        const notes: string[] = [];
        const files = writePlaneSecrets(layout(), d, planes(), { endpoint, fernetKeysSecret: false, fernet: created, notes });
        assert.deepStrictEqual(files.map((f) => [path.relative(dir, f.path), f.status]), ["dp1", "dp2"].flatMap((plane) =>
            Object.values(d.names.secrets).map((name) => [path.join("secrets", plane, `${name}.yaml`), "written"])));
        for (const [i, plane] of ["dp1", "dp2"].entries()) {
            const url = new URL(value(plane, "metadata")!);
            assert.deepStrictEqual([url.username, url.password, url.pathname], [d.names.loginRoles[i], `pw-${d.names.loginRoles[i]}`, `/${d.names.database}`]);
            assert.strictEqual(value(plane, "resultBackend"), `db+${value(plane, "metadata")}`);
            assert.strictEqual(mode(path.join(dir, "secrets", plane)), 0o700);
        }
        for (const f of files) assert.strictEqual(mode(f.path), 0o600);
        assert.strictEqual(value("dp1", "fernetKey"), value("dp2", "fernetKey"));
        assert.deepStrictEqual(notes.filter((n) => !n.startsWith("secrets: create: `kubectl apply -f` them")), []);
    });

    it("keeps what is written when no password changed, and says when a plane's password is unknown", () => {
        writePlaneSecrets(layout(), d, planes(), { endpoint, fernetKeysSecret: false, fernet: created, notes: [] });
        fs.rmSync(planeLayout(layout(), "dp2").secret(d.names.secrets.metadata));
        fs.rmSync(planeLayout(layout(), "dp2").secret(d.names.secrets.resultBackend));
        const notes: string[] = [];
        const again = writePlaneSecrets(layout(), d, planes(false), { endpoint, fernetKeysSecret: false, notes });
        assert.deepStrictEqual(again.map((f) => f.status), ["kept", "kept", "kept", "missing", "missing", "kept"]);
        assert.match(notes.join("\n"), /role dp2_user_amateur_sunspot_5075 already exists .*--rotate-password amateur-sunspot-5075/);
    });

    it("carries over the fernet key of an earlier Deployment-level secret (it encrypted what is there) and names the stale connection secrets", () => {
        const key = fernetKeyFromBytes(Buffer.alloc(32, 9));
        const old = layout();
        writePrivateFile(old.secret(d.names.secrets.fernetKey), secretManifest(d.names.secrets.fernetKey, d.names.namespace, release, SECRETS.fernetKey.key, key));
        writePrivateFile(old.secret(d.names.secrets.metadata), secretManifest(d.names.secrets.metadata, d.names.namespace, release, SECRETS.metadata.key, "postgresql://astro_amateur_sunspot_5075:x@h:5432/db"));
        const notes: string[] = [];
        writePlaneSecrets(layout(), d, planes(), { endpoint, fernetKeysSecret: false, notes });
        assert.deepStrictEqual([value("dp1", "fernetKey"), value("dp2", "fernetKey")], [key, key]);
        assert.match(notes.join("\n"), /amateur-sunspot-5075-airflow-metadata\.yaml: written before each plane had its own secrets, for the Astro role/);
    });

    it("never overwrites a plane's fernet key, and says so when the planes' keys differ", () => {
        writePlaneSecrets(layout(), d, planes(), { endpoint, fernetKeysSecret: false, fernet: created, notes: [] });
        const other = fernetKeyFromBytes(Buffer.alloc(32, 1));
        const dp2 = planeLayout(layout(), "dp2").secret(d.names.secrets.fernetKey);
        writePrivateFile(dp2, secretManifest(d.names.secrets.fernetKey, d.names.namespace, release, SECRETS.fernetKey.key, other));
        const notes: string[] = [];
        writePlaneSecrets(layout(), d, planes(false), { endpoint, fernetKeysSecret: false, notes });
        assert.strictEqual(value("dp2", "fernetKey"), other);
        assert.match(notes.join("\n"), /fernet keys in .* differ/);
    });

    it("never makes a new fernet key for a Deployment that existed before the run: says once how to keep the cluster's", () => {
        const notes: string[] = [];
        const files = writePlaneSecrets(layout(), d, planes(false), { endpoint, fernetKeysSecret: false, fernet: { newDeployment: false }, notes });
        assert.deepStrictEqual(files.filter((f) => f.path.endsWith("fernet-key.yaml")).map((f) => f.status), ["missing", "missing"]);
        assert.strictEqual(notes.filter((n) => /fernet key was not written/.test(n)).length, 1);
        assert.match(notes.join("\n"), /keep the cluster's secret astronomer-amateur-sunspot-5075\/amateur-sunspot-5075-fernet-key as it is.*kubectl get secret -n astronomer-amateur-sunspot-5075 amateur-sunspot-5075-fernet-key -o yaml.*--fernet-key amateur-sunspot-5075=.*--new-fernet-key amateur-sunspot-5075/);
    });

    it("writes the key from a named file, or a new one only with --new-fernet-key, and says it replaced one", () => {
        const key = fernetKeyFromBytes(Buffer.alloc(32, 7));
        const file = path.join(dir, "from-cluster.yaml");
        // What `kubectl get secret -o yaml` prints: the key base64-encoded under data.
        fs.writeFileSync(file, `apiVersion: v1\nkind: Secret\ndata:\n  fernet-key: ${Buffer.from(key).toString("base64")}\nmetadata:\n  name: x\n`);
        writePlaneSecrets(layout(), d, planes(false), { endpoint, fernetKeysSecret: false, fernet: { given: readFernetKeyFile(file) }, notes: [] });
        assert.deepStrictEqual([value("dp1", "fernetKey"), value("dp2", "fernetKey")], [key, key]);
        const notes: string[] = [];
        writePlaneSecrets(layout(), d, planes(false), { endpoint, fernetKeysSecret: false, fernet: { renew: true }, notes });
        assert.notStrictEqual(value("dp1", "fernetKey"), key);
        assert.strictEqual(value("dp1", "fernetKey"), value("dp2", "fernetKey"));
        assert.match(notes.join("\n"), /REPLACED the fernet key it held \(--new-fernet-key\)/);
        fs.writeFileSync(file, "not a key\n");
        assert.throws(() => readFernetKeyFile(file), /--fernet-key: .* neither a fernet key nor a Secret manifest/);
        fs.writeFileSync(file, `${key.slice(0, 43)}\n`);
        assert.throws(() => readFernetKeyFile(file), /lacks its = padding/);
    });

    it("refuses a plane name that is not one directory", () => {
        assert.throws(() => planeLayout(layout(), "../elsewhere"), /cannot name a directory/);
    });
});

describe("apply --out writes what each secrets owner means", () => {
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "astro-db-owners-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
    const rel = "stellar-orbit-4821";
    const spec = (secrets: DeploymentSpec["secrets"], pgbouncer = false): DeploymentSpec => ({
        release: rel, executor: "CeleryExecutor", pgbouncer, server: "local", engine: "postgres", schema: "airflow", names: deploymentNames(rel), secrets, createNamespace: false,
    });
    const write = (s: DeploymentSpec, notes: string[], fresh = true) =>
        writeDeploymentSecrets(outputLayout(dir), s, { freshPassword: fresh ? "pw/1" : undefined, endpoint, fernetKeysSecret: false, notes, fernet: { newDeployment: fresh } });
    const rels = (files: { path: string; status: string }[]) => files.map((f) => [path.relative(dir, f.path), f.status]);

    it("create: the three Secret manifests, and the chart values that point the Deployment at them", () => {
        const notes: string[] = [];
        const s = spec("create");
        assert.deepStrictEqual(rels(write(s, notes)), Object.values(s.names.secrets).map((n) => [path.join("secrets", `${n}.yaml`), "written"]));
        const doc = parse(fs.readFileSync(outputLayout(dir).secret(s.names.secrets.metadata), "utf8"));
        assert.deepStrictEqual([doc.kind, doc.metadata.namespace, Object.keys(doc.stringData)], ["Secret", s.names.namespace, ["connection"]]);
        assert.match(notes.join("\n"), /"data":\{"metadataSecretName":"stellar-orbit-4821-airflow-metadata","resultBackendSecretName":"stellar-orbit-4821-airflow-result-backend"\},"fernetKeySecretName":"stellar-orbit-4821-fernet-key"/);
    });

    it("patch: a server-side apply patch of each data key (data, base64; no type, labels or stringData) and the kubectl command", () => {
        const notes: string[] = [];
        const s = spec("patch");
        const files = write(s, notes);
        assert.deepStrictEqual(rels(files), Object.values(s.names.secrets).map((n) => [path.join("secrets", `${n}.yaml`), "written"]));
        const text = fs.readFileSync(outputLayout(dir).secret(s.names.secrets.metadata), "utf8");
        const doc = parse(text);
        assert.deepStrictEqual(Object.keys(doc).sort(), ["apiVersion", "data", "kind", "metadata"]);
        assert.deepStrictEqual(doc.metadata, { name: s.names.secrets.metadata, namespace: s.names.namespace });
        const url = new URL(Buffer.from(doc.data.connection, "base64").toString("utf8"));
        assert.deepStrictEqual([url.username, decodeURIComponent(url.password), url.pathname], [s.names.user, "pw/1", `/${s.names.database}`]);
        assert.match(text, /kubectl apply --server-side --field-manager=astro-db --force-conflicts -f <this file>/);
        assert.match(notes.join("\n"), /secrets: patch: kubectl apply --server-side --field-manager=astro-db --force-conflicts -f .*airflow-metadata\.yaml -f .*fernet-key\.yaml/);
        for (const f of files) assert.strictEqual(mode(f.path), 0o600);
        // A second run without a new password keeps them, and reads the password back from the patch.
        assert.deepStrictEqual(write(s, [], false).map((f) => f.status), ["kept", "kept", "kept"]);
        assert.strictEqual(readDeploymentPassword(outputLayout(dir), s.names, s.names.user, rel), "pw/1");
    });

    it("houston: no secret, the Houston variables instead (the hand-off, the only copy of the password), with a note", () => {
        const notes: string[] = [];
        const s = spec("houston");
        const files = write(s, notes);
        assert.deepStrictEqual(rels(files), [[path.join("houston", `${rel}.json`), "written"]]);
        assert.ok(!fs.existsSync(outputLayout(dir).secretsDir), "no secrets directory");
        assert.strictEqual(mode(files[0].path), 0o600);
        const vars = JSON.parse(fs.readFileSync(files[0].path, "utf8"));
        assert.deepStrictEqual([vars.upsertDeployment.releaseName, vars.upsertDeployment.namespace, vars.upsertDeployment.skipAirflowDatabaseProvisioning], [rel, s.names.namespace, true]);
        assert.match(vars.createDeployment.metadataConnection, /^postgresql:\/\/astro_stellar_orbit_4821:pw%2F1@db\.example\.com:5432\/airflow_db_stellar_orbit_4821/);
        assert.match(notes.join("\n"), /secrets: houston: no secret written; .*astro-db houston --stack <stack> --deployment stellar-orbit-4821/);
        assert.deepStrictEqual(write(s, [], false).map((f) => f.status), ["kept"]);
        assert.strictEqual(readDeploymentPassword(outputLayout(dir), s.names, s.names.user, rel), "pw/1");
    });

    it("patch with PgBouncer: only the fernet key's patch, and the Houston variables (JSON form) for the connection", () => {
        const notes: string[] = [];
        const s = spec("patch", true);
        assert.deepStrictEqual(rels(write(s, notes)), [[path.join("secrets", `${s.names.secrets.fernetKey}.yaml`), "written"], [path.join("houston", `${rel}.json`), "written"]]);
        const vars = JSON.parse(fs.readFileSync(outputLayout(dir).houston(rel), "utf8"));
        assert.deepStrictEqual(vars.upsertDeployment.metadataConnectionJson.pass, "pw/1");
        assert.strictEqual(readDeploymentPassword(outputLayout(dir), s.names, s.names.user, rel), "pw/1");
        assert.match(notes.join("\n"), /only the fernet key is patched; the connection goes to the chart through Houston's upsertDeployment/);
    });
});
