/**
 * What a reviewer must see before merging a stack change: compares the plan of the stack file at a
 * base revision with the current one and flags every change that replaces an RDS instance or lifts
 * its deletion protection, renames it or changes its engine version, every database or role that
 * leaves the stack, and every removal that drops data.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { parameterGroupFamily, replacementInputs } from "../components/aws";
import type { RdsEngine } from "../components/aws";
import { InputError } from "../engines/url";
import { ConfigError } from "../stacks/configError";
import { GraphResource, runStackGraph, stackFilePath, StackGraph } from "./graph";
import { assessStack, capacityFindings } from "./capacity";
import { Finding, Severity, SEVERITIES } from "./findings";

/** The outcome of `plan --against <rev>`. */
export interface Comparison {
    rev: string;
    /** compared: both plans ran; absent: no stack file at rev (everything is new); invalid: the file at rev does not validate. */
    base: "compared" | "absent" | "invalid";
    /** Why the base could not be compared (base "invalid"). */
    error?: string;
    findings: Finding[];
    /** The plan at the revision (base "compared"), for a resource diff (cli/review.ts). */
    baseGraph?: StackGraph;
}

/** Types that hold data: leaving the stack means Pulumi forgets them (retainOnDelete) or, if not retained, drops them. */
const DATA_TYPES = new Set([
    "aws:rds/instance:Instance",
    "postgresql:index/database:Database",
    "postgresql:index/role:Role",
    "mysql:index/database:Database",
    "mysql:index/user:User",
]);

const RDS_INSTANCE = "aws:rds/instance:Instance";

const key = (r: GraphResource) => `${r.type}::${r.name}`;
const show = (v: unknown) => JSON.stringify(v) ?? "unset";

/** The database, role or user name a data resource declares. */
const dataName = (r: GraphResource) => String(r.inputs.name ?? r.inputs.user ?? r.name);

/** Worst first (drop, replace, forget, change); resources keep their order within a severity. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
    return [...findings].sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity));
}

/**
 * The findings, worst first, one per resource: a new removal's finding speaks for the database and
 * roles it drops (they leave the stack in the same update), so they are not flagged again as forgotten.
 */
export function compareGraphs(base: Pick<StackGraph, "resources">, head: Pick<StackGraph, "resources">): Finding[] {
    const findings: Finding[] = [];
    const before = new Map(base.resources.map((r) => [key(r), r]));
    const after = new Map(head.resources.map((r) => [key(r), r]));
    const leaving = [...before].filter(([k, r]) => !after.has(k) && DATA_TYPES.has(r.type)).map(([, r]) => r);
    const dropped = new Set<GraphResource>();
    for (const [k, r] of after) {
        const old = before.get(k);
        if (r.type === RDS_INSTANCE && old) findings.push(...rdsChanges(old, r));
        if (r.inputs.__kind === "DatabaseRemoval" && !old) {
            const names = new Set([String(r.inputs.database), ...(r.inputs.roles as string[])]);
            const mine = leaving.filter((x) => x.type !== RDS_INSTANCE && names.has(dataName(x)));
            mine.forEach((x) => dropped.add(x));
            const protectedOnes = mine.filter((x) => x.options.protect);
            findings.push({
                severity: "drop", resource: r.name,
                message: `drops database ${r.inputs.database} and roles ${(r.inputs.roles as string[]).join(", ")} (retired ${r.inputs.retiredAt}, retention ended ${r.inputs.removeOn})` +
                    (protectedOnes.length
                        ? `; ${protectedOnes.map((x) => x.name).join(", ")} ${protectedOnes.length === 1 ? "is" : "are"} protected in the base plan, and Pulumi refuses to remove a protected resource from the stack: ` +
                          "before `pulumi up`, run `pulumi state unprotect <urn>` for each (`pulumi stack --show-urns` lists them), or the update fails on them"
                        : ""),
            });
        }
    }
    findings.push(...revokedPrivileges(before, after, new Set([...dropped].map(dataName))));
    for (const r of leaving.filter((x) => !dropped.has(x))) {
        findings.push(r.options.retainOnDelete
            ? { severity: "forget", resource: r.name, message: `leaves the stack: Pulumi forgets it and it stays on the server (retainOnDelete)${r.options.protect ? "; it is protected, so `pulumi up` refuses until it is unprotected" : ""}` }
            : { severity: "drop", resource: r.name, message: `leaves the stack and is NOT retained: \`pulumi up\` deletes it${r.options.protect ? " (protect blocks it until lifted)" : ""}` });
    }
    return sortFindings(findings);
}

/** Privilege-bearing types: a resource of one that leaves the stack is revoked (not retained). */
const PRIVILEGE_TYPES = new Set(["postgresql:index/grant:Grant", "postgresql:index/defaultPrivileges:DefaultPrivileges", "mysql:index/grant:Grant"]);
const isPrivilege = (r: GraphResource) => PRIVILEGE_TYPES.has(r.type) || r.inputs.__kind === "RoleMembership";
/** The inputs that make a privilege resource another one (a change replaces it: the old one is revoked). */
const IDENTITY = ["role", "member", "user", "host", "database", "schema", "objectType", "objects", "owner", "table"];

function privilegeText(r: GraphResource, privileges = r.inputs.privileges as string[] | undefined): string {
    const i = r.inputs;
    if (i.__kind === "RoleMembership") return `the membership of ${show(i.member)} in role ${show(i.role)}`;
    const what = privileges?.length ? privileges.join(", ") : "every privilege";
    if (r.type === "mysql:index/grant:Grant") return `${what} on ${i.database}.${i.table ?? "*"} from '${i.user}'@'${i.host ?? "%"}'`;
    const on = i.objectType === "database" ? `database ${i.database}` : `${i.objectType}${i.objectType === "schema" ? "" : "s"} in ${i.database}${i.schema ? `.${i.schema}` : ""}`;
    return `${r.type.endsWith("DefaultPrivileges") ? "default privileges " : ""}${what} on ${on} from ${show(i.role)}`;
}

/**
 * Grants and memberships that `pulumi up` revokes: those that leave the stack, or are replaced by another
 * one (another grantee, database, schema), while what they are on stays; and privileges an update drops.
 * Not those deleted with their database (deletedWith) when it leaves too, nor those of roles a removal drops.
 */
function revokedPrivileges(before: Map<string, GraphResource>, after: Map<string, GraphResource>, droppedNames: Set<string>): Finding[] {
    const findings: Finding[] = [];
    const headNames = new Set([...after.values()].map((r) => r.name));
    for (const [k, old] of before) {
        if (!isPrivilege(old) || old.options.retainOnDelete) continue;
        const now = after.get(k);
        const gone = (name: unknown) => typeof name === "string" && droppedNames.has(name);
        if (now === undefined) {
            if (old.options.deletedWith !== undefined && !headNames.has(old.options.deletedWith)) continue;
            if ([old.inputs.role, old.inputs.member, old.inputs.user, old.inputs.database].some(gone)) continue;
            findings.push({ severity: "revoke", resource: old.name, message: `leaves the stack: \`pulumi up\` revokes ${privilegeText(old)}` });
            continue;
        }
        const changed = IDENTITY.filter((key) => show(old.inputs[key]) !== show(now.inputs[key]));
        if (changed.length) {
            findings.push({ severity: "revoke", resource: old.name, message: `${changed.map((key) => `${key} changes ${show(old.inputs[key])} -> ${show(now.inputs[key])}`).join(", ")}: \`pulumi up\` revokes ${privilegeText(old)} and grants ${privilegeText(now)}` });
            continue;
        }
        const had = (old.inputs.privileges as string[] | undefined) ?? [];
        const has = new Set((now.inputs.privileges as string[] | undefined) ?? []);
        const lost = had.filter((p) => !has.has(p));
        if (lost.length && !now.options.ignoreChanges.includes("privileges")) {
            findings.push({ severity: "revoke", resource: old.name, message: `privileges change: \`pulumi up\` revokes ${privilegeText(old, lost)}` });
        }
    }
    return findings;
}

/** What changes on one RDS instance that a reviewer must see. */
function rdsChanges(old: GraphResource, r: GraphResource): Finding[] {
    const findings: Finding[] = [];
    const add = (severity: Severity, message: string) => findings.push({ severity, resource: r.name, message });
    for (const input of replacementInputs) {
        const a = show(old.inputs[input]);
        const b = show(r.inputs[input]);
        if (a !== b) {
            add("replace", `${input} changes ${a} -> ${b}: AWS REPLACES this instance (a new, empty server; the old one is deleted after its final snapshot, once deletion protection and protect are lifted)`);
        }
    }
    if (old.inputs.deletionProtection !== false && r.inputs.deletionProtection === false) {
        add("replace", `deletionProtection changes ${show(old.inputs.deletionProtection)} -> false: AWS no longer refuses to delete this instance, so a later replacement or removal from the stack deletes it (after its final snapshot)`);
    }
    if (old.inputs.identifier !== r.inputs.identifier) {
        add("replace", `identifier changes ${show(old.inputs.identifier)} -> ${show(r.inputs.identifier)}: RDS renames the instance in place (its data stays), but its endpoint and EVERY connection string change: ` +
            "clients fail until they use the new host (re-apply Houston's connections and values.yaml; secrets the stack manages are rewritten), and the subnet, security and parameter groups named after it are replaced");
    }
    if (old.inputs.engineVersion !== r.inputs.engineVersion) {
        const [a, b] = [String(old.inputs.engineVersion), String(r.inputs.engineVersion)];
        const major = majorOf(r.inputs.engine, a) !== majorOf(r.inputs.engine, b);
        const down = compareVersions(b, a) < 0;
        const what = down
            ? `a ${major ? "major " : ""}DOWNGRADE, which RDS cannot do in place: \`pulumi up\` fails`
            : major
                ? "a MAJOR version upgrade, in place (same instance and endpoint, data kept): the server is down while RDS upgrades it, and the only way back is a restore from a snapshot; check that Airflow supports the new version" +
                  (r.inputs.allowMajorVersionUpgrade === false ? "; RDS refuses it while allowMajorVersionUpgrade is false" : "")
                : "a minor version change, in place, in the next maintenance window unless applied immediately";
        add(major ? "replace" : "change", `engineVersion changes ${show(old.inputs.engineVersion)} -> ${show(r.inputs.engineVersion)}: ${what}`);
    }
    return findings;
}

/** The major version as RDS counts it: its parameter group family (postgres16, mysql8.4). */
function majorOf(engine: unknown, version: string): string {
    try {
        return parameterGroupFamily(String(engine) as RdsEngine, version);
    } catch {
        return version;
    }
}

function compareVersions(a: string, b: string): number {
    const pa = a.split(".").map(Number);
    const pb = b.split(".").map(Number);
    for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
        const d = (pa[i] ?? 0) - (pb[i] ?? 0);
        if (d) return d;
    }
    return 0;
}

function git(args: string[], cwd: string): string {
    return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/**
 * The stack file as it was at a git revision, written to a temporary file; undefined when the file
 * did not exist at that revision. Throws when `rev` is not a revision.
 */
export function stackFileAt(stack: string, rev: string, file = stackFilePath(stack)): string | undefined {
    const dir = path.dirname(file);
    let top: string;
    try {
        top = git(["rev-parse", "--show-toplevel"], dir).trim();
    } catch {
        throw new Error(`--against ${rev}: ${dir} is not in a git checkout`);
    }
    try {
        git(["rev-parse", "--verify", "--quiet", `${rev}^{commit}`], top);
    } catch {
        throw new Error(`--against ${rev}: not a git revision (a branch, tag or commit; fetch it first if it is remote)`);
    }
    const rel = path.relative(top, fs.realpathSync(file)).split(path.sep).join("/");
    try {
        git(["cat-file", "-e", `${rev}:${rel}`], top);
    } catch {
        return undefined;
    }
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "astro-db-base-")), path.basename(file));
    fs.writeFileSync(out, git(["show", `${rev}:${rel}`], top));
    return out;
}

export interface CompareOptions {
    /** The day retention is judged on (both plans). */
    today?: Date;
    /** The current stack file (default stacks/Pulumi.<stack>.yaml); the base is the same path at the revision. */
    file?: string;
    /** The current plan, when the caller already has it (else it is run here). */
    head?: StackGraph;
}

export async function compareWithRevision(stack: string, rev: string, o: CompareOptions = {}): Promise<Comparison> {
    const base = stackFileAt(stack, rev, o.file);
    const head = o.head ?? await runStackGraph(stack, { today: o.today, file: o.file });
    if (base === undefined) return { rev, base: "absent", findings: [...compareGraphs({ resources: [] }, head), ...capacityFindings(undefined, assessStack(head.spec))] };
    let baseGraph: StackGraph;
    try {
        baseGraph = await runStackGraph(stack, { file: base, fileLabel: `${rev}:${path.basename(base)}`, today: o.today });
    } catch (err) {
        if (err instanceof ConfigError || err instanceof InputError || err instanceof YAML.YAMLError) {
            return { rev, base: "invalid", error: `the stack file at ${rev} is invalid: ${err.message}`, findings: [] };
        }
        throw err;
    }
    return { rev, base: "compared", baseGraph, findings: [...compareGraphs(baseGraph, head), ...capacityFindings(assessStack(baseGraph.spec), assessStack(head.spec))] };
}

/** True when a finding has severity `level` or worse (drop > replace > capacity > forget > change). */
export function failsOn(findings: readonly Finding[], level: Severity): boolean {
    const rank = (s: Severity) => SEVERITIES.indexOf(s);
    return findings.some((f) => rank(f.severity) <= rank(level));
}
