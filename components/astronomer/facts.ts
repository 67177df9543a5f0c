/**
 * Every Astronomer fact this project relies on, in one place. Each line cites the seed it comes from
 * (../shared/seeds). Nothing else in the project spells these names or keys.
 */

/** Kubernetes secrets the Airflow chart reads, named `<release>-<suffix>` (seed 003). */
export const SECRETS = {
    metadata: { suffix: "airflow-metadata", key: "connection" },
    resultBackend: { suffix: "airflow-result-backend", key: "connection" },
    fernetKey: { suffix: "fernet-key", key: "fernet-key" },
} as const;

/** Default platform Helm release name; namespaces are `<platform release>-<release>` (seed 003). */
export const DEFAULT_PLATFORM_RELEASE = "astronomer";

/** Days a deleted Deployment's database is kept before removal (seed 002, configurable via Helm). */
export const DEFAULT_RETENTION_DAYS = 15;

/** Airflow executors accepted by Houston's `ExecutorType` (seed 000 `createDeployment`). */
export const EXECUTORS = ["CeleryExecutor", "KubernetesExecutor", "LocalExecutor"] as const;
export type Executor = (typeof EXECUTORS)[number];

/**
 * Where the manual-connection settings live in the platform chart's values (seed 000 step 1).
 * - `top-level`: as in the seed, in the values of the Houston config (`deployments.…`).
 * - `umbrella`: nested for the platform umbrella chart (`astronomer.houston.config.deployments.…`).
 * - `apc2`: Astro Private Cloud 2.x, whose values migration moves the keys under
 *   `deployments.databaseManagement.…`.
 */
export const VALUES_LAYOUTS = {
    "top-level": {
        prefix: ["deployments"],
        enabled: ["manualConnectionStrings", "enabled"],
        connection: ["database", "connection"],
    },
    umbrella: {
        prefix: ["astronomer", "houston", "config", "deployments"],
        enabled: ["manualConnectionStrings", "enabled"],
        connection: ["database", "connection"],
    },
    apc2: {
        prefix: ["deployments", "databaseManagement"],
        enabled: ["manualConnectionStrings", "enabled"],
        connection: ["database", "connection"],
    },
} as const;
export type ValuesLayout = keyof typeof VALUES_LAYOUTS;

/**
 * What `database.connection` holds in the platform's values (seed 000 step 1 gives it as "an example
 * of the database connection string format"): `placeholder` (the default) the format with
 * `example_user` / `example_pass`, or `admin` the server's real admin connection. Houston uses that
 * connection as the root credential to provision the databases of Deployments it provisions itself;
 * a Deployment whose connections astro-db made is upserted with skipAirflowDatabaseProvisioning, so
 * Houston needs no credential there.
 */
export const VALUES_CONNECTIONS = ["placeholder", "admin"] as const;
export type ValuesConnection = (typeof VALUES_CONNECTIONS)[number];
/** The example user and password of seed 000 step 1's `database.connection`. */
export const VALUES_PLACEHOLDER = { user: "example_user", password: "example_pass" } as const;

/** Houston mutations and the fields that carry the connections (seed 000 steps 5-6). */
export const HOUSTON = {
    stringFields: { metadata: "metadataConnection", resultBackend: "resultBackendConnection" },
    jsonFields: { metadata: "metadataConnectionJson", resultBackend: "resultBackendConnectionJson" },
    /** Only `upsertDeployment` takes this field; `createDeployment` does not (seed 000 step 6). */
    skipProvisioningField: "skipAirflowDatabaseProvisioning",
    /**
     * Variables both mutations take that tie the Deployment to the names astro-db derived: the
     * release name (databases, roles and secrets are named after it), the namespace (where the
     * secrets live) and the typed `executor: ExecutorType` (seed 000 step 6 `createDeployment`).
     */
    deploymentFields: { releaseName: "releaseName", namespace: "namespace", executor: "executor" },
} as const;

/**
 * The JSON form of a connection that Houston takes in `metadataConnectionJson` /
 * `resultBackendConnectionJson` when PgBouncer is enabled (seed 000 step 5): plain values, not
 * URL-encoded, `port` a number, and always `protocol: "postgresql"` (also for the result backend).
 */
export interface HoustonConnectionJson {
    user: string;
    pass: string;
    protocol: typeof HOUSTON_JSON_PROTOCOL;
    host: string;
    port: number;
    db: string;
}
export const HOUSTON_JSON_PROTOCOL = "postgresql";

/** Scheme of the Celery result backend URL: SQLAlchemy's `db+` prefix (seed 000 step 5 warning). */
export const RESULT_BACKEND_PREFIX = "db+";

/**
 * What a Deployment's Airflow holds open on its metadata database, from the defaults of the chart
 * Astronomer deploys and of Airflow itself (components/capacity.ts turns them into an estimate).
 * - PgBouncer (apache/airflow chart/values.yaml `pgbouncer.metadataPoolSize: 10`,
 *   `pgbouncer.resultBackendPoolSize: 5`, `pgbouncer.replicas: 1`; chart/templates/_helpers.yaml
 *   `pgbouncer_config` gives each of the two [databases] entries its `pool_size`, pool_mode transaction):
 *   the server sees at most the two pools, whatever the pods open to PgBouncer.
 * - Without PgBouncer every long-running Airflow process keeps a SQLAlchemy QueuePool of
 *   `[database] sql_alchemy_pool_size` (5) + `sql_alchemy_max_overflow` (10) (airflow/config_templates/config.yml).
 *   Celery workers and `airflow tasks run` switch to NullPool (airflow/cli/commands/task_command.py and the
 *   celery provider's worker command: `settings.reconfigure_orm(disable_connection_pool=True)`), so a
 *   running task holds one connection at a time.
 * - Processes per component: 1 scheduler, 1 triggerer, 1 webserver with `[webserver] workers` (4)
 *   gunicorn workers, each its own pool; the scheduler's DAG file processors (`[scheduler]
 *   parsing_processes`, 2; NullPool); Celery: `[celery] worker_concurrency` 16 (the chart's
 *   config.celery.worker_concurrency) per worker replica (1); Kubernetes and Local executors: up to
 *   `[core] parallelism` (32) task processes at once.
 */
export const AIRFLOW_CONNECTION_DEFAULTS = {
    pgbouncer: { metadataPoolSize: 10, resultBackendPoolSize: 5 },
    poolSize: 5,
    maxOverflow: 10,
    schedulers: 1,
    triggerers: 1,
    webserverWorkers: 4,
    parsingProcesses: 2,
    workers: 1,
    workerConcurrency: 16,
    parallelism: 32,
} as const;

/**
 * Who owns a Deployment's three secrets (issue 12; DESIGN.md "the Deployment's secrets, by who owns them"):
 * - `houston`: the platform's Deployment chart makes them from the Houston variables (seed 000 step 6);
 *   the stack registers no Secret.
 * - `patch`: the chart's secrets exist; the stack server-side applies only the data keys it owns.
 * - `create`: the stack owns the secrets; the chart is pointed at them with `CHART_SECRET_VALUES`.
 */
export const SECRET_OWNERS = ["houston", "patch", "create"] as const;
export type SecretOwner = (typeof SECRET_OWNERS)[number];

/** The field manager of every server-side apply astro-db makes (`pulumi up` and `kubectl apply --server-side`). */
export const FIELD_MANAGER = "astro-db";

/**
 * Annotations `@pulumi/kubernetes` reads on a Patch resource: its server-side apply field manager
 * (else a random one per resource) and whether to force conflicts with other managers (the chart's).
 */
export const PULUMI_PATCH_ANNOTATIONS = {
    fieldManager: "pulumi.com/patchFieldManager",
    force: "pulumi.com/patchForce",
} as const;

/**
 * Airflow chart values that point the chart at secrets made elsewhere: the chart then renders no
 * secret of its own for that part and its pods read the named one (apache/airflow chart
 * `templates/_helpers.yaml` `airflow_metadata_secret`, `airflow_result_backend_secret`, `fernet_key_secret`).
 */
export const CHART_SECRET_VALUES = {
    metadata: ["data", "metadataSecretName"],
    resultBackend: ["data", "resultBackendSecretName"],
    fernetKey: ["fernetKeySecretName"],
} as const;

/**
 * With `pgbouncer.enabled` the Airflow chart renders `<release>-airflow-metadata` pointing the pods at
 * PgBouncer, not at the server: `<release>-pgbouncer.<namespace>:<ports.pgbouncer>/<release>-metadata`
 * (and `<release>-result-backend` for the result backend), and PgBouncer's own config secret
 * (`<release>-pgbouncer-config`: pgbouncer.ini and users.txt) at the server, both from the same
 * connection values (apache/airflow chart `templates/secrets/metadata-connection-secret.yaml`,
 * `result-backend-connection-secret.yaml`, `_helpers.yaml` `pgbouncer_config`; `ports.pgbouncer` 6543).
 */
export const CHART_PGBOUNCER = {
    serviceSuffix: "pgbouncer",
    port: 6543,
    databaseSuffixes: { metadata: "metadata", resultBackend: "result-backend" },
    configSecretSuffix: "pgbouncer-config",
} as const;
