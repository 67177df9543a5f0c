/** astro-db's public surface: the components and the pure helpers they are built on. */
export { AirflowDeploymentDatabase, AirflowDeploymentDatabaseArgs, FailoverArgs, ServerEndpoint } from "./airflowDeployment";
export * as astronomer from "./astronomer";
export { RdsServer, RdsServerArgs, rdsDefaults, parameterGroupFamily, replacementInputs } from "./aws";
export { DeploymentSecrets, DeploymentSecretsArgs } from "./kubernetes/deploymentSecrets";
export { DeploymentAccess, DeploymentAccessArgs } from "./postgres/deploymentAccess";
export { FailoverRoles, FailoverRolesArgs } from "./postgres/failoverRoles";
export { FailoverUsers, failoverSetupSql } from "../engines/postgres/failover";
export { RoleMembership, RoleMembershipArgs, PgConnectionArgs } from "./postgres/roleMembership";
export { MysqlDeploymentAccess, MysqlDeploymentAccessArgs } from "./mysql/deploymentAccess";
export { MYSQL_PRIVILEGES } from "../engines/mysql/privileges";
export { PG_PRIVILEGES } from "../engines/postgres/privileges";
export { DatabaseRemoval, DatabaseRemovalArgs } from "./databaseRemoval";
export { removalStatements } from "../engines/removal";
export { retentionState, RetentionState } from "./retention";
export * as names from "./names";
