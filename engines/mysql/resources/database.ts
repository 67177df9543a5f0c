/**
 * `mysql:index/database:Database`. The provider (resource_database.go) runs `CREATE DATABASE ...
 * CHARACTER SET ... COLLATE ...`, and `ALTER DATABASE` when they drift (its defaults: utf8 / utf8_general_ci).
 */
import { requiredStr, str } from "../../inputs";
import * as sql from "../statements";
import { Translator } from "../../model";
import { MYSQL_PROVIDER_DEFAULTS, step } from "./common";

export const TYPE = "mysql:index/database:Database";

/** Every database with its default character set and collation. */
export const READ_DATABASES = "SELECT SCHEMA_NAME AS name, DEFAULT_CHARACTER_SET_NAME AS cs, DEFAULT_COLLATION_NAME AS co FROM information_schema.SCHEMATA";

export const translate: Translator = (r) => {
    const name = requiredStr(r, "name");
    const o = {
        name,
        characterSet: str(r, "defaultCharacterSet") ?? MYSQL_PROVIDER_DEFAULTS.characterSet,
        collation: str(r, "defaultCollation") ?? MYSQL_PROVIDER_DEFAULTS.collation,
    };
    return [
        step(r, { kind: "database", action: "create", statements: () => [sql.createDatabase(o)], declares: [{ engine: "mysql", type: "database", name }] }),
        step(r, { kind: "database", action: "ensure", statements: () => [sql.alterDatabase(o)], declares: [{ engine: "mysql", type: "database-charset", ...o }] }),
    ];
};
