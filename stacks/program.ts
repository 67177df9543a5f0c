/**
 * The stack program: a validated StackSpec -> servers, providers, one AirflowDeploymentDatabase per
 * Deployment, the values.yaml fragment, and the stack outputs. stacks/index.ts feeds it Pulumi config;
 * `astro-db plan` and the tests feed it a stack file under Pulumi's mocks.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as mysql from "@pulumi/mysql";
import * as postgresql from "@pulumi/postgresql";
import { AirflowDeploymentDatabase, ServerEndpoint } from "../components/airflowDeployment";
import { DbEndpoint } from "../components/astronomer/connections";
import { manualConnectionValuesYaml, valuesConnectionString } from "../components/astronomer/values";
import { RdsServer } from "../components/aws";
import { MYSQL_PROVIDER_TLS, mysqlProviderEndpoint } from "../engines/mysql/privileges";
import { DatabaseRemoval } from "../components/databaseRemoval";
import { isoDay, retentionState, RetentionState } from "../components/retention";
import { ENGINE_FEATURES, unknownEngine } from "../engines/model";
import { DeploymentSpec, KubernetesSpec, rdsServerArgs, ServerSpec, StackSpec } from "./config";
import { ConfigError } from "./configError";

/** A server as the rest of the program uses it: where it is, who administers it, and its provider. */
export interface ServerHandle {
    spec: ServerSpec;
    endpoint: ServerEndpoint;
    /** Secret. Undefined for an existing server whose password comes from the provider's environment. */
    adminPassword?: pulumi.Output<string>;
    /**
     * RDS with `passwordMode: secretsManager`: the master user secret's ARN. The dynamic providers get
     * it instead of the password and read the password when they run, so a rotation never breaks them.
     */
    adminPasswordSecretArn?: pulumi.Output<string>;
    provider: pulumi.ProviderResource;
    rds?: RdsServer;
}

export function createServer(spec: ServerSpec, protect: boolean, retentionDays: number): ServerHandle {
    let endpoint: ServerEndpoint;
    let adminPassword: pulumi.Output<string> | undefined;
    let adminPasswordSecretArn: pulumi.Output<string> | undefined;
    let superuser: boolean;
    let rds: RdsServer | undefined;
    if (spec.kind === "rds") {
        const r = spec.rds;
        const net = r.network;
        let network: { vpcId: pulumi.Input<string>; subnetIds: pulumi.Input<string[]>; allowedSecurityGroupIds: pulumi.Input<string>[]; allowedCidrs: string[] };
        if (net.kind === "stackReference") {
            // RDS beside the cluster: its VPC, private subnets and node security group come from the cluster's stack.
            const cluster = new pulumi.StackReference(`${spec.name}-cluster`, { name: net.stackReference });
            network = {
                vpcId: cluster.requireOutput(net.vpcIdOutput) as pulumi.Output<string>,
                subnetIds: cluster.requireOutput(net.subnetIdsOutput) as pulumi.Output<string[]>,
                allowedSecurityGroupIds: [cluster.requireOutput(net.securityGroupIdOutput) as pulumi.Output<string>],
                allowedCidrs: net.allowedCidrs,
            };
        } else {
            network = { vpcId: net.vpcId, subnetIds: net.subnetIds, allowedSecurityGroupIds: net.allowedSecurityGroupIds, allowedCidrs: net.allowedCidrs };
        }
        // protect goes to the instance only (RdsServer's `protect` arg), not to the groups an upgrade or a rename replaces.
        rds = new RdsServer(spec.name, { ...rdsServerArgs(spec, retentionDays, network), protect });
        // The master user is a member of rds_superuser, which holds pg_signal_backend.
        endpoint = { engine: spec.engine, host: rds.address, port: rds.port, adminUser: rds.adminUser, sslmode: ENGINE_FEATURES[spec.engine].sslmode ? "require" : undefined, adminSignals: true };
        adminPassword = rds.adminPassword;
        if (rds.passwordMode === "secretsManager") adminPasswordSecretArn = rds.masterUserSecretArn as pulumi.Output<string>;
        superuser = false; // the RDS master user is no superuser
    } else {
        // A non-superuser admin of another server may hold no pg_signal_backend: the stack gives it what the fencing function needs.
        endpoint = { engine: spec.engine, host: spec.host, port: spec.port, adminUser: spec.adminUser, sslmode: spec.sslmode, adminSignals: spec.superuser };
        adminPassword = spec.adminPassword === undefined ? undefined : pulumi.secret(spec.adminPassword);
        superuser = spec.superuser;
    }
    let provider: pulumi.ProviderResource;
    switch (spec.engine) {
        case "mysql":
            provider = new mysql.Provider(`${spec.name}-mysql`, {
                endpoint: pulumi.all([endpoint.host, endpoint.port]).apply(([host, port]) => mysqlProviderEndpoint(host, port)),
                username: endpoint.adminUser,
                password: adminPassword,
                // TLS always (RDS refuses plain connections anyway: require_secure_transport=1).
                tls: MYSQL_PROVIDER_TLS,
            });
            break;
        case "postgres":
            provider = new postgresql.Provider(`${spec.name}-postgresql`, {
                host: endpoint.host,
                port: endpoint.port,
                username: endpoint.adminUser,
                password: adminPassword,
                database: "postgres",
                sslmode: endpoint.sslmode,
                superuser,
                connectTimeout: 15,
            });
            break;
        default: return unknownEngine(spec.engine);
    }
    return { spec, endpoint, adminPassword, adminPasswordSecretArn, provider, rds };
}

/** A Kubernetes provider named `name` (`kubernetes`, or `kubernetes-<plane>` for a data plane). */
export function createKubernetesProvider(spec: KubernetesSpec, name = "kubernetes"): pulumi.ProviderResource | undefined {
    switch (spec.mode) {
        case "none":
            return undefined;
        case "kubeconfig":
            return new k8s.Provider(name, { kubeconfig: pulumi.secret(spec.kubeconfig) });
        case "stackReference": {
            const cluster = new pulumi.StackReference(`${name}-cluster`, { name: spec.stackReference });
            return new k8s.Provider(name, { kubeconfig: pulumi.secret(cluster.requireOutput(spec.output)) as pulumi.Output<string> });
        }
        case "render":
            // Manifests are written to the directory instead of a cluster (the `local` stack).
            return new k8s.Provider(name, { renderYamlToDirectory: spec.directory });
    }
}

export interface DeploymentOutputs {
    database: pulumi.Output<string>;
    user: pulumi.Output<string>;
    /** The role the connection strings log in as: the Astro user, or the first plane's login role (failover, customer-managed users). */
    connectionUser: pulumi.Output<string>;
    server: string;
    namespace: string;
    secretNames: { metadata: string; resultBackend: string; fernetKey: string };
    metadataConnection: pulumi.Output<string>;
    resultBackendConnection: pulumi.Output<string>;
    houstonVariables: pulumi.Output<unknown>;
    /** Who owns the Deployment's secrets, which ones the stack writes, and what the pods connect to (issue 12). */
    secrets: { owner: string; writes: string[]; podsConnectTo: string; note: string };
    /** `secrets: create`: the Airflow chart values that point the Deployment at the stack's secrets. */
    chartValues?: unknown;
    /** Data-plane failover (seed 004): the roles, and per plane its login role's connection string (secret, customer-managed users). */
    failover?: { ownerRole: string; terminatorRole: string; orchestratorUser: string; loginRoles: Record<string, string>; planeConnections?: Record<string, pulumi.Output<string>> };
}

export interface StackOutputs {
    deployments: Record<string, DeploymentOutputs>;
    /** Per Deployment: active, retired (until when) or expired (removed by this update). */
    retention: Record<string, RetentionState>;
    /** Secret: the platform chart's values.yaml fragment for manual connection strings (seed 000 step 1). */
    valuesYaml: pulumi.Output<string>;
}

/** Every role a Deployment owns on its server, for its removal. */
function deploymentRoles(d: DeploymentSpec): string[] {
    const roles = [d.names.user];
    if (d.failover) {
        roles.push(d.names.ownerRole, d.names.terminatorRole);
        if (d.failover.users === "customer") roles.push(...d.names.loginRoles);
    }
    return roles;
}

export interface CreateStackOptions {
    /** The day retention is judged on. Defaults to now. */
    today?: Date;
}

/** Compose the whole stack. Call only with a spec from parseStackConfig: nothing here re-validates. */
export function createStack(spec: StackSpec, options: CreateStackOptions = {}): StackOutputs {
    const steps = composeStack(spec, options);
    for (let step = steps.next(); ; step = steps.next()) if (step.done) return step.value;
}

/**
 * The same stack, registered in the same order, but `pause` is awaited after each Deployment. Offline
 * (cli/graph.ts, under mocks) a pause lets the runtime finish one Deployment's registrations before
 * the next begins, so its promises are garbage early: with hundreds of Deployments registered at once,
 * the heap held all of them and garbage collection took a third of `plan`.
 */
export async function createStackStepwise(spec: StackSpec, options: CreateStackOptions, pause: () => Promise<void>): Promise<StackOutputs> {
    const steps = composeStack(spec, options);
    for (let step = steps.next(); ; step = steps.next()) {
        if (step.done) return step.value;
        await pause();
    }
}

/**
 * A retirement day in the future would disable a live Deployment's login today: refused (ConfigError)
 * before anything is registered, and by `apply`/`audit` before they connect (the one config check
 * that depends on the day).
 */
export function checkRetirementDays(spec: StackSpec, today: Date): void {
    const future = spec.deployments.flatMap((d, i) => (d.retiredAt !== undefined && d.retiredAt > isoDay(today)
        ? [{ key: `deployments[${i}].retiredAt`, message: `${d.retiredAt} is after today (${isoDay(today)}): set the day the Deployment was removed from Astronomer` }] : []));
    if (future.length) throw new ConfigError(spec.stack, future);
}

/** createStack's body: yields after each Deployment it registered. */
function* composeStack(spec: StackSpec, options: CreateStackOptions): Generator<void, StackOutputs> {
    const today = options.today ?? new Date();
    checkRetirementDays(spec, today);
    const servers = new Map(spec.servers.map((s) => [s.name, createServer(s, spec.protect, spec.retentionDays)]));
    // A cluster is reached only when some Deployment's secrets are the stack's to write (patch, create).
    const needsCluster = spec.deployments.some((d) => d.secrets !== "houston");
    const kubernetesProvider = needsCluster ? createKubernetesProvider(spec.kubernetes) : undefined;
    const planeProviders = needsCluster ? Object.fromEntries(Object.entries(spec.dataPlanes).map(([plane, k]) => [plane, createKubernetesProvider(k, `kubernetes-${plane}`)!])) : {};

    const deployments: Record<string, DeploymentOutputs> = {};
    const retention: Record<string, RetentionState> = {};
    for (const d of spec.deployments) {
        const server = servers.get(d.server)!;
        const state = retentionState(d.retiredAt, spec.retentionDays, today);
        retention[d.release] = state;
        if (state.state === "expired") {
            // The database and roles were registered with retainOnDelete, so dropping them takes this explicit, dated step.
            const e = server.endpoint;
            new DatabaseRemoval(`${d.release}-removal`, {
                release: d.release,
                engine: d.engine,
                connection: pulumi.all([e.host, e.port, e.adminUser, server.adminPassword, server.adminPasswordSecretArn]).apply(([host, port, user, password, passwordSecretArn]) =>
                    passwordSecretArn === undefined ? { host, port, user, password, sslmode: e.sslmode } : { host, port, user, passwordSecretArn, sslmode: e.sslmode }),
                database: d.names.database,
                roles: deploymentRoles(d),
                retiredAt: state.retiredAt,
                removeOn: state.removeOn,
            });
            continue;
        }
        const retired = state.state === "retired";
        const deployment = new AirflowDeploymentDatabase(d.release, {
            release: d.release,
            executor: d.executor,
            pgbouncer: d.pgbouncer,
            names: d.names,
            schema: d.schema,
            server: server.endpoint,
            databaseProvider: server.provider,
            // A retired Deployment keeps its data but can no longer log in, and its secrets are removed.
            kubernetesProvider: retired ? undefined : kubernetesProvider,
            planeKubernetesProviders: retired || d.failover?.users !== "customer" || d.secrets === "houston" ? undefined : planeProviders,
            secrets: d.secrets,
            createNamespace: d.createNamespace,
            loginEnabled: !retired,
            fernetKey: d.fernetKey === undefined ? undefined : pulumi.secret(d.fernetKey),
            // Retired: the data stays (retainOnDelete) but protect is lifted, so the removal update can proceed.
            protect: spec.protect && !retired,
            failover: d.failover,
            adminPassword: server.adminPassword,
            adminPasswordSecretArn: server.adminPasswordSecretArn,
        });
        deployments[d.release] = {
            database: deployment.databaseName,
            user: deployment.userName,
            connectionUser: deployment.connectionUser,
            server: d.server,
            namespace: deployment.namespace,
            secretNames: deployment.secretNames,
            metadataConnection: deployment.metadataConnection,
            resultBackendConnection: deployment.resultBackendConnection,
            houstonVariables: deployment.houstonVariables,
            secrets: {
                owner: deployment.secretsHandOff.owner,
                writes: retired ? [] : deployment.secretsHandOff.parts.map((p) => d.names.secrets[p]),
                podsConnectTo: deployment.secretsHandOff.podsConnectTo,
                note: retired ? "retired: the stack writes no secret"
                    : d.secrets !== "houston" && spec.kubernetes.mode === "none" ? `${deployment.secretsHandOff.note}; kubernetes.mode is none, so \`pulumi up\` reaches no cluster: \`astro-db apply --out\` writes them for kubectl`
                    : deployment.secretsHandOff.note,
            },
            ...(deployment.chartValues ? { chartValues: deployment.chartValues } : {}),
            failover: d.failover && {
                ownerRole: d.names.ownerRole, terminatorRole: d.names.terminatorRole, orchestratorUser: d.failover.orchestratorUser,
                loginRoles: Object.fromEntries(d.failover.planes.map((plane, i) => [plane, d.names.loginRoles[i]])),
                planeConnections: deployment.planeConnections,
            },
        };
        yield;
    }

    // values.yaml switches manual connection strings on (seed 000 step 1); database.connection holds the
    // first server's address in the format Houston expects, with a placeholder user and password unless
    // valuesConnection: admin asks for the real admin credential. Secret either way.
    const first = servers.get(spec.servers[0].name)!;
    const valuesYaml = pulumi.secret(
        pulumi.all([first.endpoint.host, first.endpoint.port, first.endpoint.adminUser, first.adminPassword]).apply(([host, port, user, password]) =>
            manualConnectionValuesYaml({
                layout: spec.valuesLayout,
                connection: valuesConnectionString(spec.valuesConnection, { engine: first.endpoint.engine, host, port, user, password, sslmode: first.endpoint.sslmode as DbEndpoint["sslmode"] }),
            })),
    );
    return { deployments, retention, valuesYaml };
}
