/**
 * `astro-db apply --stack <name> --admin-url <url> [--out <dir>]`: runs the stack's SQL on the server
 * the admin URL names, through its engine (ENGINES: engines/<engine>/apply.ts runs the steps, each only
 * when what it declares does not hold yet, a failed Deployment left as it was), then writes the
 * Deployments' secrets and values.yaml (README "`sql`, `apply`, `audit`": the files, passwords, hosts).
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { DbEndpoint } from "../components/astronomer/connections";
import { manualConnectionValuesYaml, valuesConnectionString } from "../components/astronomer/values";
import type { ApplyRequest, DeploymentOutcome } from "../engines/apply";
import { type Engine, ENGINES } from "../engines/index";
import type { EarlyReads, ReadPurpose } from "../engines/model";
import type { EngineKind, SqlStep } from "../engines/model";
import { engineOfUrl, maskUrl } from "../engines/url";
import type { ServerSpec, StackSpec } from "../stacks/config";
import { readStackFile, runStackGraph, type StackGraph } from "./graph";
import { checkOutputDir, parseHost, parsePort } from "./input";
import { ensurePrivateDir, FernetChoice, FileOutcome, mergeRolePasswords, readFernetKeyFile, outputLayout, OutputLayout, writeDeploymentSecrets, writePlaneSecrets, writePrivateFile } from "./manifests";
import { registerSecret } from "./redact";
import { stackServerContext, translateGraph } from "./sql/registry";

export interface ApplyOptions {
    stack: string;
    adminUrl: string;
    /** Defaults to `out/<stack>`. */
    out?: string;
    /** Host and port in the written connection strings (see the module comment for the defaults). */
    host?: string;
    port?: number;
    /** The stack's server to apply; needed only when the stack has several of the admin URL's engine. */
    server?: string;
    /** Only this Deployment (server-wide resources are left out). */
    deployment?: string;
    /** Give these Deployments' existing Astro users (or, failover with customer-managed users, both login roles) a new password and rewrite their secrets. */
    rotatePasswords?: string[];
    /** Per release, a file holding the Deployment's fernet key to write (a Secret manifest or the bare key): `--fernet-key <release>=<file>`. */
    fernetKeyFiles?: Record<string, string>;
    /** Write a NEW fernet key for these Deployments even though they exist (`--new-fernet-key`). */
    newFernetKeys?: string[];
    /** A stack file other than stacks/Pulumi.<stack>.yaml. */
    file?: string;
    /** For tests: change the steps before they run (e.g. to make one fail). */
    interceptSteps?: (steps: SqlStep[]) => SqlStep[];
}

export interface DeploymentApplyResult extends DeploymentOutcome {
    files: FileOutcome[];
}

export interface ApplyResult {
    stack: string;
    server: string;
    engine: EngineKind;
    adminUrl: string;
    /** PostgreSQL's server_version_num, MySQL's VERSION(). */
    serverVersion: number | string;
    /** `superuser` on PostgreSQL only. */
    admin: { user: string; superuser?: boolean };
    outDir: string;
    connectionHost: string;
    connectionPort: number;
    deployments: DeploymentApplyResult[];
    valuesYaml?: FileOutcome;
    /** Written when this run generated passwords for login roles other than the Astro users. */
    rolePasswords?: FileOutcome;
    warnings: string[];
    ok: boolean;
}

/** A password for a new role: 24 random bytes as URL-safe base64 (32 characters, nothing to escape). */
export function generatePassword(): string {
    const password = randomBytes(24).toString("base64url");
    // It goes to the secrets' files only: nothing this run prints may show it.
    registerSecret(password);
    return password;
}

/**
 * Checks the per-Deployment options (--deployment, --rotate-password, --fernet-key, --new-fernet-key) name
 * Deployments on `server` and reads the given fernet keys, before any connection is made.
 */
export function deploymentOptions(spec: StackSpec, server: ServerSpec, o: ApplyOptions): Map<string, FernetChoice> {
    const check = (option: string, release: string) => {
        if (!spec.deployments.some((d) => d.release === release && d.server === server.name)) {
            throw new Error(`${option} ${release}: no such Deployment on server "${server.name}" (its Deployments: ${spec.deployments.filter((d) => d.server === server.name).map((d) => d.release).join(", ")})`);
        }
    };
    if (o.deployment !== undefined) check("--deployment", o.deployment);
    for (const r of o.rotatePasswords ?? []) check("--rotate-password", r);
    const choices = new Map<string, FernetChoice>();
    for (const [r, file] of Object.entries(o.fernetKeyFiles ?? {})) {
        check("--fernet-key", r);
        choices.set(r, { given: readFernetKeyFile(file) });
    }
    for (const r of o.newFernetKeys ?? []) {
        check("--new-fernet-key", r);
        if (choices.has(r)) throw new Error(`--fernet-key ${r} and --new-fernet-key ${r} cannot both be given: keep the key from the file, or make a new one`);
        choices.set(r, { renew: true });
    }
    return choices;
}

/** Parses `--fernet-key <release>=<file>` values. */
export function parseFernetKeyOptions(values: readonly string[] = []): Record<string, string> {
    const out: Record<string, string> = {};
    for (const v of values) {
        const at = v.indexOf("=");
        if (at <= 0 || at === v.length - 1) throw new Error(`--fernet-key ${v}: expected <release>=<file>, e.g. --fernet-key amateur-sunspot-5075=amateur-sunspot-5075-fernet-key.yaml`);
        out[v.slice(0, at)] = v.slice(at + 1);
    }
    return out;
}

/** How this run may choose a Deployment's fernet key (cli/manifests.ts FernetChoice): a new one only for a database this run created, or when asked. */
export function fernetChoice(choices: ReadonlyMap<string, FernetChoice>, result: DeploymentApplyResult): FernetChoice {
    const newDeployment = result.steps.some((s) => s.kind === "database" && s.action === "create" && s.outcome === "created");
    return { ...(choices.get(result.release ?? "") ?? {}), newDeployment };
}

/** The stack's server of the admin URL's engine to apply or audit: the named one, or the only one. */
export function pickServer(spec: StackSpec, engine: EngineKind, name?: string): ServerSpec {
    const label = ENGINES[engine].label;
    const servers = spec.servers.filter((s) => s.engine === engine);
    const list = servers.map((s) => s.name).join(", ") || "none";
    if (name !== undefined) {
        const s = servers.find((x) => x.name === name);
        if (!s) throw new Error(`stack "${spec.stack}" has no ${label} server "${name}" (${label} servers: ${list})`);
        return s;
    }
    if (servers.length !== 1) throw new Error(`stack "${spec.stack}" has ${servers.length} ${label} servers (${list}): choose one with --server`);
    return servers[0];
}

/** The databases of the stack's Deployments on `server` (only `deployment`'s when given): what apply and audit read. */
export function deploymentDatabases(spec: StackSpec, server: ServerSpec, deployment?: string): string[] {
    return spec.deployments.filter((d) => d.server === server.name && (deployment === undefined || d.release === deployment)).map((d) => d.names.database);
}

/** The stack's steps for `server` in `engine` (only `deployment`'s and the server-wide ones when given), as apply and audit translate them. */
export function serverSteps(graph: StackGraph, server: ServerSpec, engine: Engine, deployment?: string): ApplyRequest["translate"] {
    return (live) => {
        const t = translateGraph(graph, { server: server.name, deployment, ...(live ? { serverContext: (_s, c) => live(c) } : {}) });
        return { steps: t.steps.filter((s) => s.engine === engine.kind), warnings: t.warnings };
    };
}

/**
 * The stack program run for `engine`'s server of the stack, while the engine begins reading that
 * server (Engine.startReads) as soon as the config names the Deployment databases; `check` sees the
 * config first (what it throws is the run's error), `use` takes the reads over. Whatever fails, no
 * connection is left open.
 */
export async function onStackServer<T>(
    engine: Engine,
    o: { stack: string; adminUrl: string; file?: string; server?: string; deployment?: string; revealSecrets?: boolean; purpose: ReadPurpose },
    check: (spec: StackSpec, server: ServerSpec) => void,
    use: (graph: StackGraph, server: ServerSpec, early: EarlyReads | undefined) => Promise<T>,
): Promise<{ graph: StackGraph; server: ServerSpec; result: T }> {
    let chosen: { server: ServerSpec; early?: EarlyReads } | undefined;
    try {
        const graph = await runStackGraph(o.stack, {
            revealSecrets: o.revealSecrets, file: o.file,
            onSpec: (spec) => {
                const server = pickServer(spec, engine.kind, o.server);
                check(spec, server);
                chosen = { server, early: engine.startReads?.(o.adminUrl, deploymentDatabases(spec, server, o.deployment), o.purpose) };
            },
        });
        const { server, early } = chosen!;
        return { graph, server, result: await use(graph, server, early) };
    } finally {
        // Taken over by `use`, or ended here.
        await chosen?.early?.close();
    }
}

/** The options apply checks before it reads the stack or connects (the stack file is checked as it is read). */
export function checkApplyOptions(o: { host?: string; port?: number; out?: string }): void {
    if (o.host !== undefined) parseHost("--host", o.host);
    if (o.port !== undefined) parsePort("--port", String(o.port));
    if (o.out !== undefined) checkOutputDir("--out", o.out);
}

export async function applyStack(o: ApplyOptions): Promise<ApplyResult> {
    const engine = ENGINES[engineOfUrl(o.adminUrl)];
    const admin = engine.parseAdminUrl(o.adminUrl);
    checkApplyOptions(o);
    // The options are checked against the config, and the server read, while the program runs.
    let fernetChoices = new Map<string, FernetChoice>();
    const { graph, server, result: applied } = await onStackServer(engine, { ...o, revealSecrets: true, purpose: "apply" },
        (spec, server) => void (fernetChoices = deploymentOptions(spec, server, o)),
        (graph, server, early) => engine.apply.run({
            adminUrl: o.adminUrl,
            stackAdminUser: stackServerContext(graph, server).adminUser,
            translate: (live) => {
                const t = serverSteps(graph, server, engine, o.deployment)(live);
                return { ...t, steps: o.interceptSteps ? o.interceptSteps(t.steps) : t.steps };
            },
            rotatePasswords: o.rotatePasswords ?? [],
            generatePassword,
            early,
        }));
    const spec = graph.spec;
    const warnings = [...applied.warnings];
    const runs = applied.runs.map((r) => ({ ...r, result: withFiles(r.result) }));

    const outDir = path.resolve(o.out ?? path.join("out", o.stack));
    const layout = outputLayout(outDir);
    const connectionHost = o.host ?? (server.kind === "existing" ? server.host : admin.host);
    const connectionPort = o.port ?? (server.kind === "existing" ? server.port : admin.port);
    // libpq's sslmode where the engine has it: the stack's for an existing server, else require.
    const sslmode = engine.features.sslmode ? { sslmode: server.kind === "existing" ? server.sslmode ?? "require" : "require" } : {};
    if (server.kind === "rds" && o.host === undefined) warnings.push(`the RDS endpoint is known only after \`pulumi up\`: the connection strings use the admin URL's host ${admin.host}; pass --host if Airflow reaches the server elsewhere`);
    ensurePrivateDir(outDir);
    const fernetKeysSecret = readStackFile(o.stack, o.file).secretKeys.has("fernetKeys");
    for (const d of spec.deployments.filter((x) => x.server === server.name)) {
        const run = runs.find((r) => r.result.release === d.release);
        if (!run || run.result.status !== "applied") continue;
        const common = { endpoint: { engine: engine.kind, host: connectionHost, port: connectionPort, ...sslmode }, fernetKeysSecret, fernet: fernetChoice(fernetChoices, run.result), notes: run.result.notes };
        const planes = planeLogins(d);
        run.result.files = planes
            ? writePlaneSecrets(layout, d, planes.map((p) => ({ ...p, freshPassword: run.passwords.get(p.user) })), common)
            : writeDeploymentSecrets(layout, d, { ...common, freshPassword: run.passwords.get(d.names.user) });
    }
    // Passwords of other login roles this run created, which no Deployment's secrets carry: role-passwords.yaml.
    const inSecrets = new Set(spec.deployments.flatMap((d) => [d.names.user, ...(planeLogins(d) ?? []).map((p) => p.user)]));
    const others = new Map(runs.flatMap((r) => [...r.passwords].filter(([role]) => !inSecrets.has(role))));
    const rolePasswords = mergeRolePasswords(layout, others) ? { path: layout.rolePasswords, status: "written" as const } : undefined;
    const valuesYaml = writeValuesFile(layout, spec, server, { engine: engine.kind, host: connectionHost, port: connectionPort, ...sslmode, user: admin.user, password: admin.password }, warnings);
    const deployments = runs.map((r) => r.result);
    return {
        stack: o.stack, server: server.name, engine: engine.kind, adminUrl: maskUrl(o.adminUrl), serverVersion: applied.serverVersion,
        admin: applied.admin, outDir, connectionHost, connectionPort,
        deployments, valuesYaml, rolePasswords, warnings, ok: deployments.every((d) => d.status === "applied"),
    };
}

/** An engine's Deployment outcome with the files this run wrote for it (none yet), in the report's key order. */
function withFiles(r: DeploymentOutcome): DeploymentApplyResult {
    const { release, status, steps, summary, notes, failure } = r;
    return { release, status, steps, summary, files: [], notes, ...(failure ? { failure } : {}) };
}

/** A failover Deployment's data planes and their login roles when the stack creates them (customer-managed users). */
function planeLogins(d: StackSpec["deployments"][number]): { plane: string; user: string }[] | undefined {
    return d.failover?.users === "customer" ? d.failover.planes.map((plane, i) => ({ plane, user: d.names.loginRoles[i] })) : undefined;
}

/**
 * values.yaml (seed 000 step 1) for the server apply ran on: `database.connection` with the
 * placeholder user and password, or with `valuesConnection: admin` the admin URL's own (not written
 * when the URL carries no password). Kept when unchanged. Shared by the PostgreSQL and MySQL apply.
 */
export function writeValuesFile(layout: OutputLayout, spec: StackSpec, server: ServerSpec, admin: Omit<DbEndpoint, "database">, warnings: string[]): FileOutcome | undefined {
    if (spec.valuesConnection === "admin" && admin.password === "") {
        warnings.push(`--admin-url carries no password: ${layout.valuesYaml} (valuesConnection: admin puts the admin connection there) was not written`);
        return undefined;
    }
    if (spec.servers[0].name !== server.name) warnings.push(`values.yaml points Houston at server "${server.name}"; the stack's program points it at its first server "${spec.servers[0].name}"`);
    const text = manualConnectionValuesYaml({ layout: spec.valuesLayout, connection: valuesConnectionString(spec.valuesConnection, admin) });
    if (fs.existsSync(layout.valuesYaml) && fs.readFileSync(layout.valuesYaml, "utf8") === text) {
        fs.chmodSync(layout.valuesYaml, 0o600);
        return { path: layout.valuesYaml, status: "kept" };
    }
    writePrivateFile(layout.valuesYaml, text);
    return { path: layout.valuesYaml, status: "written" };
}

/* ---------------------------------------------------------------- report */

export function renderApplyResult(r: ApplyResult): string {
    const engine = ENGINES[r.engine];
    const superuser = r.admin.superuser === undefined ? "" : r.admin.superuser ? ", superuser" : ", not a superuser";
    const lines = [
        `astro-db apply --stack ${r.stack}: server "${r.server}" at ${r.adminUrl} (${engine.apply.describe(r.serverVersion)}, admin ${r.admin.user}${superuser})`,
        `connection strings point at ${r.connectionHost}:${r.connectionPort}; files in ${r.outDir}`,
    ];
    for (const w of r.warnings) lines.push(`warning: ${w}`);
    for (const d of r.deployments) {
        lines.push("", `${d.release === undefined ? "server-wide" : `Deployment ${d.release}`}: ${d.status === "applied" ? "applied" : `FAILED, ${engine.apply.failed}`}`);
        for (const [kind, counts] of Object.entries(d.summary)) {
            const parts = (["created", "changed", "unchanged"] as const).filter((k) => counts[k] > 0).map((k) => `${counts[k]} ${k}`);
            lines.push(`  ${kind.padEnd(20)}${parts.join(", ")}`);
        }
        for (const s of d.steps.filter((x) => x.stillDiffers)) lines.push(`  note: after ${s.resource} ran, still: ${s.stillDiffers!.join("; ")}`);
        if (d.failure) {
            lines.push(`  failed at ${d.failure.resource}`, `  statement: ${d.failure.statement.split("\n").join("\n             ")}`, `  error: ${d.failure.error}`);
            for (const u of d.failure.undone) lines.push(`  ${u}`);
        }
        for (const f of d.files) lines.push(`  ${f.status.padEnd(8)}${f.path}`);
        for (const n of d.notes) lines.push(`  note: ${n}`);
    }
    if (r.valuesYaml) lines.push("", `values.yaml: ${r.valuesYaml.status} ${r.valuesYaml.path}`);
    if (r.rolePasswords) lines.push(`passwords of the other roles this run created: ${r.rolePasswords.status} ${r.rolePasswords.path}`);
    lines.push("", r.ok ? "apply: done" : `apply: failed (see above); ${engine.apply.failedEnd}`);
    return lines.join("\n") + "\n";
}
