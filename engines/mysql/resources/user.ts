/**
 * `mysql:index/user:User`. The provider (resource_user.go) runs `CREATE USER '<user>'@'<host>'
 * IDENTIFIED BY ... REQUIRE <tls_option>` (host defaults to localhost, tls_option to NONE).
 */
import { fail, requiredStr, str } from "../../inputs";
import * as sql from "../statements";
import { Translator } from "../../model";
import { declaredPassword, MYSQL_PROVIDER_DEFAULTS, step } from "./common";

export const TYPE = "mysql:index/user:User";

/** Every account with its REQUIRE clause (ssl_type: '', ANY, X509, SPECIFIED). */
export const READ_ACCOUNTS = "SELECT User AS user, Host AS host, ssl_type AS sslType FROM mysql.user";

export const translate: Translator = (r) => {
    const name = requiredStr(r, "user");
    const host = str(r, "host") ?? MYSQL_PROVIDER_DEFAULTS.host;
    const tlsOption = (str(r, "tlsOption") ?? MYSQL_PROVIDER_DEFAULTS.tlsOption).toUpperCase();
    if (str(r, "authPlugin") !== undefined) fail(r, "authentication plugins (authPlugin) are not supported by astro-db");
    if (r.inputs.plaintextPassword === undefined && r.inputs.password === undefined) {
        fail(r, "a user without a password would be created with an empty one: set plaintextPassword");
    }
    return [
        step(r, {
            kind: "user", action: "create",
            statements: (c) => sql.createUser(name, host, c.password(name), tlsOption),
            declares: [{ engine: "mysql", type: "user", user: name, host }],
            setsPasswordOf: name,
            declaredPassword: declaredPassword(r),
        }),
        step(r, {
            kind: "user", action: "ensure",
            statements: () => [sql.alterUserRequire(name, host, tlsOption)],
            declares: [{ engine: "mysql", type: "user-tls", user: name, host, tlsOption }],
        }),
    ];
};
