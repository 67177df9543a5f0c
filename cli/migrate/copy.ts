/**
 * `astro-db migrate`, the I/O half: reads both catalogs, then copies in one transaction on the
 * target from one REPEATABLE READ snapshot of the source. What to do is decided in ./plan.ts.
 */
import type { Client, CustomTypesConfig } from "pg";
import { catalogQuery, connectPg } from "../../engines/postgres/client";
import { quoteIdent } from "../../engines/postgres/quote";
import { pgSupports } from "../../engines/postgres/versions";
import {
    type Catalog,
    type ColumnInfo,
    type ColumnPlan,
    EMPTIED_FIRST,
    type ForeignKey,
    GUARD_TABLE,
    MigrateRefused,
    SEED_003_TABLES,
    SESSION_SETTINGS,
    type TableCount,
    countsMatch,
    cursorSql,
    foreignKeyOrder,
    insertChunks,
    insertSql,
    nextFetchSize,
    planColumns,
    qualified,
    renderCounts,
    renderPlan,
    rowBytes,
    rowsPerInsert,
    selectTables,
    setvalSql,
} from "./plan";
import { maskUrl } from "../../engines/url";

export interface MigrateOptions {
    readonly from: string;
    readonly to: string;
    /** Schema of Airflow's tables in the target database (and in the source unless `sourceSchema`). */
    readonly schema: string;
    /** Schema of Airflow's tables in the source database. Defaults to `schema`. */
    readonly sourceSchema?: string;
    /** Defaults to seed 003's list. */
    readonly tables?: readonly string[];
    /** Migrate even when the target holds DAG runs. */
    readonly force: boolean;
    /** Rows per FETCH and per INSERT at most. */
    readonly batchSize: number;
    /** A progress line on stderr every this many rows of a table. */
    readonly progressEvery: number;
    /** Fewer rows per FETCH when rows are large, to keep a batch near this many bytes. Defaults to 16 MiB. */
    readonly maxBatchBytes?: number;
}

/** Where the report (stdout) and progress (stderr) go. */
export interface MigrateIo {
    out(text: string): void;
    err(text: string): void;
}

const DEFAULT_MAX_BATCH_BYTES = 16 * 1024 * 1024;
/** Rows in a table's first FETCH, before its row size is known. */
const FIRST_FETCH = 100;
const CURSOR = "astro_db_migrate";
const LOCK_TIMEOUT = "60s";

/** Every value as PostgreSQL's text form, written back as-is: no loss of precision (timestamps, numeric, bytea). */
const TEXT_VALUES: CustomTypesConfig = { getTypeParser: (() => (value: string) => value) as unknown as CustomTypesConfig["getTypeParser"] };

/** Copies the tables; returns the per-table counts. Throws MigrateRefused (exit 1) or any other error (exit 2). */
export async function migrate(o: MigrateOptions, io: MigrateIo): Promise<TableCount[]> {
    io.out(`from ${maskUrl(o.from)} (schema ${o.sourceSchema ?? o.schema})
to   ${maskUrl(o.to)} (schema ${o.schema})
`);
    const source = await connect(o.from, "--from");
    try {
        const target = await connect(o.to, "--to");
        try {
            return await migrateBetween(source, target, o, io);
        } finally {
            await target.end();
        }
    } finally {
        await source.end();
    }
}

async function migrateBetween(source: Client, target: Client, o: MigrateOptions, io: MigrateIo): Promise<TableCount[]> {
    await refuseSameDatabase(source, target);
    const requested = o.tables ?? SEED_003_TABLES;
    // The target's dag_run is read even when not migrated: the refusal holds for any --tables.
    const [sourceCatalog, targetCatalog] = await Promise.all([
        readCatalog(source, o.sourceSchema ?? o.schema, requested),
        readCatalog(target, o.schema, [...requested, GUARD_TABLE]),
    ]);
    const { tables, skipped } = selectTables(requested, sourceCatalog, targetCatalog);
    const order = foreignKeyOrder(tables, await readForeignKeys(target, o.schema));
    const plans = order.map((t) => planColumns(t, sourceCatalog.get(t)!, targetCatalog.get(t)!));
    io.out(renderPlan(order, skipped, plans));
    if (order.length === 0) throw new MigrateRefused("no table to migrate: none of the requested tables is in both databases");

    // One snapshot of the source, so the copied rows agree with each other and with its counts.
    await source.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    await target.query("BEGIN");
    try {
        await target.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
        await target.query(`LOCK TABLE ${order.map((t) => qualified(o.schema, t)).join(", ")} IN SHARE ROW EXCLUSIVE MODE`);
        await refuseIfRan(target, o.schema, targetCatalog, o.force, io);
        await emptyTarget(target, o.schema, order, io);

        const counts: TableCount[] = [];
        for (const plan of plans) counts.push(await copyTable(source, target, o, plan, io));
        io.out(renderCounts(counts));
        const bad = counts.filter((c) => !countsMatch(c)).map((c) => c.table);
        if (bad.length > 0) throw new MigrateRefused(`row counts differ for ${bad.join(", ")}; the target is left unchanged`);

        // Last, as a rollback does not undo setval.
        await setSequences(target, o.schema, order, io);
        await target.query("COMMIT");
        return counts;
    } catch (err) {
        await target.query("ROLLBACK").catch(() => undefined);
        throw err;
    } finally {
        await source.query("ROLLBACK").catch(() => undefined);
    }
}

/** Connecting is bounded by --connect-timeout; the catalog reads by --statement-timeout, the copy is not. */
async function connect(url: string, option: string): Promise<Client> {
    const client = await connectPg(url, { option, applicationName: "astro-db migrate", statementTimeout: false });
    try {
        for (const s of SESSION_SETTINGS) await catalogQuery(client, s);
    } catch (err) {
        await client.end().catch(() => undefined);
        throw err;
    }
    return client;
}

async function refuseIfRan(target: Client, schema: string, catalog: Catalog, force: boolean, io: MigrateIo): Promise<void> {
    if (!catalog.has(GUARD_TABLE)) return;
    const { rows } = await catalogQuery(target, `SELECT EXISTS (SELECT 1 FROM ${qualified(schema, GUARD_TABLE)}) AS ran`);
    if (!rows[0].ran) return;
    if (!force) {
        throw new MigrateRefused(
            `the target already holds DAG runs (${schema}.${GUARD_TABLE} is not empty): seed 003 migrates into a new Deployment only; ` +
                "--force replaces the target's rows in the migrated tables",
        );
    }
    io.err(`--force: the target holds DAG runs; its rows in the migrated tables are replaced\n`);
}

/** `connection` first as seed 003 does, then the others with referencing tables before the ones they reference. */
async function emptyTarget(target: Client, schema: string, order: readonly string[], io: MigrateIo): Promise<void> {
    const tables = [...order].reverse().sort((a, b) => Number(b === EMPTIED_FIRST) - Number(a === EMPTIED_FIRST));
    const emptied: string[] = [];
    for (const t of tables) {
        const { rowCount } = await target.query(`DELETE FROM ${qualified(schema, t)}`);
        if (rowCount) emptied.push(`${t} (${rowCount})`);
    }
    io.out(`rows deleted on the target first: ${emptied.join(", ") || "none"}\n`);
}

async function copyTable(source: Client, target: Client, o: MigrateOptions, plan: ColumnPlan, io: MigrateIo): Promise<TableCount> {
    const { table, columns } = plan;
    const sourceCount = await count(source, o.sourceSchema ?? o.schema, table);
    const started = Date.now();
    const perInsert = rowsPerInsert(columns.length, o.batchSize);
    const maxBytes = o.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
    let copied = 0;
    let avgRowBytes: number | undefined;
    let nextProgress = o.progressEvery;
    await source.query(cursorSql(CURSOR, o.sourceSchema ?? o.schema, table, columns));
    for (;;) {
        // Never past the next progress mark, so a line comes at every --progress-every rows exactly.
        const fetch = Math.min(nextFetchSize(o.batchSize, maxBytes, avgRowBytes, FIRST_FETCH), nextProgress - copied);
        const { rows } = await source.query<(string | null)[]>({ text: `FETCH ${fetch} FROM ${quoteIdent(CURSOR)}`, rowMode: "array", types: TEXT_VALUES });
        if (rows.length === 0) break;
        for (const chunk of insertChunks(rows, perInsert, maxBytes)) {
            await target.query(insertSql(o.schema, table, columns, chunk.length), chunk.flat());
        }
        copied += rows.length;
        avgRowBytes = rows.reduce((sum, r) => sum + rowBytes(r), 0) / rows.length;
        if (copied >= nextProgress) {
            io.err(`${table}: ${copied} / ${sourceCount} rows (${Math.floor((100 * copied) / Math.max(1, sourceCount))}%)\n`);
            while (nextProgress <= copied) nextProgress += o.progressEvery;
        }
    }
    await source.query(`CLOSE ${quoteIdent(CURSOR)}`);
    if (copied >= o.progressEvery) io.err(`${table}: ${copied} rows copied in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
    return { table, source: sourceCount, copied, target: await count(target, o.schema, table) };
}

async function count(client: Client, schema: string, table: string): Promise<number> {
    const { rows } = await client.query(`SELECT count(*) AS n FROM ${qualified(schema, table)}`);
    return Number(rows[0].n);
}

/** Sequences feeding the tables' columns: serial and identity (owned) and plain nextval() defaults. */
async function setSequences(target: Client, schema: string, tables: readonly string[], io: MigrateIo): Promise<void> {
    const { rows } = await target.query<{ table: string; column: string; sequence: string }>(
        `SELECT DISTINCT c.relname AS table, a.attname AS column, s.oid::regclass::text AS sequence
           FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
           LEFT JOIN pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
           JOIN pg_depend d ON d.refclassid = 'pg_class'::regclass AND (
                  (d.classid = 'pg_class'::regclass AND d.refobjid = c.oid AND d.refobjsubid = a.attnum AND d.deptype IN ('a', 'i'))
               OR (d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid))
           JOIN pg_class s ON s.oid = CASE WHEN d.classid = 'pg_attrdef'::regclass THEN d.refobjid ELSE d.objid END AND s.relkind = 'S'
          WHERE n.nspname = $1 AND c.relname = ANY($2)
          ORDER BY 1, 2`,
        [schema, tables],
    );
    const set: string[] = [];
    for (const r of rows) {
        const { rows: v } = await target.query(setvalSql(r.sequence, schema, r.table, r.column));
        if (v.length > 0) set.push(`${r.sequence} = ${v[0].setval}`);
    }
    io.out(`sequences set past the copied ids: ${set.join(", ") || "none"}\n`);
}

/** The requested tables that exist in `schema` (tables and partitioned tables), with their columns. */
async function readCatalog(client: Client, schema: string, tables: readonly string[]): Promise<Catalog> {
    const version = Number((await catalogQuery(client, "SHOW server_version_num")).rows[0].server_version_num);
    // attidentity is PostgreSQL 10+, attgenerated 12+: an old Airflow's server may predate them.
    const identity = pgSupports(version, "identityColumns") ? "a.attidentity <> ''" : "false";
    const generated = pgSupports(version, "generatedColumns") ? "a.attgenerated <> ''" : "false";
    const { rows } = await catalogQuery<{ table: string } & ColumnInfo>(client, 
        `SELECT c.relname AS table, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
                a.attnotnull AS "notNull", a.atthasdef AS "hasDefault", ${identity} AS identity, ${generated} AS generated
           FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
          WHERE n.nspname = $1 AND c.relname = ANY($2) AND c.relkind IN ('r', 'p')
          ORDER BY c.relname, a.attnum`,
        [schema, tables],
    );
    const catalog = new Map<string, ColumnInfo[]>();
    for (const { table, ...column } of rows) catalog.set(table, [...(catalog.get(table) ?? []), column]);
    return catalog;
}

async function readForeignKeys(client: Client, schema: string): Promise<ForeignKey[]> {
    const { rows } = await catalogQuery<ForeignKey>(client, 
        `SELECT con.conname AS name, c.relname AS table, r.relname AS "references"
           FROM pg_constraint con
           JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace
           JOIN pg_class r ON r.oid = con.confrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace
          WHERE con.contype = 'f' AND cn.nspname = $1 AND rn.nspname = $1`,
        [schema],
    );
    return rows;
}

/**
 * Refuses two connections to one database (however the URLs spell the host): the same server
 * (port and start time) and the same database oid. Checked before anything is read or written,
 * since emptying the target would empty the source.
 */
async function refuseSameDatabase(source: Client, target: Client): Promise<void> {
    const q = "SELECT inet_server_port() AS port, pg_postmaster_start_time()::text AS started, (SELECT oid::text FROM pg_database WHERE datname = current_database()) AS db, current_database() AS name";
    const [a, b] = await Promise.all([source.query(q), target.query(q)]);
    const [x, y] = [a.rows[0], b.rows[0]];
    if (x.port === y.port && x.started === y.started && x.db === y.db) {
        throw new MigrateRefused(`--from and the target name the same database (${x.name} on one server): migrating would empty the source; point the target at the new Deployment's database`);
    }
}
