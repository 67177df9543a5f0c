/**
 * The `astro-db` command. Every subcommand reads the same resource graph (cli/graph.ts), built by
 * running the real stack program offline.
 */
import { Command } from "commander";
import { asCliError, type Register } from "./command";
import { registerApply } from "./commands/apply";
import { registerAudit } from "./commands/audit";
import { registerDemo } from "./commands/demo";
import { registerFence } from "./commands/fence";
import { registerHouston } from "./commands/houston";
import { registerMigrate } from "./commands/migrate";
import { registerPlan } from "./commands/plan";
import { registerSql } from "./commands/sql";
import { forgetSecrets, registerSecret, registerUrlSecrets, withRedactedOutput } from "./redact";
import { MAX_TIMEOUT_SECONDS, setConnectionLimits } from "../engines/limits";
import { parseSeconds } from "./input";

/** Every subcommand, in the order `astro-db --help` lists them; each loads its implementation only when it runs. */
const COMMANDS: Register[] = [registerPlan, registerMigrate, registerSql, registerApply, registerAudit, registerFence, registerHouston, registerDemo];

/** Environment variables whose values are credentials (or URLs carrying one). */
const SECRET_ENV = ["ASTRO_DB_ADMIN_URL", "PGPASSWORD", "MYSQL_PWD"] as const;

/**
 * Runs the CLI; returns the exit code (0 done, 1 drift/refused as each command says, 2 bad input or
 * error). Everything it prints goes through cli/redact.ts's redaction, with the credentials of
 * this command line and environment registered first; an error is printed here as one message.
 */
export async function main(argv: string[]): Promise<number> {
    forgetSecrets();
    registerUrlSecrets([...argv, ...SECRET_ENV.map((k) => process.env[k])]);
    registerSecret(process.env.PGPASSWORD);
    registerSecret(process.env.MYSQL_PWD);
    setConnectionLimits({});
    return withRedactedOutput(() => run(argv));
}

async function run(argv: string[]): Promise<number> {
    let exitCode = 0;
    const program = new Command("astro-db")
        .description("Airflow metadata databases for Astronomer, outside the cluster")
        .showHelpAfterError()
        .exitOverride();
    for (const register of COMMANDS) register(program, (c) => (exitCode = c));
    // Options every command that talks to a server shares, checked before its action runs.
    program.hook("preAction", (_program, command) => {
        const o = command.opts<{ connectTimeout?: string; statementTimeout?: string }>();
        setConnectionLimits({
            ...(o.connectTimeout === undefined ? {} : { connectSeconds: parseSeconds("--connect-timeout", o.connectTimeout, MAX_TIMEOUT_SECONDS) }),
            ...(o.statementTimeout === undefined ? {} : { statementSeconds: parseSeconds("--statement-timeout", o.statementTimeout, MAX_TIMEOUT_SECONDS) }),
        });
    });
    try {
        await program.parseAsync(argv);
    } catch (err) {
        const e = err as { code?: string; exitCode?: number };
        if (e.code === "commander.helpDisplayed" || e.code === "commander.version") return 0;
        if (e.code?.startsWith("commander.")) return 2;
        // A user error reads as one message; ASTRO_DB_DEBUG=1 adds the stack.
        const error = asCliError(err);
        process.stderr.write(error.plain ? `${error.message}\n` : `astro-db: ${error.message}\n`);
        return error.exitCode;
    }
    return exitCode;
}
