/**
 * `postgresql:index/database:Database`. The provider (resource_postgresql_database.go) runs `CREATE
 * DATABASE ... OWNER ... TEMPLATE template0 ENCODING 'UTF8' ... CONNECTION LIMIT -1` outside a
 * transaction; a non-superuser is made a member of the owner around it.
 */
import { bool, num, requiredStr, str } from "../../inputs";
import * as sql from "../statements";
import { PgDeclaration, Translator } from "../../model";
import { aclColumns, asOwners, step } from "./common";

export const TYPE = "postgresql:index/database:Database";

/** Every database with its owner and effective ACL (NULL datacl means the built-in default, so acldefault). */
export const READ_DATABASES = "SELECT d.datname AS name, pg_catalog.pg_get_userbyid(d.datdba) AS owner, e.* FROM pg_catalog.pg_database d " +
    `LEFT JOIN LATERAL (SELECT e.* FROM (SELECT 1) AS one ${aclColumns("coalesce(d.datacl, pg_catalog.acldefault('d', d.datdba))")}) AS e ON true`;

export const translate: Translator = (r, ctx) => {
    const name = requiredStr(r, "name");
    const owner = str(r, "owner") ?? ctx.adminUser;
    const declares: PgDeclaration[] = [{ engine: "postgres", type: "database", name, owner }];
    const create = sql.createDatabase({
        name, owner,
        template: str(r, "template"),
        encoding: str(r, "encoding"),
        lcCollate: str(r, "lcCollate"),
        lcCtype: str(r, "lcCtype"),
        connectionLimit: num(r, "connectionLimit", -1),
        allowConnections: bool(r, "allowConnections", true),
        isTemplate: bool(r, "isTemplate", false),
    });
    const ownerRoles = owner === ctx.adminUser ? [] : [sql.namedRolesQuery([owner])];
    return [
        step(r, {
            kind: "database", action: "create", database: ctx.maintenanceDatabase, transactional: false,
            guard: sql.databaseMissing(name),
            // Not in a transaction, so the temporary membership lasts for the session.
            statements: () => asOwners(ctx, ownerRoles, [create], false),
            declares,
        }),
        step(r, {
            kind: "database", action: "ensure", transactional: true,
            statements: () => asOwners(ctx, [sql.databaseOwnerQuery(name), ...ownerRoles], [sql.alterDatabaseOwner(name, owner)]),
            declares,
        }),
    ];
};
