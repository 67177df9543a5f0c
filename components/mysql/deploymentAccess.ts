import * as pulumi from "@pulumi/pulumi";
import * as mysql from "@pulumi/mysql";
import { generatedPassword } from "../password";
import {
    checkMysqlProviderNames, checkMysqlProviderPassword, grantDatabasePattern,
    MYSQL_ACCOUNT_HOST, MYSQL_CHARACTER_SET, MYSQL_COLLATION, MYSQL_PRIVILEGES, MYSQL_USER_TLS_OPTION,
} from "../../engines/mysql/privileges";

export const MYSQL_DEPLOYMENT_ACCESS_TYPE = "astro-db:mysql:DeploymentAccess";

export interface MysqlDeploymentAccessArgs {
    /** The Deployment's metadata database (`airflow_db_<id>`), at most 64 characters. */
    readonly database: string;
    /** The Astro user (`astro_<id>`), at most 32 characters. */
    readonly user: string;
    /** The user's host part. Defaults to `%` (any host: Airflow's pods). */
    readonly host?: string;
    /** The Astro user's password. Defaults to a generated 32-character password. */
    readonly password?: pulumi.Input<string>;
    /** Privileges on `<database>.*`. Defaults to MYSQL_PRIVILEGES (every database-level privilege but GRANT OPTION). */
    readonly privileges?: readonly string[];
    /** The database's default character set. Defaults to `utf8mb4`. */
    readonly characterSet?: string;
    /** The database's default collation. Defaults to `utf8mb4_unicode_ci` (exists on MySQL and MariaDB). */
    readonly collation?: string;
    /** The user's `REQUIRE` clause (NONE, SSL, X509); changing it replaces the user. Defaults to NONE: the server requires TLS. */
    readonly tlsOption?: string;
    /**
     * Whether the Astro user may use its database. The provider cannot lock an account, so false removes
     * the grant (its delete revokes the privileges) and keeps the user and the data. Defaults to true.
     */
    readonly loginEnabled?: boolean;
    /** Pulumi `protect` on the database and user. Defaults to false. */
    readonly protect?: boolean;
}

/**
 * One Deployment's database, Astro user and grant on MySQL (seed 000 steps 2-3): the same public shape
 * as the PostgreSQL DeploymentAccess. The user has no privilege outside `<database>.*` (the grant's
 * database is the escaped pattern, so `_` matches only `_`). Every name is explicit.
 */
export class MysqlDeploymentAccess extends pulumi.ComponentResource {
    public readonly databaseName: pulumi.Output<string>;
    public readonly userName: pulumi.Output<string>;
    /** Secret. */
    public readonly password: pulumi.Output<string>;
    public readonly database: mysql.Database;
    public readonly user: mysql.User;
    /** The grant on `<database>.*`; empty while login is disabled. */
    public readonly grants: mysql.Grant[];

    constructor(name: string, args: MysqlDeploymentAccessArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super(MYSQL_DEPLOYMENT_ACCESS_TYPE, name, {}, opts);
        const host = args.host ?? MYSQL_ACCOUNT_HOST;
        const privileges = [...(args.privileges ?? MYSQL_PRIVILEGES)];
        const loginEnabled = args.loginEnabled ?? true;
        const protect = args.protect ?? false;
        const problems = checkMysqlProviderNames({ database: args.database, user: args.user, host });
        if (privileges.length === 0) problems.push("privileges is empty: give at least one privilege, or set loginEnabled: false");
        if (problems.length) throw new pulumi.ResourceError(`MysqlDeploymentAccess "${name}": ${problems.join("; ")}`, this);
        // A database or user dropped by a rename or a removal would lose Airflow's history: keep them.
        const keep: pulumi.CustomResourceOptions = { parent: this, protect, retainOnDelete: true };

        const password = args.password !== undefined
            ? pulumi.secret(pulumi.output(args.password).apply((p) => {
                const bad = checkMysqlProviderPassword(p);
                if (bad.length) throw new pulumi.ResourceError(`MysqlDeploymentAccess "${name}": ${bad.join("; ")}`, this);
                return p;
            }))
            : generatedPassword(`${name}-password`, this);

        this.database = new mysql.Database(`${name}-database`, {
            name: args.database,
            // The provider's defaults are utf8 / utf8_general_ci: always set both.
            defaultCharacterSet: args.characterSet ?? MYSQL_CHARACTER_SET,
            defaultCollation: args.collation ?? MYSQL_COLLATION,
        }, keep);

        this.user = new mysql.User(`${name}-user`, {
            user: args.user,
            host,
            // Not `password`: that deprecated input keeps the password in clear in the provider's state.
            plaintextPassword: password,
            tlsOption: args.tlsOption ?? MYSQL_USER_TLS_OPTION,
        }, keep);

        this.grants = [];
        if (loginEnabled) {
            this.grants.push(new mysql.Grant(`${name}-grant`, {
                user: args.user,
                host,
                database: grantDatabasePattern(args.database),
                table: "*",
                privileges,
                grant: false,
            }, {
                parent: this,
                dependsOn: [this.database, this.user],
                // Every input forces a replacement, and the old grant's delete revokes its privileges:
                // created first, the new grant would lose what the two lists share.
                deleteBeforeReplace: true,
                // A grant that leaves the stack is revoked, unless the database leaves with it (retained, or
                // dropped by a DatabaseRemoval together with the user): then there is nothing to revoke.
                deletedWith: this.database,
            }));
        }

        this.databaseName = this.database.name;
        this.userName = this.user.user;
        this.password = pulumi.secret(password);
        this.registerOutputs({ databaseName: this.databaseName, userName: this.userName, password: this.password });
    }
}
