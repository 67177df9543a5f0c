/**
 * Connections to a PostgreSQL server as its admin, from an admin URL
 * (`postgresql://user:password@host:port/postgres?sslmode=...`), and error messages that never
 * carry the password.
 */
import { maskUrl } from "./maskUrl";
import type { Command } from "commander";
import { Client } from "pg";

export interface AdminUrl {
    host: string;
    port: number;
    user: string;
    /** The database the URL names (the maintenance database); `postgres` when it names none. */
    database: string;
    /** Whether the URL carries a password (else libpq's PGPASSWORD / .pgpass rules apply in pg too). */
    hasPassword: boolean;
}

function parse(url: string): URL {
    let u: URL;
    try {
        u = new URL(url);
    } catch {
        // Never repeat the URL: it may carry a password.
        throw new Error("--admin-url is not a URL: expected postgresql://user:password@host:port/postgres");
    }
    if (u.protocol !== "postgresql:" && u.protocol !== "postgres:") {
        throw new Error(`--admin-url has the scheme ${u.protocol}//: expected postgresql://`);
    }
    return u;
}

export function parseAdminUrl(url: string): AdminUrl {
    const u = parse(url);
    const database = decodeURIComponent(u.pathname.replace(/^\//, "")) || "postgres";
    return {
        host: u.hostname.replace(/^\[(.*)\]$/, "$1"),
        port: u.port === "" ? 5432 : Number(u.port),
        user: decodeURIComponent(u.username) || process.env.PGUSER || "postgres",
        database,
        hasPassword: u.password !== "",
    };
}

export { maskUrl };

/** A connected client for `database` (default: the URL's own), as the URL's user. */
export async function connectAdmin(url: string, database?: string): Promise<Client> {
    const u = parse(url);
    if (database !== undefined) u.pathname = `/${encodeURIComponent(database)}`;
    const client = new Client({ connectionString: u.toString(), connectionTimeoutMillis: 15_000, application_name: "astro-db" });
    // An idle client whose server goes away emits 'error'; the next query reports it instead.
    client.on("error", () => undefined);
    try {
        await client.connect();
    } catch (err) {
        throw new Error(`cannot connect to ${maskUrl(u.toString())}: ${pgErrorMessage(err)}`);
    }
    return client;
}

/** A pg error as one line: message, then detail and hint when PostgreSQL gives them. */
export function pgErrorMessage(err: unknown): string {
    const e = err as { message?: string; detail?: string; hint?: string; code?: string };
    const parts = [e.message ?? String(err)];
    if (e.detail) parts.push(`DETAIL: ${e.detail}`);
    if (e.hint) parts.push(`HINT: ${e.hint}`);
    if (e.code) parts.push(`(SQLSTATE ${e.code})`);
    return parts.join(" ");
}

/** The options every command that reads a stack takes: --stack and --stack-file (mapped to `file`). */
export function stackCommandOptions(command: Command): Command {
    return command
        .requiredOption("-s, --stack <name>", "stack name (stacks/Pulumi.<name>.yaml)")
        .option("--stack-file <path>", "read the stack's config from this file instead of stacks/Pulumi.<name>.yaml");
}

/** The options every command that works on a live server takes: the stack's, --admin-url, --server. */
export function serverCommandOptions(command: Command): Command {
    return stackCommandOptions(command)
        .requiredOption(
            "--admin-url <url>",
            "the server's admin: postgresql://admin:password@host:5432/postgres for a PostgreSQL server, " +
                "mysql://admin:password@host:3306/ (optional ?ssl-mode=…&ssl-ca=…) for a MySQL one (or set ASTRO_DB_ADMIN_URL)",
            process.env.ASTRO_DB_ADMIN_URL,
        )
        .option("--server <name>", "the stack's server (when it has several of the admin URL's engine)");
}
