/**
 * `astro-db migrate --from <url> --to <url>`: moves an Airflow's metadata into a new Deployment's
 * database as seed 003 does with pg_dump and psql, with the `pg` driver only.
 * Exit codes: 0 migrated, 1 refused or counts differ (target unchanged), 2 error (target unchanged).
 */
import type { Register } from "./main";
import { checkPgIdentifier } from "../components/names";
import { InputError, parseServerUrl } from "./input";
import { timeoutOptions } from "./pgClient";
import { migrate, type MigrateIo } from "./migrate/copy";
import { MigrateRefused, parsePositiveInt, parseTableList, redact } from "./migrate/plan";

/** The options as commander hands them over (strings, unparsed). */
export interface MigrateCliOptions {
    from: string;
    to: string;
    schema: string;
    tables?: string;
    force: boolean;
    batchSize: string;
    progressEvery: string;
}

/** Runs a migration from CLI options; returns the exit code. Errors are printed without credentials. */
export async function runMigrate(o: MigrateCliOptions, io: MigrateIo): Promise<number> {
    try {
        // Every option is checked before either server is connected to.
        parseServerUrl("--from", o.from, ["postgres"]);
        parseServerUrl("--to", o.to, ["postgres"]);
        const schemaProblems = checkPgIdentifier(o.schema);
        if (schemaProblems.length) throw new InputError(`--schema: ${schemaProblems[0]}`);
        await migrate(
            {
                from: o.from,
                to: o.to,
                schema: o.schema,
                tables: o.tables === undefined ? undefined : parseTableList(o.tables),
                force: o.force,
                batchSize: parsePositiveInt("--batch-size", o.batchSize),
                progressEvery: parsePositiveInt("--progress-every", o.progressEvery),
            },
            io,
        );
        io.out("migrated; now swap the fernet key and restart the Deployment's pods (seed 003)\n");
        return 0;
    } catch (err) {
        const refused = err instanceof MigrateRefused;
        const message = err instanceof Error ? err.message : String(err);
        io.err(`astro-db migrate: ${refused ? "refused" : "error"}: ${redact(message, [o.from, o.to])}\n`);
        return refused ? 1 : 2;
    }
}

export const registerMigrate: Register = (program, setExit) => {
    timeoutOptions(program
        .command("migrate")
        .description("copy an Airflow's metadata into a new Deployment's database (seed 003) in one transaction, without pg_dump")
        .requiredOption("--from <url>", "the old Airflow's metadata database, postgresql://user[:password]@host:port/db (or the password in ~/.pgpass); a password with / # ? @ % must be percent-encoded")
        .requiredOption("--to <url>", "the new Deployment's metadata database")
        .option("--schema <name>", "schema of Airflow's tables in both databases: airflow (seed 003) or public", "airflow")
        .option("--tables <list>", "comma-separated tables instead of seed 003's list")
        .option("--force", "migrate even if the target holds DAG runs: its rows in the migrated tables are replaced", false)
        .option("--batch-size <n>", "rows per read and per INSERT at most", "1000")
        .option("--progress-every <n>", "print progress to stderr every n rows of a table", "10000"))
        .action(async (o: MigrateCliOptions) => {
            setExit(await runMigrate(o, { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }));
        });
};
