/**
 * Every rule of the pack, through the policy SDK's own validate functions (the objects the pack
 * serves), with a compliant and a violating resource each. The same rules run in `astro-db plan --policy`.
 */
import * as assert from "assert";
import type { PolicyResourceOptions, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { policies, stackOfUrn } from "../policies";
import { checkResources, exposedOutputs, RULES } from "../rules";

function args(type: string, name: string, props: Record<string, unknown>, opts: Partial<PolicyResourceOptions> = {}, stack = "dev"): ResourceValidationArgs {
    return {
        type, name, props, urn: `urn:pulumi:${stack}::astro-db::${type}::${name}`,
        opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [], ...opts },
        stackTags: new Map(),
        isType: () => false,
        asType: () => undefined,
        getConfig: <T>() => ({}) as T,
        notApplicable: () => { throw new Error("not applicable"); },
    } as ResourceValidationArgs;
}

function violations(policyName: string, a: ResourceValidationArgs): string[] {
    const policy = policies.find((p) => p.name === policyName) as ResourceValidationPolicy;
    assert.ok(policy, `no policy ${policyName}`);
    const out: string[] = [];
    const validate = [policy.validateResource!].flat();
    for (const v of validate) v(a, (message: string) => out.push(message));
    return out;
}

const INSTANCE = "aws:rds/instance:Instance";
const rds = (p: Record<string, unknown> = {}) => ({
    identifier: "astro-prod-airflow", engine: "postgres", storageEncrypted: true, publiclyAccessible: false, deletionProtection: true,
    skipFinalSnapshot: false, backupRetentionPeriod: 30, multiAz: true, parameterGroupName: "astro-prod-airflow-postgres16", ...p,
});
const grant = (p: Record<string, unknown>) => ({ database: "airflow_db_a", objectType: "database", role: "astro_a", privileges: ["CONNECT"], ...p });
const secret = (name: string, namespace: string | undefined) => ({ apiVersion: "v1", kind: "Secret", metadata: { name, namespace, labels: { release: "amateur-sunspot-5075" } }, stringData: { connection: "postgresql://u:p@h/db" }, type: "Opaque" });

/** [policy, compliant, violating, expected message] */
const CASES: [string, ResourceValidationArgs, ResourceValidationArgs, RegExp][] = [
    ["rds-storage-encrypted", args(INSTANCE, "i", rds()), args(INSTANCE, "i", rds({ storageEncrypted: false })), /storageEncrypted is not true/],
    ["rds-not-public", args(INSTANCE, "i", rds()), args(INSTANCE, "i", rds({ publiclyAccessible: true })), /reachable from the internet/],
    ["rds-deletion-protection-and-final-snapshot", args(INSTANCE, "i", rds()), args(INSTANCE, "i", rds({ skipFinalSnapshot: true })), /no final snapshot/],
    ["rds-backups-cover-retention", args(INSTANCE, "i", rds({ backupRetentionPeriod: 15 })), args(INSTANCE, "i", rds({ backupRetentionPeriod: 7 })), /below the retention period of 15 days/],
    ["rds-tls-forced",
        args("aws:rds/parameterGroup:ParameterGroup", "p", { family: "mysql8.4", parameters: [{ name: "require_secure_transport", value: "1" }] }),
        args("aws:rds/parameterGroup:ParameterGroup", "p", { family: "postgres16", parameters: [{ name: "log_min_duration_statement", value: "1000" }] }),
        /does not set rds.force_ssl=1/],
    ["rds-multi-az-on-prod", args(INSTANCE, "i", rds({ multiAz: false }), {}, "dev"), args(INSTANCE, "i", rds({ multiAz: false }), {}, "prod-eu"), /stack "prod-eu" is production but multiAz is not true/],
    ["public-gets-temporary-only",
        args("postgresql:index/grant:Grant", "g", grant({ role: "public", privileges: ["TEMPORARY"] })),
        args("postgresql:index/grant:Grant", "g", grant({ role: "PUBLIC", privileges: ["CONNECT", "TEMPORARY"] })),
        /grants CONNECT to PUBLIC/],
    ["deployment-database-protected-on-prod",
        args("postgresql:index/database:Database", "d", { name: "airflow_db_a" }, { protect: true }, "prod"),
        args("postgresql:index/database:Database", "d", { name: "airflow_db_a" }, { protect: false }, "prod"),
        /not protected on a production stack/],
    ["credentials-are-secret",
        args("pulumi-nodejs:dynamic:Resource", "m", { __kind: "RoleMembership", role: "r", connection: { host: "h", password: "pw" } }, { additionalSecretOutputs: ["connection"] }),
        args("kubernetes:core/v1:ConfigMap", "c", { data: { url: "postgresql://astro:hunter2@db:5432/airflow" } }),
        /input "data" holds a credential but is not secret/],
    ["kubernetes-secrets-in-deployment-namespace",
        args("kubernetes:core/v1:Secret", "s", secret("amateur-sunspot-5075-airflow-metadata", "astronomer-amateur-sunspot-5075")),
        args("kubernetes:core/v1:Secret", "s", secret("amateur-sunspot-5075-airflow-metadata", "astronomer")),
        /is in namespace astronomer, not a namespace of Deployment amateur-sunspot-5075/],
];

describe("policy pack: every rule passes a compliant resource and flags a violating one", () => {
    for (const [name, ok, bad, message] of CASES) {
        it(name, () => {
            assert.deepStrictEqual(violations(name, ok), []);
            const v = violations(name, bad);
            assert.strictEqual(v.length, 1, JSON.stringify(v));
            assert.match(v[0], message);
        });
    }

    it("covers every rule of the pack (deployment-database-kept through plan --policy, which sees retainOnDelete)", () => {
        const tested = new Set([...CASES.map((c) => c[0]), "deployment-database-kept"]);
        assert.deepStrictEqual(RULES.map((r) => r.name).filter((n) => !tested.has(n)), []);
        assert.deepStrictEqual(policies.map((p) => p.name), RULES.map((r) => r.name));
    });

    it("deployment-database-kept: retained or protected passes, neither fails; unknown retainOnDelete (the pack) is not judged", () => {
        const db = (o: { protect?: boolean; retainOnDelete?: boolean }) => ({ type: "mysql:index/database:Database", name: "d", props: { name: "airflow_db_a" }, ...o });
        const ctx = { stack: "dev" };
        assert.deepStrictEqual(checkResources([db({ protect: false, retainOnDelete: true }), db({ protect: true, retainOnDelete: false })], ctx), []);
        const v = checkResources([db({ protect: false, retainOnDelete: false })], ctx);
        assert.deepStrictEqual(v.map((x) => [x.policy, x.enforcement]), [["deployment-database-kept", "mandatory"]]);
        assert.deepStrictEqual(violations("deployment-database-kept", args("mysql:index/database:Database", "d", { name: "x" })), []);
    });

    it("credentials-are-secret: with the secret keys known (plan --policy), only they cover a credential", () => {
        const role = { type: "postgresql:index/role:Role", name: "r", props: { name: "astro_a", password: "generated-by-pulumi-up" } };
        assert.deepStrictEqual(checkResources([{ ...role, secretKeys: ["password"] }], { stack: "dev" }), []);
        assert.match(checkResources([{ ...role, secretKeys: [] }], { stack: "dev" })[0].message, /input "password" holds a credential/);
        assert.deepStrictEqual(checkResources([{ ...role, props: { ...role.props, password: "[secret]" }, secretKeys: [] }], { stack: "dev" }), [], "a masked value is secret");
        assert.deepStrictEqual(exposedOutputs({ deployments: { a: { metadataConnection: "[secret]", connectionUser: "astro_a", secretNames: { fernetKey: "a-fernet-key" } } } }), []);
        assert.deepStrictEqual(exposedOutputs({ deployments: { a: { metadataConnection: "postgresql://astro_a:pw@h:5432/db" } } }), ["deployments.a.metadataConnection"]);
    });

    it("kubernetes-secrets-in-deployment-namespace: a known namespace override is the one expected", () => {
        const r = { type: "kubernetes:core/v1:Secret", name: "s", props: secret("amateur-sunspot-5075-fernet-key", "airflow-a") };
        assert.deepStrictEqual(checkResources([r], { stack: "dev", namespaces: { "amateur-sunspot-5075": "airflow-a" } }), []);
        assert.match(checkResources([r], { stack: "dev", namespaces: { "amateur-sunspot-5075": "astronomer-amateur-sunspot-5075" } })[0].message, /not Deployment amateur-sunspot-5075's namespace astronomer-amateur-sunspot-5075/);
    });

    it("reads the stack from the URN", () => {
        assert.strictEqual(stackOfUrn("urn:pulumi:prod::astro-db::aws:rds/instance:Instance::main-instance"), "prod");
    });
});
