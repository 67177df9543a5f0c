import * as assert from "assert";
import { Command } from "commander";
import { registerMigrate } from "../../../cli/commands/migrate";
import {
    type ColumnInfo,
    MigratePlanError,
    SEED_003_TABLES,
    countsMatch,
    cursorSql,
    foreignKeyOrder,
    insertChunks,
    insertSql,
    nextFetchSize,
    parsePositiveInt,
    parseTableList,
    planColumns,
    redact,
    renderCounts,
    rowsPerInsert,
    selectTables,
    setvalSql,
} from "../../../cli/migrate/plan";
import { maskUrl } from "../../../engines/url";

function col(name: string, extra: Partial<ColumnInfo> = {}): ColumnInfo {
    return { name, type: "text", notNull: false, hasDefault: false, identity: false, generated: false, ...extra };
}

const fk = (table: string, references: string) => ({ name: `${table}_${references}_fkey`, table, references });

describe("astro-db migrate: planning", () => {
    it("migrates seed 003's pg_dump table list by default", () => {
        assert.deepStrictEqual(
            [...SEED_003_TABLES],
            ["connection", "dag", "dag_pickle", "dag_run", "dag_stats", "import_error", "known_event", "sla_miss", "slot_pool", "task_fail", "task_instance", "task_reschedule", "variable", "xcom"],
        );
    });

    it("keeps the tables present in both databases and says why the others are skipped", () => {
        const source = new Map([["dag", [col("dag_id")]], ["known_event", [col("id")]], ["xcom", [col("id")]]]);
        const target = new Map([["dag", [col("dag_id")]], ["dag_pickle", [col("id")]], ["xcom", [col("id")]]]);
        const { tables, skipped } = selectTables(["xcom", "dag", "known_event", "dag_pickle", "nope"], source, target);
        assert.deepStrictEqual(tables, ["xcom", "dag"]);
        assert.deepStrictEqual(skipped, [
            { table: "known_event", reason: "not in the target database" },
            { table: "dag_pickle", reason: "not in the source database" },
            { table: "nope", reason: "not in the source nor the target database" },
        ]);
    });

    it("copies the columns present in both, in the target's order, and reports the differences", () => {
        const plan = planColumns(
            "task_instance",
            [col("task_id"), col("dag_id"), col("old_only"), col("duration", { type: "real" })],
            [col("dag_id"), col("task_id"), col("duration", { type: "double precision" }), col("map_index", { notNull: true, hasDefault: true })],
        );
        assert.deepStrictEqual(plan.columns, ["dag_id", "task_id", "duration"]);
        assert.deepStrictEqual(plan.onlySource, ["old_only"]);
        assert.deepStrictEqual(plan.onlyTarget, ["map_index"]);
        assert.deepStrictEqual(plan.typeChanges, ["duration real -> double precision"]);
    });

    it("leaves generated target columns to the server and fills identity columns from their sequence", () => {
        const plan = planColumns("t", [col("a"), col("g")], [col("a"), col("g", { generated: true }), col("id", { notNull: true, identity: true })]);
        assert.deepStrictEqual(plan.columns, ["a"]);
        assert.deepStrictEqual(plan.onlyTarget, ["g (generated)", "id"]);
    });

    it("fails before copying when a target column is NOT NULL without default and missing from the source", () => {
        assert.throws(() => planColumns("dag_run", [col("id")], [col("id"), col("run_type", { notNull: true })]), /dag_run: target column\(s\) run_type are NOT NULL without a default/);
        assert.throws(() => planColumns("t", [col("a")], [col("b")]), /no column in common/);
    });

    it("orders tables so referenced ones come first, keeping the given order otherwise", () => {
        const keys = [fk("task_instance", "dag_run"), fk("dag_run", "dag"), fk("xcom", "task_instance"), fk("dag", "dag"), fk("xcom", "ab_user")];
        assert.deepStrictEqual(foreignKeyOrder(["xcom", "connection", "task_instance", "dag_run", "dag", "variable"], keys), [
            "connection",
            "dag",
            "dag_run",
            "task_instance",
            "xcom",
            "variable",
        ]);
    });

    it("names the cycle when foreign keys form one", () => {
        const keys = [fk("a", "b"), fk("b", "c"), fk("c", "b"), fk("d", "a")];
        assert.throws(() => foreignKeyOrder(["d", "a", "b", "c"], keys), (err: unknown) => {
            assert.ok(err instanceof MigratePlanError);
            assert.strictEqual(err.message, "foreign keys form a cycle: b -> c -> b");
            return true;
        });
    });

    it("parses --tables, --batch-size and --progress-every strictly", () => {
        assert.deepStrictEqual(parseTableList(" dag, dag_run ,dag"), ["dag", "dag_run"]);
        assert.throws(() => parseTableList("dag,,xcom"), /empty table name/);
        assert.strictEqual(parsePositiveInt("--batch-size", "500"), 500);
        for (const bad of ["0", "-1", "1.5", "ten", ""]) assert.throws(() => parsePositiveInt("--progress-every", bad), /^MigratePlanError: --progress-every must be a positive integer/);
    });
});

describe("astro-db migrate: SQL text", () => {
    it("quotes every identifier", () => {
        assert.strictEqual(insertSql('s"x', 'we"ird', ["a"], 1), 'INSERT INTO "s""x"."we""ird" ("a") OVERRIDING SYSTEM VALUE VALUES ($1)');
        assert.strictEqual(cursorSql("c", "airflow", "xcom", ["key", "value"]), 'DECLARE "c" NO SCROLL CURSOR FOR SELECT "key", "value" FROM "airflow"."xcom"');
    });

    it("writes a multi-row INSERT with one parameter per value, keeping identity values", () => {
        assert.strictEqual(
            insertSql("airflow", "dag_run", ["id", "dag_id"], 3),
            'INSERT INTO "airflow"."dag_run" ("id", "dag_id") OVERRIDING SYSTEM VALUE VALUES ($1, $2), ($3, $4), ($5, $6)',
        );
    });

    it("sets a sequence to the largest copied value, never back, and leaves it when the table is empty", () => {
        assert.strictEqual(
            setvalSql("airflow.dag_run_id_seq", "airflow", "dag_run", "id"),
            "SELECT setval('airflow.dag_run_id_seq'::regclass, GREATEST(max(\"id\")::bigint, pg_sequence_last_value('airflow.dag_run_id_seq'::regclass))) " +
                'FROM "airflow"."dag_run" HAVING max("id") IS NOT NULL',
        );
        assert.match(setvalSql("it's", "s", "t", "c"), /setval\('it''s'::regclass/);
    });

    it("keeps an INSERT within PostgreSQL's 65535 bind parameters", () => {
        assert.strictEqual(rowsPerInsert(10, 1000), 1000);
        assert.strictEqual(rowsPerInsert(100, 1000), 655);
        assert.ok(rowsPerInsert(100, 1000) * 100 <= 65535);
        assert.strictEqual(rowsPerInsert(70000, 1000), 1);
    });

    it("splits a batch into INSERTs by rows and by bytes, a row larger than the limit going alone", () => {
        const row = (size: number): (string | null)[] => ["x".repeat(size), null];
        const sizes = (chunks: (string | null)[][][]) => chunks.map((c) => c.map((r) => r[0]!.length));
        assert.deepStrictEqual(sizes(insertChunks([row(1), row(1), row(1)], 2, 100)), [[1, 1], [1]]);
        assert.deepStrictEqual(sizes(insertChunks([row(40), row(40), row(500), row(10), row(40)], 10, 100)), [[40, 40], [500], [10, 40]]);
        assert.deepStrictEqual(insertChunks([], 10, 100), []);
    });

    it("fetches fewer rows at a time when rows are large (JSON, bytea)", () => {
        assert.strictEqual(nextFetchSize(1000, 16 << 20, undefined, 100), 100);
        assert.strictEqual(nextFetchSize(50, 16 << 20, undefined, 100), 50);
        assert.strictEqual(nextFetchSize(1000, 16 << 20, 200, 100), 1000);
        assert.strictEqual(nextFetchSize(1000, 16 << 20, 1 << 20, 100), 16);
        assert.strictEqual(nextFetchSize(1000, 16 << 20, 64 << 20, 100), 1);
    });
});

describe("astro-db migrate: report", () => {
    it("masks the password of every URL it prints", () => {
        assert.strictEqual(maskUrl("postgresql://airflow:s3cr%40t@db.example.com:5432/airflow"), "postgresql://airflow:****@db.example.com:5432/airflow");
        assert.strictEqual(maskUrl("postgresql://airflow@db/airflow"), "postgresql://airflow@db/airflow");
        assert.strictEqual(maskUrl("host=db password='a b' user=x"), "host=db password=**** user=x");
    });

    it("removes passwords from error messages, encoded or not", () => {
        const url = "postgresql://u:p%40ssw0rd@h/db";
        assert.strictEqual(redact(`cannot reach ${url} with p@ssw0rd or p%40ssw0rd`, [url]), "cannot reach postgresql://u:****@h/db with **** or ****");
    });

    it("prints the counts as a table and marks mismatches", () => {
        const counts = [
            { table: "dag", source: 12, copied: 12, target: 12 },
            { table: "task_instance", source: 3000, copied: 2999, target: 2999 },
        ];
        assert.deepStrictEqual(counts.map(countsMatch), [true, false]);
        assert.strictEqual(
            renderCounts(counts),
            ["table          source  copied  target", "dag                12      12      12  ok", "task_instance    3000    2999    2999  MISMATCH", ""].join("\n"),
        );
    });

    it("registers `migrate` with its options and defaults", () => {
        const program = new Command("astro-db").exitOverride();
        registerMigrate(program, () => undefined);
        const migrate = program.commands.find((c) => c.name() === "migrate")!;
        assert.deepStrictEqual(
            migrate.options.map((o) => [o.long, o.defaultValue]),
            [
                ["--from", undefined], ["--to", undefined], ["--stack", undefined], ["--stack-file", undefined], ["--deployment", undefined], ["--out", undefined], ["--host", undefined], ["--port", undefined],
                // No schema default here: the source's is seed 003's airflow, the target's the Deployment's (or airflow with --to).
                ["--from-schema", undefined], ["--to-schema", undefined], ["--schema", undefined],
                ["--tables", undefined], ["--force", false], ["--batch-size", "1000"], ["--progress-every", "10000"], ["--connect-timeout", "15"], ["--statement-timeout", "60"],
            ],
        );
        // The target is --to or --stack with --deployment: only --from is mandatory.
        assert.ok(migrate.options.filter((o) => o.mandatory).map((o) => o.long).join() === "--from");
    });
});
