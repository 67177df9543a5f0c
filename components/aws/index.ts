/** Public surface of the AWS components: the RDS server and the pure helpers that hold its defaults. */
export {
    RdsServer,
    RDS_SERVER_TYPE,
    rdsDefaults,
    parameterGroupFamily,
    replacementInputs,
    checkRdsServerArgs,
    checkRdsIdentifier,
    checkMasterUsername,
    RDS_ENGINES,
    RDS_PASSWORD_MODES,
    RDS_STORAGE_TYPES,
    RDS_MONITORING_INTERVALS,
    RDS_PASSWORD_FORBIDDEN_CHARS,
} from "./rdsInstance";
export type { RdsServerArgs, RdsEngine, RdsPasswordMode, RdsStorageType, RdsDefaults, RdsEngineDefaults } from "./rdsInstance";
export { RDS_TLS_PARAMETER, isProductionStack } from "./facts";
