/**
 * What every command shares: how it registers itself (only cli/main.ts imports the commands), its
 * common options, and CliError, the one error class with an exit code.
 */
import { type Command, Option } from "commander";
import { parseDay } from "../components/retention";
import { ConfigError } from "../stacks/configError";
import { DEFAULT_LIMITS, MAX_TIMEOUT_SECONDS } from "../engines/limits";

/**
 * Any error as the CliError main() prints: a bad stack config reads as its own message (it names the
 * stack, the keys and the fixes); anything else after `astro-db: ` (with the stack under ASTRO_DB_DEBUG=1).
 */
export function asCliError(err: unknown): CliError {
    if (err instanceof CliError) return err;
    if (err instanceof ConfigError) return new CliError(err.message, { plain: true });
    const e = err as Error | undefined;
    return new CliError(process.env.ASTRO_DB_DEBUG && e?.stack ? e.stack : e?.message ?? String(err));
}

/** GitHub refuses a comment body longer than this (plan --max-chars's default). */
export const PR_COMMENT_MAX_CHARS = 65_536;

/** A subcommand adds itself to the program; its action reports the process exit code through `setExit`. */
export type Register = (program: Command, setExit: (code: number) => void) => void;

/**
 * An error meant for the user: printed as one line (after `astro-db: ` unless `plain`), then the
 * process exits with `exitCode` (2: bad input or failure).
 */
export class CliError extends Error {
    readonly exitCode: number;
    readonly plain: boolean;
    constructor(message: string, o: { exitCode?: number; plain?: boolean } = {}) {
        super(message);
        this.name = "CliError";
        this.exitCode = o.exitCode ?? 2;
        this.plain = o.plain ?? false;
    }
}

/** The options every command that reads a stack takes: --stack and --stack-file (mapped to `file`). */
export function stackCommandOptions(command: Command): Command {
    return command
        .requiredOption("-s, --stack <name>", "stack name (stacks/Pulumi.<name>.yaml)")
        .option("--stack-file <path>", "read the stack's config from this file instead of stacks/Pulumi.<name>.yaml");
}

/** `--connect-timeout` and `--statement-timeout`, for every command that talks to a server (read by cli/main.ts before it runs). */
export function timeoutOptions(command: Command): Command {
    return command
        .option("--connect-timeout <seconds>", `give up connecting (and logging in) after this long (at most ${MAX_TIMEOUT_SECONDS})`, String(DEFAULT_LIMITS.connectSeconds))
        .option("--statement-timeout <seconds>", `give up on a statement or catalog read after this long (at most ${MAX_TIMEOUT_SECONDS})`, String(DEFAULT_LIMITS.statementSeconds));
}

/** The option that names a server's admin: `--admin-url`, or ASTRO_DB_ADMIN_URL (whose value help never shows: it holds a password). */
export function adminUrlOption(description: string): Option {
    return new Option("--admin-url <url>", description).env("ASTRO_DB_ADMIN_URL").makeOptionMandatory();
}

/** The options every command that works on a live server takes: the stack's, --admin-url, --server, the timeouts. */
export function serverCommandOptions(command: Command): Command {
    return timeoutOptions(stackCommandOptions(command)
        .addOption(adminUrlOption(
            "the server's admin: postgresql://admin:<password>@host:5432/postgres for a PostgreSQL server, " +
                "mysql://admin:<password>@host:3306/ (optional ?ssl-mode=…&ssl-ca=…) for a MySQL one; a password with / # ? @ % must be percent-encoded",
        ))
        .option("--server <name>", "the stack's server (when it has several of the admin URL's engine)"));
}

export function parseTodayOption(day: string | undefined): Date | undefined {
    if (day === undefined) return undefined;
    const d = parseDay(day);
    if (!d) throw new Error(`--today ${day} is not a date: use YYYY-MM-DD`);
    return d;
}
