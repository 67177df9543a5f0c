/** Public surface of the MySQL components: per-Deployment access and the facts it is built from. */
export { MysqlDeploymentAccess, MYSQL_DEPLOYMENT_ACCESS_TYPE } from "./deploymentAccess";
export type { MysqlDeploymentAccessArgs } from "./deploymentAccess";
export {
    MYSQL_PRIVILEGES,
    MYSQL_CHARACTER_SET,
    MYSQL_COLLATION,
    MYSQL_ACCOUNT_HOST,
    MYSQL_USER_TLS_OPTION,
    MYSQL_PROVIDER_TLS,
    grantDatabasePattern,
    databaseOfGrantPattern,
    checkMysqlProviderNames,
    checkMysqlProviderPassword,
    mysqlProviderEndpoint,
} from "../../engines/mysql/privileges";
export type { MysqlPrivilege } from "../../engines/mysql/privileges";
