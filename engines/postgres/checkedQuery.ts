/**
 * The one check that a GRANT or REVOKE took effect: PostgreSQL answers one by a role that neither owns
 * the object nor holds a grant option on it with a WARNING ("no privileges were granted/revoked",
 * SQLSTATE 01007/01006), not an error. Used by `astro-db apply` and `fence` (engines/postgres/client.ts) and by
 * the dynamic providers (RoleMembership, FenceFunction). It takes the client as an argument and
 * imports nothing of `pg`, so a serialized dynamic provider captures no driver.
 */
import type { Client } from "pg";
import { privilegeWarningFailure } from "./statements";

/** A GRANT or REVOKE that PostgreSQL answered with "no privileges were granted/revoked" (SQLSTATE 01007/01006). */
export class PrivilegeWarningError extends Error {
    readonly code: string;
    constructor(message: string, code: string) {
        super(message);
        this.name = "PrivilegeWarningError";
        this.code = code;
    }
}

/**
 * Runs `statement` as `user` and fails when PostgreSQL answers one of its GRANTs or REVOKEs with a
 * privilege warning instead of an error: then nothing (or not all) of it took effect. `shown` is the
 * statement as a message may print it (passwords as psql variables).
 */
export async function queryChecked(client: Pick<Client, "on" | "off" | "query">, statement: string, user: string, shown = statement): Promise<void> {
    const notices: { code?: string; message?: string }[] = [];
    const listen = (n: { code?: string; message?: string }) => notices.push(n);
    client.on("notice", listen);
    try {
        await client.query(statement);
    } finally {
        client.off("notice", listen);
    }
    for (const n of notices) {
        const why = privilegeWarningFailure(shown, n, user);
        if (why) throw new PrivilegeWarningError(why, n.code!);
    }
}
