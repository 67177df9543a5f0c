/** PostgreSQL quoting: identifiers, string literals and grantees. Every builder in statements.ts quotes with these. */

/** The pseudo-role every role is a member of. The provider calls it `public`; SQL spells it PUBLIC. */
export const PUBLIC_ROLE = "public";

function refuseNul(s: string, what: string): void {
    if (s.includes("\0")) throw new Error(`the ${what} contains a NUL character, which PostgreSQL cannot store`);
}

/** An identifier, always double-quoted with embedded quotes doubled: `a"b` -> `"a""b"`. */
export function quoteIdent(name: string): string {
    refuseNul(name, "identifier");
    if (name.length === 0) throw new Error("an SQL identifier cannot be empty");
    return `"${name.replace(/"/g, '""')}"`;
}

/** A string literal for standard_conforming_strings = on (the default since 9.1): `it's` -> `'it''s'`. */
export function quoteLiteral(value: string): string {
    refuseNul(value, "string literal");
    return `'${value.replace(/'/g, "''")}'`;
}

/** A grantee or owner: `public` is the keyword PUBLIC, anything else a quoted role name. */
export function quoteRole(role: string): string {
    return role === PUBLIC_ROLE ? "PUBLIC" : quoteIdent(role);
}
