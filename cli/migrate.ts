/**
 * `astro-db migrate --from <url> (--to <url> | --stack S --deployment R)`: moves an Airflow's metadata
 * into a new Deployment's database as seed 003 does with pg_dump and psql, with the `pg` driver only.
 * With --stack the target is the Deployment's database as the stack declares it (server, database,
 * schema, the user its connection logs in as), its password from `astro-db apply --out` (--out) or
 * PGPASSWORD / ~/.pgpass. Exit codes: 0 migrated, 1 refused or counts differ (target unchanged), 2 error.
 */
import * as fs from "fs";
import { adminConnection, metadataConnection, parseConnection } from "../components/astronomer/connections";
import { parseStackConfig, type DeploymentSpec } from "../stacks/config";
import { checkPgIdentifier } from "../components/names";
import { readStackFile, stackFilePath } from "./graph";
import { ENGINE_FEATURES } from "../engines/model";
import { InputError, parseServerUrl } from "../engines/url";
import { parseHost, parsePort } from "./input";
import { outputLayout, planeLayout, readDeploymentPassword } from "./manifests";
import { migrate, type MigrateIo } from "./migrate/copy";
import { MigrateRefused, parsePositiveInt, parseTableList, redact } from "./migrate/plan";

/** Seed 003's pg_dump reads the old Airflow's tables from schema `airflow`. */
export const SEED_003_SCHEMA = "airflow";

/** The options as commander hands them over (strings, unparsed). */
export interface MigrateCliOptions {
    from: string;
    to?: string;
    /** Both sides' schema (older form of --from-schema / --to-schema). */
    schema?: string;
    fromSchema?: string;
    toSchema?: string;
    stack?: string;
    stackFile?: string;
    deployment?: string;
    /** `astro-db apply --out` directory: the target user's password. */
    out?: string;
    /** Host and port of the Deployment's server as this machine reaches it (default: the stack's). */
    host?: string;
    port?: string;
    tables?: string;
    force: boolean;
    batchSize: string;
    progressEvery: string;
}

export interface MigrateTarget {
    url: string;
    schema: string;
    /** With --stack: the Deployment, for the fernet-key step. */
    deployment?: DeploymentSpec;
}

/** The target of a migration: --to as given, or the stack's Deployment. Throws InputError with the fix. */
export function resolveTarget(o: MigrateCliOptions): MigrateTarget {
    const toSchema = o.toSchema ?? o.schema;
    // --out, --host and --port locate the stack's Deployment database; a --to URL says all of that itself.
    if (o.stack === undefined || o.to !== undefined) {
        for (const [option, given] of [["--out", o.out], ["--host", o.host], ["--port", o.port]] as const) {
            if (given !== undefined) throw new InputError(`${option} ${o.to !== undefined ? "does not go with --to: put the host, port and password in the --to URL" : "needs --stack and --deployment: it locates the stack's Deployment database"}`);
        }
    }
    if (o.stackFile !== undefined && o.stack === undefined) throw new InputError("--stack-file needs --stack <name> and --deployment <release>");
    if (o.out !== undefined && !(fs.existsSync(o.out) && fs.statSync(o.out).isDirectory())) {
        throw new InputError(`--out ${o.out}: no such directory: give the directory \`astro-db apply --out\` wrote`);
    }
    if (o.stack === undefined) {
        if (o.deployment !== undefined) throw new InputError("--deployment needs --stack: the Deployment is looked up in the stack");
        if (o.to === undefined) throw new InputError("name the target: --to <url>, or --stack <stack> --deployment <release>");
        return { url: o.to, schema: toSchema ?? SEED_003_SCHEMA };
    }
    if (o.deployment === undefined) throw new InputError("--stack needs --deployment <release>: the Deployment to migrate into");
    const file = readStackFile(o.stack, o.stackFile ?? stackFilePath(o.stack));
    const spec = parseStackConfig(o.stack, file.raw, file.secretKeys);
    const d = spec.deployments.find((x) => x.release === o.deployment);
    if (!d) throw new InputError(`--deployment ${o.deployment}: stack "${o.stack}" has no such Deployment (its Deployments: ${spec.deployments.map((x) => x.release).join(", ")})`);
    if (!ENGINE_FEATURES[d.engine].migrate) throw new InputError(`Deployment ${d.release} is on a ${d.engine} server: migrate moves PostgreSQL metadata only (seed 003)`);
    const schema = toSchema ?? d.schema;
    if (o.to !== undefined) return { url: o.to, schema, deployment: d };
    const server = spec.servers.find((s) => s.name === d.server)!;
    const port = o.port === undefined ? undefined : parsePort("--port", o.port);
    if (o.host !== undefined) parseHost("--host", o.host);
    if (server.kind !== "existing" && o.host === undefined) {
        throw new InputError(`Deployment ${d.release} is on RDS server "${server.name}", whose endpoint is known after \`pulumi up\`: pass --host <endpoint> (or --to <url>)`);
    }
    const host = o.host ?? (server.kind === "existing" ? server.host : "");
    const at = { engine: "postgres" as const, host, port: port ?? (server.kind === "existing" ? server.port : 5432), database: d.names.database, sslmode: server.kind === "existing" ? server.sslmode ?? "require" : "require" };
    // The role the Deployment's connection logs in as: the Astro user, or the first data plane's login role.
    const customer = d.failover?.users === "customer";
    const user = customer ? d.names.loginRoles[0] : d.names.user;
    let password: string | undefined;
    if (o.out !== undefined) {
        const layout = customer ? planeLayout(outputLayout(o.out), d.failover!.planes[0]) : outputLayout(o.out);
        password = readDeploymentPassword(layout, d.names, user, d.release);
        if (password === undefined) throw new InputError(`--out ${o.out} holds no password for ${user}: run \`astro-db apply --stack ${o.stack} --out ${o.out}\` first, or leave --out out and use PGPASSWORD / ~/.pgpass`);
    }
    const url = password === undefined ? adminConnection({ ...at, user }) : metadataConnection({ ...at, user, password });
    return { url, schema, deployment: d };
}

/** The same database on both sides, as far as the URLs tell (the servers are asked too, before anything is read). */
export function sameDatabase(a: string, b: string): boolean {
    const norm = (url: string) => {
        const p = parseConnection(url.replace(/^postgres:\/\//, "postgresql://"));
        const host = ["localhost", "127.0.0.1", "::1"].includes(p.host.toLowerCase()) ? "localhost" : p.host.toLowerCase();
        return `${host}:${p.port}/${p.database}`;
    };
    try {
        return norm(a) === norm(b);
    } catch {
        return false;
    }
}

/** Seed 003's fernet-key step for the Deployment migrated into, with its secret's name and namespace. */
export function fernetKeyStep(d: DeploymentSpec, stack: string): string {
    const secret = d.names.secrets.fernetKey;
    const ns = d.names.namespace;
    const lines = [
        `next (seed 003): give the Deployment the old Airflow's fernet key, in secret ${secret} (namespace ${ns}), then restart its pods:`,
    ];
    if (d.secrets === "houston") {
        lines.push(`  kubectl edit secret ${secret} -n ${ns}     # secrets: houston: the chart's secret; replace data.fernet-key (base64 of the old key)`);
    } else {
        lines.push(`  pulumi config set --secret --path 'fernetKeys.${d.release}' '<the old fernet key>'   # stack ${stack}, secrets: ${d.secrets}`);
        lines.push(`  pulumi up -s ${stack}     # or: astro-db apply --stack ${stack} … --out DIR, then kubectl apply ${d.secrets === "patch" ? "--server-side --field-manager=astro-db --force-conflicts " : ""}-f DIR/secrets/${secret}.yaml`);
    }
    lines.push(`  kubectl delete --all pods --namespace=${ns}`);
    return lines.join("\n") + "\n";
}

/** Runs a migration from CLI options; returns the exit code. Errors are printed without credentials. */
export async function runMigrate(o: MigrateCliOptions, io: MigrateIo): Promise<number> {
    let urls = [o.from, ...(o.to ? [o.to] : [])];
    try {
        // Every option is checked before either server is connected to.
        parseServerUrl("--from", o.from, ["postgres"]);
        if (o.to !== undefined) parseServerUrl("--to", o.to, ["postgres"]);
        for (const [option, schema] of [["--schema", o.schema], ["--from-schema", o.fromSchema], ["--to-schema", o.toSchema]] as const) {
            const problems = schema === undefined ? [] : checkPgIdentifier(schema);
            if (problems.length) throw new InputError(`${option}: ${problems[0]}`);
        }
        const tables = o.tables === undefined ? undefined : parseTableList(o.tables);
        const batchSize = parsePositiveInt("--batch-size", o.batchSize);
        const progressEvery = parsePositiveInt("--progress-every", o.progressEvery);
        const target = resolveTarget(o);
        urls = [o.from, target.url];
        if (sameDatabase(o.from, target.url)) throw new MigrateRefused("--from and the target name the same database: migrating would empty the source; point the target at the new Deployment's database");
        await migrate(
            { from: o.from, to: target.url, sourceSchema: o.fromSchema ?? o.schema ?? SEED_003_SCHEMA, schema: target.schema, tables, force: o.force, batchSize, progressEvery },
            io,
        );
        io.out(target.deployment ? `migrated\n${fernetKeyStep(target.deployment, o.stack!)}` : "migrated; now swap the fernet key and restart the Deployment's pods (seed 003)\n");
        return 0;
    } catch (err) {
        const refused = err instanceof MigrateRefused;
        const message = err instanceof Error ? err.message : String(err);
        io.err(`astro-db migrate: ${refused ? "refused" : "error"}: ${redact(message, urls)}\n`);
        return refused ? 1 : 2;
    }
}
