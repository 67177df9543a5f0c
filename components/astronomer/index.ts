/** Public surface of the Astronomer module: connection strings, Houston variables, values, fernet keys. */
export * from "./facts";
export { DEFAULT_PORTS } from "../../engines/url";
export {
    adminConnection,
    metadataConnection,
    parseConnection,
    pgbouncerJson,
    resultBackendConnection,
    type DbEndpoint,
    type ParsedConnection,
} from "./connections";
export { PG_SSLMODES, type PgSslMode } from "../../engines/postgres/client";
export {
    houstonVariables,
    type HoustonConnectionVariables,
    type HoustonCreateVariables,
    type HoustonUpsertVariables,
    type HoustonVariables,
    type HoustonVariablesInput,
} from "./houston";
export { manualConnectionValues, manualConnectionValuesYaml, type ManualConnectionValuesInput, type ValuesTree } from "./values";
export { FERNET_KEY_BYTES, checkFernetKey, fernetKeyFromBase64, fernetKeyFromBytes, isFernetKey } from "./fernet";
export {
    houstonVariablesOutput,
    manualConnectionValuesYamlOutput,
    metadataConnectionOutput,
    pgbouncerJsonOutput,
    resultBackendConnectionOutput,
    type DbEndpointInput,
    type HoustonVariablesOutputInput,
    type ManualConnectionValuesOutputInput,
} from "./outputs";
