/**
 * `astro-db migrate`, the pure half: which tables and columns are copied, in which order, with
 * which SQL, and how the result is reported. No I/O here; cli/migrate/copy.ts talks to the servers.
 */
import { quoteIdent, quoteLiteral } from "../../engines/postgres/quote";
import { maskUrl } from "../../engines/url";

/** The tables seed 003's pg_dump command lists (`--table=...`), in its order. The user table is not migrated. */
export const SEED_003_TABLES = [
    "connection", "dag", "dag_pickle", "dag_run", "dag_stats", "import_error", "known_event",
    "sla_miss", "slot_pool", "task_fail", "task_instance", "task_reschedule", "variable", "xcom",
] as const;

/** Seed 003 empties this table on the new Deployment before restoring (`TRUNCATE TABLE airflow.connection`). */
export const EMPTIED_FIRST = "connection";

/** A target holding rows here already ran DAGs: migrating would mix two histories (refused without --force). */
export const GUARD_TABLE = "dag_run";

/** PostgreSQL's limit on bind parameters in one statement (a 16-bit count in the protocol). */
export const MAX_BIND_PARAMETERS = 65_535;

/** A refusal or a failed check: exit code 1. Anything else thrown is an error: exit code 2. */
export class MigrateRefused extends Error {
    constructor(message: string) {
        super(message);
        this.name = "MigrateRefused";
    }
}

/** A problem found while planning (bad option, foreign-key cycle, unfillable column): exit code 2. */
export class MigratePlanError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "MigratePlanError";
    }
}

export interface ColumnInfo {
    readonly name: string;
    /** format_type() of the column, e.g. "timestamp with time zone". */
    readonly type: string;
    readonly notNull: boolean;
    readonly hasDefault: boolean;
    /** GENERATED ... AS IDENTITY: filled from its sequence when no value is given (a serial has a default instead). */
    readonly identity: boolean;
    /** GENERATED ALWAYS AS (...) STORED: computed by the server, cannot be inserted. */
    readonly generated: boolean;
}

/** A table's columns in attnum order, by table name. */
export type Catalog = ReadonlyMap<string, readonly ColumnInfo[]>;

/** A foreign key from `table` (the referencing one) to `references`. */
export interface ForeignKey {
    readonly name: string;
    readonly table: string;
    readonly references: string;
}

// ---------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------

/** `--tables a,b,c`: trimmed, without duplicates, none empty. */
export function parseTableList(value: string): string[] {
    const names = value.split(",").map((s) => s.trim());
    if (names.some((n) => n === "")) throw new MigratePlanError(`--tables: empty table name in ${JSON.stringify(value)}`);
    return [...new Set(names)];
}

/** `--batch-size N`, `--progress-every N`: a positive integer. */
export function parsePositiveInt(option: string, value: string): number {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
        throw new MigratePlanError(`${option} must be a positive integer, got ${JSON.stringify(value)}`);
    }
    return n;
}

// ---------------------------------------------------------------------------
// Tables and columns
// ---------------------------------------------------------------------------

export interface Skipped {
    readonly table: string;
    readonly reason: string;
}

/** The requested tables present in both databases, in request order, and why the others are left out. */
export function selectTables(requested: readonly string[], source: Catalog, target: Catalog): { tables: string[]; skipped: Skipped[] } {
    const tables: string[] = [];
    const skipped: Skipped[] = [];
    for (const table of requested) {
        const where = [source.has(table) ? "" : "source", target.has(table) ? "" : "target"].filter(Boolean);
        if (where.length === 0) tables.push(table);
        else skipped.push({ table, reason: `not in the ${where.join(" nor the ")} database` });
    }
    return { tables, skipped };
}

export interface ColumnPlan {
    readonly table: string;
    /** Columns copied, in the target's order. */
    readonly columns: string[];
    /** In the source only: their values are not copied. */
    readonly onlySource: string[];
    /** In the target only (or generated there): they get their default. */
    readonly onlyTarget: string[];
    /** Same name, different type: copied through the types' text form. */
    readonly typeChanges: string[];
}

/** Columns present in both, plus the differences to report; throws when a target column cannot be filled. */
export function planColumns(table: string, source: readonly ColumnInfo[], target: readonly ColumnInfo[]): ColumnPlan {
    const bySource = new Map(source.map((c) => [c.name, c]));
    const targetNames = new Set(target.map((c) => c.name));
    const copied = target.filter((c) => bySource.has(c.name) && !c.generated);
    const notCopied = target.filter((c) => !copied.includes(c));
    const unfillable = notCopied.filter((c) => c.notNull && !c.hasDefault && !c.identity && !c.generated);
    if (unfillable.length > 0) {
        throw new MigratePlanError(
            `${table}: target column(s) ${unfillable.map((c) => c.name).join(", ")} are NOT NULL without a default ` +
                "and missing from the source; are both Airflows the same version (seed 003)?",
        );
    }
    if (copied.length === 0) throw new MigratePlanError(`${table}: no column in common between source and target`);
    return {
        table,
        columns: copied.map((c) => c.name),
        onlySource: source.filter((c) => !targetNames.has(c.name)).map((c) => c.name),
        onlyTarget: notCopied.map((c) => (c.generated && bySource.has(c.name) ? `${c.name} (generated)` : c.name)),
        typeChanges: copied
            .filter((c) => bySource.get(c.name)!.type !== c.type)
            .map((c) => `${c.name} ${bySource.get(c.name)!.type} -> ${c.type}`),
    };
}

// ---------------------------------------------------------------------------
// Foreign-key order
// ---------------------------------------------------------------------------

/**
 * `tables` ordered so that every referenced table comes before the tables referencing it (the
 * insert order; deletes go in reverse). Ties keep the given order. A table referencing itself is
 * no ordering constraint between tables. Keys to tables outside `tables` are ignored.
 * Throws MigratePlanError naming the cycle when there is one.
 */
export function foreignKeyOrder(tables: readonly string[], keys: readonly ForeignKey[]): string[] {
    const inSet = new Set(tables);
    const parents = new Map(tables.map((t) => [t, new Set<string>()]));
    for (const k of keys) {
        if (k.table !== k.references && inSet.has(k.table) && inSet.has(k.references)) parents.get(k.table)!.add(k.references);
    }
    const ordered: string[] = [];
    const done = new Set<string>();
    while (ordered.length < tables.length) {
        const next = tables.find((t) => !done.has(t) && [...parents.get(t)!].every((p) => done.has(p)));
        if (next === undefined) throw new MigratePlanError(`foreign keys form a cycle: ${findCycle(tables.filter((t) => !done.has(t)), parents).join(" -> ")}`);
        ordered.push(next);
        done.add(next);
    }
    return ordered;
}

/** A cycle among `left` (every one of them has a parent in `left`), as a path ending where it starts. */
function findCycle(left: readonly string[], parents: ReadonlyMap<string, ReadonlySet<string>>): string[] {
    const path = [left[0]];
    for (;;) {
        const last = path[path.length - 1];
        const parent = [...parents.get(last)!].find((p) => left.includes(p))!;
        const seen = path.indexOf(parent);
        if (seen >= 0) return [...path.slice(seen), parent];
        path.push(parent);
    }
}

// ---------------------------------------------------------------------------
// SQL text
// ---------------------------------------------------------------------------

export function qualified(schema: string, table: string): string {
    return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}

/** What pg_dump sets so that every value's text form reads back exactly (dates, intervals, floats, bytea). */
export const SESSION_SETTINGS = [
    "SET client_encoding = 'UTF8'",
    "SET DateStyle = 'ISO'",
    "SET IntervalStyle = 'postgres'",
    "SET extra_float_digits = 3",
    "SET TimeZone = 'UTC'",
    "SET bytea_output = 'hex'",
];

/** The source's cursor over one table: only the copied columns, every value as text. */
export function cursorSql(cursor: string, schema: string, table: string, columns: readonly string[]): string {
    return `DECLARE ${quoteIdent(cursor)} NO SCROLL CURSOR FOR SELECT ${columns.map(quoteIdent).join(", ")} FROM ${qualified(schema, table)}`;
}

/**
 * A multi-row INSERT with one $n per value. OVERRIDING SYSTEM VALUE keeps the source's ids in
 * GENERATED ALWAYS identity columns (it is a no-op for serial and plain columns).
 */
export function insertSql(schema: string, table: string, columns: readonly string[], rowCount: number): string {
    const n = columns.length;
    const rows = Array.from({ length: rowCount }, (_, r) => `(${columns.map((_, c) => `$${r * n + c + 1}`).join(", ")})`);
    return `INSERT INTO ${qualified(schema, table)} (${columns.map(quoteIdent).join(", ")}) OVERRIDING SYSTEM VALUE VALUES ${rows.join(", ")}`;
}

/**
 * Sets a sequence past the largest value copied into its column, never back (so a rolled-back
 * migration, setval not being transactional, leaves at worst a gap); an empty column leaves it alone.
 */
export function setvalSql(sequence: string, schema: string, table: string, column: string): string {
    const col = quoteIdent(column);
    const seq = `${quoteLiteral(sequence)}::regclass`;
    return `SELECT setval(${seq}, GREATEST(max(${col})::bigint, pg_sequence_last_value(${seq}))) FROM ${qualified(schema, table)} HAVING max(${col}) IS NOT NULL`;
}

/** Rows per INSERT: the batch size, lowered so that rows x columns stays within the bind parameter limit. */
export function rowsPerInsert(columnCount: number, batchSize: number): number {
    return Math.max(1, Math.min(batchSize, Math.floor(MAX_BIND_PARAMETERS / columnCount)));
}

/** Rows to FETCH next: the batch size, or fewer when rows are large (JSON, bytea) so a batch stays near `maxBytes`. */
export function nextFetchSize(batchSize: number, maxBytes: number, avgRowBytes: number | undefined, firstFetch: number): number {
    if (avgRowBytes === undefined) return Math.min(batchSize, firstFetch);
    return Math.max(1, Math.min(batchSize, Math.floor(maxBytes / Math.max(1, avgRowBytes))));
}

/** `rows` split into INSERTs of at most `maxRows` rows and about `maxBytes` (a larger row goes alone). */
export function insertChunks<Row extends readonly (string | null)[]>(rows: readonly Row[], maxRows: number, maxBytes: number): Row[][] {
    const chunks: Row[][] = [];
    let chunk: Row[] = [];
    let bytes = 0;
    for (const row of rows) {
        const size = rowBytes(row);
        if (chunk.length > 0 && (chunk.length >= maxRows || bytes + size > maxBytes)) {
            chunks.push(chunk);
            chunk = [];
            bytes = 0;
        }
        chunk.push(row);
        bytes += size;
    }
    if (chunk.length > 0) chunks.push(chunk);
    return chunks;
}

/** Approximate size of a row whose values are text (or null). */
export function rowBytes(row: readonly (string | null)[]): number {
    return row.reduce((sum, v) => sum + (v === null ? 1 : v.length), 0);
}

// ---------------------------------------------------------------------------
// Reporting
// ---------------------------------------------------------------------------


/** `text` with every password in `urls` replaced by ****, for error messages that might echo one. */
export function redact(text: string, urls: readonly string[]): string {
    let out = text;
    for (const url of urls) {
        out = out.split(url).join(maskUrl(url));
        let password = "";
        try {
            password = new URL(url).password;
        } catch {
            continue;
        }
        for (const p of new Set([password, safeDecode(password)])) if (p.length >= 3) out = out.split(p).join("****");
    }
    return out;
}

function safeDecode(s: string): string {
    try {
        return decodeURIComponent(s);
    } catch {
        return s;
    }
}

export interface TableCount {
    readonly table: string;
    /** count(*) on the source, in the snapshot the rows were read from. */
    readonly source: number;
    /** Rows read and inserted. */
    readonly copied: number;
    /** count(*) on the target, inside the migration's transaction. */
    readonly target: number;
}

export function countsMatch(c: TableCount): boolean {
    return c.source === c.copied && c.copied === c.target;
}

/** The per-table row counts as an aligned text table; mismatches are marked. */
export function renderCounts(counts: readonly TableCount[]): string {
    const rows = [
        ["table", "source", "copied", "target", ""],
        ...counts.map((c) => [c.table, String(c.source), String(c.copied), String(c.target), countsMatch(c) ? "ok" : "MISMATCH"]),
    ];
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    const line = (r: string[]) => r.map((v, i) => (i === 0 || i === 4 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join("  ").trimEnd();
    return rows.map(line).join("\n") + "\n";
}

/** What the plan changes, for the report printed before copying. */
export function renderPlan(order: readonly string[], skipped: readonly Skipped[], columns: readonly ColumnPlan[]): string {
    const lines = [`tables, in foreign-key order: ${order.join(", ") || "(none)"}`];
    for (const s of skipped) lines.push(`skipped ${s.table}: ${s.reason}`);
    for (const c of columns) {
        if (c.onlySource.length) lines.push(`${c.table}: not copied, only in the source: ${c.onlySource.join(", ")}`);
        if (c.onlyTarget.length) lines.push(`${c.table}: left to their default, only in the target: ${c.onlyTarget.join(", ")}`);
        if (c.typeChanges.length) lines.push(`${c.table}: types differ: ${c.typeChanges.join("; ")}`);
    }
    return lines.join("\n") + "\n";
}
