/**
 * The files `astro-db apply` writes for a Deployment: its three Kubernetes secrets (seed 003) and
 * the platform's values.yaml (seed 000 step 1). Every file is 0600 and its directory 0700: they
 * hold passwords. Names and keys come from components/names.ts and components/astronomer/facts.ts.
 * A failover Deployment with customer-managed users (seed 004) gets one set of the three secrets per
 * data plane, in `secrets/<plane>/`, each with that plane's own login role and the Deployment's one
 * fernet key, as `pulumi up` sends each plane's cluster.
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { Document, parse } from "yaml";
import { DbEndpoint, metadataConnection, parseConnection, resultBackendConnection } from "../components/astronomer/connections";
import { checkFernetKey, fernetKeyFromBytes } from "../components/astronomer/fernet";
import { FIELD_MANAGER, SECRETS } from "../components/astronomer/facts";
import { houstonVariables } from "../components/astronomer/houston";
import { chartSecretValues, secretData, secretsHandOff } from "../components/astronomer/secretOwnership";
import type { DeploymentNames } from "../components/names";
import type { DeploymentSpec } from "../stacks/config";
import { checkInputFile } from "../engines/url";
import { registerCredentialsIn } from "./redact";

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

/**
 * Where apply writes: `<dir>/values.yaml`, `<dir>/secrets/<secret name>.yaml` (Secret manifests, or
 * server-side apply patches with `secrets: patch`), `<dir>/houston/<release>.json` (the Houston
 * variables, when the stack writes no connection secret), `<dir>/role-passwords.yaml`.
 */
export interface OutputLayout {
    dir: string;
    valuesYaml: string;
    /** Generated passwords of roles other than the Astro users (whose passwords are in their secrets). */
    rolePasswords: string;
    secretsDir: string;
    secret(name: string): string;
    /** The Houston variables of a Deployment: createDeployment and upsertDeployment (seed 000 step 6). */
    houston(release: string): string;
}

export function outputLayout(dir: string): OutputLayout {
    const secretsDir = path.join(dir, "secrets");
    return {
        dir, valuesYaml: path.join(dir, "values.yaml"), rolePasswords: path.join(dir, "role-passwords.yaml"), secretsDir,
        secret: (name) => path.join(secretsDir, `${name}.yaml`), houston: (release) => path.join(dir, "houston", `${release}.json`),
    };
}

/** A data plane's name as a directory: one path segment, nothing a shell or a path would read otherwise. */
const PLANE_DIRECTORY = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Where one data plane's secrets go: `<dir>/secrets/<plane>/<secret name>.yaml`. */
export function planeLayout(layout: OutputLayout, plane: string): OutputLayout {
    if (!PLANE_DIRECTORY.test(plane)) throw new Error(`data plane "${plane}" cannot name a directory for its secrets: use letters, digits, '-', '_' and '.'`);
    const secretsDir = path.join(layout.secretsDir, plane);
    return { ...layout, secretsDir, secret: (name) => path.join(secretsDir, `${name}.yaml`), houston: (release) => path.join(layout.dir, "houston", plane, `${release}.json`) };
}

/** mkdir -p, then 0700 on the directory (umask and earlier runs notwithstanding). */
export function ensurePrivateDir(dir: string): void {
    fs.mkdirSync(dir, { recursive: true, mode: DIR_MODE });
    fs.chmodSync(dir, DIR_MODE);
}

/** Writes `text` with mode 0600, atomically (a reader sees the old file or the new one). */
export function writePrivateFile(file: string, text: string): void {
    ensurePrivateDir(path.dirname(file));
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, text, { mode: FILE_MODE });
    fs.chmodSync(tmp, FILE_MODE);
    fs.renameSync(tmp, file);
}

/** The labels every secret astro-db manages carries. */
export function secretLabels(release: string): Record<string, string> {
    return { "app.kubernetes.io/managed-by": "astro-db", release };
}

/** One Opaque Secret as YAML, its value under `stringData` (Kubernetes encodes it). */
export function secretManifest(name: string, namespace: string, release: string, key: string, value: string): string {
    const doc = new Document({
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name, namespace, labels: secretLabels(release) },
        type: "Opaque",
        stringData: { [key]: value },
    });
    doc.commentBefore = ` Written by astro-db apply: holds a credential. Apply with kubectl apply -f; do not commit it.`;
    return doc.toString({ lineWidth: 0 });
}

/**
 * The server-side apply patch of one data key of the chart's Secret (`secrets: patch`): only
 * `data.<key>` (base64; server-side apply does not track `stringData` per key), for
 * `kubectl apply --server-side --field-manager=astro-db --force-conflicts`.
 */
export function secretPatchManifest(name: string, namespace: string, key: string, value: string): string {
    const doc = new Document({ apiVersion: "v1", kind: "Secret", metadata: { name, namespace }, data: { [key]: secretData(value) } });
    doc.commentBefore = [
        ` Written by astro-db apply: holds a credential; do not commit it. Patches data.${key} of the chart's secret only:`,
        ` ${kubectlPatchCommand("<this file>")}`,
    ].join("\n");
    return doc.toString({ lineWidth: 0 });
}

/** The command that applies patch files as astro-db's field manager, taking over only the keys they set. */
export function kubectlPatchCommand(files: string): string {
    return `kubectl apply --server-side --field-manager=${FIELD_MANAGER} --force-conflicts -f ${files}`;
}

export interface DeploymentSecretValues {
    metadataConnection: string;
    resultBackendConnection: string;
    fernetKey: string;
}

export type SecretPart = keyof typeof SECRETS;

/** The three secrets of a Deployment: which part, its name, its key. */
export function deploymentSecrets(names: DeploymentNames): { part: SecretPart; name: string; key: string }[] {
    return (Object.keys(SECRETS) as SecretPart[]).map((part) => ({ part, name: names.secrets[part], key: SECRETS[part].key }));
}

/** The value one secret manifest holds under `key`, or undefined when the file is missing or holds none. */
export function readSecretValue(file: string, key: string): string | undefined {
    if (!fs.existsSync(file)) return undefined;
    const doc = parse(fs.readFileSync(file, "utf8")) as { stringData?: Record<string, unknown>; data?: Record<string, unknown> } | null;
    const plain = doc?.stringData?.[key];
    if (typeof plain === "string") return plain;
    const encoded = doc?.data?.[key];
    return typeof encoded === "string" ? Buffer.from(encoded, "base64").toString("utf8") : undefined;
}

/** `user`'s password from a Deployment's written secrets (metadata first, then result backend), else its Houston variables, if they are `user`'s. */
export function readDeploymentPassword(layout: OutputLayout, names: DeploymentNames, user = names.user, release?: string): string | undefined {
    for (const part of ["metadata", "resultBackend"] as const) {
        const connection = readSecretValue(layout.secret(names.secrets[part]), SECRETS[part].key);
        if (connection === undefined) continue;
        const parsed = parseConnection(connection);
        if (parsed.user === user) return parsed.password;
    }
    const houston = release === undefined ? undefined : readHoustonFile(layout.houston(release));
    const c = houston?.createDeployment;
    if (c && "metadataConnectionJson" in c) return c.metadataConnectionJson.user === user ? c.metadataConnectionJson.pass : undefined;
    if (c && "metadataConnection" in c) {
        const parsed = parseConnection(c.metadataConnection);
        if (parsed.user === user) return parsed.password;
    }
    return undefined;
}

/** The Houston variables apply wrote for a Deployment, or undefined when the file is missing. */
export function readHoustonFile(file: string): ReturnType<typeof houstonVariables> | undefined {
    if (!fs.existsSync(file)) return undefined;
    return JSON.parse(fs.readFileSync(file, "utf8")) as ReturnType<typeof houstonVariables>;
}

/**
 * Adds the passwords apply generated for other login roles (e.g. seed 004's data-plane users) to
 * `role-passwords.yaml`, keeping the ones written by earlier runs. Returns whether it wrote.
 */
export function mergeRolePasswords(layout: OutputLayout, passwords: ReadonlyMap<string, string>): boolean {
    if (passwords.size === 0) return false;
    const existing = fs.existsSync(layout.rolePasswords) ? (parse(fs.readFileSync(layout.rolePasswords, "utf8")) as Record<string, string> | null) ?? {} : {};
    const doc = new Document({ ...existing, ...Object.fromEntries(passwords) });
    doc.commentBefore = " Written by astro-db apply: passwords it generated for the roles it created. Keep it secret.";
    writePrivateFile(layout.rolePasswords, doc.toString({ lineWidth: 0 }));
    return true;
}

/** What became of one file apply is responsible for. */
export interface FileOutcome {
    path: string;
    status: "written" | "kept" | "missing";
}

export interface DeploymentSecretsInput {
    /** The role in the connection strings. Defaults to the Astro user. */
    user?: string;
    /** The user's password when this run created or rotated it; undefined when the user already existed. */
    freshPassword?: string;
    /** The fernet key every plane's secret must hold, chosen by writePlaneSecrets (null: none could be, and a note says why); else see `fernet`. */
    fernetKey?: string | null;
    /** Where a missing fernet key may come from; without it a missing key is never generated. */
    fernet?: FernetChoice;
    /** Where Airflow reaches the server (the Deployment's database, user and password are filled in). */
    endpoint: Omit<DbEndpoint, "database" | "user" | "password">;
    /** Whether the stack's fernetKeys are stored encrypted (then astro-db cannot read them offline). */
    fernetKeysSecret: boolean;
    /** Where to say what could not be written, and what to do. */
    notes: string[];
}

/**
 * How apply may choose a Deployment's fernet key. Airflow encrypts its connections and variables with
 * it, so a key written for a Deployment that already exists would make them unreadable: a new key is
 * made only for a Deployment whose database this run created, or when asked for (`--new-fernet-key`).
 */
export interface FernetChoice {
    /** The key read from the file the user named (`--fernet-key <release>=<file>`): written, replacing the one in --out. */
    given?: string;
    /** `--new-fernet-key <release>`: write a new key even though the Deployment exists. */
    renew?: boolean;
    /** This run created the Deployment's database: nothing is encrypted yet, so a new key is safe. */
    newDeployment?: boolean;
}

/** Reads a fernet key from a file: a Secret manifest (`kubectl get secret … -o yaml`, or one apply wrote) or the bare key. */
export function readFernetKeyFile(file: string): string {
    checkInputFile("--fernet-key", file);
    const text = fs.readFileSync(file, "utf8");
    // Whatever the file holds is never printed, the key least of all.
    registerCredentialsIn(text, parse);
    const key = /^\s*[A-Za-z0-9_=-]+\s*$/.test(text) ? text.trim() : readSecretValue(file, SECRETS.fernetKey.key);
    if (key === undefined) throw new Error(`--fernet-key: ${file} is neither a fernet key nor a Secret manifest with the key \`${SECRETS.fernetKey.key}\``);
    const problems = checkFernetKey(key);
    if (problems.length) throw new Error(`--fernet-key: ${file}: ${problems.join("; ")}`);
    return key;
}

/** The note for a Deployment that exists but whose fernet key astro-db does not know: how to keep the key Airflow uses. */
function unknownFernetKeyNote(d: DeploymentSpec, file: string): string {
    const secret = d.names.secrets.fernetKey;
    return `${d.release} existed before this run and ${file} does not exist, so its fernet key was not written (a new one would leave Airflow unable to decrypt its connections and variables): ` +
        `keep the cluster's secret ${d.names.namespace}/${secret} as it is, or write the key it holds here with ` +
        `\`kubectl get secret -n ${d.names.namespace} ${secret} -o yaml > ${secret}.yaml\` and \`astro-db apply … --fernet-key ${d.release}=${secret}.yaml\` ` +
        `(a new key only with --new-fernet-key ${d.release})`;
}

/**
 * The fernet key to write for a Deployment whose fernet-key file is missing (or is to be replaced):
 * the given one, the stack's, or a new one only when `choice` allows it; otherwise a note says why not.
 */
export function chooseFernetKey(d: DeploymentSpec, file: string, choice: FernetChoice, fernetKeysSecret: boolean, notes: string[]): string | undefined {
    if (choice.given !== undefined) return choice.given;
    if (choice.renew) return fernetKeyFromBytes(randomBytes(32));
    if (d.fernetKey !== undefined && fernetKeysSecret) {
        notes.push(`the fernet key of ${d.release} is stored encrypted in the stack and astro-db cannot decrypt it offline: ${file} was not written; create it from \`pulumi config get --path fernetKeys.${d.release}\``);
        return undefined;
    }
    if (d.fernetKey !== undefined) return d.fernetKey;
    if (choice.newDeployment) return fernetKeyFromBytes(randomBytes(32));
    notes.push(unknownFernetKeyNote(d, file));
    return undefined;
}

/**
 * A Deployment's three secrets: the connection secrets written when its password is new (or known
 * from the other secret), kept when they exist and the password did not change; the fernet key
 * written once (see chooseFernetKey) and kept after, unless a key is given or renewed explicitly.
 */
export function writeDeploymentSecrets(layout: OutputLayout, d: DeploymentSpec, i: DeploymentSecretsInput): FileOutcome[] {
    const user = i.user ?? d.names.user;
    const password = i.freshPassword ?? readDeploymentPassword(layout, d.names, user, d.release);
    const endpoint: DbEndpoint | undefined = password === undefined ? undefined : { ...i.endpoint, database: d.names.database, user, password };
    // What the Deployment's secrets owner means on disk (issue 12): create: Secret manifests; patch:
    // server-side apply patches of the data keys the stack owns; houston: no secret.
    const handOff = secretsHandOff({ owner: d.secrets, pgbouncer: d.pgbouncer, release: d.release, namespace: d.names.namespace });
    const manifest = (name: string, key: string, value: string) => d.secrets === "patch"
        ? secretPatchManifest(name, d.names.namespace, key, value)
        : secretManifest(name, d.names.namespace, d.release, key, value);
    const outcomes = deploymentSecrets(d.names).filter((s) => handOff.parts.includes(s.part)).map((s): FileOutcome => {
        const file = layout.secret(s.name);
        const existing = readSecretValue(file, s.key);
        if (s.part === "fernetKey") {
            const explicit = i.fernet?.given !== undefined || i.fernet?.renew === true;
            // A key written before is what Airflow encrypts with: kept unless a key is given or renewed explicitly.
            if (existing !== undefined && (!explicit || existing === (i.fernetKey ?? i.fernet?.given))) return { path: file, status: "kept" };
            const value = i.fernetKey === undefined ? chooseFernetKey(d, file, i.fernet ?? {}, i.fernetKeysSecret, i.notes) : i.fernetKey ?? undefined;
            if (value === undefined) return { path: file, status: "missing" };
            if (checkFernetKey(value).length) throw new Error(`the fernet key of ${d.release} is not a valid Fernet key`);
            if (existing !== undefined) i.notes.push(`${file}: REPLACED the fernet key it held (${i.fernet?.renew ? "--new-fernet-key" : "--fernet-key"}); Airflow can no longer decrypt what it encrypted with the old key unless you keep it as a second key (AIRFLOW__CORE__FERNET_KEY=new,old) and run \`airflow rotate-fernet-key\``);
            writePrivateFile(file, manifest(s.name, s.key, value));
            return { path: file, status: "written" };
        }
        if (existing !== undefined && i.freshPassword === undefined) return { path: file, status: "kept" };
        if (endpoint === undefined) {
            i.notes.push(unknownPassword(user, file, d.release));
            return { path: file, status: "missing" };
        }
        const value = s.part === "metadata" ? metadataConnection(endpoint) : resultBackendConnection(endpoint);
        writePrivateFile(file, manifest(s.name, s.key, value));
        return { path: file, status: "written" };
    });
    const written = outcomes.filter((o) => o.status !== "missing").map((o) => o.path);
    if (d.secrets === "create" && written.length) {
        i.notes.push(`secrets: create: \`kubectl apply -f\` them, and point the chart at them with the values ${JSON.stringify(chartSecretValues(d.names.secrets))}`);
    } else if (d.secrets === "patch" && written.length) {
        i.notes.push(`secrets: patch: ${kubectlPatchCommand(written.join(" -f "))} (only these data keys of the chart's secrets)`);
    }
    if (!handOff.parts.includes("metadata")) {
        outcomes.push(writeHoustonFile(layout, d, user, i, endpoint));
        i.notes.push(d.secrets === "houston"
            ? `secrets: houston: no secret written; the platform's chart makes them from the Houston variables in ${layout.houston(d.release)} (\`astro-db houston --stack <stack> --deployment ${d.release} --out ${layout.dir}\` prints the mutation)`
            : `secrets: patch with PgBouncer: only the fernet key is patched; the connection goes to the chart through Houston's upsertDeployment, with the variables in ${layout.houston(d.release)}`);
    }
    return outcomes;
}

function unknownPassword(user: string, file: string, release: string): string {
    return `role ${user} already exists and ${file} does not: astro-db cannot know its password. ` +
        `Give it a new one and write the secrets with: astro-db apply --stack <stack> --admin-url <url> --rotate-password ${release}`;
}

/** The Houston variables of a Deployment (seed 000 step 6), written when the password is new, kept otherwise. */
function writeHoustonFile(layout: OutputLayout, d: DeploymentSpec, user: string, i: DeploymentSecretsInput, endpoint: DbEndpoint | undefined): FileOutcome {
    const file = layout.houston(d.release);
    if (fs.existsSync(file) && i.freshPassword === undefined) return { path: file, status: "kept" };
    if (endpoint === undefined) {
        i.notes.push(unknownPassword(user, file, d.release));
        return { path: file, status: "missing" };
    }
    const vars = houstonVariables({ endpoint, pgbouncer: d.pgbouncer, releaseName: d.release, namespace: d.names.namespace, executor: d.executor });
    writePrivateFile(file, JSON.stringify(vars, null, 2) + "\n");
    return { path: file, status: "written" };
}

/** One data plane of a failover Deployment: its name, its login role, and that role's password when this run created or rotated it. */
export interface PlaneSecretsInput {
    plane: string;
    user: string;
    freshPassword?: string;
}

/**
 * A failover Deployment's secrets with customer-managed users: per data plane, the three secrets in
 * `secrets/<plane>/` with that plane's login role, all with the Deployment's one fernet key (both
 * planes must decrypt the same metadata). The key is the one a plane's secret already holds, else the
 * one an earlier Deployment-level secret holds (it encrypted what is there), else the stack's, else
 * a new one. Secrets that hold a password stay as written unless it changed, as for any Deployment.
 */
export function writePlaneSecrets(layout: OutputLayout, d: DeploymentSpec, planes: readonly PlaneSecretsInput[], i: Omit<DeploymentSecretsInput, "user" | "freshPassword" | "fernetKey">): FileOutcome[] {
    const fernet = d.names.secrets.fernetKey;
    const key = SECRETS.fernetKey.key;
    const layouts = planes.map((p) => planeLayout(layout, p.plane));
    const written = [...layouts, layout].map((l) => ({ file: l.secret(fernet), value: readSecretValue(l.secret(fernet), key) })).filter((x) => x.value !== undefined);
    if (new Set(written.map((x) => x.value)).size > 1) {
        i.notes.push(`the fernet keys in ${written.map((x) => x.file).join(", ")} differ, and both planes must decrypt the same metadata: keep the one Airflow encrypted with, write it to each plane's secret, and delete the others`);
    }
    const choice = i.fernet ?? {};
    const explicit = choice.given !== undefined || choice.renew === true;
    // One key for every plane: the one written before (unless replaced explicitly), else chosen once (chooseFernetKey).
    const fernetKey = (explicit ? undefined : written[0]?.value) ?? chooseFernetKey(d, layouts[0].secret(fernet), choice, i.fernetKeysSecret, i.notes) ?? null;
    const stale = deploymentSecrets(d.names).filter((s) => s.part !== "fernetKey" && fs.existsSync(layout.secret(s.name))).map((s) => layout.secret(s.name));
    if (stale.length) i.notes.push(`${stale.join(", ")}: written before each plane had its own secrets, for the Astro role, which no longer logs in; delete (each plane's secrets are in ${layout.secretsDir}/<plane>/)`);
    return planes.flatMap((p, n) => writeDeploymentSecrets(layouts[n], d, { ...i, user: p.user, freshPassword: p.freshPassword, fernetKey }));
}
