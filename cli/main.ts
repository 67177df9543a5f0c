/**
 * The `astro-db` command. Every subcommand reads the same resource graph (cli/graph.ts), built by
 * running the real stack program offline.
 */
import { Command, Option } from "commander";
import { parseDay } from "../components/retention";
import { runStackGraph } from "./graph";
import type { Severity } from "./compare";
import { PlanFormat, renderPlan } from "./plan";

/** Subcommands register themselves here; each returns the process exit code. */
export type Register = (program: Command, setExit: (code: number) => void) => void;

const registerPlan: Register = (program, setExit) => {
    program
        .command("plan")
        .description("render a stack offline (no cloud credentials): resource tree, inputs, options and outputs")
        .requiredOption("-s, --stack <name>", "stack name (stacks/Pulumi.<name>.yaml)")
        .addOption(new Option("-f, --format <format>", "output format").choices(["text", "json", "markdown"]).default("text"))
        .option("--preview", "preview mode: outputs computed by providers are unknown", false)
        .option("--today <YYYY-MM-DD>", "judge retention as on this day (default: today)")
        .option("--against <git-rev>", "also flag what changed since the stack file at this revision: RDS replacements, deletion protection lifted, renames and engine version changes, databases and roles leaving the stack, drops, servers taken over their connection capacity threshold")
        .addOption(new Option("--fail-on <severity>", "with --against: exit 1 if a finding has this severity or worse (drop > replace > capacity > forget > change)").choices(["drop", "replace", "capacity", "forget", "change"]))
        .action(async (o: { stack: string; format: PlanFormat; preview: boolean; today?: string; against?: string; failOn?: Severity }) => {
            const today = parseTodayOption(o.today);
            if (o.failOn && !o.against) throw new Error("--fail-on needs --against <git-rev>: it judges the changes since that revision");
            const graph = await runStackGraph(o.stack, { preview: o.preview, today });
            const plan = renderPlan(graph, o.format);
            if (!o.against) {
                process.stdout.write(plan);
                return setExit(0);
            }
            const { printPlanAgainst } = await import("./compare");
            const io = { out: (s: string) => process.stdout.write(s), err: (s: string) => process.stderr.write(s) };
            setExit(await printPlanAgainst(plan, { stack: o.stack, rev: o.against, format: o.format, failOn: o.failOn, today }, io));
        });
};

export function parseTodayOption(day: string | undefined): Date | undefined {
    if (day === undefined) return undefined;
    const d = parseDay(day);
    if (!d) throw new Error(`--today ${day} is not a date: use YYYY-MM-DD`);
    return d;
}

/** Extra subcommands (sql, apply, audit, ...) add themselves to this list in cli/commands.ts. */
export async function main(argv: string[]): Promise<number> {
    let exitCode = 0;
    const program = new Command("astro-db")
        .description("Airflow metadata databases for Astronomer, outside the cluster")
        .showHelpAfterError()
        .exitOverride();
    const { COMMANDS } = await import("./commands");
    for (const register of [registerPlan, ...COMMANDS]) register(program, (c) => (exitCode = c));
    try {
        await program.parseAsync(argv);
    } catch (err) {
        const e = err as { code?: string; exitCode?: number };
        if (e.code === "commander.helpDisplayed" || e.code === "commander.version") return 0;
        if (e.code?.startsWith("commander.")) return 2;
        throw err;
    }
    return exitCode;
}
