/** `astro-db plan`: the stack offline, or with --against the diff a reviewer reads (cli/plan.ts, cli/review.ts). */
import { Option } from "commander";
import type { Severity } from "../findings";
import type { PlanFormat } from "../plan";
import { parseTodayOption, PR_COMMENT_MAX_CHARS, type Register, stackCommandOptions } from "../command";

export const registerPlan: Register = (program, setExit) => {
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
            const { runStackGraph } = await import("../graph");
            const { renderPlan } = await import("../plan");
            const graph = await runStackGraph(o.stack, { preview: o.preview, today, file: o.stackFile });
            const { policyViolations, renderPolicy, renderReviewMarkdown, renderReviewText, review, reviewExitCode, reviewJson } = await import("../review");
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
