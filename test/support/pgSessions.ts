/**
 * Acting as PostgreSQL roles in integration tests: admin connections for the dynamic providers, and
 * sessions opened as a given role whose death (pg_terminate_backend) the test can observe.
 */
import { Client } from "pg";
import { withPgClient as withPg, type PgConnection } from "../../components/postgres/roleMembership";
import type { PgServer } from "./servers";

export { withPg };

/** The admin connection a provider gets as its (secret) input. */
export function adminConnection(server: PgServer, database = "postgres"): PgConnection {
    return { host: server.host, port: server.port, user: server.adminUser, password: server.adminPassword, database, sslmode: "disable" };
}

/** Runs statements one by one as the admin. */
export async function adminSql(server: PgServer, statements: string[], database = "postgres"): Promise<void> {
    await withPg({ connectionString: server.adminUrl.replace(/\/postgres$/, `/${database}`) }, async (c) => {
        for (const s of statements) await c.query(s);
    });
}

/** A session opened as `user`, remembering whether the server ended it. */
export interface RoleSession {
    client: Client;
    pid: number;
    /** Resolves with the error once the server closes the connection (e.g. after pg_terminate_backend). */
    ended: Promise<Error | undefined>;
    close(): Promise<void>;
}

export async function openSession(server: PgServer, user: string, password: string, database: string): Promise<RoleSession> {
    const client = new Client({ host: server.host, port: server.port, user, password, database, connectionTimeoutMillis: 5_000 });
    let resolveEnded!: (e: Error | undefined) => void;
    const ended = new Promise<Error | undefined>((r) => (resolveEnded = r));
    client.on("error", (e) => resolveEnded(e));
    client.on("end", () => resolveEnded(undefined));
    await client.connect();
    const pid = (await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0].pid;
    return { client, pid, ended, close: () => client.end().catch(() => undefined) };
}

/** The error message of a rejected promise, or undefined when it resolved. */
export async function failureOf(p: Promise<unknown>): Promise<string | undefined> {
    try {
        await p;
        return undefined;
    } catch (e) {
        return (e as Error).message;
    }
}
