/**
 * A resource-level diff of two plans in Pulumi's terms, as `pulumi preview --diff` would show it:
 * create, update (each changed input, old -> new; secrets only as changed or unchanged), replace
 * (naming the inputs that force it, from the provider's replace-on-change list), delete, and forget
 * (a resource that leaves the stack with retainOnDelete: removed from the state, kept in the cloud).
 * Pure: it reads two resource graphs, from the stack program or from a saved plan JSON.
 */
import type { GraphResource } from "./graph";
import { SECRET_MASK } from "../engines/model";
import { replaceRule, valueAt } from "./replaceOnChanges";

export const ACTIONS = ["create", "update", "replace", "delete", "forget", "same"] as const;
export type Action = (typeof ACTIONS)[number];

export interface InputChange {
    /** The input's name (top level; nested changes are shown as the whole input's old and new value). */
    input: string;
    /** Absent when the input is new. Secrets are never shown: SECRET_MASK. */
    old?: unknown;
    new?: unknown;
    secret: boolean;
    /** A secret input whose change cannot be told (a saved plan without digests). */
    secretUnknown?: boolean;
    /** This change makes the provider replace the resource. */
    forcesReplacement: boolean;
}

export interface ResourceChange {
    action: Action;
    type: string;
    name: string;
    /** What the reviewer reads it under: `Deployment <release>`, `server <name>` or `stack`. */
    group: string;
    /** Changed inputs (update, replace) or all inputs (create, delete, forget). */
    changes: InputChange[];
    /** The inputs (or dotted paths) that force the replacement. */
    replaceBecause: string[];
    /** Option changes, e.g. protect false -> true. */
    optionChanges: { option: string; old: unknown; new: unknown }[];
    /** The effective options (the new ones; the old ones for a delete or forget). */
    protect: boolean;
    retainOnDelete: boolean;
    /** Why `pulumi up` will refuse it as planned (protect on a replace or delete). */
    refused?: string;
}

/** The part of a plan a diff needs (a StackGraph, or a plan JSON read back). */
export interface DiffInput {
    resources: GraphResource[];
}

const ROOT = "pulumi:pulumi:Stack";

/** Type chain as in a URN (`astro-db:index:AirflowDeploymentDatabase$postgresql:index/role:Role::name`): a resource's identity. */
function identities(resources: readonly GraphResource[]): Map<GraphResource, string> {
    const byKey = new Map(resources.map((r) => [`${r.type}::${r.name}`, r]));
    const ids = new Map<GraphResource, string>();
    const chain = (r: GraphResource): string[] => {
        const parent = r.parent !== undefined && r.parentType !== undefined ? byKey.get(`${r.parentType}::${r.parent}`) : undefined;
        return parent && parent.type !== ROOT ? [...chain(parent), r.type] : [r.type];
    };
    for (const r of resources) ids.set(r, `${chain(r).join("$")}::${r.name}`);
    return ids;
}

/** The group a resource is reviewed under: its Deployment, its server, or the stack. */
export function groupOf(r: GraphResource, resources: readonly GraphResource[]): string {
    const byKey = new Map(resources.map((x) => [`${x.type}::${x.name}`, x]));
    if (r.inputs.__kind === "DatabaseRemoval" && typeof r.inputs.release === "string") return `Deployment ${r.inputs.release}`;
    for (let at: GraphResource | undefined = r; at; at = at.parentType ? byKey.get(`${at.parentType}::${at.parent}`) : undefined) {
        if (at.type === "astro-db:index:AirflowDeploymentDatabase") return `Deployment ${at.name}`;
        if (at.type === "astro-db:aws:RdsServer") return `server ${at.name}`;
    }
    return "stack";
}

function stable(v: unknown): string {
    const sort = (x: unknown): unknown => {
        if (Array.isArray(x)) return x.map(sort);
        if (x && typeof x === "object") return Object.fromEntries(Object.keys(x).sort().map((k) => [k, sort((x as Record<string, unknown>)[k])]));
        return x;
    };
    return JSON.stringify(sort(v)) ?? "undefined";
}

/** Whether a secret input (or a field of it) changed: by digest; undefined when it cannot be told. */
function secretChanged(a: GraphResource, b: GraphResource, key: string): boolean | undefined {
    // A saved plan from before digests existed cannot tell.
    if (a.secretDigests === undefined || b.secretDigests === undefined) return undefined;
    return a.secretDigests[key] !== b.secretDigests[key];
}

function isSecret(r: GraphResource, key: string): boolean {
    return r.secretInputs.includes(key);
}

function inputList(r: GraphResource, side: "old" | "new"): InputChange[] {
    return Object.keys(r.inputs).filter((k) => !k.startsWith("__")).sort().map((k) => {
        const secret = isSecret(r, k);
        return { input: k, [side]: secret ? SECRET_MASK : r.inputs[k], secret, forcesReplacement: false };
    });
}

/** What changes between two resources with the same identity. */
function changeOf(a: GraphResource, b: GraphResource): Pick<ResourceChange, "changes" | "replaceBecause"> {
    const rule = replaceRule(b);
    const keys = [...new Set([...Object.keys(a.inputs), ...Object.keys(b.inputs)])].filter((k) => k !== "__provider").sort();
    const changes: InputChange[] = [];
    for (const k of keys) {
        const secret = isSecret(a, k) || isSecret(b, k);
        let changed: boolean | undefined;
        if (secret && (isSecret(a, k) && isSecret(b, k))) changed = secretChanged(a, b, k);
        else changed = stable(a.inputs[k]) !== stable(b.inputs[k]);
        if (changed === false) continue;
        const forces = !!rule && (rule.inputs.includes("*") || rule.inputs.some((p) => p === k || (p.startsWith(`${k}.`) && pathChanged(a, b, p))));
        changes.push({
            input: k,
            ...(k in a.inputs ? { old: secret ? SECRET_MASK : a.inputs[k] } : {}),
            ...(k in b.inputs ? { new: secret ? SECRET_MASK : b.inputs[k] } : {}),
            secret,
            ...(changed === undefined ? { secretUnknown: true } : {}),
            forcesReplacement: forces,
        });
    }
    const replaceBecause = rule
        ? changes.filter((c) => c.forcesReplacement && !c.secretUnknown).flatMap((c) =>
            rule.inputs.includes("*") || rule.inputs.includes(c.input) ? [c.input] : rule.inputs.filter((p) => p.startsWith(`${c.input}.`) && pathChanged(a, b, p)))
        : [];
    for (const c of changes) if (c.forcesReplacement && !replaceBecause.some((p) => p === c.input || p.startsWith(`${c.input}.`))) c.forcesReplacement = false;
    return { changes, replaceBecause };
}

/** Whether a nested path changed; for a secret input, by the digest of that field. */
function pathChanged(a: GraphResource, b: GraphResource, p: string): boolean {
    const top = p.split(".")[0];
    if (isSecret(a, top) || isSecret(b, top)) return secretChanged(a, b, p) === true;
    return stable(valueAt(a.inputs, p)) !== stable(valueAt(b.inputs, p));
}

const OPTIONS = ["protect", "retainOnDelete", "provider", "deletedWith"] as const;

/**
 * Every custom resource of either plan with what `pulumi up` would do to it, base first order
 * (the head's registration order, then what leaves the stack).
 */
export function diffPlans(base: DiffInput, head: DiffInput): ResourceChange[] {
    const baseIds = identities(base.resources);
    const headIds = identities(head.resources);
    const before = new Map([...baseIds].filter(([r]) => r.custom).map(([r, id]) => [id, r]));
    const out: ResourceChange[] = [];
    for (const [r, id] of headIds) {
        if (!r.custom) continue;
        const old = before.get(id);
        const common = { type: r.type, name: r.name, group: groupOf(r, head.resources), protect: r.options.protect, retainOnDelete: r.options.retainOnDelete };
        if (!old) {
            out.push({ ...common, action: "create", changes: inputList(r, "new"), replaceBecause: [], optionChanges: [] });
            continue;
        }
        const { changes, replaceBecause } = changeOf(old, r);
        const optionChanges = OPTIONS.filter((o) => stable(old.options[o]) !== stable(r.options[o])).map((o) => ({ option: o, old: old.options[o] ?? null, new: r.options[o] ?? null }));
        const action: Action = replaceBecause.length ? "replace" : changes.length || optionChanges.length ? "update" : "same";
        out.push({
            ...common, action, changes, replaceBecause, optionChanges,
            // The engine checks the protect recorded in the state, i.e. the old one.
            ...(action === "replace" && old.options.protect ? { refused: "protected: `pulumi up` refuses to replace it until protect is lifted" } : {}),
        });
    }
    const after = new Set(headIds.values());
    const headNames = new Set(head.resources.map((x) => x.name));
    for (const [r, id] of baseIds) {
        if (!r.custom || after.has(id)) continue;
        // deletedWith a resource that leaves too: Pulumi skips the provider's delete, as for retainOnDelete.
        const forget = r.options.retainOnDelete || (r.options.deletedWith !== undefined && !headNames.has(r.options.deletedWith));
        out.push({
            type: r.type, name: r.name, group: groupOf(r, base.resources), protect: r.options.protect, retainOnDelete: forget,
            action: forget ? "forget" : "delete", changes: inputList(r, "old"), replaceBecause: [], optionChanges: [],
            ...(r.options.protect ? { refused: `protected: \`pulumi up\` refuses to ${forget ? "remove it from the state" : "delete it"} until protect is lifted` } : {}),
        });
    }
    return out;
}

/** Counts per action (every action present, zero or not). */
export function countActions(changes: readonly ResourceChange[]): Record<Action, number> {
    const counts = Object.fromEntries(ACTIONS.map((a) => [a, 0])) as Record<Action, number>;
    for (const c of changes) counts[c.action]++;
    return counts;
}
