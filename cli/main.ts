/**
 * The `astro-db` command. Every subcommand reads the same resource graph (cli/graph.ts), built by
 * running the real stack program offline.
 */
import { Command, Option } from "commander";
import { parseDay } from "../components/retention";
import { runStackGraph } from "./graph";
import type { Severity } from "./compare";
import { stackCommandOptions } from "./pgClient";
import { PlanFormat, renderPlan } from "./plan";
import { PR_COMMENT_MAX_CHARS } from "./review";
import { forgetSecrets, registerSecret, registerUrlSecrets, withRedactedOutput } from "./maskUrl";
import { MAX_TIMEOUT_SECONDS, parseSeconds, setConnectionLimits } from "./input";

/** Subcommands register themselves here; each returns the process exit code. */
export type Register = (program: Command, setExit: (code: number) => void) => void;

const registerPlan: Register = (program, setExit) => {
    stackCommandOptions(program.command("plan").description("render a stack offline (no cloud credentials): resource tree, inputs, options and outputs; with --against, the diff a reviewer reads"))
        .addOption(new Option("-f, --format <format>", "output format").choices(["text", "json", "markdown"]).default("text"))
        .option("--preview", "preview mode: outputs computed by providers are unknown", false)
        .option("--today <YYYY-MM-DD>", "judge retention as on this day (default: today)")
        .option("--against <git-rev>", "diff against the stack file at this revision (create/update/replace/delete/forget per resource) with the findings: RDS replacements, deletion protection lifted, renames and engine version changes, databases and roles leaving the stack, grants and memberships revoked, drops, servers taken over their connection capacity threshold")
        .option("--against-file <plan.json>", "diff against a plan saved earlier with `plan --format json` (e.g. by CI on main)")
        .addOption(new Option("--fail-on <severity>", "with --against: exit 1 if a finding has this severity or worse (drop > replace > capacity > revoke > forget > change)").choices(["drop", "replace", "capacity", "revoke", "forget", "change"]))
        .option("--policy", "also run the policy pack's rules (policy/rules.ts) offline; a mandatory violation exits 1", false)
        .option("--show-unchanged", "with --against: list unchanged resources too", false)
        .option("--max-chars <n>", "with --against and markdown: the comment's size bound (GitHub's limit by default)", String(PR_COMMENT_MAX_CHARS))
        .action(async (o: { stack: string; stackFile?: string; format: PlanFormat; preview: boolean; today?: string; against?: string; againstFile?: string; failOn?: Severity; policy: boolean; showUnchanged: boolean; maxChars: string }) => {
            const today = parseTodayOption(o.today);
            if (o.against && o.againstFile) throw new Error("--against and --against-file cannot both be set: compare with a git revision or with a saved plan");
            if (o.failOn && !o.against && !o.againstFile) throw new Error("--fail-on needs --against <git-rev> (or --against-file): it judges the changes since then");
            const maxChars = Number(o.maxChars);
            if (!Number.isInteger(maxChars) || maxChars < 1000) throw new Error(`--max-chars ${o.maxChars}: give a whole number of characters, at least 1000`);
            const graph = await runStackGraph(o.stack, { preview: o.preview, today, file: o.stackFile });
            const { policyViolations, renderPolicy, renderReviewMarkdown, renderReviewText, review, reviewExitCode, reviewJson } = await import("./review");
            const policy = o.policy ? policyViolations(graph) : undefined;
            if (!o.against && !o.againstFile) {
                let plan = renderPlan(graph, o.format);
                if (policy) plan = o.format === "json" ? JSON.stringify({ ...JSON.parse(plan), policy }, null, 2) + "\n" : plan + renderPolicy(policy, o.format);
                process.stdout.write(plan);
                return setExit(policy?.some((v) => v.enforcement === "mandatory") ? 1 : 0);
            }
            const r = { ...(await review(o.stack, graph, o.against ? { rev: o.against } : { planFile: o.againstFile! }, { today, file: o.stackFile })), policy };
            if (r.against.error) process.stderr.write(`astro-db plan --against ${o.against}: ${r.against.error}\nNothing was compared: the diff lists the current plan's resources as new.\n`);
            process.stdout.write(o.format === "json" ? reviewJson(renderPlan(graph, "json"), r)
                : o.format === "markdown" ? renderReviewMarkdown(r, { showUnchanged: o.showUnchanged, maxChars })
                    : renderReviewText(r, { showUnchanged: o.showUnchanged }));
            setExit(reviewExitCode(r, o.failOn));
        });
};

export function parseTodayOption(day: string | undefined): Date | undefined {
    if (day === undefined) return undefined;
    const d = parseDay(day);
    if (!d) throw new Error(`--today ${day} is not a date: use YYYY-MM-DD`);
    return d;
}

/** Environment variables whose values are credentials (or URLs carrying one). */
const SECRET_ENV = ["ASTRO_DB_ADMIN_URL", "PGPASSWORD", "MYSQL_PWD"] as const;

/**
 * Runs the CLI; returns the exit code (0 done, 1 drift/refused as each command says, 2 bad input or
 * error). Everything it prints goes through cli/maskUrl.ts's redaction, with the credentials of
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
    const { COMMANDS } = await import("./commands");
    for (const register of [registerPlan, ...COMMANDS]) register(program, (c) => (exitCode = c));
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
        const error = err as Error | undefined;
        process.stderr.write(error?.name === "ConfigError" ? `${error.message}\n` : `astro-db: ${process.env.ASTRO_DB_DEBUG && error?.stack ? error.stack : error?.message ?? String(err)}\n`);
        return 2;
    }
    return exitCode;
}
