/**
 * `astro-db plan`: the stack's resource tree and outputs, rendered as text, stable JSON or Markdown.
 */
import { RetentionState } from "../components/retention";
import { GraphResource, StackGraph } from "./graph";
import { assessStack, capacityMarkdown, capacityText } from "./capacity";

export type PlanFormat = "text" | "json" | "markdown";

/** The documented, stable JSON form (README "Plan JSON"): sorted keys, resources in registration order. */
export function planJson(graph: StackGraph): string {
    const doc = {
        stack: graph.stack,
        resources: graph.resources.map((r) => ({
            type: r.type,
            name: r.name,
            parent: r.parent ?? null,
            parentType: r.parentType ?? null,
            custom: r.custom,
            inputs: r.inputs,
            secretInputs: r.secretInputs,
            secretDigests: r.secretDigests ?? {},
            options: {
                protect: r.options.protect,
                retainOnDelete: r.options.retainOnDelete,
                dependsOn: r.options.dependsOn,
                ignoreChanges: r.options.ignoreChanges,
                provider: r.options.provider ?? null,
                deletedWith: r.options.deletedWith ?? null,
            },
        })),
        outputs: graph.outputs,
        capacity: assessStack(graph.spec),
    };
    return JSON.stringify(sortKeys(doc), null, 2) + "\n";
}

function sortKeys(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v && typeof v === "object") {
        return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
    }
    return v;
}

/** The inputs a reviewer reads first, per type; other inputs are in the JSON form. */
const KEY_INPUTS: Record<string, string[]> = {
    "aws:rds/instance:Instance": ["identifier", "engine", "engineVersion", "instanceClass", "multiAz", "storageEncrypted", "deletionProtection", "backupRetentionPeriod", "publiclyAccessible"],
    "postgresql:index/database:Database": ["name", "owner"],
    "postgresql:index/role:Role": ["name", "login", "password", "searchPaths"],
    "postgresql:index/grant:Grant": ["role", "database", "schema", "objectType", "privileges"],
    "postgresql:index/defaultPrivileges:DefaultPrivileges": ["role", "owner", "schema", "objectType", "privileges"],
    "postgresql:index/schema:Schema": ["name", "database", "owner"],
    "mysql:index/database:Database": ["name", "defaultCharacterSet"],
    "mysql:index/user:User": ["user", "host", "plaintextPassword"],
    "mysql:index/grant:Grant": ["user", "host", "database", "privileges"],
    "kubernetes:core/v1:Secret": ["metadata", "stringData"],
    // Dynamic resources (RoleMembership, DatabaseRemoval, ...): absent keys are left out.
    "pulumi-nodejs:dynamic:Resource": ["__kind", "role", "member", "inherit", "set", "admin"],
};

function summary(r: GraphResource): string {
    const keys = KEY_INPUTS[r.type] ?? [];
    const parts = keys.filter((k) => r.inputs[k] !== undefined).map((k) => {
        let v = r.inputs[k];
        if (k === "metadata" && v && typeof v === "object") v = `${(v as { namespace?: string }).namespace}/${(v as { name?: string }).name}`;
        return `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`;
    });
    return parts.join(" ");
}

function flags(r: GraphResource): string {
    const f: string[] = [];
    if (r.options.protect) f.push("protect");
    if (r.options.retainOnDelete) f.push("retainOnDelete");
    if (r.options.ignoreChanges.length) f.push(`ignoreChanges:${r.options.ignoreChanges.join(",")}`);
    return f.length ? ` [${f.join(" ")}]` : "";
}

const nodeKey = (type: string | undefined, name: string | undefined) => `${type}::${name}`;

function children(graph: StackGraph): Map<string, GraphResource[]> {
    const byParent = new Map<string, GraphResource[]>();
    for (const r of graph.resources) {
        if (r.type === "pulumi:pulumi:Stack") continue;
        const key = nodeKey(r.parentType, r.parent);
        byParent.set(key, [...(byParent.get(key) ?? []), r]);
    }
    return byParent;
}

/** One line per Deployment that is not simply active: what is retired, since when, and when it goes. */
export function retentionLines(graph: StackGraph): string[] {
    const retention = (graph.outputs.retention ?? {}) as Record<string, RetentionState>;
    return Object.entries(retention).flatMap(([release, r]) => {
        if (r.state === "retired") return [`${release}: retired since ${r.retiredAt}; login disabled, secrets removed, database kept until ${r.removeOn} (${r.daysLeft} days left), then removed by the next update`];
        if (r.state === "expired") return [`${release}: retired since ${r.retiredAt}; retention ended ${r.removeOn}: THIS UPDATE DROPS its database and roles`];
        return [];
    });
}

/** One line per Deployment: who owns its secrets, what the stack writes, what the pods connect to (issue 12). */
export function secretsLines(graph: StackGraph): string[] {
    const deployments = (graph.outputs.deployments ?? {}) as Record<string, { secrets?: { owner: string; writes: string[]; podsConnectTo: string; note: string } }>;
    return Object.entries(deployments).flatMap(([release, d]) => (d.secrets
        ? [`${release}: secrets ${d.secrets.owner}: ${d.secrets.note}${d.secrets.writes.length ? ` (${d.secrets.writes.join(", ")})` : ""}; pods connect to ${d.secrets.podsConnectTo}`]
        : []));
}

export function planText(graph: StackGraph): string {
    const lines: string[] = [`Stack ${graph.stack}: ${graph.resources.filter((r) => r.custom).length} resources`, ""];
    const byParent = children(graph);
    const walk = (parent: string, depth: number) => {
        for (const r of byParent.get(parent) ?? []) {
            const s = summary(r);
            lines.push(`${"  ".repeat(depth)}${r.custom ? "+" : "◇"} ${r.type} ${r.name}${flags(r)}${s ? `  ${s}` : ""}`);
            walk(nodeKey(r.type, r.name), depth + 1);
        }
    };
    const root = graph.resources.find((r) => r.type === "pulumi:pulumi:Stack");
    walk(nodeKey(root?.type, root?.name), 0);
    const retention = retentionLines(graph);
    if (retention.length) lines.push("", "Retention:", ...retention.map((l) => `  ${l}`));
    lines.push("", ...capacityText(assessStack(graph.spec)));
    const secrets = secretsLines(graph);
    if (secrets.length) lines.push("", "Secrets:", ...secrets.map((l) => `  ${l}`));
    lines.push("", "Outputs:", indent(JSON.stringify(graph.outputs, null, 2), 2));
    return lines.join("\n") + "\n";
}

export function planMarkdown(graph: StackGraph): string {
    const custom = graph.resources.filter((r) => r.custom);
    const counts = new Map<string, number>();
    for (const r of custom) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
    const out: string[] = [
        `## astro-db plan: \`${graph.stack}\``,
        "",
        `${custom.length} resources; protected: ${custom.filter((r) => r.options.protect).length}; kept on delete: ${custom.filter((r) => r.options.retainOnDelete).length}.`,
        "",
        "| type | count |",
        "|---|---|",
        ...[...counts].map(([t, n]) => `| \`${t}\` | ${n} |`),
        "",
        "| resource | type | key inputs | options |",
        "|---|---|---|---|",
        ...custom.map((r) => `| \`${r.name}\` | \`${r.type}\` | ${escapeCell(summary(r))} | ${escapeCell(flags(r).trim())} |`),
        "",
        ...(retentionLines(graph).length ? ["### Retention", "", ...retentionLines(graph).map((l) => `- ${l}`), ""] : []),
        ...capacityMarkdown(assessStack(graph.spec)),
        ...(secretsLines(graph).length ? ["### Secrets", "", ...secretsLines(graph).map((l) => `- ${escapeCell(l)}`), ""] : []),
        "<details><summary>Outputs (secrets masked)</summary>",
        "",
        "```json",
        JSON.stringify(graph.outputs, null, 2),
        "```",
        "",
        "</details>",
    ];
    return out.join("\n") + "\n";
}

function escapeCell(s: string): string {
    return s.replace(/\|/g, "\\|");
}

function indent(s: string, n: number): string {
    return s.split("\n").map((l) => " ".repeat(n) + l).join("\n");
}

export function renderPlan(graph: StackGraph, format: PlanFormat): string {
    switch (format) {
        case "json": return planJson(graph);
        case "markdown": return planMarkdown(graph);
        case "text": return planText(graph);
    }
}
