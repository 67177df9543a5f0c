/** `astro-db migrate`: an old Airflow's metadata into a Deployment's database (seed 003; cli/migrate.ts). */
import type { MigrateCliOptions } from "../migrate";
import { type Register, timeoutOptions } from "../command";

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
            const { runMigrate } = await import("../migrate");
            setExit(await runMigrate(o, { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }));
        });
};
