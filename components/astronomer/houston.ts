/**
 * Variables for Houston's `createDeployment` and `upsertDeployment` mutations that point a
 * Deployment at its external database (seed 000 steps 5-6). Pure code, no Pulumi.
 *
 * Only the variables that depend on the database are produced. The caller adds the rest
 * (`workspaceUuid`, which every create needs, and `label`, `type`, `runtimeVersion`, ...;
 * `deploymentUuid` to make an upsert an update).
 */
import { metadataConnection, pgbouncerJson, resultBackendConnection, type DbEndpoint } from "./connections";
import { ENGINE_FEATURES } from "../../engines/model";
import { EXECUTORS, HOUSTON, type Executor, type HoustonConnectionJson } from "./facts";

const F = HOUSTON.deploymentFields;

/** What the Houston variables are derived from. */
export interface HoustonVariablesInput {
    /** The Deployment's database and its Astro user. */
    endpoint: DbEndpoint;
    /**
     * Whether the Deployment runs PgBouncer. On: the `*ConnectionJson` fields (PostgreSQL only);
     * off: the `*Connection` strings.
     */
    pgbouncer: boolean;
    /** Release name; the database, roles and secrets astro-db creates are named after it. */
    releaseName: string;
    /** Kubernetes namespace of the Deployment, where astro-db puts its secrets. */
    namespace: string;
    /** Airflow executor, sent as the typed `executor: ExecutorType` argument. */
    executor: Executor;
}

/** The connection fields: either both strings or both JSON forms, never a mix. */
export type HoustonConnectionVariables =
    | {
          [HOUSTON.stringFields.metadata]: string;
          [HOUSTON.stringFields.resultBackend]: string;
      }
    | {
          [HOUSTON.jsonFields.metadata]: HoustonConnectionJson;
          [HOUSTON.jsonFields.resultBackend]: HoustonConnectionJson;
      };

/** Variables common to both mutations. */
export type HoustonCreateVariables = {
    [F.releaseName]: string;
    [F.namespace]: string;
    [F.executor]: Executor;
} & HoustonConnectionVariables;

/** `upsertDeployment` also takes `skipAirflowDatabaseProvisioning`, always true here. */
export type HoustonUpsertVariables = HoustonCreateVariables & { [HOUSTON.skipProvisioningField]: true };

export interface HoustonVariables {
    createDeployment: HoustonCreateVariables;
    upsertDeployment: HoustonUpsertVariables;
}

/**
 * Variable sets for `createDeployment` and `upsertDeployment`. With PgBouncer on they carry
 * `metadataConnectionJson`/`resultBackendConnectionJson`, otherwise the
 * `metadataConnection`/`resultBackendConnection` strings (the result backend with `db+`, which
 * the Celery worker needs). `skipAirflowDatabaseProvisioning: true` is set on the upsert only:
 * `createDeployment` has no such field (seed 000 step 6). The executor goes in the typed
 * `executor` argument only; the legacy `config.executor` JSON is left to the caller.
 * Throws for PgBouncer with MySQL and for an executor Houston does not know.
 */
export function houstonVariables(input: HoustonVariablesInput): HoustonVariables {
    if (!(EXECUTORS as readonly string[]).includes(input.executor)) {
        throw new Error(`executor "${String(input.executor)}" is not one of ${EXECUTORS.join(", ")}`);
    }
    if (input.pgbouncer && !ENGINE_FEATURES[input.endpoint.engine].pgbouncer) {
        throw new Error(
            `PgBouncer works only with PostgreSQL, and the database of Deployment "${input.releaseName}" is ${input.endpoint.engine}: turn PgBouncer off for it`,
        );
    }
    const connection: HoustonConnectionVariables = input.pgbouncer
        ? {
              // Both fields take the same form; the JSON form has no db+ scheme (seed 000 step 5).
              [HOUSTON.jsonFields.metadata]: pgbouncerJson(input.endpoint),
              [HOUSTON.jsonFields.resultBackend]: pgbouncerJson(input.endpoint),
          }
        : {
              [HOUSTON.stringFields.metadata]: metadataConnection(input.endpoint),
              [HOUSTON.stringFields.resultBackend]: resultBackendConnection(input.endpoint),
          };
    const createDeployment: HoustonCreateVariables = {
        [F.releaseName]: input.releaseName,
        [F.namespace]: input.namespace,
        [F.executor]: input.executor,
        ...connection,
    };
    return {
        createDeployment,
        upsertDeployment: { ...createDeployment, [HOUSTON.skipProvisioningField]: true },
    };
}

/** The two mutations `astro-db houston` prints. */
export type HoustonMutation = keyof HoustonVariables;

/**
 * GraphQL types of the variables astro-db sends, as seed 000 step 6 declares them for
 * `createDeployment`; `upsertDeployment` takes the same ones, none required, plus `deploymentUuid`
 * (to update an existing Deployment) and `skipAirflowDatabaseProvisioning` (upsert only, seed 000).
 */
const VARIABLE_TYPES: Record<string, { createDeployment?: string; upsertDeployment: string }> = {
    workspaceUuid: { createDeployment: "Uuid!", upsertDeployment: "Uuid" },
    deploymentUuid: { upsertDeployment: "Uuid" },
    releaseName: { createDeployment: "String", upsertDeployment: "String" },
    namespace: { createDeployment: "String!", upsertDeployment: "String" },
    type: { createDeployment: "String!", upsertDeployment: "String" },
    label: { createDeployment: "String!", upsertDeployment: "String" },
    executor: { createDeployment: "ExecutorType", upsertDeployment: "ExecutorType" },
    [HOUSTON.stringFields.metadata]: { createDeployment: "String", upsertDeployment: "String" },
    [HOUSTON.stringFields.resultBackend]: { createDeployment: "String", upsertDeployment: "String" },
    [HOUSTON.jsonFields.metadata]: { createDeployment: "JSON", upsertDeployment: "JSON" },
    [HOUSTON.jsonFields.resultBackend]: { createDeployment: "JSON", upsertDeployment: "JSON" },
    [HOUSTON.skipProvisioningField]: { upsertDeployment: "Boolean" },
};

/**
 * The mutation text for `variables` (their names, in order): one `$name: Type` per variable, passed
 * on as `name: $name`, selecting what a caller needs to find the Deployment again. Throws for a
 * variable the mutation does not take (e.g. skipAirflowDatabaseProvisioning on createDeployment).
 */
export function houstonMutation(mutation: HoustonMutation, variables: readonly string[]): string {
    const declared = variables.map((name) => {
        const type = VARIABLE_TYPES[name]?.[mutation];
        if (type === undefined) throw new Error(`${mutation} takes no variable ${name}`);
        return `$${name}: ${type}`;
    });
    return [
        `mutation ${mutation}(`,
        ...declared.map((d) => `  ${d}`),
        `) {`,
        `  ${mutation}(`,
        ...variables.map((name) => `    ${name}: $${name}`),
        `  ) {`,
        `    id`,
        `    releaseName`,
        `    namespace`,
        `    status`,
        `  }`,
        `}`,
    ].join("\n") + "\n";
}
