/**
 * What a reviewer must see before merging a stack change: compares the plan of the stack file at a
 * base revision with the current one and flags every change that replaces an RDS instance, every
 * database or role that leaves the stack, and every removal that drops data.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { replacementInputs } from "../components/aws";
import { GraphResource, runStackGraph, stackFilePath, StackGraph } from "./graph";

export interface Finding {
    severity: "replace" | "drop" | "forget";
    resource: string;
    message: string;
}

/** Types that hold data: leaving the stack means Pulumi forgets them (retainOnDelete) or, if not retained, drops them. */
const DATA_TYPES = new Set([
    "aws:rds/instance:Instance",
    "postgresql:index/database:Database",
    "postgresql:index/role:Role",
    "mysql:index/database:Database",
    "mysql:index/user:User",
]);

const key = (r: GraphResource) => `${r.type}::${r.name}`;

export function compareGraphs(base: StackGraph, head: StackGraph): Finding[] {
    const findings: Finding[] = [];
    const before = new Map(base.resources.map((r) => [key(r), r]));
    const after = new Map(head.resources.map((r) => [key(r), r]));
    for (const [k, r] of after) {
        const old = before.get(k);
        if (r.type === "aws:rds/instance:Instance" && old) {
            for (const input of replacementInputs) {
                const a = JSON.stringify(old.inputs[input]);
                const b = JSON.stringify(r.inputs[input]);
                if (a !== b) {
                    findings.push({
                        severity: "replace", resource: r.name,
                        message: `${input} changes ${a ?? "unset"} -> ${b ?? "unset"}: AWS REPLACES this instance (a new, empty server; the old one is deleted after its final snapshot, once deletion protection and protect are lifted)`,
                    });
                }
            }
        }
        if (r.inputs.__kind === "DatabaseRemoval" && !old) {
            findings.push({ severity: "drop", resource: r.name, message: `drops database ${r.inputs.database} and roles ${(r.inputs.roles as string[]).join(", ")} (retired ${r.inputs.retiredAt}, retention ended ${r.inputs.removeOn})` });
        }
    }
    for (const [k, r] of before) {
        if (!after.has(k) && DATA_TYPES.has(r.type)) {
            findings.push(r.options.retainOnDelete
                ? { severity: "forget", resource: r.name, message: `leaves the stack: Pulumi forgets it and it stays on the server (retainOnDelete)${r.options.protect ? "; it is protected, so `pulumi up` refuses until it is unprotected" : ""}` }
                : { severity: "drop", resource: r.name, message: `leaves the stack and is NOT retained: \`pulumi up\` deletes it${r.options.protect ? " (protect blocks it until lifted)" : ""}` });
        }
    }
    return findings;
}

/** The stack file as it was at a git revision, written to a temporary file. */
export function stackFileAt(stack: string, rev: string): string {
    const file = stackFilePath(stack);
    const top = execFileSync("git", ["rev-parse", "--show-toplevel"], { cwd: path.dirname(file), encoding: "utf8" }).trim();
    const rel = path.relative(top, file);
    const text = execFileSync("git", ["show", `${rev}:${rel}`], { cwd: top, encoding: "utf8" });
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "astro-db-base-")), path.basename(file));
    fs.writeFileSync(out, text);
    return out;
}

export async function compareWithRevision(stack: string, rev: string, today?: Date): Promise<Finding[]> {
    const base = await runStackGraph(stack, { file: stackFileAt(stack, rev), today });
    const head = await runStackGraph(stack, { today });
    return compareGraphs(base, head);
}

export function renderFindings(rev: string, findings: Finding[]): string {
    if (findings.length === 0) return `Against ${rev}: no replacement, no database or role leaves the stack, nothing is dropped.\n`;
    return [`Against ${rev}: ${findings.length} change(s) a reviewer must see:`, ...findings.map((f) => `  ! [${f.severity}] ${f.resource}: ${f.message}`)].join("\n") + "\n";
}
