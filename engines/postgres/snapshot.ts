/**
 * What `apply` and `audit` read of a PostgreSQL server before they compare or write, once per run:
 * over the maintenance connection the shared catalogs (roles, memberships, databases) and the
 * sessions, then every named Deployment database's contents over a few reader connections
 * (engines/readers.ts). The CLI starts it as soon as the stack's config names the databases, so the
 * reads overlap the stack program (README "Performance").
 */
import { setMaxListeners } from "events";
import type { Client } from "pg";
import type { LiveSessions } from "../audit";
import type { EarlyReads, ReadPurpose } from "../model";
import { readersFor } from "../readers";
import { type PgDatabaseContents, type PgState, readContentsOf, readServerState } from "./catalog";
import { connectAdmin } from "./client";

export interface PgSnapshot {
    /** Open until the reads are closed (apply writes through it); undefined when not kept (audit). */
    maintenance?: Client;
    /** The shared catalogs; `contents` empty. */
    state: PgState;
    sessions: LiveSessions;
    /** Each named database that exists: its contents, or the error reading it. */
    contents: Map<string, PgDatabaseContents | Error>;
}

interface PgQuery { query<R>(sql: string): Promise<{ rows: R[] }> }

/**
 * PostgreSQL: max_connections, the slots ordinary roles cannot take (superuser_reserved_connections,
 * PostgreSQL 16's reserved_connections, RDS's rds.rds_superuser_reserved_connections when the server
 * has it) and every client backend by database and role. pg_stat_activity shows every session's
 * database and role to any user, but another role's backend_type only to pg_read_all_stats (pg_monitor):
 * without it, a row with a role and no backend_type is another role's session (background processes have no role).
 */
export async function readPgSessions(c: PgQuery): Promise<LiveSessions> {
    const s = (await c.query<{ max: number; su: number; r: string | null; rds: string | null }>(
        "SELECT current_setting('max_connections')::int AS max, current_setting('superuser_reserved_connections')::int AS su, " +
        "current_setting('reserved_connections', true) AS r, current_setting('rds.rds_superuser_reserved_connections', true) AS rds",
    )).rows[0];
    const reserved = [{ setting: "superuser_reserved_connections", slots: s.su }];
    if (s.r !== null && s.r !== "" && Number(s.r) > 0) reserved.push({ setting: "reserved_connections", slots: Number(s.r) });
    if (s.rds !== null && s.rds !== "") reserved.push({ setting: "rds.rds_superuser_reserved_connections", slots: Number(s.rds) });
    const rows = (await c.query<{ datname: string | null; usename: string | null; n: number }>(
        "SELECT datname, usename, count(*)::int AS n FROM pg_stat_activity " +
        "WHERE backend_type = 'client backend' OR (backend_type IS NULL AND usename IS NOT NULL) GROUP BY 1, 2 ORDER BY 1, 2",
    )).rows;
    return { maxConnections: s.max, reserved, sessions: rows.map((r) => ({ database: r.datname, user: r.usename, count: r.n })) };
}

/** Reads begun for `databases` (those of them the server has), taken over by apply or audit (`snapshot`) or closed. */
export class PgReads implements EarlyReads {
    readonly snapshot: Promise<PgSnapshot>;
    /** Aborted by close(): no further database is read, and every connection still open is ended. */
    private readonly stop = new AbortController();
    private closed?: Promise<void>;

    constructor(readonly adminUrl: string, readonly databases: readonly string[], readonly purpose: ReadPurpose) {
        // Each open connection listens for the abort (the maintenance one, the readers', those closing): more than Node's default 10 may.
        setMaxListeners(0, this.stop.signal);
        this.snapshot = this.read();
        // Whoever awaits the snapshot sees its failure; until then it is not an unhandled rejection.
        this.snapshot.catch(() => undefined);
    }

    private async read(): Promise<PgSnapshot> {
        let maintenance: Client;
        try {
            maintenance = await connectAdmin(this.adminUrl, undefined, this.stop.signal);
        } catch (err) {
            throw this.stop.signal.aborted ? new Error("the reads were closed before they began") : err;
        }
        try {
            const state = await readServerState(maintenance);
            const sessions = await readPgSessions(maintenance);
            // Audit writes nothing: its connection is freed for the readers (counted in `sessions` still, so they leave a slot spare).
            const kept = this.purpose === "apply" ? maintenance : (await maintenance.end(), undefined);
            const existing = [...new Set(this.databases)].filter((db) => state.databases.has(db));
            const contents = existing.length && !this.stop.signal.aborted
                ? await readContentsOf(this.adminUrl, existing, readersFor(sessions), this.stop.signal)
                : new Map<string, PgDatabaseContents | Error>();
            return { maintenance: kept, state, sessions, contents };
        } catch (err) {
            await maintenance.end().catch(() => undefined);
            throw err;
        }
    }

    /**
     * Reads of databases the snapshot does not hold (not named, or not read before it was closed),
     * over as many readers as the sessions allow, into the snapshot's `contents`.
     */
    async readMissing(databases: readonly string[]): Promise<PgSnapshot> {
        const snapshot = await this.snapshot;
        const missing = [...new Set(databases)].filter((db) => !snapshot.contents.has(db));
        if (missing.length) {
            for (const [db, read] of await readContentsOf(this.adminUrl, missing, readersFor(snapshot.sessions), this.stop.signal)) snapshot.contents.set(db, read);
        }
        return snapshot;
    }

    /** Stops reading, ends every connection the reads hold (connecting or not), and waits until they are ended. */
    close(): Promise<void> {
        this.stop.abort();
        this.closed ??= this.snapshot.then(async (s) => void (await s.maintenance?.end()), () => undefined).catch(() => undefined);
        return this.closed;
    }
}

/**
 * Reads `early` if the engine began them for this admin URL and purpose, else new ones for no database in particular.
 * (The caller that began mismatched reads closes them.)
 */
export function takeOver(early: EarlyReads | undefined, adminUrl: string, purpose: ReadPurpose): PgReads {
    return early instanceof PgReads && early.adminUrl === adminUrl && early.purpose === purpose ? early : new PgReads(adminUrl, [], purpose);
}

/** Engine.startReads for PostgreSQL. */
export function startPgReads(adminUrl: string, databases: readonly string[], purpose: ReadPurpose): PgReads {
    return new PgReads(adminUrl, databases, purpose);
}
