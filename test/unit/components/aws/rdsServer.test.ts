/**
 * RdsServer under Pulumi's mocks, in update mode (outputs known) and preview mode (computed outputs
 * unknown). The mocks record every resource and every provider function call; a call the component
 * should not make throws.
 *
 * setMocks is called in each suite's `before` hook, and the component is imported only after the first
 * one: other test files in the same mocha process may set their own mocks, and the component reads the
 * monitor when it is constructed.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import type * as AwsComponents from "../../../../components/aws";

type Components = typeof AwsComponents;
let C: Components;

interface Recorded { type: string; name: string; inputs: Record<string, any> }
interface RecordedCall { token: string; inputs: Record<string, any> }

const MANAGED_PASSWORD = "managed-Pa55word-from-secrets-manager";
const RANDOM_PASSWORD = "Random-Pa55word-kept-in-pulumi-state";
const SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0123-AbCdEf";
const SNAPSHOT_HEX = "0a1b2c3d";
const NODE_SG = "sg-0a11ce5";
const OFFICE_CIDR = "10.20.0.0/16";
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

class Recorder {
    resources: Recorded[] = [];
    calls: RecordedCall[] = [];
    options = new Map<string, pulumi.CustomResourceOptions>();

    mocks(preview: boolean): pulumi.runtime.Mocks {
        return {
            newResource: (args: pulumi.runtime.MockResourceArgs) => {
                this.resources.push({ type: args.type, name: args.name, inputs: args.inputs });
                // Preview: inputs come back, computed outputs stay unknown (as the engine does for a create).
                if (preview) return { id: undefined, state: { ...args.inputs } };
                const inputs = args.inputs;
                switch (args.type) {
                    case "aws:rds/instance:Instance": {
                        const address = `${inputs.identifier}.c0ffee.us-east-1.rds.amazonaws.com`;
                        return {
                            id: "db-0123456789ABCDEF",
                            state: {
                                ...inputs,
                                address,
                                port: inputs.port,
                                endpoint: `${address}:${inputs.port}`,
                                arn: `arn:aws:rds:us-east-1:123456789012:db:${inputs.identifier}`,
                                masterUserSecrets: inputs.manageMasterUserPassword
                                    ? [{ secretArn: SECRET_ARN, kmsKeyId: "alias/aws/secretsmanager", secretStatus: "active" }]
                                    : [],
                            },
                        };
                    }
                    case "aws:ec2/securityGroup:SecurityGroup":
                        return { id: "sg-0db5e7e7", state: { ...inputs, arn: "arn:aws:ec2:us-east-1:123456789012:security-group/sg-0db5e7e7" } };
                    case "random:index/randomId:RandomId":
                        return { id: "CgsMDQ", state: { ...inputs, hex: SNAPSHOT_HEX, b64Url: "ChssPQ", dec: "169552957" } };
                    case "random:index/randomPassword:RandomPassword":
                        return { id: "none", state: { ...inputs, result: RANDOM_PASSWORD } };
                    default:
                        return { id: `${args.name}-id`, state: { ...inputs } };
                }
            },
            call: (args: pulumi.runtime.MockCallArgs) => {
                this.calls.push({ token: args.token, inputs: args.inputs });
                if (args.token === "aws:secretsmanager/getSecretVersion:getSecretVersion") {
                    return {
                        arn: args.inputs.secretId,
                        id: `${args.inputs.secretId}|AWSCURRENT`,
                        secretId: args.inputs.secretId,
                        secretString: JSON.stringify({ username: "astroadmin", password: MANAGED_PASSWORD }),
                        versionId: "v-1",
                        versionStage: "AWSCURRENT",
                        versionStages: ["AWSCURRENT"],
                    };
                }
                throw new Error(`Mock not implemented: ${args.token}`);
            },
        };
    }

    /** Component options that record every child's resolved options (legacy transformations are inherited). */
    opts(extra: pulumi.ComponentResourceOptions = {}): pulumi.ComponentResourceOptions {
        return {
            ...extra,
            transformations: [
                ({ name, opts }) => {
                    this.options.set(name, opts);
                    return undefined;
                },
            ],
        };
    }

    one(type: string, name: string): Recorded {
        const found = this.resources.filter((r) => r.type === type && r.name === name);
        assert.strictEqual(found.length, 1, `expected one ${type} named ${name}, saw ${found.length}`);
        return found[0];
    }

    of(prefix: string): Recorded[] {
        return this.resources.filter((r) => r.name === prefix || r.name.startsWith(`${prefix}-`));
    }
}

/** Known-ness, secret-ness and value of an Output (value undefined when unknown). */
async function settle<T>(o: pulumi.Output<T>): Promise<{ known: boolean; secret: boolean; value: T | undefined }> {
    const internal = o as unknown as { isKnown: Promise<boolean>; isSecret: Promise<boolean>; promise(): Promise<T> };
    return { known: await internal.isKnown, secret: await internal.isSecret, value: await internal.promise() };
}

function isSecretInput(v: unknown): boolean {
    return typeof v === "object" && v !== null && SECRET_SIG in v;
}

function unwrap(v: any): any {
    return isSecretInput(v) ? v.value : v;
}

function baseArgs(engine: "postgres" | "mysql", identifier: string): AwsComponents.RdsServerArgs {
    return {
        engine,
        identifier,
        vpcId: "vpc-0123",
        subnetIds: ["subnet-aaa", "subnet-bbb"],
        allowedSecurityGroupIds: [NODE_SG],
        allowedCidrs: [OFFICE_CIDR],
    };
}

/** Waits until the instance (the last child) is registered, then returns the server. */
async function build(
    rec: Recorder,
    name: string,
    args: AwsComponents.RdsServerArgs,
    extra: pulumi.ComponentResourceOptions = {},
): Promise<AwsComponents.RdsServer> {
    const server = new C.RdsServer(name, args, rec.opts(extra));
    await settle(server.instance.urn);
    return server;
}

const ENGINES = [
    { engine: "postgres" as const, port: 5432, family: "postgres16", pgName: "postgres16", tls: { name: "rds.force_ssl", value: "1" }, logs: ["postgresql", "upgrade"], version: "16" },
    { engine: "mysql" as const, port: 3306, family: "mysql8.4", pgName: "mysql8-4", tls: { name: "require_secure_transport", value: "1" }, logs: ["error", "slowquery"], version: "8.4" },
];

describe("components/aws RdsServer", () => {
before(async () => {
    await pulumi.runtime.setMocks(new Recorder().mocks(false), "astro-db", "unit", false);
    C = await import("../../../../components/aws");
});

describe("RdsServer (update)", () => {
    let rec: Recorder;
    beforeEach(async () => {
        rec = new Recorder();
        await pulumi.runtime.setMocks(rec.mocks(false), "astro-db", "unit", false);
    });

    for (const e of ENGINES) {
        describe(`${e.engine}, defaults`, () => {
            const name = `main-${e.engine}`;
            const identifier = `astro-test-${e.engine}`;
            let server: AwsComponents.RdsServer;
            beforeEach(async () => {
                server = await build(rec, name, baseArgs(e.engine, identifier));
            });

            it("declares exactly the component, subnet group, security group, parameter group, snapshot suffix and instance", () => {
                const seen = rec.of(name).map((r) => `${r.type} ${r.name}`).sort();
                assert.deepStrictEqual(seen, [
                    `astro-db:aws:RdsServer ${name}`,
                    `aws:ec2/securityGroup:SecurityGroup ${name}-sg`,
                    `aws:rds/instance:Instance ${name}-instance`,
                    `aws:rds/parameterGroup:ParameterGroup ${name}-params`,
                    `aws:rds/subnetGroup:SubnetGroup ${name}-subnets`,
                    `random:index/randomId:RandomId ${name}-final-snapshot-suffix`,
                ].sort());
                for (const child of rec.of(name).filter((r) => r.type !== C.RDS_SERVER_TYPE)) {
                    assert.strictEqual((rec.options.get(child.name)?.parent as pulumi.Resource | undefined), server, `${child.name} is parented to the component`);
                }
            });

            it(`forces TLS with ${e.tls.name}=${e.tls.value} in a ${e.family} parameter group the instance uses`, () => {
                const pg = rec.one("aws:rds/parameterGroup:ParameterGroup", `${name}-params`).inputs;
                assert.strictEqual(pg.family, e.family);
                assert.strictEqual(pg.name, `${identifier}-${e.pgName}`);
                const tls = pg.parameters.filter((p: any) => p.name === e.tls.name);
                assert.deepStrictEqual(tls, [{ name: e.tls.name, value: e.tls.value, applyMethod: "immediate" }]);
                const instance = rec.one("aws:rds/instance:Instance", `${name}-instance`).inputs;
                assert.strictEqual(instance.parameterGroupName, pg.name);
            });

            it(`admits only the node security group and the given CIDR, on tcp/${e.port}, with no egress`, () => {
                const sg = rec.one("aws:ec2/securityGroup:SecurityGroup", `${name}-sg`).inputs;
                assert.strictEqual(sg.vpcId, "vpc-0123");
                assert.deepStrictEqual(sg.egress, []);
                assert.strictEqual(sg.ingress.length, 2);
                for (const rule of sg.ingress) {
                    assert.strictEqual(rule.protocol, "tcp");
                    assert.strictEqual(rule.fromPort, e.port);
                    assert.strictEqual(rule.toPort, e.port);
                }
                const sources = sg.ingress.flatMap((r: any) => [...(r.securityGroups ?? []), ...(r.cidrBlocks ?? []), ...(r.ipv6CidrBlocks ?? [])]).sort();
                assert.deepStrictEqual(sources, [OFFICE_CIDR, NODE_SG].sort());
                assert.ok(!JSON.stringify(sg.ingress).includes("0.0.0.0/0"), "no world-open rule unless asked for");
                assert.ok(sg.ingress.every((r: any) => !r.self), "no self rule");
                const instance = rec.one("aws:rds/instance:Instance", `${name}-instance`).inputs;
                assert.deepStrictEqual(instance.vpcSecurityGroupIds, ["sg-0db5e7e7"]);
            });

            it("puts the instance in a subnet group of the given private subnets", () => {
                const sn = rec.one("aws:rds/subnetGroup:SubnetGroup", `${name}-subnets`).inputs;
                assert.deepStrictEqual(sn.subnetIds, ["subnet-aaa", "subnet-bbb"]);
                assert.strictEqual(sn.name, identifier);
                assert.strictEqual(rec.one("aws:rds/instance:Instance", `${name}-instance`).inputs.dbSubnetGroupName, identifier);
            });

            it("creates a private, encrypted, protected instance with backups, a final snapshot and a managed password", () => {
                const i = rec.one("aws:rds/instance:Instance", `${name}-instance`).inputs;
                assert.strictEqual(i.identifier, identifier);
                assert.strictEqual(i.engine, e.engine);
                assert.strictEqual(i.engineVersion, e.version);
                assert.strictEqual(i.instanceClass, "db.t4g.medium");
                assert.strictEqual(i.port, e.port);
                assert.strictEqual(i.storageEncrypted, true);
                assert.strictEqual(i.storageType, "gp3");
                assert.strictEqual(i.allocatedStorage, 50);
                assert.strictEqual(i.maxAllocatedStorage, 200);
                assert.strictEqual(i.deletionProtection, true);
                assert.strictEqual(i.skipFinalSnapshot, false);
                assert.strictEqual(i.finalSnapshotIdentifier, `${identifier}-final-${SNAPSHOT_HEX}`);
                assert.strictEqual(i.backupRetentionPeriod, 15);
                assert.strictEqual(i.deleteAutomatedBackups, false);
                assert.strictEqual(i.publiclyAccessible, false);
                assert.strictEqual(i.multiAz, false);
                assert.strictEqual(i.copyTagsToSnapshot, true);
                assert.strictEqual(i.autoMinorVersionUpgrade, true);
                assert.strictEqual(i.applyImmediately, false);
                assert.strictEqual(i.performanceInsightsEnabled, true);
                assert.strictEqual(i.performanceInsightsRetentionPeriod, 7);
                assert.deepStrictEqual(i.enabledCloudwatchLogsExports, e.logs);
                assert.strictEqual(i.username, "astroadmin");
                assert.strictEqual(i.manageMasterUserPassword, true);
                assert.ok(!("password" in i), "no password input when RDS manages it");
                assert.ok(!("dbName" in i), "no initial database: per-Deployment databases are made elsewhere");
                assert.deepStrictEqual(i.tags, { "managed-by": "astro-db" });
            });

            it("names the final snapshot with a suffix that is renewed only with a replacement input", () => {
                const suffix = rec.one("random:index/randomId:RandomId", `${name}-final-snapshot-suffix`).inputs;
                assert.strictEqual(suffix.byteLength, 4);
                assert.deepStrictEqual(suffix.keepers, { engine: e.engine, storageEncrypted: "true", username: "astroadmin" });
                for (const key of Object.keys(suffix.keepers)) assert.ok((C.replacementInputs as readonly string[]).includes(key), key);
            });

            it("protects the instance and deletes it before replacing it (its identifier is fixed)", () => {
                const o = rec.options.get(`${name}-instance`)!;
                assert.strictEqual(o.protect, true);
                assert.strictEqual(o.deleteBeforeReplace, true);
                assert.ok(!o.retainOnDelete);
            });

            it("reads the admin password from the instance's Secrets Manager secret, as a secret", async () => {
                const pw = await settle(server.adminPassword);
                assert.deepStrictEqual(pw, { known: true, secret: true, value: MANAGED_PASSWORD });
                assert.deepStrictEqual(rec.calls.map((c) => [c.token, c.inputs.secretId]), [
                    ["aws:secretsmanager/getSecretVersion:getSecretVersion", SECRET_ARN],
                ]);
                assert.strictEqual((await settle(server.masterUserSecretArn)).value, SECRET_ARN);
            });

            it("exposes the endpoint, admin user, engine and ids", async () => {
                const address = `${identifier}.c0ffee.us-east-1.rds.amazonaws.com`;
                assert.strictEqual((await settle(server.address)).value, address);
                assert.strictEqual((await settle(server.port)).value, e.port);
                assert.strictEqual((await settle(server.endpoint)).value, `${address}:${e.port}`);
                assert.strictEqual((await settle(server.adminUser)).value, "astroadmin");
                assert.strictEqual((await settle(server.arn)).value, `arn:aws:rds:us-east-1:123456789012:db:${identifier}`);
                assert.strictEqual((await settle(server.securityGroupId)).value, "sg-0db5e7e7");
                assert.strictEqual((await settle(server.parameterGroupName)).value, `${identifier}-${e.pgName}`);
                assert.strictEqual(server.engine, e.engine);
                for (const o of [server.address, server.port, server.endpoint, server.adminUser]) {
                    assert.strictEqual((await settle(o as pulumi.Output<unknown>)).secret, false);
                }
            });
        });

        describe(`${e.engine}, random password`, () => {
            const name = `rnd-${e.engine}`;
            let server: AwsComponents.RdsServer;
            beforeEach(async () => {
                server = await build(rec, name, { ...baseArgs(e.engine, `astro-rnd-${e.engine}`), passwordMode: "random" });
            });

            it("generates 32 characters without the ones RDS refuses and passes them as the password", () => {
                const pw = rec.one("random:index/randomPassword:RandomPassword", `${name}-admin-password`).inputs;
                assert.strictEqual(pw.length, 32);
                assert.strictEqual(pw.special, true);
                for (const c of C.RDS_PASSWORD_FORBIDDEN_CHARS) assert.ok(!pw.overrideSpecial.includes(c), `"${c}" is not generated`);
                const i = rec.one("aws:rds/instance:Instance", `${name}-instance`).inputs;
                assert.ok(isSecretInput(i.password), "the password input is secret");
                assert.strictEqual(unwrap(i.password), RANDOM_PASSWORD);
                assert.ok(!("manageMasterUserPassword" in i), "manageMasterUserPassword conflicts with password, even as false");
            });

            it("returns the generated password as a secret and reads no Secrets Manager secret", async () => {
                assert.deepStrictEqual(await settle(server.adminPassword), { known: true, secret: true, value: RANDOM_PASSWORD });
                assert.deepStrictEqual(rec.calls, []);
                assert.strictEqual((await settle(server.masterUserSecretArn)).value, undefined);
            });
        });
    }

    describe("overrides", () => {
        it("derives family, port and rules from an older MySQL version and a custom port", async () => {
            await build(rec, "m80", { ...baseArgs("mysql", "astro-m80"), engineVersion: "8.0.39", port: 3307, allowedCidrs: undefined });
            const pg = rec.one("aws:rds/parameterGroup:ParameterGroup", "m80-params").inputs;
            assert.strictEqual(pg.family, "mysql8.0");
            assert.strictEqual(pg.name, "astro-m80-mysql8-0");
            const sg = rec.one("aws:ec2/securityGroup:SecurityGroup", "m80-sg").inputs;
            assert.deepStrictEqual(sg.ingress.map((r: any) => [r.fromPort, r.toPort, r.securityGroups]), [[3307, 3307, [NODE_SG]]]);
            assert.strictEqual(rec.one("aws:rds/instance:Instance", "m80-instance").inputs.port, 3307);
        });

        it("applies every override and merges tags over the defaults", async () => {
            await build(rec, "big", {
                ...baseArgs("postgres", "astro-big"),
                engineVersion: "17",
                instanceClass: "db.r6g.xlarge",
                allocatedStorage: 200,
                maxAllocatedStorage: 1000,
                multiAz: true,
                backupRetentionPeriod: 30,
                masterUsername: "platformadmin",
                kmsKeyId: "arn:aws:kms:us-east-1:123456789012:key/abc",
                performanceInsightsEnabled: false,
                enabledCloudwatchLogsExports: ["postgresql"],
                parameters: { log_min_duration_statement: "1000" },
                tags: { team: "data", "managed-by": "platform" },
            });
            const i = rec.one("aws:rds/instance:Instance", "big-instance").inputs;
            assert.strictEqual(i.engineVersion, "17");
            assert.strictEqual(i.instanceClass, "db.r6g.xlarge");
            assert.strictEqual(i.allocatedStorage, 200);
            assert.strictEqual(i.maxAllocatedStorage, 1000);
            assert.strictEqual(i.multiAz, true);
            assert.strictEqual(i.backupRetentionPeriod, 30);
            assert.strictEqual(i.username, "platformadmin");
            assert.strictEqual(i.kmsKeyId, "arn:aws:kms:us-east-1:123456789012:key/abc");
            assert.strictEqual(i.performanceInsightsEnabled, false);
            assert.ok(!("performanceInsightsRetentionPeriod" in i));
            assert.deepStrictEqual(i.enabledCloudwatchLogsExports, ["postgresql"]);
            assert.deepStrictEqual(i.tags, { team: "data", "managed-by": "platform" });
            const pg = rec.one("aws:rds/parameterGroup:ParameterGroup", "big-params").inputs;
            assert.strictEqual(pg.family, "postgres17");
            assert.deepStrictEqual(pg.parameters.map((p: any) => [p.name, p.value]), [["log_min_duration_statement", "1000"], ["rds.force_ssl", "1"]]);
            const suffix = rec.one("random:index/randomId:RandomId", "big-final-snapshot-suffix").inputs;
            assert.strictEqual(suffix.keepers.kmsKeyId, "arn:aws:kms:us-east-1:123456789012:key/abc");
            assert.strictEqual(suffix.keepers.username, "platformadmin");
        });

        it("takes no final snapshot, and makes no suffix, when told to skip it", async () => {
            await build(rec, "nosnap", { ...baseArgs("postgres", "astro-nosnap"), skipFinalSnapshot: true, deletionProtection: false });
            const i = rec.one("aws:rds/instance:Instance", "nosnap-instance").inputs;
            assert.strictEqual(i.skipFinalSnapshot, true);
            assert.strictEqual(i.deletionProtection, false);
            assert.ok(!("finalSnapshotIdentifier" in i));
            assert.strictEqual(rec.of("nosnap").filter((r) => r.type === "random:index/randomId:RandomId").length, 0);
        });

        it("takes protect from opts, and from args over opts", async () => {
            await build(rec, "unprot", baseArgs("postgres", "astro-unprot"), { protect: false });
            assert.strictEqual(rec.options.get("unprot-instance")!.protect, false);
            await build(rec, "argprot", { ...baseArgs("postgres", "astro-argprot"), protect: true, retainOnDelete: true }, { protect: false });
            assert.strictEqual(rec.options.get("argprot-instance")!.protect, true);
            assert.strictEqual(rec.options.get("argprot-instance")!.retainOnDelete, true);
        });

        it("protects the instance alone: a protected component's groups and snapshot suffix stay replaceable (resolved options of every child)", async () => {
            for (const mode of ["secretsManager", "random"] as const) {
                const server = await build(rec, `leak-${mode}`, { ...baseArgs("postgres", `astro-leak-${mode.toLowerCase()}`), passwordMode: mode }, { protect: true });
                // What the SDK resolved for each child (its own option, else the parent's): what the engine is sent.
                const resolved = (r: pulumi.Resource) => (r as unknown as { __protect?: boolean; __name: string });
                const children = [...((server as unknown as { __childResources: Set<pulumi.Resource> }).__childResources)];
                const byType = Object.fromEntries(children.map((c) => [(c as unknown as { __pulumiType: string }).__pulumiType, !!resolved(c).__protect]));
                assert.deepStrictEqual(byType, {
                    "aws:rds/instance:Instance": true,
                    "aws:rds/subnetGroup:SubnetGroup": false,
                    "aws:ec2/securityGroup:SecurityGroup": false,
                    "aws:rds/parameterGroup:ParameterGroup": false,
                    "random:index/randomId:RandomId": false,
                    ...(mode === "random" ? { "random:index/randomPassword:RandomPassword": false } : {}),
                }, mode);
                assert.ok(!resolved(server).__protect, "the component itself carries no protect for its children to inherit");
            }
        });

        it("accepts network lists that are whole Outputs (another stack's outputs)", async () => {
            await build(rec, "ref", {
                ...baseArgs("postgres", "astro-ref"),
                vpcId: pulumi.output("vpc-from-ref"),
                subnetIds: pulumi.output(["subnet-1", "subnet-2", "subnet-3"]),
                allowedSecurityGroupIds: pulumi.output([NODE_SG, "sg-0b0b"]),
                allowedCidrs: pulumi.output(["fd00::/8"]),
            });
            const sg = rec.one("aws:ec2/securityGroup:SecurityGroup", "ref-sg").inputs;
            assert.strictEqual(sg.vpcId, "vpc-from-ref");
            assert.deepStrictEqual(sg.ingress.map((r: any) => r.securityGroups ?? r.ipv6CidrBlocks), [[NODE_SG], ["sg-0b0b"], ["fd00::/8"]]);
            assert.deepStrictEqual(rec.one("aws:rds/subnetGroup:SubnetGroup", "ref-subnets").inputs.subnetIds, ["subnet-1", "subnet-2", "subnet-3"]);
        });

        it("admits 0.0.0.0/0 only when it is listed", async () => {
            await build(rec, "open", { ...baseArgs("postgres", "astro-open"), allowedSecurityGroupIds: [], allowedCidrs: ["0.0.0.0/0"] });
            const sg = rec.one("aws:ec2/securityGroup:SecurityGroup", "open-sg").inputs;
            assert.deepStrictEqual(sg.ingress.map((r: any) => r.cidrBlocks), [["0.0.0.0/0"]]);
        });
    });

    describe("validation", () => {
        const cases: { what: string; args: Partial<AwsComponents.RdsServerArgs>; message: RegExp }[] = [
            { what: "maxAllocatedStorage below allocatedStorage", args: { allocatedStorage: 300, maxAllocatedStorage: 200 }, message: /maxAllocatedStorage \(200 GiB\) is below allocatedStorage \(300 GiB\): raise maxAllocatedStorage/ },
            { what: "backup retention of 0", args: { backupRetentionPeriod: 0 }, message: /backupRetentionPeriod 0 is outside 1-35 days/ },
            { what: "backup retention over 35", args: { backupRetentionPeriod: 36 }, message: /backupRetentionPeriod 36 is outside 1-35 days/ },
            { what: "one subnet", args: { subnetIds: ["subnet-aaa"] }, message: /subnetIds has 1 subnet\(s\): an RDS subnet group needs private subnets in at least two availability zones/ },
            { what: "no subnet", args: { subnetIds: [] }, message: /subnetIds has 0 subnet/ },
            { what: "an uppercase identifier", args: { identifier: "Astro-Prod" }, message: /identifier "Astro-Prod" must start with a lowercase letter.*use 1-63 lowercase letters/ },
            { what: "an identifier with --", args: { identifier: "astro--prod" }, message: /must not contain two consecutive hyphens/ },
            { what: "an identifier ending with -", args: { identifier: "astro-prod-" }, message: /must not end with a hyphen/ },
            { what: "an identifier starting with a digit", args: { identifier: "1astro" }, message: /must start with a lowercase letter/ },
            { what: "a 64-character identifier", args: { identifier: "a".repeat(64) }, message: /is 64 characters; RDS allows at most 63/ },
            { what: "an identifier with _", args: { identifier: "astro_prod" }, message: /only lowercase letters, digits and hyphens/ },
            { what: "a master user with _", args: { masterUsername: "astro_admin" }, message: /masterUsername "astro_admin" is not letters and digits/ },
            { what: "a reserved master user", args: { masterUsername: "rdsadmin" }, message: /masterUsername "rdsadmin" is reserved/ },
            { what: "no admitted source", args: { allowedSecurityGroupIds: [], allowedCidrs: [] }, message: /allowedSecurityGroupIds and allowedCidrs are both empty.*node security group/ },
            { what: "a bad CIDR", args: { allowedCidrs: ["10.0.0.0/33"] }, message: /allowedCidrs entry "10.0.0.0\/33" is not a valid IPv4 CIDR block/ },
            { what: "a bad security group id", args: { allowedSecurityGroupIds: ["default"] }, message: /allowedSecurityGroupIds entry "default" is not a security group id/ },
            { what: "a port RDS refuses", args: { port: 80 }, message: /port 80 is outside 1150-65535/ },
            { what: "TLS turned off", args: { parameters: { "rds.force_ssl": "0" } }, message: /parameters.rds.force_ssl = "0" would let clients connect without TLS/ },
            { what: "a non-version", args: { engineVersion: "latest" }, message: /engineVersion: engine version "latest" is not a version number/ },
            { what: "monitoring without a role", args: { monitoringInterval: 60 }, message: /monitoringInterval 60 needs monitoringRoleArn/ },
            { what: "kmsKeyId without encryption", args: { storageEncrypted: false, kmsKeyId: "arn:aws:kms:us-east-1:1:key/x" }, message: /kmsKeyId and storageEncrypted: false cannot both be set/ },
            { what: "a secret key with a random password", args: { passwordMode: "random", masterUserSecretKmsKeyId: "alias/x" }, message: /masterUserSecretKmsKeyId and passwordMode "random" cannot both be set/ },
            { what: "an odd Performance Insights retention", args: { performanceInsightsRetentionPeriod: 30 }, message: /performanceInsightsRetentionPeriod 30 is not 7, 731 or a multiple of 31/ },
        ];
        cases.forEach((c, n) => {
            it(`refuses ${c.what}, naming the argument and the fix, before declaring any child`, () => {
                const name = `bad${n}`;
                assert.throws(
                    () => new C.RdsServer(name, { ...baseArgs("postgres", "astro-bad"), ...c.args }, rec.opts()),
                    (err: unknown) => {
                        assert.ok(pulumi.ResourceError.isInstance(err), `a ResourceError, got ${String(err)}`);
                        assert.match((err as Error).message, new RegExp(`^RdsServer "${name}": `));
                        assert.match((err as Error).message, c.message);
                        return true;
                    },
                );
                assert.deepStrictEqual(rec.of(name).filter((r) => r.type !== C.RDS_SERVER_TYPE), []);
            });
        });

        it("limits MySQL master users to 16 characters and PostgreSQL ones to 63", () => {
            assert.deepStrictEqual(C.checkMasterUsername("postgres", "a".repeat(63)), []);
            assert.match(C.checkMasterUsername("postgres", "a".repeat(64)).join(), /at most 63/);
            assert.deepStrictEqual(C.checkMasterUsername("mysql", "a".repeat(16)), []);
            assert.match(C.checkMasterUsername("mysql", "a".repeat(17)).join(), /RDS for mysql allows at most 16/);
        });

        it("reports every problem at once", () => {
            const problems = C.checkRdsServerArgs({ ...baseArgs("mysql", "Bad--"), backupRetentionPeriod: 0, maxAllocatedStorage: 10 });
            assert.ok(problems.length >= 4, problems.join("\n"));
        });

        it("accepts valid arguments", () => {
            assert.deepStrictEqual(C.checkRdsServerArgs(baseArgs("postgres", "astro-ok")), []);
            assert.deepStrictEqual(C.checkRdsServerArgs({ ...baseArgs("mysql", "astro-ok"), maxAllocatedStorage: 0, parameters: { require_secure_transport: "ON" } }), []);
        });
    });

    describe("defaults and provider facts", () => {
        it("keeps the defaults in one place, per engine", () => {
            const pg = C.rdsDefaults("postgres");
            const my = C.rdsDefaults("mysql");
            assert.deepStrictEqual([pg.engineVersion, pg.port, pg.tlsParameter.name], ["16", 5432, "rds.force_ssl"]);
            assert.deepStrictEqual([my.engineVersion, my.port, my.tlsParameter.name], ["8.4", 3306, "require_secure_transport"]);
            for (const d of [pg, my]) {
                assert.strictEqual(d.instanceClass, "db.t4g.medium");
                assert.strictEqual(d.allocatedStorage, 50);
                assert.strictEqual(d.maxAllocatedStorage, 200);
                assert.strictEqual(d.backupRetentionPeriod, 15);
                assert.strictEqual(d.storageEncrypted, true);
                assert.strictEqual(d.deletionProtection, true);
                assert.strictEqual(d.passwordMode, "secretsManager");
                assert.strictEqual(d.masterUsername, "astroadmin");
                assert.deepStrictEqual(C.checkMasterUsername(my === d ? "mysql" : "postgres", d.masterUsername), []);
            }
            pg.enabledCloudwatchLogsExports.push("mutated");
            assert.deepStrictEqual(C.rdsDefaults("postgres").enabledCloudwatchLogsExports, ["postgresql", "upgrade"], "callers get copies");
        });

        it("derives the parameter group family from engine and version", () => {
            assert.strictEqual(C.parameterGroupFamily("postgres", "16"), "postgres16");
            assert.strictEqual(C.parameterGroupFamily("postgres", "16.4"), "postgres16");
            assert.strictEqual(C.parameterGroupFamily("postgres", "17.2"), "postgres17");
            assert.strictEqual(C.parameterGroupFamily("postgres", "9.6.24"), "postgres9.6");
            assert.strictEqual(C.parameterGroupFamily("mysql", "8.0"), "mysql8.0");
            assert.strictEqual(C.parameterGroupFamily("mysql", "8.0.39"), "mysql8.0");
            assert.strictEqual(C.parameterGroupFamily("mysql", "8.4"), "mysql8.4");
            assert.throws(() => C.parameterGroupFamily("mysql", "8"), /needs major.minor/);
            assert.throws(() => C.parameterGroupFamily("postgres", "16-beta"), /not a version number/);
        });

        it("lists the inputs whose change replaces the instance, not the ones modified in place", () => {
            for (const k of ["engine", "storageEncrypted", "kmsKeyId", "dbName", "username", "availabilityZone", "snapshotIdentifier"]) {
                assert.ok((C.replacementInputs as readonly string[]).includes(k), k);
            }
            for (const k of ["identifier", "engineVersion", "instanceClass", "password", "port", "dbSubnetGroupName", "parameterGroupName", "allocatedStorage"]) {
                assert.ok(!(C.replacementInputs as readonly string[]).includes(k), k);
            }
        });

        it("generates passwords only from characters RDS accepts", async () => {
            const { GENERATED_PASSWORD_LENGTH, GENERATED_PASSWORD_SPECIALS } = await import("../../../../components/password");
            for (const c of C.RDS_PASSWORD_FORBIDDEN_CHARS) assert.ok(!GENERATED_PASSWORD_SPECIALS.includes(c));
            assert.strictEqual(GENERATED_PASSWORD_LENGTH, 32);
        });

        it("fails loudly on a provider function it does not expect", async () => {
            const mocks = new Recorder().mocks(false);
            assert.throws(() => mocks.call({ token: "aws:index/getCallerIdentity:getCallerIdentity", inputs: {} }), /Mock not implemented: aws:index\/getCallerIdentity:getCallerIdentity/);
        });
    });
});

describe("RdsServer (preview)", () => {
    let rec: Recorder;
    beforeEach(async () => {
        rec = new Recorder();
        await pulumi.runtime.setMocks(rec.mocks(true), "astro-db", "unit", true);
    });

    for (const e of ENGINES) {
        for (const mode of ["secretsManager", "random"] as const) {
            it(`${e.engine}/${mode}: declares everything with the endpoint and password unknown, the password still secret`, async () => {
                const name = `pv-${e.engine}-${mode}`;
                const server = await build(rec, name, {
                    ...baseArgs(e.engine, `astro-pv-${e.engine}`),
                    passwordMode: mode,
                    // As from a cluster stack that is itself being previewed.
                    allowedSecurityGroupIds: [pulumi.output(NODE_SG)],
                });
                const types = rec.of(name).map((r) => r.type).sort();
                assert.ok(types.includes("aws:rds/instance:Instance"));
                assert.ok(types.includes("aws:rds/parameterGroup:ParameterGroup"));
                assert.strictEqual(types.includes("random:index/randomPassword:RandomPassword"), mode === "random");
                for (const o of [server.address, server.endpoint, server.arn, server.securityGroupId]) {
                    assert.strictEqual((await settle(o as pulumi.Output<unknown>)).known, false);
                }
                const pw = await settle(server.adminPassword);
                assert.strictEqual(pw.known, false);
                assert.strictEqual(pw.secret, true);
                assert.strictEqual(await pulumi.isSecret(server.adminPassword), true);
                // An unknown secret ARN means no lookup during the preview of a create.
                assert.deepStrictEqual(rec.calls, []);
                // What is declared is still checkable.
                const i = rec.one("aws:rds/instance:Instance", `${name}-instance`).inputs;
                assert.strictEqual(i.storageEncrypted, true);
                assert.strictEqual(i.publiclyAccessible, false);
                assert.strictEqual((await settle(server.port)).value, e.port);
            });
        }
    }
});
});
