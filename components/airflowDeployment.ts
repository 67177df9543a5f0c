import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { PgSslMode } from "../engines/postgres/client";
import { DbEndpointInput, houstonVariablesOutput, metadataConnectionOutput, resultBackendConnectionOutput } from "./astronomer/outputs";
import { Executor, SecretOwner } from "./astronomer/facts";
import { checkSecretOwner, secretsHandOff, type SecretsHandOff } from "./astronomer/secretOwnership";
import type { ValuesTree } from "./astronomer/values";
import { FERNET_KEY_BYTES, fernetKeyFromBase64 } from "./astronomer/fernet";
import type { HoustonVariables } from "./astronomer/houston";
import { DeploymentSecrets } from "./kubernetes/deploymentSecrets";
import { MysqlDeploymentAccess } from "./mysql/deploymentAccess";
import { DeploymentNames } from "./names";
import { ENGINE_FEATURES, EngineKind, unknownEngine } from "../engines/model";
import { DeploymentAccess } from "./postgres/deploymentAccess";
import { FailoverRoles } from "./postgres/failoverRoles";
import { FailoverUsers } from "../engines/postgres/failover";
import { FenceFunction } from "./postgres/fenceFunction";
import { FenceMechanism } from "../engines/postgres/fence";

/** Where a Deployment's database server is, as the Deployment's clients reach it. */
export interface ServerEndpoint {
    readonly engine: EngineKind;
    readonly host: pulumi.Input<string>;
    readonly port: pulumi.Input<number>;
    /** The admin role the database provider runs as. */
    readonly adminUser: pulumi.Input<string>;
    /** PostgreSQL sslmode in the connection strings. Defaults to `require`. */
    readonly sslmode?: string;
    /**
     * The admin holds pg_signal_backend's privileges (a superuser; RDS's master user through
     * rds_superuser): the fencing function it owns can end sessions without more. Defaults to true.
     */
    readonly adminSignals?: boolean;
}

/** Data-plane failover (seed 004): who creates the login roles, the orchestrator's database user, the plane names. */
export interface FailoverArgs {
    readonly users: FailoverUsers;
    readonly orchestratorUser: string;
    readonly planes: readonly [string, string];
    /** How the orchestrator ends the source plane's sessions. Defaults to `function` (the FenceFunction). */
    readonly terminate?: FenceMechanism;
}

export interface AirflowDeploymentDatabaseArgs {
    readonly release: string;
    readonly executor: Executor;
    /** Whether the Deployment runs PgBouncer: Houston then takes the *ConnectionJson fields (seed 000 step 5). */
    readonly pgbouncer: boolean;
    readonly names: DeploymentNames;
    /** Schema for Airflow's tables (PostgreSQL). Defaults to `public`. */
    readonly schema?: string;
    readonly server: ServerEndpoint;
    /** The postgresql (or mysql) provider for this Deployment's server. */
    readonly databaseProvider: pulumi.ProviderResource;
    /**
     * Per data plane, its cluster's Kubernetes provider (failover with customer-managed users): the
     * secrets then go to each plane with that plane's login role, instead of to `kubernetesProvider`.
     */
    readonly planeKubernetesProviders?: Record<string, pulumi.ProviderResource>;
    /** The Kubernetes provider for the Deployment's secrets (`patch`, `create`); without one none is registered (`astro-db apply --out` writes them for kubectl). */
    readonly kubernetesProvider?: pulumi.ProviderResource;
    /**
     * Who owns the Deployment's secrets: `houston` (the platform's chart makes them from the Houston
     * variables; no Secret is registered), `patch` (SecretPatch of the data keys of the chart's secrets)
     * or `create` (the stack's own Secrets; the chart is pointed at them with `chartValues`). Defaults to `houston`.
     */
    readonly secrets?: SecretOwner;
    /** Create the Deployment's namespace (`secrets: create` only). Defaults to false. */
    readonly createNamespace?: boolean;
    /** A fernet key carried over from an existing Airflow (seed 003). Defaults to a generated one. */
    readonly fernetKey?: pulumi.Input<string>;
    /** Whether the Astro user can log in. Defaults to true (false while a Deployment is retired). */
    readonly loginEnabled?: boolean;
    /** Pulumi `protect` on the database and role. Defaults to false. */
    readonly protect?: boolean;
    /** Data-plane failover roles (PostgreSQL). Defaults to none. */
    readonly failover?: FailoverArgs;
    /** Secret: the admin's password, for the failover memberships, which connect on their own. Defaults to PGPASSWORD where they run. */
    readonly adminPassword?: pulumi.Input<string | undefined>;
    /**
     * The RDS-managed master user secret's ARN (`manageMasterUserPassword`): when given, the dynamic
     * resources get it instead of `adminPassword` and read the password when they run. Defaults to none.
     */
    readonly adminPasswordSecretArn?: pulumi.Input<string>;
}

/**
 * One Airflow Deployment's external database, end to end: the database, Astro user and grants,
 * its connection strings and Houston variables, and the Kubernetes secrets the Deployment reads.
 */
export class AirflowDeploymentDatabase extends pulumi.ComponentResource {
    public readonly databaseName: pulumi.Output<string>;
    /** The Deployment's Astro role: with failover and customer-managed users, the shared NOLOGIN data role. */
    public readonly userName: pulumi.Output<string>;
    /**
     * The role the Deployment-level connection strings and Houston variables log in as: the Astro user,
     * or with failover and customer-managed users the first plane's login role (the plane that holds
     * CONNECT until a failover; each plane's own secrets carry its own login role).
     */
    public readonly connectionUser: pulumi.Output<string>;
    public readonly namespace: string;
    public readonly secretNames: { metadata: string; resultBackend: string; fernetKey: string };
    /** Secret: `postgresql://…` (seed 000 step 5), as `connectionUser`. */
    public readonly metadataConnection: pulumi.Output<string>;
    /** Secret: `db+postgresql://…` (seed 000 step 5). */
    public readonly resultBackendConnection: pulumi.Output<string>;
    /** Secret: the variables of Houston's createDeployment and upsertDeployment (seed 000 step 6). */
    public readonly houstonVariables: pulumi.Output<HoustonVariables>;
    /** Secret: the Deployment's fernet key, carried over or generated once and kept while the database exists. */
    public readonly fernetKey: pulumi.Output<string>;
    public readonly access: DeploymentAccess | MysqlDeploymentAccess;
    public readonly secrets?: DeploymentSecrets;
    /** Who owns the secrets, which the stack writes and what the pods connect to (components/astronomer/secretOwnership.ts). */
    public readonly secretsHandOff: SecretsHandOff;
    /** `secrets: create`: the Airflow chart values that point the Deployment at the stack's secrets. */
    public readonly chartValues?: ValuesTree;
    /** Per data plane (failover, customer-managed users): that plane's secrets, with its own login role. */
    public readonly planeSecrets?: Record<string, DeploymentSecrets>;
    public readonly failover?: FailoverRoles;
    /** The fencing function (failover with `terminate: function`). */
    public readonly fenceFunction?: FenceFunction;
    /** Secret, per data plane (failover with customer-managed users): the metadata connection as that plane's login role. */
    public readonly planeConnections?: Record<string, pulumi.Output<string>>;

    constructor(name: string, args: AirflowDeploymentDatabaseArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("astro-db:index:AirflowDeploymentDatabase", name, {}, opts);
        const { names, server } = args;

        const schema = args.schema ?? "public";
        const owner = args.secrets ?? "houston";
        for (const problem of checkSecretOwner(owner, args.pgbouncer)) throw new pulumi.ResourceError(problem, this);
        if (args.createNamespace && owner !== "create") throw new pulumi.ResourceError(`createNamespace and secrets: ${owner} cannot both be set: only the stack's own secrets (create) need it`, this);
        this.secretsHandOff = secretsHandOff({ owner, pgbouncer: args.pgbouncer, release: args.release, namespace: names.namespace });
        // A rotated RDS secret must not break the dynamic resources: they get its ARN, never a copy of the password.
        const credentials = args.adminPasswordSecretArn !== undefined ? { passwordSecretArn: args.adminPasswordSecretArn } : { password: args.adminPassword };
        const connection = { host: server.host, port: server.port, user: server.adminUser, ...credentials, database: "postgres", sslmode: (server.sslmode ?? "require") as PgSslMode };
        // Failover with customer-managed users: the Astro role is the data role both planes' login roles use.
        const features = ENGINE_FEATURES[server.engine];
        const customer = args.failover?.users === "customer" && features.failover;
        if (args.failover && features.failover) {
            this.failover = new FailoverRoles(`${name}`, {
                ownerRole: names.ownerRole, terminatorRole: names.terminatorRole, loginRoles: names.loginRoles,
                planes: args.failover.planes, orchestratorUser: args.failover.orchestratorUser, users: args.failover.users,
                terminate: args.failover.terminate, adminSignals: server.adminSignals ?? true, adminUser: server.adminUser,
                dataRole: customer ? names.user : undefined,
                searchPath: customer && schema !== "public" ? [schema] : undefined,
                connection,
                loginEnabled: args.loginEnabled,
                protect: args.protect,
            }, { parent: this, provider: args.databaseProvider });
        }
        const failover = this.failover;

        switch (server.engine) {
            case "mysql":
                this.access = new MysqlDeploymentAccess(`${name}`, {
                    database: names.database,
                    user: names.user,
                    loginEnabled: args.loginEnabled,
                    protect: args.protect,
                }, { parent: this, provider: args.databaseProvider });
                break;
            case "postgres":
                this.access = new DeploymentAccess(`${name}`, {
                    database: names.database,
                    user: names.user,
                    schema: args.schema,
                    adminUser: server.adminUser,
                    loginEnabled: args.loginEnabled,
                    protect: args.protect,
                    // Seed 004: the owner role owns the database; the login roles get CONNECT in the grant chain.
                    databaseOwner: failover?.databaseOwner,
                    ownerAccess: failover?.ownerAccess,
                    connectRoles: failover?.connectRoles,
                    sharedDataRole: customer,
                    members: customer ? { roles: failover!.connectRoles, connection } : undefined,
                }, { parent: this, provider: args.databaseProvider });
                break;
            default: this.access = unknownEngine(server.engine);
        }

        if (failover && (args.failover!.terminate ?? "function") === "function") {
            // In the database once it exists, and once the admin holds what it needs to signal. It rewrites
            // rows of its own schema and function only, so it need not wait for the Deployment's grants.
            const access = this.access as DeploymentAccess;
            this.fenceFunction = new FenceFunction(`${name}-fence-function`, {
                database: access.databaseName, loginRoles: [...failover.loginRoleNames], terminatorRole: failover.terminatorRole.name, connection,
            }, { parent: this, dependsOn: [access.database, ...failover.memberships, ...access.memberships] });
        }

        // The Deployment-level connection: the Astro user, or the first plane's login role (customer model).
        const [user, password] = customer
            ? [failover!.loginRoleNames[0], failover!.loginPasswords![0]]
            : [pulumi.output(names.user), this.access.password!];
        // Where a role reaches the Deployment's database; the secret connection strings come from components/astronomer.
        const endpointAs = (u: pulumi.Input<string>, p: pulumi.Input<string>): DbEndpointInput => ({
            engine: server.engine, host: server.host, port: server.port, database: names.database, user: u, password: p,
            sslmode: features.sslmode ? (server.sslmode ?? "require") as PgSslMode : undefined,
        });
        const endpoint = endpointAs(user, password);
        this.metadataConnection = metadataConnectionOutput(endpoint);
        this.resultBackendConnection = resultBackendConnectionOutput(endpoint);
        this.houstonVariables = houstonVariablesOutput({
            endpoint, pgbouncer: args.pgbouncer, releaseName: args.release, namespace: names.namespace, executor: args.executor,
        });

        const planeEndpoints: Record<string, DbEndpointInput> = {};
        if (failover?.loginPasswords) {
            failover.planes.forEach((plane, i) => (planeEndpoints[plane] = endpointAs(failover.loginRoleNames[i], failover.loginPasswords![i])));
            this.planeConnections = Object.fromEntries(Object.entries(planeEndpoints).map(([plane, e]) => [plane, metadataConnectionOutput(e)]));
        }

        // The fernet key lives as long as the database, secrets or not: a retired Deployment keeps it,
        // so un-retiring restores the key its encrypted connections and variables need (seed 003).
        this.fernetKey = pulumi.secret(args.fernetKey !== undefined
            ? pulumi.output(args.fernetKey)
            : new random.RandomBytes(`${name}-fernet-bytes`, { length: FERNET_KEY_BYTES }, { parent: this }).base64.apply(fernetKeyFromBase64));
        const secretsArgs = {
            release: args.release, namespace: names.namespace, names: names.secrets, fernetKey: this.fernetKey,
            owner: owner === "patch" ? "patch" as const : "create" as const, parts: this.secretsHandOff.parts, createNamespace: args.createNamespace,
        };
        const planeProviders = args.planeKubernetesProviders;
        if (owner === "houston") {
            // The platform's chart makes the secrets from the Houston variables: nothing to register.
        } else if (failover?.loginPasswords && planeProviders && failover.planes.every((p) => planeProviders[p])) {
            // Each data plane's cluster gets its own login role's connections and the Deployment's one fernet key.
            this.planeSecrets = {};
            for (const plane of failover.planes) {
                const secrets = new DeploymentSecrets(`${name}-${plane}`, {
                    ...secretsArgs,
                    metadataConnection: this.planeConnections![plane],
                    resultBackendConnection: resultBackendConnectionOutput(planeEndpoints[plane]),
                }, { parent: this, provider: planeProviders[plane] });
                this.planeSecrets[plane] = secrets;
                this.chartValues = secrets.chartValues;
            }
        } else if (args.kubernetesProvider) {
            this.secrets = new DeploymentSecrets(`${name}`, {
                ...secretsArgs,
                metadataConnection: this.metadataConnection,
                resultBackendConnection: this.resultBackendConnection,
            }, { parent: this, provider: args.kubernetesProvider });
            this.chartValues = this.secrets.chartValues;
        }

        this.databaseName = this.access.databaseName;
        this.userName = this.access.userName;
        this.connectionUser = pulumi.output(user);
        this.namespace = names.namespace;
        this.secretNames = names.secrets;
        this.registerOutputs({
            databaseName: this.databaseName, userName: this.userName, connectionUser: this.connectionUser, namespace: this.namespace, secretNames: this.secretNames,
            metadataConnection: this.metadataConnection, resultBackendConnection: this.resultBackendConnection,
            houstonVariables: this.houstonVariables, fernetKey: this.fernetKey, planeConnections: this.planeConnections,
            secretsHandOff: this.secretsHandOff, chartValues: this.chartValues,
        });
    }
}
