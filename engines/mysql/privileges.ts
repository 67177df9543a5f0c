/**
 * What each Deployment gets on a MySQL server (seed 000 steps 2-3, MySQL tab), and the facts about the
 * @pulumi/mysql provider (a bridge of hashicorp/terraform-provider-mysql v1.9.0) that the component and
 * the SQL builders both rely on. Pure code: no Pulumi here.
 *
 * Read in the provider's source at v1.9.0 (mysql/resource_*.go):
 * - `mysql_database` defaults to `utf8` / `utf8_general_ci` (utf8mb3): both must be set explicitly.
 * - `mysql_user` runs `CREATE USER '<user>'@'<host>' IDENTIFIED BY '<password>' REQUIRE <tls_option>`
 *   (tls_option defaults to NONE); user, host and password are put between quotes unescaped. It keeps an
 *   unsalted hash of `plaintext_password` in the state (the deprecated `password` keeps it in clear).
 *   Changing the password runs `ALTER USER ... IDENTIFIED BY`; `host` and `tls_option` force a new user.
 * - `mysql_grant` runs one `GRANT <privileges> ON <database>.<table> TO '<user>'@'<host>'` and revokes
 *   nothing first, so privileges granted outside Pulumi stay. Its read only checks that SHOW GRANTS works:
 *   a revoked privilege is never seen as drift (that is what `astro-db audit` is for). Every input forces
 *   a new grant, and its delete revokes the listed privileges: replaced create-before-delete, the old
 *   grant's delete would revoke what the new one just granted, hence `deleteBeforeReplace`.
 *   The database is wrapped in backticks without escaping, and GRANT reads `_` and `%` in it as
 *   wildcards: the component passes the escaped pattern (`airflow\_db\_x`).
 * - On MySQL 8.0.1 and later (its test: `@@innodb_version` > 8.0.0) GRANT gets no REQUIRE clause.
 */

/**
 * The Astro user's privileges on its own database (`<database>.*`): every static privilege that MySQL
 * grants at database level, i.e. what `GRANT ALL PRIVILEGES ON <database>.*` (seed 000) means on MySQL
 * 8.0 and 8.4, spelt out and without GRANT OPTION. Spelt out because `ALL` means a different set on
 * each engine (MariaDB adds DELETE HISTORY and, from 11.3, SHOW CREATE ROUTINE) and because the audit
 * compares lists. RDS's master user holds each of them WITH GRANT OPTION, so RDS accepts the grant.
 * README "MySQL privileges" says why each is there.
 */
export const MYSQL_PRIVILEGES = [
    // Airflow's rows.
    "SELECT", "INSERT", "UPDATE", "DELETE",
    // Airflow's schema migrations (alembic): tables, indexes, foreign keys (REFERENCES, MySQL 8.0.22+).
    "CREATE", "DROP", "ALTER", "INDEX", "REFERENCES",
    // Session scratch tables and table locks, which dump/restore tools (mysqldump without --single-transaction) use.
    "CREATE TEMPORARY TABLES", "LOCK TABLES",
    // The rest of the database-level set, so the Astro user owns its database as seed 000 intends:
    // views, routines, events and triggers a provider package or a DBA's migration may create.
    "EXECUTE", "CREATE VIEW", "SHOW VIEW", "CREATE ROUTINE", "ALTER ROUTINE", "EVENT", "TRIGGER",
] as const;

export type MysqlPrivilege = (typeof MYSQL_PRIVILEGES)[number];

/**
 * Character set and collation of each Deployment's database. utf8mb4 holds any Unicode text (utf8 is
 * utf8mb3 on MySQL 8). utf8mb4_unicode_ci is the collation Airflow's documentation gives for MySQL and
 * exists on MySQL 5.7-8.4 and every MariaDB; MySQL 8's own default utf8mb4_0900_ai_ci does not exist
 * on MariaDB 10.x (the test server), so a database made with it could not be reproduced there.
 */
export const MYSQL_CHARACTER_SET = "utf8mb4";
export const MYSQL_COLLATION = "utf8mb4_unicode_ci";

/** The Astro user's host part: Airflow connects from pods whose addresses change. */
export const MYSQL_ACCOUNT_HOST = "%";

/**
 * The Astro user's `REQUIRE` clause: none per account, because TLS is required for every account by
 * the server (`require_secure_transport=1` in the RDS parameter group), as PostgreSQL does with
 * `rds.force_ssl`. The provider cannot change it later without dropping the user.
 */
export const MYSQL_USER_TLS_OPTION = "NONE";

/**
 * The provider's `tls` setting (go-sql-driver: "true" verifies against the system's roots, "skip-verify"
 * encrypts without verifying, "false" is plain text; v1.9.0 accepts nothing else). RDS certificates are
 * signed by the RDS CA, which system trust stores lack, so "true" fails out of the box: "skip-verify"
 * is the MySQL twin of PostgreSQL's `sslmode=require`.
 */
export const MYSQL_PROVIDER_TLS = "skip-verify";

/** The GRANT pattern that matches exactly `database`: `_` and `%` escaped (they are wildcards in GRANT). */
export function grantDatabasePattern(database: string): string {
    return database.replace(/[_%]/g, (c) => `\\${c}`);
}

/** The database name a GRANT pattern matches exactly, or undefined when the pattern has an unescaped wildcard. */
export function databaseOfGrantPattern(pattern: string): string | undefined {
    if (/(^|[^\\])[_%]/.test(pattern.replace(/\\\\/g, ""))) return undefined;
    return pattern.replace(/\\([_%\\])/g, "$1");
}

/**
 * Characters the provider puts between quotes without escaping them: a name holding one would break
 * (or change) its statements. Problems as sentences with the fix; empty when the names are safe.
 */
export function checkMysqlProviderNames(names: { database: string; user: string; host?: string }): string[] {
    const problems: string[] = [];
    if (/[`'"\\]/.test(names.database)) {
        problems.push(`database "${names.database}" contains a quote, backtick or backslash, which the mysql provider does not escape: choose a name of letters, digits and _`);
    }
    for (const [what, value] of [["user", names.user], ["host", names.host ?? MYSQL_ACCOUNT_HOST]] as const) {
        if (/['"\\`]/.test(value)) {
            problems.push(`${what} "${value}" contains a quote, backtick or backslash, which the mysql provider does not escape: choose a name of letters, digits and _`);
        }
    }
    return problems;
}

/** Password characters the provider cannot pass (it writes `IDENTIFIED BY '<password>'` unescaped). */
export function checkMysqlProviderPassword(password: string): string[] {
    return /['\\]/.test(password) ? ["the password contains ' or \\, which the mysql provider writes into its SQL unescaped: choose another password"] : [];
}

/** The provider's `endpoint`: `host:port`, an IPv6 address in brackets (as go-sql-driver reads it). */
export function mysqlProviderEndpoint(host: string, port: number): string {
    const bare = host.replace(/^\[(.*)\]$/, "$1");
    return bare.includes(":") ? `[${bare}]:${port}` : `${bare}:${port}`;
}
