/**
 * `astro-db migrate --from <url> --to <url>`: moves an Airflow's metadata into a new Deployment's
 * database as seed 003 does with pg_dump and psql, with the `pg` driver only.
 * Exit codes: 0 migrated, 1 refused or counts differ (target unchanged), 2 error (target unchanged).
 */
import { checkPgIdentifier } from "../components/names";
import { InputError, parseServerUrl } from "./input";
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
