/** `astro-db migrate`: an old Airflow's metadata into a Deployment's database (seed 003; cli/migrate.ts). */
import type { MigrateCliOptions } from "../migrate";
import { type Register, timeoutOptions } from "../command";

export const registerMigrate: Register = (program, setExit) => {
    timeoutOptions(program
        .command("migrate")
        .description("copy an Airflow's metadata into a new Deployment's database (seed 003) in one transaction, without pg_dump")
        .requiredOption("--from <url>", "the old Airflow's metadata database, postgresql://user@host:port/db with the password in the URL, PGPASSWORD or ~/.pgpass; a password with / # ? @ % must be percent-encoded")
        .option("--to <url>", "the new Deployment's metadata database (or --stack and --deployment)")
        .option("-s, --stack <name>", "take the target from this stack's Deployment: its server, database, schema and user")
        .option("--stack-file <path>", "read the stack's config from this file instead of stacks/Pulumi.<name>.yaml")
        .option("-d, --deployment <release>", "with --stack: the Deployment to migrate into")
        .option("-o, --out <dir>", "with --stack: the target user's password from what `astro-db apply --out <dir>` wrote (else PGPASSWORD / ~/.pgpass)")
        .option("--host <host>", "with --stack: the server's host as this machine reaches it (default: the stack's; required for RDS)")
        .option("--port <port>", "with --stack: the server's port (default: the stack's)")
        .option("--from-schema <name>", "schema of Airflow's tables in the old database (default: airflow, as seed 003's pg_dump)")
        .option("--to-schema <name>", "schema of Airflow's tables in the new database (default: the Deployment's schema with --stack, else airflow)")
        .option("--schema <name>", "both schemas at once (when --from-schema / --to-schema are not given)")
        .option("--tables <list>", "comma-separated tables instead of seed 003's list")
        .option("--force", "migrate even if the target holds DAG runs: its rows in the migrated tables are replaced", false)
        .option("--batch-size <n>", "rows per read and per INSERT at most", "1000")
        .option("--progress-every <n>", "print progress to stderr every n rows of a table", "10000"))
        .action(async (o: MigrateCliOptions) => {
            const { runMigrate } = await import("../migrate");
            setExit(await runMigrate(o, { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }));
        });
};
