/**
 * MySQL statement builders: pure functions from names and privilege lists to SQL text, quoted with
 * quote.ts. Every piece of code that emits or runs MySQL SQL builds it here, so the provider's
 * statement shapes live in one place.
 *
 * The shapes are those of hashicorp/terraform-provider-mysql v1.9.0, which @pulumi/mysql runs (see
 * ./privileges.ts): `CREATE DATABASE` with backquoted character set and collation, `CREATE USER ...
 * IDENTIFIED BY ... REQUIRE <tls>`, a Grant as one `GRANT` (nothing revoked first) and its delete as
 * `REVOKE GRANT OPTION` then `REVOKE <list>`. Unlike the provider, every name is quoted and escaped here.
 */
import { account, quoteIdent, quoteString } from "./quote";

const PRIVILEGE = /^[A-Z]+( [A-Z]+)*$/;

function privilegeList(privileges: readonly string[]): string {
    if (privileges.length === 0) throw new Error("a GRANT needs at least one privilege");
    for (const p of privileges) {
        // Privileges are keywords: accept only words, never text that could carry SQL.
        if (!PRIVILEGE.test(p)) throw new Error(`"${p}" is not a privilege keyword (e.g. SELECT, CREATE TEMPORARY TABLES)`);
    }
    return privileges.join(", ");
}

/** `<pattern>.<table>`: the database as a GRANT pattern (see grantDatabasePattern), `*` for every table. */
function grantTarget(databasePattern: string, table = "*"): string {
    return `${quoteIdent(databasePattern)}.${table === "*" ? "*" : quoteIdent(table)}`;
}

const TLS_OPTION = /^(NONE|SSL|X509)$/;

function tlsClause(tlsOption: string): string {
    if (!TLS_OPTION.test(tlsOption)) throw new Error(`tls option "${tlsOption}" is not NONE, SSL or X509`);
    return ` REQUIRE ${tlsOption}`;
}

export interface DatabaseOptions {
    name: string;
    characterSet: string;
    collation: string;
}

/**
 * `CREATE DATABASE `<name>` CHARACTER SET `<cs>` COLLATE `<collation>`` (the provider's create), with
 * IF NOT EXISTS so that a script may run twice.
 */
export function createDatabase(o: DatabaseOptions): string {
    return `CREATE DATABASE IF NOT EXISTS ${quoteIdent(o.name)} CHARACTER SET ${quoteIdent(o.characterSet)} COLLATE ${quoteIdent(o.collation)}`;
}

/** The provider's update of a database whose character set or collation drifted. */
export function alterDatabase(o: DatabaseOptions): string {
    return `ALTER DATABASE ${quoteIdent(o.name)} CHARACTER SET ${quoteIdent(o.characterSet)} COLLATE ${quoteIdent(o.collation)}`;
}

export function dropDatabase(name: string): string {
    return `DROP DATABASE ${quoteIdent(name)}`;
}

/**
 * A password in a statement is SQL: a quoted literal (apply: see quoteString), or a user variable that
 * a script's reader sets first (`SET @astro_db_password_<user> = '...'`). IDENTIFIED BY takes only a
 * literal, so a statement with a variable runs as a prepared statement built around its value.
 */
export function passwordVariable(user: string): string {
    // Variable names are letters, digits, _, $ and .: anything else is spelt as its code point.
    return `@astro_db_password_${user.replace(/[^A-Za-z0-9_]/g, (c) => `$${c.codePointAt(0)!.toString(16)}`)}`;
}

const VARIABLE = /^@[A-Za-z0-9_$.]+$/;

function withPassword(before: string, passwordSql: string, after: string): string[] {
    if (!VARIABLE.test(passwordSql)) {
        if (!/^'([^'\\]|'')*'$/.test(passwordSql)) throw new Error("a password must be a quoted literal or a user variable");
        return [`${before}${passwordSql}${after}`];
    }
    const text = (s: string) => s.replace(/'/g, "''");
    return [
        `SET @astro_db_statement = CONCAT('${text(before)}', QUOTE(${passwordSql}), '${text(after)}')`,
        "PREPARE astro_db_statement FROM @astro_db_statement",
        "EXECUTE astro_db_statement",
        "DEALLOCATE PREPARE astro_db_statement",
    ];
}

/**
 * `statement` behind a user variable that must be exactly `1` (`SET @confirm_drop = 1;` before the
 * script): the mysql client has no `\if`, so it runs as a prepared statement that is `DO 0` (nothing)
 * unless the variable's bytes are `1`; unset (NULL), 0, 'yes' or '1 ' run nothing.
 */
export function onlyIfConfirmed(variable: string, statements: readonly string[], skipped: string): string[] {
    if (!VARIABLE.test(`@${variable}`)) throw new Error(`not a user variable name: ${variable}`);
    const confirmed = `CAST(@${variable} AS BINARY) = _binary'1'`;
    return [
        `SELECT IF(${confirmed}, 'astro-db: confirmed', ${quoteString(skipped)}) AS astro_db`,
        ...statements.flatMap((statement) => [
            `SET @astro_db_statement = IF(${confirmed}, ${quoteString(statement)}, 'DO 0')`,
            "PREPARE astro_db_statement FROM @astro_db_statement",
            "EXECUTE astro_db_statement",
            "DEALLOCATE PREPARE astro_db_statement",
        ]),
    ];
}

/**
 * `CREATE USER 'u'@'h' IDENTIFIED BY '<password>' REQUIRE <tls>` (the provider's create on MySQL 5.7+),
 * with IF NOT EXISTS so that a script may run twice.
 */
export function createUser(user: string, host: string, passwordSql: string, tlsOption: string): string[] {
    return withPassword(`CREATE USER IF NOT EXISTS ${account(user, host)} IDENTIFIED BY `, passwordSql, tlsClause(tlsOption));
}

/** The provider's password change (MySQL 5.7.6+). */
export function alterUserPassword(user: string, host: string, passwordSql: string): string[] {
    return withPassword(`ALTER USER ${account(user, host)} IDENTIFIED BY `, passwordSql, "");
}

/** Brings an account's REQUIRE clause to `tlsOption` (the provider would replace the user). */
export function alterUserRequire(user: string, host: string, tlsOption: string): string {
    return `ALTER USER ${account(user, host)}${tlsClause(tlsOption)}`;
}

export function dropUser(user: string, host: string): string {
    return `DROP USER ${account(user, host)}`;
}

/** `GRANT <privileges> ON `<pattern>`.* TO 'u'@'h'` (on MySQL 8.0.1+ the provider adds no REQUIRE). */
export function grant(privileges: readonly string[], databasePattern: string, user: string, host: string, table = "*"): string {
    return `GRANT ${privilegeList(privileges)} ON ${grantTarget(databasePattern, table)} TO ${account(user, host)}`;
}

/** `REVOKE <privileges> ON `<pattern>`.* FROM 'u'@'h'`; every privilege there (`ALL`) when none are given. */
export function revoke(databasePattern: string, user: string, host: string, privileges?: readonly string[], table = "*"): string {
    const what = privileges === undefined ? "ALL PRIVILEGES" : privilegeList(privileges);
    return `REVOKE ${what} ON ${grantTarget(databasePattern, table)} FROM ${account(user, host)}`;
}

/** The provider's delete of a Grant: the grant option first, then the listed privileges. */
export function deleteGrant(privileges: readonly string[], databasePattern: string, user: string, host: string, table = "*"): string[] {
    return [
        `REVOKE GRANT OPTION ON ${grantTarget(databasePattern, table)} FROM ${account(user, host)}`,
        revoke(databasePattern, user, host, privileges, table),
    ];
}

export function showGrants(user: string, host: string): string {
    return `SHOW GRANTS FOR ${account(user, host)}`;
}

/** The grantee as information_schema's GRANTEE columns spell it: `'user'@'host'`. */
export function informationSchemaGrantee(user: string, host: string): string {
    return `'${user.replace(/'/g, "''")}'@'${host.replace(/'/g, "''")}'`;
}

/** The statements a removal runs, in order: the database, then the Deployment's users (`'name'@'%'`). */
export function removalStatements(database: string, users: string[]): string[] {
    return [`DROP DATABASE IF EXISTS ${quoteIdent(database)}`, ...users.map((u) => `DROP USER IF EXISTS ${account(u, "%")}`)];
}
