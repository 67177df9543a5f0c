import * as pulumi from "@pulumi/pulumi";
import { DbEndpoint, metadataConnection, resultBackendConnection } from "./astronomer/connections";
import { Executor } from "./astronomer/facts";
import { houstonVariables } from "./astronomer/houston";
import { DeploymentSecrets } from "./kubernetes/deploymentSecrets";
import { MysqlDeploymentAccess } from "./mysql/deploymentAccess";
import { DeploymentNames, EngineKind } from "./names";
import { DeploymentAccess } from "./postgres/deploymentAccess";

/** Where a Deployment's database server is, as the Deployment's clients reach it. */
export interface ServerEndpoint {
    readonly engine: EngineKind;
    readonly host: pulumi.Input<string>;
    readonly port: pulumi.Input<number>;
    /** The admin role the database provider runs as. */
    readonly adminUser: pulumi.Input<string>;
    /** PostgreSQL sslmode in the connection strings. Defaults to `require`. */
    readonly sslmode?: string;
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
    /** The Kubernetes provider for the Deployment's secrets; no secrets are managed when absent. */
    readonly kubernetesProvider?: pulumi.ProviderResource;
    /** A fernet key carried over from an existing Airflow (seed 003). Defaults to a generated one. */
    readonly fernetKey?: pulumi.Input<string>;
    /** Whether the Astro user can log in. Defaults to true (false while a Deployment is retired). */
    readonly loginEnabled?: boolean;
    /** Pulumi `protect` on the database and role. Defaults to false. */
    readonly protect?: boolean;
}

/**
 * One Airflow Deployment's external database, end to end: the database, Astro user and grants,
 * its connection strings and Houston variables, and the Kubernetes secrets the Deployment reads.
 */
export class AirflowDeploymentDatabase extends pulumi.ComponentResource {
    public readonly databaseName: pulumi.Output<string>;
    public readonly userName: pulumi.Output<string>;
    public readonly namespace: string;
    public readonly secretNames: { metadata: string; resultBackend: string; fernetKey: string };
    /** Secret: `postgresql://…` (seed 000 step 5). */
    public readonly metadataConnection: pulumi.Output<string>;
    /** Secret: `db+postgresql://…` (seed 000 step 5). */
    public readonly resultBackendConnection: pulumi.Output<string>;
    /** Secret: the variables of Houston's createDeployment and upsertDeployment (seed 000 step 6). */
    public readonly houstonVariables: pulumi.Output<ReturnType<typeof houstonVariables>>;
    /** Secret, or undefined when no Kubernetes provider is given. */
    public readonly fernetKey?: pulumi.Output<string>;
    public readonly access: DeploymentAccess | MysqlDeploymentAccess;
    public readonly secrets?: DeploymentSecrets;

    constructor(name: string, args: AirflowDeploymentDatabaseArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("astro-db:index:AirflowDeploymentDatabase", name, {}, opts);
        const { names, server } = args;

        this.access = server.engine === "mysql"
            ? new MysqlDeploymentAccess(`${name}`, {
                database: names.database,
                user: names.user,
                loginEnabled: args.loginEnabled,
                protect: args.protect,
            }, { parent: this, provider: args.databaseProvider })
            : new DeploymentAccess(`${name}`, {
                database: names.database,
                user: names.user,
                schema: args.schema,
                adminUser: server.adminUser,
                loginEnabled: args.loginEnabled,
                protect: args.protect,
            }, { parent: this, provider: args.databaseProvider });

        const endpoint: pulumi.Output<DbEndpoint> = pulumi.all([server.host, server.port, this.access.password]).apply(([host, port, password]) => ({
            engine: server.engine, host, port, database: names.database, user: names.user, password,
            sslmode: server.engine === "postgres" ? server.sslmode ?? "require" : undefined,
        }));
        this.metadataConnection = pulumi.secret(endpoint.apply(metadataConnection));
        this.resultBackendConnection = pulumi.secret(endpoint.apply(resultBackendConnection));
        this.houstonVariables = pulumi.secret(endpoint.apply((e) => houstonVariables({
            endpoint: e, pgbouncer: args.pgbouncer, releaseName: args.release, namespace: names.namespace, executor: args.executor,
        })));

        if (args.kubernetesProvider) {
            this.secrets = new DeploymentSecrets(`${name}`, {
                release: args.release,
                namespace: names.namespace,
                names: names.secrets,
                metadataConnection: this.metadataConnection,
                resultBackendConnection: this.resultBackendConnection,
                fernetKey: args.fernetKey,
            }, { parent: this, provider: args.kubernetesProvider });
            this.fernetKey = this.secrets.fernetKey;
        }

        this.databaseName = this.access.databaseName;
        this.userName = this.access.userName;
        this.namespace = names.namespace;
        this.secretNames = names.secrets;
        this.registerOutputs({
            databaseName: this.databaseName, userName: this.userName, namespace: this.namespace, secretNames: this.secretNames,
            metadataConnection: this.metadataConnection, resultBackendConnection: this.resultBackendConnection,
            houstonVariables: this.houstonVariables, fernetKey: this.fernetKey,
        });
    }
}
