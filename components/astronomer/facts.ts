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
