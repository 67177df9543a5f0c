/**
 * The `astro-db` command. Every subcommand reads the same resource graph (cli/graph.ts), built by
 * running the real stack program offline.
 */
import { Command, Option } from "commander";
import { parseDay } from "../components/retention";
import { runStackGraph } from "./graph";
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
        .option("--against <git-rev>", "also flag what changed since the stack file at this revision: RDS replacements, databases leaving the stack, drops")
        .action(async (o: { stack: string; format: PlanFormat; preview: boolean; today?: string; against?: string }) => {
            const today = parseTodayOption(o.today);
            const graph = await runStackGraph(o.stack, { preview: o.preview, today });
            process.stdout.write(renderPlan(graph, o.format));
            if (o.against) {
                const { compareWithRevision, renderFindings } = await import("./compare");
                const findings = await compareWithRevision(o.stack, o.against, today);
                (o.format === "json" ? process.stderr : process.stdout).write(renderFindings(o.against, findings));
            }
            setExit(0);
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
