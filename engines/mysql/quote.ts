/** MySQL quoting: identifiers, string literals and accounts. Every builder in statements.ts quotes with these. */

function refuse(s: string, what: string): void {
    if (s.includes("\0")) throw new Error(`the ${what} contains a NUL character, which MySQL cannot take`);
}

/** An identifier, always backquoted with embedded backquotes doubled: a`b -> `a``b`. */
export function quoteIdent(name: string): string {
    refuse(name, "identifier");
    if (name.length === 0) throw new Error("an SQL identifier cannot be empty");
    return `\`${name.replace(/`/g, "``")}\``;
}

/**
 * A string literal: `it's` -> `'it''s'`. A backslash is refused: whether it escapes depends on the
 * server's sql_mode (NO_BACKSLASH_ESCAPES), so no single spelling is right on every server.
 */
export function quoteString(value: string): string {
    refuse(value, "string literal");
    if (value.includes("\\")) throw new Error("a MySQL string literal with a backslash reads differently under NO_BACKSLASH_ESCAPES: choose a value without one");
    return `'${value.replace(/'/g, "''")}'`;
}

/** An account: `'user'@'host'`. */
export function account(user: string, host: string): string {
    return `${quoteString(user)}@${quoteString(host)}`;
}
