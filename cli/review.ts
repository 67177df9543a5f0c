/**
 * `plan --against`: what a reviewer reads before merging a stack change. The resource diff
 * (cli/diff.ts), the findings (cli/compare.ts) and the policy violations (policy/rules.ts), rendered
 * as text (like `pulumi preview --diff`), as JSON (the plan's document plus `against`, `findings`,
 * `diff`, `policy`), or as Markdown made for a sticky pull-request comment.
 */
import * as fs from "fs";
import { checkResources, exposedOutputs, Violation } from "../policy/rules";
import { assessStack, capacityFindings } from "./capacity";
import type { ServerAssessment } from "../components/capacity";
import { compareGraphs, compareWithRevision, failsOn, sortFindings } from "./compare";
import { Finding, Severity, SEVERITIES } from "./findings";
import { Action, countActions, diffPlans, DiffInput, InputChange, ResourceChange } from "./diff";
import { GraphResource, StackGraph } from "./graph";

import { PR_COMMENT_MAX_CHARS } from "./command";


/** The first line of every comment: CI finds it to update one comment per stack instead of adding one per push. */
export const commentMarker = (stack: string) => `<!-- astro-db plan --against: stack=${stack} -->`;

export interface Review {
    stack: string;
    /** What the plan was compared with: a git revision or a saved plan file. */
    against: { rev?: string; file?: string; base: "compared" | "absent" | "invalid"; error?: string };
    findings: Finding[];
    changes: ResourceChange[];
    /** Policy violations of the new plan (`--policy`); undefined when not asked. */
    policy?: Violation[];
}

/** A saved plan (`plan --format json`) read back as a diff base. */
export function readPlanFile(file: string): DiffInput & { stack?: string; capacity?: ServerAssessment[] } {
    let doc: { stack?: string; resources?: Partial<GraphResource>[]; capacity?: ServerAssessment[] };
    try {
        doc = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (err) {
        throw new Error(`--against-file ${file}: not a plan JSON (${(err as Error).message}): save one with \`astro-db plan --stack <s> --format json > plan.json\``);
    }
    if (!Array.isArray(doc.resources)) throw new Error(`--against-file ${file}: no "resources" list: save the plan with \`astro-db plan --stack <s> --format json\``);
    const resources = doc.resources.map((r) => ({
        type: String(r.type), name: String(r.name),
        parent: r.parent ?? undefined, parentType: r.parentType ?? undefined,
        // Plans saved before `custom` was written: components are this project's and the stack.
        custom: r.custom ?? !(String(r.type).startsWith("astro-db:") || r.type === "pulumi:pulumi:Stack"),
        inputs: r.inputs ?? {}, secretInputs: r.secretInputs ?? [], secretDigests: r.secretDigests,
        options: { protect: false, retainOnDelete: false, dependsOn: [], ignoreChanges: [], ...r.options, provider: r.options?.provider ?? undefined, deletedWith: r.options?.deletedWith ?? undefined },
    })) as GraphResource[];
    return { stack: doc.stack, resources, capacity: doc.capacity };
}

export interface ReviewOptions {
    today?: Date;
    /** The current stack file (default stacks/Pulumi.<stack>.yaml). */
    file?: string;
}

/** Compares the current plan (`head`) with the stack file at a git revision or with a saved plan. */
export async function review(stack: string, head: StackGraph, base: { rev: string } | { planFile: string }, o: ReviewOptions = {}): Promise<Review> {
    if ("planFile" in base) {
        const saved = readPlanFile(base.planFile);
        if (saved.stack !== undefined && saved.stack !== stack) throw new Error(`--against-file ${base.planFile} is a plan of stack "${saved.stack}", not "${stack}"`);
        return reviewGraphs(stack, saved, head, { file: base.planFile, base: "compared" }, saved.capacity);
    }
    // The same comparison as compareWithRevision's findings, plus the resource diff of the two plans.
    const c = await compareWithRevision(stack, base.rev, { today: o.today, file: o.file, head });
    const against = { rev: base.rev, base: c.base, ...(c.error === undefined ? {} : { error: c.error }) };
    return { stack, against, findings: sortFindings(c.findings), changes: diffPlans(c.baseGraph ?? { resources: [] }, head) };
}

/** The review of two plans already at hand; `baseCapacity` undefined: the base had no server (absent). */
export function reviewGraphs(stack: string, base: DiffInput, head: StackGraph, against: Review["against"], baseCapacity?: ServerAssessment[]): Review {
    const findings = sortFindings([...compareGraphs(base, head), ...capacityFindings(baseCapacity, assessStack(head.spec))]);
    return { stack, against, findings, changes: diffPlans(base, head) };
}

/**
 * The policy pack's rules (policy/rules.ts) run offline on a plan: here the secret inputs and
 * retainOnDelete are known, and so are the Deployments' namespaces and the retention period.
 */
export function policyViolations(graph: StackGraph): Violation[] {
    const resources = graph.resources.filter((r) => r.custom).map((r) => ({
        type: r.type, name: r.name, props: r.inputs, secretKeys: r.secretInputs, protect: r.options.protect, retainOnDelete: r.options.retainOnDelete,
    }));
    const ctx = {
        stack: graph.stack,
        retentionDays: graph.spec.retentionDays,
        namespaces: Object.fromEntries(graph.spec.deployments.map((d) => [d.release, d.names.namespace])),
    };
    const outputs = exposedOutputs(graph.outputs).map((p) => ({
        policy: "credentials-are-secret", resource: `output ${p}`, enforcement: "mandatory" as const,
        message: "a stack output holds a credential but is not secret: wrap it in pulumi.secret()",
    }));
    return [...checkResources(resources, ctx), ...outputs];
}

/** The policy section appended to a plan without --against. */
export function renderPolicy(policy: readonly Violation[], format: "text" | "markdown"): string {
    if (format === "markdown") {
        return ["", policy.length ? "### Policy violations" : "### Policy: no violation", "", ...policy.map((v) => `- **${v.enforcement}** ${v.policy}: \`${v.resource}\`: ${escapeMd(v.message)}`), ""].join("\n");
    }
    return ["", policy.length ? "Policy violations:" : "Policy: no violation.", ...policy.map((v) => `  ! ${policyLine(v)}`), ""].join("\n");
}

/** The exit code: 2 base not compared, 1 a finding at or above `failOn` (or a mandatory policy violation), else 0. */
export function reviewExitCode(r: Review, failOn?: Severity): number {
    if (r.against.base === "invalid") return 2;
    if (failOn && failsOn(r.findings, failOn)) return 1;
    if (r.policy?.some((v) => v.enforcement === "mandatory")) return 1;
    return 0;
}

const againstLabel = (r: Review) => (r.against.rev !== undefined ? r.against.rev : `the plan in ${r.against.file}`);

const SYMBOL: Record<Action, string> = { create: "+", update: "~", replace: "+-", delete: "-", forget: "-", same: " " };
const VERB: Record<Action, string> = { create: "to create", update: "to update", replace: "to replace", delete: "to delete", forget: "to forget (kept in the cloud: retainOnDelete)", same: "unchanged" };

function show(v: unknown, max = 240): string {
    const s = typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v) ?? "undefined";
    return s.length > max ? `${s.slice(0, max)}…` : s;
}

function changeLine(c: InputChange, action: Action): string {
    const secret = c.secret ? (c.secretUnknown ? " ([secret]: the saved plan cannot tell whether it changed)" : action === "update" || action === "replace" ? " ([secret] changed)" : "") : "";
    const forces = c.forcesReplacement ? "  (forces replacement)" : "";
    if (action === "create") return `+ ${c.input}: ${show(c.new)}`;
    if (action === "delete" || action === "forget") return `- ${c.input}: ${show(c.old)}`;
    if (!("old" in c)) return `+ ${c.input}: ${show(c.new)}${secret}${forces}`;
    if (!("new" in c)) return `- ${c.input}: ${show(c.old)}${secret}${forces}`;
    return `~ ${c.input}: ${show(c.old)} => ${show(c.new)}${secret}${forces}`;
}

function headLine(c: ResourceChange): string {
    const notes: string[] = [];
    if (c.action === "replace") notes.push(`replace: ${c.replaceBecause.join(", ")} changed`);
    else if (c.action === "forget") notes.push("forget: removed from the state, kept on the server (retainOnDelete)");
    else notes.push(c.action);
    if (c.refused) notes.push(`REFUSED as planned: ${c.refused}`);
    else if (c.protect) notes.push("protect");
    return `${SYMBOL[c.action].padEnd(2)} ${c.type} ${c.name}  [${notes.join("; ")}]`;
}

/** One resource's lines, like `pulumi preview --diff`. */
function resourceLines(c: ResourceChange, indent = "    "): string[] {
    const lines = [headLine(c)];
    if (c.action !== "same") for (const ch of c.changes) lines.push(`${indent}${changeLine(ch, c.action)}`);
    for (const o of c.optionChanges) lines.push(`${indent}~ [option] ${o.option}: ${show(o.old)} => ${show(o.new)}`);
    return lines;
}

function groups(changes: readonly ResourceChange[], showUnchanged: boolean): Map<string, ResourceChange[]> {
    const out = new Map<string, ResourceChange[]>();
    for (const c of changes) {
        if (c.action === "same" && !showUnchanged) continue;
        out.set(c.group, [...(out.get(c.group) ?? []), c]);
    }
    return out;
}

function countLine(changes: readonly ResourceChange[]): string {
    const counts = countActions(changes);
    return (["create", "update", "replace", "delete", "forget"] as const).filter((a) => counts[a]).map((a) => `${counts[a]} ${a}`).join(", ") || "no change";
}

function findingLine(f: Finding): string {
    return `[${f.severity}] ${f.resource}: ${f.message}`;
}

function policyLine(v: Violation): string {
    return `[${v.enforcement}] ${v.policy}: ${v.resource}: ${v.message}`;
}

/** What the reviewer must decide, in one line. */
export function verdict(r: Review): string {
    if (r.against.base === "invalid") return `Not compared: ${r.against.error}`;
    const worst = SEVERITIES.find((s) => r.findings.some((f) => f.severity === s));
    const mandatory = r.policy?.filter((v) => v.enforcement === "mandatory").length ?? 0;
    const parts: string[] = [];
    const n = (s: Severity) => r.findings.filter((f) => f.severity === s).length;
    if (n("drop")) parts.push(`DROPS data (${n("drop")})`);
    if (n("replace")) {
        // Each replace-severity finding starts with the input it is about (kmsKeyId, engineVersion, identifier, …).
        const what = r.findings.filter((f) => f.severity === "replace").map((f) => `${f.resource} ${f.message.split(" ")[0]}`);
        parts.push(`alters the database server (${what.join(", ")}: a replacement, a major upgrade, a rename or lifted deletion protection)`);
    }
    if (n("capacity")) parts.push(`takes ${n("capacity")} server(s) over the connection capacity threshold`);
    if (n("revoke")) parts.push(`revokes ${n("revoke")} grant(s)/membership(s)`);
    if (n("forget")) parts.push(`${n("forget")} database(s)/role(s) leave the stack`);
    if (n("change")) parts.push(`${n("change")} in-place change(s) to check`);
    if (mandatory) parts.push(`${mandatory} mandatory policy violation(s)`);
    const refused = r.changes.filter((c) => c.refused).length;
    if (refused) parts.push(`\`pulumi up\` refuses ${refused} step(s) as planned (protect)`);
    if (parts.length === 0) {
        const counts = countLine(r.changes);
        return counts === "no change" ? "No change: nothing to decide." : `Nothing to decide beyond the diff: ${counts}; nothing is replaced, dropped or forgotten.`;
    }
    const act = worst === "drop" || worst === "replace" || worst === "capacity" || worst === "revoke" || mandatory || refused ? "Decide before merging" : "Check before merging";
    return `${act}: this change ${parts.join("; ")}.`;
}

/** Text, like `pulumi preview --diff`: findings first, then the resources per group, then the counts. */
export function renderReviewText(r: Review, o: { showUnchanged?: boolean } = {}): string {
    const lines = [`astro-db plan ${r.stack} against ${againstLabel(r)}: ${verdict(r)}`];
    if (r.against.base === "absent") lines.push(`(the stack file did not exist at ${r.against.rev}: everything is new)`);
    if (r.findings.length) lines.push("", "Findings (worst first):", ...r.findings.map((f) => `  ! ${findingLine(f)}`));
    if (r.policy) lines.push("", r.policy.length ? "Policy violations:" : "Policy: no violation.", ...r.policy.map((v) => `  ! ${policyLine(v)}`));
    for (const [group, list] of groups(r.changes, !!o.showUnchanged)) {
        lines.push("", `${group}: ${countLine(list)}`);
        for (const c of list) lines.push(...resourceLines(c).map((l, i) => (i === 0 ? `  ${l}` : `  ${l}`)));
    }
    const counts = countActions(r.changes);
    lines.push("", "Resources:", ...(["create", "update", "replace", "delete", "forget"] as const).filter((a) => counts[a]).map((a) => `    ${SYMBOL[a].padEnd(2)} ${counts[a]} ${VERB[a]}`), `    ${counts.same} unchanged`);
    return lines.join("\n") + "\n";
}

/** The plan's JSON document with `against`, `findings`, `diff` (and `policy`) added; keys sorted. */
export function reviewJson(planJsonText: string, r: Review): string {
    const doc = JSON.parse(planJsonText) as Record<string, unknown>;
    doc.against = { ...(r.against.rev !== undefined ? { rev: r.against.rev } : { file: r.against.file }), base: r.against.base, ...(r.against.error === undefined ? {} : { error: r.against.error }) };
    doc.findings = r.findings.map((f) => ({ message: f.message, resource: f.resource, severity: f.severity }));
    doc.diff = {
        counts: countActions(r.changes),
        resources: r.changes.filter((c) => c.action !== "same").map((c) => ({
            action: c.action, type: c.type, name: c.name, group: c.group, replaceBecause: c.replaceBecause, protect: c.protect, retainOnDelete: c.retainOnDelete,
            ...(c.refused ? { refused: c.refused } : {}),
            changes: c.changes.map((ch) => ({ input: ch.input, ...("old" in ch ? { old: ch.old } : {}), ...("new" in ch ? { new: ch.new } : {}), secret: ch.secret, ...(ch.secretUnknown ? { secretUnknown: true } : {}), forcesReplacement: ch.forcesReplacement })),
            optionChanges: c.optionChanges,
        })),
    };
    if (r.policy) doc.policy = r.policy;
    const sorted = Object.fromEntries(Object.keys(doc).sort().map((k) => [k, doc[k]]));
    return JSON.stringify(sorted, null, 2) + "\n";
}

function escapeMd(s: string): string {
    return s.replace(/\|/g, "\\|").replace(/</g, "&lt;");
}

/**
 * Markdown for a sticky PR comment: the marker, a one-line verdict, the findings and policy
 * violations, a table of counts per action, then per Deployment (server, stack) a collapsible block
 * with its changes. Never longer than `maxChars`: blocks that do not fit are shortened to their
 * resource lines, then cut, and the comment says what was cut.
 */
export function renderReviewMarkdown(r: Review, o: { showUnchanged?: boolean; maxChars?: number } = {}): string {
    const max = o.maxChars ?? PR_COMMENT_MAX_CHARS;
    const counts = countActions(r.changes);
    const head: string[] = [
        commentMarker(r.stack),
        `### astro-db plan \`${r.stack}\` against \`${againstLabel(r)}\``,
        "",
        `**${escapeMd(verdict(r))}**`,
        "",
    ];
    if (r.against.base === "absent") head.push(`The stack file did not exist at \`${r.against.rev}\`: everything is new.`, "");
    if (r.findings.length) head.push("**Findings** (worst first):", "", ...r.findings.map((f) => `- **${f.severity}** \`${f.resource}\`: ${escapeMd(f.message)}`), "");
    if (r.policy) {
        head.push(r.policy.length ? "**Policy violations** (`--policy`, the rules of the `policy/` pack):" : "**Policy**: no violation.", "");
        if (r.policy.length) head.push(...r.policy.map((v) => `- **${v.enforcement}** ${v.policy}: \`${v.resource}\`: ${escapeMd(v.message)}`), "");
    }
    head.push(
        "| action | resources |",
        "|---|---:|",
        ...(["create", "update", "replace", "delete", "forget", "same"] as const).map((a) => `| ${a === "same" ? "unchanged" : a === "forget" ? "forget (retainOnDelete)" : a} | ${counts[a]} |`),
        "",
    );
    const blocks = [...groups(r.changes, !!o.showUnchanged)].map(([group, list]) => {
        const summary = `<details><summary><b>${escapeMd(group)}</b>: ${countLine(list)}</summary>\n\n`;
        const full = summary + "```diff\n" + list.flatMap((c) => resourceLines(c)).join("\n") + "\n```\n\n</details>\n";
        const short = summary + "```diff\n" + list.map(headLine).join("\n") + "\n```\n\n(inputs cut to fit the comment)\n\n</details>\n";
        return { group, full, short };
    });
    let body = head.join("\n") + "\n";
    const cut: string[] = [];
    const shortened: string[] = [];
    const reserve = 600; // the footer naming what was cut
    for (const b of blocks) {
        if (body.length + b.full.length + reserve <= max) body += b.full;
        else if (body.length + b.short.length + reserve <= max) { body += b.short; shortened.push(b.group); }
        else cut.push(b.group);
    }
    if (shortened.length || cut.length) {
        const names = (l: string[]) => (l.length > 8 ? `${l.slice(0, 8).join(", ")} and ${l.length - 8} more` : l.join(", "));
        body += `\n> Cut to fit a PR comment (${max} characters):` +
            (shortened.length ? ` inputs of ${names(shortened)};` : "") +
            (cut.length ? ` every change of ${names(cut)};` : "") +
            ` run \`npx astro-db plan --stack ${r.stack} --against ${r.against.rev ?? "<rev>"}\` for the whole diff.\n`;
    }
    if (body.length > max) body = body.slice(0, max - 80) + "\n\n> (cut at the PR comment limit)\n";
    return body;
}
