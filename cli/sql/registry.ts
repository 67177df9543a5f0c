/**
 * From the stack's resource graph to ordered SQL steps, through the engines' translators (type
 * token -> steps; dynamic-provider resources share one type token and are told apart by `__kind`).
 * The translators are a parameter (default: every engine's, engines/index.ts).
 */
import type { GraphResource, StackGraph } from "../graph";
import type { DeploymentSpec, ServerSpec } from "../../stacks/config";
import { ALL_TRANSLATORS, ENGINES } from "../../engines";
import { DYNAMIC_TYPE, SqlStep, TranslateContext, Translator, Translators } from "../../engines/model";
import { REMOVAL_KIND } from "../../engines/removal";

export type { TranslateContext, Translator };

export function translatorFor(r: GraphResource, translators: Translators = ALL_TRANSLATORS): Translator | undefined {
    if (r.type === DYNAMIC_TYPE) {
        const kind = r.inputs.__kind;
        return typeof kind === "string" ? translators.byDynamicKind[kind] : undefined;
    }
    return translators.byType[r.type];
}

/** Resource types that never amount to SQL (no warning when they have no translator). */
const NOT_SQL = /^(pulumi:|random:|kubernetes:|aws:|astro-db:)/;

/** Per server: who runs the SQL and where it starts. */
export interface ServerSqlContext {
    adminUser: string;
    adminIsSuperuser: boolean;
    maintenanceDatabase: string;
}

export interface TranslateOptions {
    /** Only this server's steps. */
    server?: string;
    /** Only this Deployment's steps (server-wide steps are left out). */
    deployment?: string;
    /** Override what the stack says about a server's admin, e.g. with what the live server says. */
    serverContext?: (server: ServerSpec, fromStack: ServerSqlContext) => ServerSqlContext;
    /** The translators to use; every engine's by default. */
    translators?: Translators;
}

export interface Translation {
    /** Ordered: server-wide steps first, then each Deployment's in the stack's order; within each, by dependsOn then registration. */
    steps: SqlStep[];
    /** Resources that should amount to SQL but have no translator. */
    warnings: string[];
}

export function translateGraph(graph: StackGraph, options: TranslateOptions = {}): Translation {
    const spec = graph.spec;
    const releases = new Map(spec.deployments.map((d) => [d.release, d]));
    // A typo in a name must not read as "nothing to do" (exit 0): every command refuses it.
    if (options.server !== undefined && !spec.servers.some((s) => s.name === options.server)) {
        throw new Error(`--server ${options.server}: stack "${spec.stack}" has no such server (servers: ${spec.servers.map((s) => s.name).join(", ")})`);
    }
    if (options.deployment !== undefined && !releases.has(options.deployment)) {
        throw new Error(`--deployment ${options.deployment}: stack "${spec.stack}" has no such Deployment (Deployments: ${spec.deployments.map((d) => d.release).join(", ")})`);
    }
    const byName = new Map<string, GraphResource[]>();
    for (const r of graph.resources) byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
    const warnings: string[] = [];

    const serverContexts = new Map<string, ServerSqlContext>();
    const contextFor = (server: ServerSpec): ServerSqlContext => {
        let c = serverContexts.get(server.name);
        if (!c) {
            const fromStack = stackServerContext(graph, server);
            c = options.serverContext ? options.serverContext(server, fromStack) : fromStack;
            serverContexts.set(server.name, c);
        }
        return c;
    };

    const translated: { resource: GraphResource; index: number; steps: SqlStep[]; deployment?: string }[] = [];
    graph.resources.forEach((r, index) => {
        if (!r.custom || (NOT_SQL.test(r.type) && r.type !== DYNAMIC_TYPE)) return;
        const release = deploymentOf(r, byName, releases);
        if (options.deployment !== undefined && release !== options.deployment) return;
        const deployment = release === undefined ? undefined : releases.get(release);
        const server = deployment ? spec.servers.find((s) => s.name === deployment.server) : serverOf(r, byName, graph);
        if (options.server !== undefined && server !== undefined && server.name !== options.server) return;
        const translator = translatorFor(r, options.translators);
        if (!translator) {
            const kind = r.type === DYNAMIC_TYPE ? ` (__kind ${JSON.stringify(r.inputs.__kind)})` : "";
            warnings.push(`no SQL translator for ${r.type}${kind} ${r.name}: its SQL is not shown, applied or audited`);
            return;
        }
        if (!server) {
            warnings.push(`cannot tell which server ${r.type} ${r.name} is on: its SQL is left out`);
            return;
        }
        const steps = translator(r, { deployment, ...contextFor(server) });
        translated.push({ resource: r, index, steps: steps.map((s) => ({ ...s, server: server.name, deployment: release })), deployment: release });
    });

    // Group: server-wide first, then Deployments in the stack's order; order each group by dependsOn.
    const groupOrder = [undefined, ...spec.deployments.map((d) => d.release)];
    const ordered = groupOrder.flatMap((g) => topological(translated.filter((t) => t.deployment === g)));
    const position = new Map(ordered.map((t, i) => [t.resource.name, i]));
    for (const t of ordered) {
        for (const dep of t.resource.options.dependsOn) {
            const p = position.get(dep);
            if (p !== undefined && p > position.get(t.resource.name)!) {
                throw new Error(`${t.resource.name} depends on ${dep}, which belongs to a later Deployment: astro-db cannot order their SQL`);
            }
        }
    }
    return { steps: ordered.flatMap((t) => t.steps), warnings };
}

/** Kahn's algorithm over explicit dependsOn, the earliest-registered ready resource first. */
function topological<T extends { resource: GraphResource; index: number }>(items: T[]): T[] {
    const names = new Set(items.map((t) => t.resource.name));
    const pending = [...items].sort((a, b) => a.index - b.index);
    const done = new Set<string>();
    const out: T[] = [];
    while (pending.length) {
        const i = pending.findIndex((t) => t.resource.options.dependsOn.every((d) => !names.has(d) || done.has(d)));
        if (i < 0) throw new Error(`dependency cycle among ${pending.map((t) => t.resource.name).join(", ")}`);
        const [next] = pending.splice(i, 1);
        done.add(next.resource.name);
        out.push(next);
    }
    return out;
}

/** The Deployment a resource belongs to: every component of a Deployment is named after its release. */
function deploymentOf(r: GraphResource, byName: Map<string, GraphResource[]>, releases: Map<string, DeploymentSpec>): string | undefined {
    // An expired Deployment has no component left: its removal names its release.
    if (r.inputs.__kind === REMOVAL_KIND && typeof r.inputs.release === "string" && releases.has(r.inputs.release)) return r.inputs.release;
    const seen = new Set<string>();
    for (let name = r.parent; name !== undefined && !seen.has(name); name = byName.get(name)?.find((p) => p.parent !== undefined)?.parent) {
        if (releases.has(name)) return name;
        seen.add(name);
    }
    return undefined;
}

/** The server of a resource outside any Deployment: through the provider it (or an ancestor) names. */
function serverOf(r: GraphResource, byName: Map<string, GraphResource[]>, graph: StackGraph): ServerSpec | undefined {
    const seen = new Set<string>();
    let current: GraphResource | undefined = r;
    while (current && !seen.has(current.name)) {
        seen.add(current.name);
        const provider = current.options.provider;
        if (provider) {
            const server = graph.spec.servers.find((s) => provider === providerName(s));
            if (server) return server;
        }
        current = current.parent === undefined ? undefined : byName.get(current.parent)?.[0];
    }
    // The engine whose provider package or dynamic kind the resource is.
    const engine = Object.values(ENGINES).find((e) => r.type.startsWith(`${e.pulumiPackage}:`)
        || (r.type === DYNAMIC_TYPE && Object.hasOwn(e.translators.byDynamicKind, String(r.inputs.__kind))))?.kind;
    if (engine === undefined) return undefined;
    const candidates = graph.spec.servers.filter((s) => s.engine === engine);
    return candidates.length === 1 ? candidates[0] : undefined;
}

/** The admin and maintenance database the stack's provider for `server` uses. */
export function stackServerContext(graph: StackGraph, server: ServerSpec): ServerSqlContext {
    const provider = graph.resources.find((r) => r.type.startsWith("pulumi:providers:") && r.name === providerName(server));
    const inputs = provider?.inputs ?? {};
    const superuser = inputs.superuser === undefined
        ? server.kind === "existing" && server.superuser
        : inputs.superuser === true || inputs.superuser === "true";
    const username = typeof inputs.username === "string" ? inputs.username : server.kind === "existing" ? server.adminUser : "postgres";
    return {
        adminUser: username,
        adminIsSuperuser: superuser,
        maintenanceDatabase: typeof inputs.database === "string" ? inputs.database : "postgres",
    };
}

/** The name of the stack's Pulumi provider for `server` (stacks/program.ts): `<server>-<package>`. */
function providerName(server: ServerSpec): string {
    return `${server.name}-${ENGINES[server.engine].pulumiPackage}`;
}
