/**
 * `npm run bench [-- --sizes 1,10,100,500 --apply-sizes 10,100 --json <file> | --report <file>]`: how
 * astro-db scales with the number of Deployments (plan, sql, the stack program; apply and audit on a
 * real PostgreSQL 17 against psql baselines). A script, not a test. See README "Performance".
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Client } from "pg";
import * as YAML from "yaml";
import * as sql from "../engines/postgres/statements";
import { quoteIdent, quoteLiteral } from "../engines/postgres/quote";
import { runStackGraph } from "../cli/graph";
import { translateGraph } from "../cli/sql/registry";
import { startPostgres, PgServer } from "../cli/localServers";
import { deploymentNames } from "../components/names";
import { MAX_READERS, readAll } from "../engines/readers";

// scripts/build.js is plain JavaScript (it runs before anything is compiled).
const { build, builtEntry } = require("./build") as { build(): number; builtEntry(): string | undefined };

const ROOT = path.resolve(__dirname, "..");
const BIN = path.join(ROOT, "bin", "astro-db.js");
const RUSAGE = path.join(__dirname, "bench", "rusage.js");
const PROGRAM = path.join(__dirname, "bench", "program.js");
const KINDS = ["plain", "pgbouncer", "failover"] as const;
type Kind = (typeof KINDS)[number];
const ORCHESTRATOR = "commander_user";

interface Options { sizes: number[]; applySizes: number[]; json: string; report?: string }

function parseArgs(argv: string[]): Options {
    const o: Options = { sizes: [1, 10, 100, 500], applySizes: [10, 100], json: path.join(ROOT, "out", "bench", "bench.json") };
    const list = (v: string | undefined, flag: string) => {
        const ns = (v ?? "").split(",").filter(Boolean).map(Number);
        if (ns.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`${flag} takes sizes such as 1,10,100`);
        return ns;
    };
    for (let i = 0; i < argv.length; i++) {
        const [flag, value] = [argv[i], argv[i + 1]];
        if (flag === "--sizes") o.sizes = list(value, flag);
        else if (flag === "--apply-sizes") o.applySizes = value === "none" ? [] : list(value, flag);
        else if (flag === "--json") o.json = path.resolve(value);
        else if (flag === "--report") o.report = path.resolve(value);
        else throw new Error(`unknown option ${flag} (--sizes 1,10,100,500 --apply-sizes 10,100|none --json <file> | --report <file>)`);
        i++;
    }
    return o;
}

const kindOf = (i: number): Kind => KINDS[i % KINDS.length];
/**
 * Half the Deployments, each kind in turn (the first of each kind included), have the stack own
 * their secrets' data keys (`secrets: patch`, three SecretPatch resources each); the others keep the
 * default `houston` (the platform's chart makes them): a platform with both.
 */
const patchesSecrets = (i: number) => Math.floor(i / KINDS.length) % 2 === 0;
const releaseOf = (i: number) => `bench-${String(i).padStart(4, "0")}`;

/** A stack of n Deployments on one existing PostgreSQL server; Kubernetes secrets rendered to files. */
function stackFile(dir: string, n: number, server: { host: string; port: number; adminUser: string }): string {
    const render = (d: string) => ({ mode: "render", directory: path.join(dir, "manifests", d) });
    const config = {
        "astro-db:platformRelease": "astronomer",
        "astro-db:valuesLayout": "top-level",
        "astro-db:kubernetes": render("main"),
        "astro-db:dataPlanes": { dp1: render("dp1"), dp2: render("dp2") },
        "astro-db:servers": [{ name: "bench", engine: "postgres", existing: { ...server, sslmode: "disable", superuser: true } }],
        "astro-db:deployments": Array.from({ length: n }, (_, i) => ({
            release: releaseOf(i),
            ...(kindOf(i) === "pgbouncer" ? { pgbouncer: true } : {}),
            ...(kindOf(i) === "failover" ? { failover: { users: "customer", orchestratorUser: ORCHESTRATOR } } : {}),
            ...(patchesSecrets(i) ? { secrets: "patch" } : {}),
        })),
    };
    const file = path.join(dir, `Pulumi.bench-${n}.yaml`);
    fs.writeFileSync(file, YAML.stringify({ config }));
    return file;
}

interface Run { wallS: number; cpuS: number; peakMb: number; status: number | null; stdout: string; stderr: string }

/** One process, timed from outside; CPU and peak memory from the process itself (scripts/bench/rusage.js). */
function measure(command: string, args: string[], env: Record<string, string> = {}): Run {
    const usage = path.join(os.tmpdir(), `astro-db-bench-${process.pid}-${Date.now()}.json`);
    const node = command === process.execPath;
    const t0 = process.hrtime.bigint();
    const r = spawnSync(command, node ? ["-r", RUSAGE, ...args] : args, {
        cwd: ROOT, encoding: "utf8", maxBuffer: 1 << 30, env: { ...process.env, ...env, ASTRO_DB_BENCH_RUSAGE: usage },
    });
    const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
    let cpuS = NaN;
    let peakMb = NaN;
    if (fs.existsSync(usage)) {
        const u = JSON.parse(fs.readFileSync(usage, "utf8")) as { cpuMs: number; maxRssKb: number };
        [cpuS, peakMb] = [u.cpuMs / 1000, u.maxRssKb / 1024];
        fs.rmSync(usage);
    }
    return { wallS, cpuS, peakMb, status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

function mustSucceed<R extends Run>(what: string, r: R, ok = [0]): R {
    if (!ok.includes(r.status ?? -1)) throw new Error(`${what} exited ${r.status}: ${r.stderr.slice(-2000)}`);
    return r;
}

interface PlanResource { type: string; name: string; custom: boolean; parent: string | null; parentType: string | null; options: { dependsOn: string[] } }

/** Resources per Deployment by type (per kind of Deployment) and the longest dependsOn chains. */
function analyse(resources: PlanResource[]) {
    const key = (type: string | null, name: string | null) => `${type}|${name}`;
    const byKey = new Map(resources.map((r) => [key(r.type, r.name), r]));
    const release = (r: PlanResource): string | undefined => {
        for (let p: PlanResource | undefined = r; p; p = p.parent ? byKey.get(key(p.parentType, p.parent)) : undefined) {
            if (p.type === "astro-db:index:AirflowDeploymentDatabase") return p.name;
        }
        return undefined;
    };
    const custom = resources.filter((r) => !r.type.startsWith("astro-db:") && !r.type.startsWith("pulumi:providers:"));
    const byName = new Map<string, PlanResource[]>();
    for (const r of custom) byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
    // Depth: 1 + the deepest resource it depends on (a component in dependsOn stands for its resources).
    const children = new Map<string, PlanResource[]>();
    for (const r of resources) if (r.parent) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
    const depth = new Map<PlanResource, number>();
    const depthOf = (r: PlanResource): number => {
        const known = depth.get(r);
        if (known !== undefined) return known;
        depth.set(r, 1);
        const deps = r.options.dependsOn.flatMap((n) => byName.get(n) ?? (children.get(n) ?? []).filter((c) => custom.includes(c)));
        const d = 1 + Math.max(0, ...deps.map(depthOf));
        depth.set(r, d);
        return d;
    };
    const perRelease = new Map<string, PlanResource[]>();
    for (const r of custom) {
        const rel = release(r);
        if (rel) perRelease.set(rel, [...(perRelease.get(rel) ?? []), r]);
    }
    const perKind: Partial<Record<Kind, Record<string, number>>> = {};
    for (const [rel, rs] of perRelease) {
        const kind = kindOf(Number(rel.slice("bench-".length)));
        if (perKind[kind]) continue;
        const counts: Record<string, number> = {};
        for (const r of rs) counts[r.type] = (counts[r.type] ?? 0) + 1;
        perKind[kind] = counts;
    }
    const chains = [...perRelease.values()].map((rs) => Math.max(...rs.map(depthOf)));
    return {
        // As `plan` counts them ("Stack <s>: N resources"): custom resources, providers included; components not.
        resources: resources.filter((r) => r.custom).length,
        customPerDeployment: perRelease.size ? [...perRelease.values()].reduce((s, rs) => s + rs.length, 0) / perRelease.size : 0,
        perKind,
        chainPerDeployment: Math.max(0, ...chains),
        chainStack: Math.max(0, ...custom.map(depthOf)),
    };
}

function psqlBinary(): string {
    const debian = "/usr/lib/postgresql/15/bin/psql";
    if (fs.existsSync(debian)) return debian;
    const which = spawnSync("which", ["psql"], { encoding: "utf8" });
    if (which.status === 0) return which.stdout.trim();
    throw new Error("no psql: install postgresql-client (bash scripts/install-test-deps.sh)");
}

function urlFor(server: PgServer, database: string): string {
    const u = new URL(server.adminUrl);
    u.pathname = `/${database}`;
    return u.toString();
}

/** Drops what a bench stack created, so each run starts from the same empty server. */
async function reset(server: PgServer): Promise<void> {
    const c = new Client({ connectionString: server.adminUrl });
    await c.connect();
    try {
        const dbs = await c.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'airflow_db_bench%'");
        for (const { datname } of dbs.rows) await c.query(`DROP DATABASE ${quoteIdent(datname)} WITH (FORCE)`);
        const roles = await c.query<{ rolname: string }>("SELECT rolname FROM pg_roles WHERE rolname ~ '_bench_[0-9]+'");
        for (const { rolname } of roles.rows) await c.query(`DROP ROLE ${quoteIdent(rolname)}`);
        await c.query(`DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${ORCHESTRATOR}') THEN CREATE ROLE ${ORCHESTRATOR} LOGIN; END IF; END $$`);
    } finally {
        await c.end();
    }
}

/**
 * CPU time the server's processes used (the postmaster's and its exited children's, from /proc; Linux
 * only, else NaN): the server shares this machine's CPUs with astro-db.
 */
async function serverCpu(server: PgServer): Promise<() => number> {
    const c = new Client({ connectionString: server.adminUrl });
    await c.connect();
    const backend = (await c.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0].pid;
    const stat = (pid: number) => fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    let postmaster: number | undefined;
    try {
        postmaster = Number(stat(backend)[1]);
    } catch {
        postmaster = undefined;
    }
    await c.end();
    const ticks = 100; // USER_HZ
    return () => {
        if (postmaster === undefined) return NaN;
        const f = stat(postmaster);
        return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / ticks;
    };
}

/** A run of astro-db with the server's CPU time meanwhile. */
function withServerCpu(cpu: () => number, run: () => Run): Run & { serverCpuS: number } {
    const before = cpu();
    const r = run();
    return { ...r, serverCpuS: cpu() - before };
}

/**
 * What reading n databases costs the server before any catalog query: one connection to each
 * database, MAX_READERS at a time, each a `SELECT 1`, as astro-db's readers connect. The floor under
 * a no-op apply and an audit, which read every Deployment database.
 */
async function connectionFloor(server: PgServer, databases: string[], cpu: () => number): Promise<{ wallS: number; serverCpuS: number }> {
    const before = cpu();
    const t0 = process.hrtime.bigint();
    await readAll(databases, MAX_READERS, async (db) => {
        const c = new Client({ connectionString: urlFor(server, db) });
        await c.connect();
        try {
            await c.query("SELECT 1");
        } finally {
            await c.end();
        }
    });
    return { wallS: Number(process.hrtime.bigint() - t0) / 1e9, serverCpuS: cpu() - before };
}

async function benchApply(n: number, dir: string, server: PgServer, psql: string) {
    const file = stackFile(dir, n, { host: server.host, port: server.port, adminUser: server.adminUser });
    const stackArgs = ["--stack", `bench-${n}`, "--stack-file", file, "--admin-url", server.adminUrl];
    const cpu = await serverCpu(server);
    await reset(server);
    const apply = mustSucceed("apply", measure(process.execPath, [BIN, "apply", ...stackArgs, "--out", path.join(dir, `out-${n}`)]));
    const noop = mustSucceed("no-op apply", withServerCpu(cpu, () => measure(process.execPath, [BIN, "apply", ...stackArgs, "--out", path.join(dir, `out-${n}`)])));
    const audit = mustSucceed("audit", withServerCpu(cpu, () => measure(process.execPath, [BIN, "audit", ...stackArgs])));
    const floor = await connectionFloor(server, Array.from({ length: n }, (_, i) => deploymentNames(releaseOf(i)).database), cpu);

    // The same SQL: the statements apply runs on an empty server, with generated passwords.
    const graph = await runStackGraph(`bench-${n}`, { file, revealSecrets: true });
    const steps = translateGraph(graph, {}).steps.filter((s) => s.engine === "postgres");
    const password = (role: string) => quoteLiteral(`bench-${role}`);
    const statements = steps.flatMap((s) => s.statements({ password }).map((text) => ({ database: s.database ?? "postgres", text })));
    const variables = steps.filter((s) => s.setsPasswordOf !== undefined).flatMap((s) => ["-v", `${sql.passwordVariable(s.setsPasswordOf!)}=bench-${s.setsPasswordOf}`]);

    await reset(server);
    const script = path.join(dir, `bench-${n}.sql`);
    fs.writeFileSync(script, mustSucceed("sql", measure(process.execPath, [BIN, "sql", "--stack", `bench-${n}`, "--stack-file", file])).stdout);
    const psqlF = mustSucceed("psql -f", measure(psql, ["-X", "-q", "-v", "ON_ERROR_STOP=1", ...variables, "-f", script, server.adminUrl]));

    await reset(server);
    const t0 = process.hrtime.bigint();
    for (const st of statements) mustSucceed(`psql -c ${st.text.slice(0, 60)}`, measure(psql, ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", st.text, urlFor(server, st.database)]));
    const psqlC = Number(process.hrtime.bigint() - t0) / 1e9;
    await reset(server);

    return {
        deployments: n, statements: statements.length,
        applyS: apply.wallS, noopApplyS: noop.wallS, auditS: audit.wallS, psqlFileS: psqlF.wallS, psqlPerStatementS: psqlC,
        noop: { cpuS: noop.cpuS, serverCpuS: noop.serverCpuS }, audit: { cpuS: audit.cpuS, serverCpuS: audit.serverCpuS },
        connectionFloor: floor,
        applyOverPsqlFile: apply.wallS / psqlF.wallS, psqlPerStatementOverApply: psqlC / apply.wallS,
    };
}

const fmt = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : "-");

type BenchResult = { date: string; machine: Record<string, unknown>; offline: ReturnType<typeof offlineRow>[]; apply: Awaited<ReturnType<typeof benchApply>>[] };

/** The run as Markdown tables (the README's Performance section is one of these). */
function markdown(r: BenchResult): string {
    const row = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
    const lines = [
        row(["Deployments", "resources", "plan --format json", "sql", "stack program alone", "longest dependsOn chain (Deployment / stack)"]),
        row(["---:", "---:", "---", "---", "---", "---"]),
        ...r.offline.map((o) => row([o.deployments, o.resources,
            ...[o.plan, o.sql, o.program].map((m) => `${fmt(m.wallS)} s (CPU ${fmt(m.cpuS)} s, ${fmt(m.peakMb, 0)} MB)`),
            `${o.chainPerDeployment} / ${o.chainStack}`])),
    ];
    if (r.apply.length) {
        lines.push("", row(["Deployments", "statements", "apply", "no-op apply", "audit", "one psql -f", "psql -c per statement", "apply / psql -f", "psql -c per statement / apply"]),
            row(["---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:"]),
            ...r.apply.map((a) => row([a.deployments, a.statements, ...[a.applyS, a.noopApplyS, a.auditS, a.psqlFileS, a.psqlPerStatementS].map((v) => `${fmt(v)} s`),
                fmt(a.applyOverPsqlFile, 2), fmt(a.psqlPerStatementOverApply, 2)])));
        if (r.apply.some((a) => a.connectionFloor)) {
            lines.push("", row(["Deployments", "no-op apply: wall / astro-db CPU / server CPU", "audit: wall / astro-db CPU / server CPU", "one connection per Deployment database: wall / server CPU"]),
                row(["---:", "---", "---", "---"]),
                ...r.apply.filter((a) => a.connectionFloor).map((a) => row([a.deployments,
                    `${fmt(a.noopApplyS)} s / ${fmt(a.noop.cpuS)} s / ${fmt(a.noop.serverCpuS)} s`,
                    `${fmt(a.auditS)} s / ${fmt(a.audit.cpuS)} s / ${fmt(a.audit.serverCpuS)} s`,
                    `${fmt(a.connectionFloor.wallS)} s / ${fmt(a.connectionFloor.serverCpuS)} s`])));
        }
    }
    return lines.join("\n") + "\n";
}

async function main() {
    const o = parseArgs(process.argv.slice(2));
    if (o.report) {
        process.stdout.write(markdown(JSON.parse(fs.readFileSync(o.report, "utf8")) as BenchResult));
        return;
    }
    if (!builtEntry()) console.log(`built dist/ (${build()} files): the CLI runs from it`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "astro-db-bench-"));
    const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadAvgAtStart: os.loadavg() };
    console.log(`astro-db bench: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGb} GB, node ${machine.node}, load average ${machine.loadAvgAtStart.map((l) => l.toFixed(1)).join(" ")}; stacks in ${dir}`);

    const offline: ReturnType<typeof offlineRow>[] = [];
    const applied: Awaited<ReturnType<typeof benchApply>>[] = [];
    // Written after every measurement, so an interrupted run keeps what it measured.
    const save = () => {
        fs.mkdirSync(path.dirname(o.json), { recursive: true });
        fs.writeFileSync(o.json, JSON.stringify({ date: new Date().toISOString(), machine: { ...machine, loadAvgNow: os.loadavg() }, offline, apply: applied }, null, 2) + "\n");
    };
    for (const n of o.sizes) {
        const file = stackFile(dir, n, { host: "127.0.0.1", port: 5432, adminUser: "postgres" });
        const stack = ["--stack", `bench-${n}`, "--stack-file", file];
        const plan = mustSucceed("plan", measure(process.execPath, [BIN, "plan", ...stack, "--format", "json"]));
        const sqlRun = mustSucceed("sql", measure(process.execPath, [BIN, "sql", ...stack]));
        const program = mustSucceed("program", measure(process.execPath, [PROGRAM, `bench-${n}`, file]));
        const shape = analyse(JSON.parse(plan.stdout).resources as PlanResource[]);
        offline.push(offlineRow(n, shape, plan, sqlRun, program));
        save();
        console.log(`  N=${n}: plan ${fmt(plan.wallS)} s (CPU ${fmt(plan.cpuS)} s), sql ${fmt(sqlRun.wallS)} s, program ${fmt(program.wallS)} s, load ${os.loadavg()[0].toFixed(1)}`);
    }
    console.log("\nOffline, whole processes (wall s / CPU s / peak MB):");
    console.table(offline.map((r) => ({
        N: r.deployments, resources: r.resources, "per Depl.": fmt(r.customPerDeployment),
        plan: `${fmt(r.plan.wallS)} / ${fmt(r.plan.cpuS)} / ${fmt(r.plan.peakMb, 0)}`,
        sql: `${fmt(r.sql.wallS)} / ${fmt(r.sql.cpuS)} / ${fmt(r.sql.peakMb, 0)}`,
        program: `${fmt(r.program.wallS)} / ${fmt(r.program.cpuS)} / ${fmt(r.program.peakMb, 0)}`,
        "chain/Depl.": r.chainPerDeployment, "chain/stack": r.chainStack,
    })));
    for (let i = 1; i < offline.length; i++) {
        const [a, b] = [offline[i - 1], offline[i]];
        console.log(`plan slope N=${a.deployments}->${b.deployments}: ${fmt((1000 * (b.plan.wallS - a.plan.wallS)) / (b.deployments - a.deployments), 0)} ms wall, ${fmt((1000 * (b.plan.cpuS - a.plan.cpuS)) / (b.deployments - a.deployments), 0)} ms CPU per Deployment`);
    }
    const perKind = offline.find((r) => Object.keys(r.perKind).length === KINDS.length)?.perKind ?? offline[offline.length - 1]?.perKind;
    if (perKind) {
        console.log("\nResources per Deployment by type (the first Deployment of each kind, secrets: patch):");
        const types = [...new Set(Object.values(perKind).flatMap((c) => Object.keys(c!)))].sort();
        console.table(types.map((t) => ({ type: t, ...Object.fromEntries(KINDS.map((k) => [k, perKind[k]?.[t] ?? 0])) })));
    }

    if (o.applySizes.length) {
        const psql = psqlBinary();
        const server = await startPostgres("embedded");
        try {
            for (const n of o.applySizes) {
                applied.push(await benchApply(n, dir, server, psql));
                save();
                console.log(`  apply N=${n}: ${JSON.stringify(applied[applied.length - 1])}`);
            }
        } finally {
            await server.stop();
        }
        console.log(`\napply on PostgreSQL 17 (${server.version}) as superuser, wall s; baselines on the same empty server:`);
        console.table(applied.map((r) => ({
            N: r.deployments, statements: r.statements, apply: fmt(r.applyS), "no-op apply": fmt(r.noopApplyS), audit: fmt(r.auditS),
            "psql -f": fmt(r.psqlFileS), "psql -c each": fmt(r.psqlPerStatementS),
            "apply / psql -f": fmt(r.applyOverPsqlFile, 2), "psql -c each / apply": fmt(r.psqlPerStatementOverApply, 2),
        })));
    }
    save();
    console.log(`\n${markdown(JSON.parse(fs.readFileSync(o.json, "utf8")) as BenchResult)}`);
    console.log(`\nload average at the end ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}; JSON: ${o.json}`);
    fs.rmSync(dir, { recursive: true, force: true });
}

function offlineRow(n: number, shape: ReturnType<typeof analyse>, plan: Run, sqlRun: Run, program: Run) {
    return { deployments: n, ...shape, plan: strip(plan), sql: strip(sqlRun), program: strip(program) };
}

function strip(r: Run) {
    return { wallS: r.wallS, cpuS: r.cpuS, peakMb: r.peakMb };
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
