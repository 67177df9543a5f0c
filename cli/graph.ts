/**
 * Runs the real stack program offline, under Pulumi's own mocks, and records the resource graph it
 * registers: every resource's type token, name, parent, resolved inputs (secrets masked unless asked)
 * and options. `plan`, `sql`, `apply` and `audit` all read this one graph, so what they show and run
 * is what `pulumi up` would create.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { parseStackConfig, SECRET_KEYS, StackSpec } from "../stacks/config";
import { ConfigError, PROJECT } from "../stacks/configError";
import { checkInputFile, DEFAULT_PORTS, InputError } from "../engines/url";
import { registerCredentialsIn, registerSecretsIn } from "./redact";
import { offlineRuntime } from "./offlineRuntime";

import { type EngineKind, GENERATED_PLACEHOLDER, SECRET_MASK, UNKNOWN_MASK } from "../engines/model";

/** A syntactically valid fernet key (32 zero bytes) standing in for an encrypted one offline. */
const PLACEHOLDER_FERNET = Buffer.alloc(32).toString("base64url") + "=";

export interface GraphResource {
    type: string;
    name: string;
    parent?: string;
    /** The parent's type token: child components may share their parent's name. */
    parentType?: string;
    custom: boolean;
    inputs: Record<string, unknown>;
    /** Input keys whose values are secret (masked in `inputs` unless revealSecrets). */
    secretInputs: string[];
    /**
     * The options as the engine resolves them: `protect`, `retainOnDelete` and `deletedWith` are the
     * resource's own or, where it sets none, its nearest ancestor's (a component's `protect` reaches
     * every child); `provider` is its own or the nearest ancestor's for its package.
     */
    options: {
        protect: boolean;
        retainOnDelete: boolean;
        dependsOn: string[];
        ignoreChanges: string[];
        provider?: string;
        /** The resource whose deletion deletes this one (Pulumi skips its own delete). */
        deletedWith?: string;
    };
    /**
     * Per secret input, a short digest of its value: tells a plan diff whether a secret changed
     * without showing it. Offline the values are placeholders, never a real credential.
     */
    secretDigests?: Record<string, string>;
}

export interface StackGraph {
    stack: string;
    spec: StackSpec;
    resources: GraphResource[];
    outputs: Record<string, unknown>;
}

export interface StackFile {
    raw: Record<string, string>;
    secretKeys: Set<string>;
    /** The file read: `--stack-file`'s path or stacks/Pulumi.<stack>.yaml. */
    file: string;
}

/** The project's directory: the nearest one above this module with Pulumi.yaml (the sources', or dist/'s parent). */
function projectDir(): string {
    for (let dir = path.resolve(__dirname, ".."); ; dir = path.dirname(dir)) {
        if (fs.existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
        if (path.dirname(dir) === dir) return path.resolve(__dirname, "..");
    }
}

export function stacksDir(): string {
    return path.join(projectDir(), "stacks");
}

export function stackFilePath(stack: string, dir = stacksDir()): string {
    return path.join(dir, `Pulumi.${stack}.yaml`);
}

/**
 * Read `stacks/Pulumi.<stack>.yaml` (or `file`, given with --stack-file) as the Pulumi CLI would hand
 * it to the program. Values stored with `--secret` (`secure: v1:…`) cannot be decrypted offline:
 * they stand in as placeholders and their keys are marked secret, as the CLI marks them.
 *
 * A credential key (SECRET_KEYS: serverPasswords, fernetKeys, kubeconfig) is marked secret only when
 * EVERY leaf of its value is a `secure:` value: a plaintext password beside an encrypted one leaves
 * the key unmarked, so parseStackConfig refuses it ("holds credentials in plain text"). Every
 * plaintext leaf of a credential key is registered as a secret (cli/redact.ts): nothing prints it.
 *
 * A file that is missing, a directory, not YAML or not shaped like a stack file is refused here,
 * naming the file; so is a key without the `astro-db:` namespace.
 */
export function readStackFile(stack: string, file?: string, label?: string): StackFile {
    const filePath = file ?? stackFilePath(stack);
    /** How messages name the file (a temporary copy of it at a git revision is named by the revision). */
    const source = label ?? filePath;
    if (file !== undefined) {
        checkInputFile("--stack-file", file);
    } else if (!fs.existsSync(filePath)) {
        const known = fs.readdirSync(path.dirname(filePath)).filter((f) => /^Pulumi\..+\.yaml$/.test(f)).map((f) => f.slice(7, -5));
        throw new InputError(`No stack "${stack}": ${source} does not exist (stacks: ${known.join(", ")}); give --stack-file <path> for a stack file kept elsewhere`);
    }
    let doc: unknown;
    try {
        doc = YAML.parse(fs.readFileSync(filePath, "utf8"));
    } catch (err) {
        // The first line only: the lines after it quote the file, which may hold a credential.
        const message = (err instanceof Error ? err.message : String(err)).split("\n")[0].replace(/:$/, "");
        throw new InputError(`${source} is not valid YAML: ${message}: fix the file (a stack file is \`config:\` with \`${PROJECT}:<key>: <value>\` entries)`);
    }
    const shape = `a stack file is a mapping with \`config:\`, itself a mapping of \`${PROJECT}:<key>: <value>\``;
    if (doc === null || doc === undefined) throw new InputError(`${source} is empty: ${shape}`);
    if (!isMapping(doc)) throw new InputError(`${source} is ${kindOf(doc)}, not a stack file: ${shape}`);
    if (!("config" in doc) || doc.config === null) throw new InputError(`${source} has no \`config:\` section: ${shape}`);
    if (!isMapping(doc.config)) throw new InputError(`${source}: \`config\` is ${kindOf(doc.config)}: ${shape}`);
    const config = doc.config;
    const raw: Record<string, string> = {};
    const secretKeys = new Set<string>();
    const credentialKeys: ReadonlySet<string> = new Set(SECRET_KEYS);
    const unnamespaced: string[] = [];
    for (const [fullKey, value] of Object.entries(config)) {
        const [ns, ...rest] = fullKey.split(":");
        if (rest.length === 0) unnamespaced.push(fullKey);
        if (ns !== PROJECT || rest.length === 0) continue;
        const key = rest.join(":");
        // Before anything can fail: whatever goes wrong from here on, these values are never printed.
        if (key === "kubeconfig") registerCredentialsIn(value, (text) => YAML.parse(text));
        else if (credentialKeys.has(key)) registerSecretsIn(value);
        const leaves = { secure: 0, plain: 0 };
        const resolved = replaceSecure(value, key, (secure) => (secure ? leaves.secure++ : leaves.plain++));
        // Any other key is secret as soon as part of it is (as the CLI marks it); a credential key
        // only when nothing in it is in plain text.
        const secret = credentialKeys.has(key) ? leaves.secure > 0 && leaves.plain === 0 : leaves.secure > 0;
        if (secret) secretKeys.add(key);
        raw[key] = typeof resolved === "string" ? resolved : JSON.stringify(resolved);
    }
    if (unnamespaced.length) {
        throw new ConfigError(stack, unnamespaced.map((k) => ({ key: k, message: `has no namespace: write it as \`${PROJECT}:${k}\` (Pulumi reads a stack file's keys as <namespace>:<key>)` })), source);
    }
    return { raw, secretKeys, file: source };
}

function isMapping(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

function kindOf(v: unknown): string {
    if (Array.isArray(v)) return "a YAML list";
    if (v === null) return "empty";
    return typeof v === "object" ? "a mapping" : `a ${typeof v === "string" ? "string" : typeof v}`;
}

/** Replaces every `secure:` value with its placeholder; `leaf` hears of every leaf, secure or plain. */
function replaceSecure(value: unknown, key: string, leaf: (secure: boolean) => void): unknown {
    if (Array.isArray(value)) return value.map((v) => replaceSecure(v, key, leaf));
    if (value && typeof value === "object") {
        const obj = value as Record<string, unknown>;
        if (Object.keys(obj).length === 1 && typeof obj.secure === "string") {
            leaf(true);
            return key === "fernetKeys" ? PLACEHOLDER_FERNET : SECRET_MASK;
        }
        return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, replaceSecure(v, key, leaf)]));
    }
    leaf(false);
    return value;
}

/** Resource outputs a real provider computes, as plausible offline values. */
function mockState(type: string, name: string, inputs: Record<string, unknown>, stackReferenceOutputs: string[]): Record<string, unknown> {
    switch (type) {
        case "aws:rds/instance:Instance": {
            const id = String(inputs.identifier ?? name);
            const address = `${id}.abcdefghijkl.us-east-1.rds.amazonaws.com`;
            const port = inputs.port ?? DEFAULT_PORTS[inputs.engine as EngineKind];
            return {
                ...inputs, address, port, endpoint: `${address}:${port}`, arn: `arn:aws:rds:us-east-1:123456789012:db:${id}`,
                masterUserSecrets: inputs.manageMasterUserPassword ? [{ secretArn: `arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-${id}`, secretStatus: "active", kmsKeyId: "" }] : [],
            };
        }
        case "random:index/randomPassword:RandomPassword":
            return { ...inputs, result: GENERATED_PLACEHOLDER, bcryptHash: GENERATED_PLACEHOLDER };
        case "random:index/randomBytes:RandomBytes":
            return { ...inputs, base64: Buffer.alloc(Number(inputs.length ?? 32)).toString("base64"), hex: "00".repeat(Number(inputs.length ?? 32)) };
        case "random:index/randomId:RandomId":
            return { ...inputs, hex: "00000000", b64Url: "AAAAAA", b64Std: "AAAAAA==", dec: "0" };
        case "random:index/randomString:RandomString":
            return { ...inputs, result: "x".repeat(Number(inputs.length ?? 8)).toLowerCase() };
        case "pulumi:pulumi:StackReference":
            return {
                ...inputs,
                outputs: Object.fromEntries(stackReferenceOutputs.map((o) => [o, /subnet/i.test(o) ? [`${o}-a`, `${o}-b`] : `${o}-from-${inputs.name}`])),
                secretOutputNames: [],
            };
        default:
            return inputs;
    }
}

function mockCall(token: string, args: Record<string, unknown>): Record<string, unknown> {
    if (token === "aws:secretsmanager/getSecretVersion:getSecretVersion") {
        return { arn: args.secretId, secretId: args.secretId, secretString: JSON.stringify({ username: "astroadmin", password: GENERATED_PLACEHOLDER }), versionId: "v1" };
    }
    throw new Error(`Mock not implemented: ${token}`);
}

/** Names of the outputs this stack's config reads from other stacks (StackReference mocks answer them). */
function referencedOutputs(raw: Record<string, string>): string[] {
    const names = new Set(["vpcId", "privateSubnetIds", "nodeSecurityGroupId", "kubeconfig"]);
    const walk = (v: unknown, k = ""): void => {
        if (Array.isArray(v)) v.forEach((x) => walk(x));
        else if (v && typeof v === "object") Object.entries(v).forEach(([kk, vv]) => walk(vv, kk));
        else if (typeof v === "string" && (/Output$/.test(k) || k === "output")) names.add(v);
    };
    for (const text of Object.values(raw)) {
        try { walk(JSON.parse(text)); } catch { /* scalar */ }
    }
    return [...names];
}

export interface GraphOptions {
    /** Pulumi preview mode: computed outputs unknown. Defaults to false (update mode). */
    preview?: boolean;
    /** Show secret values in clear. Defaults to false. */
    revealSecrets?: boolean;
    /** A stack file other than stacks/Pulumi.<stack>.yaml. */
    file?: string;
    /** How messages name `file` (default: its path). */
    fileLabel?: string;
    /** The day retention is judged on. Defaults to now. */
    today?: Date;
    /**
     * Called with the validated config before the program runs (what throws here is the run's error):
     * `apply` and `audit` check their options against it and begin reading the server meanwhile.
     */
    onSpec?: (spec: StackSpec) => void;
}

/**
 * Run the stack program for `stack` under mocks and return its resource graph and outputs.
 *
 * Stack traces are off meanwhile (ASTRO_DB_DEBUG=1 keeps them): the Pulumi runtime captures and
 * formats one for every promise it makes, for messages about leaked promises only, and that was a
 * fifth of `plan`'s time. Errors keep their messages.
 */
export async function runStackGraph(stack: string, options: GraphOptions = {}): Promise<StackGraph> {
    const limit = Error.stackTraceLimit;
    const restore = process.env.ASTRO_DB_DEBUG ? () => undefined : offlineRuntime();
    if (!process.env.ASTRO_DB_DEBUG) Error.stackTraceLimit = 0;
    try {
        return await buildGraph(stack, options);
    } finally {
        Error.stackTraceLimit = limit;
        restore();
    }
}

async function buildGraph(stack: string, options: GraphOptions): Promise<StackGraph> {
    const { raw, secretKeys, file } = readStackFile(stack, options.file, options.fileLabel);
    // Validate first, exactly as the program does: bad config never reaches the mocks.
    const spec = parseStackConfig(stack, raw, secretKeys, file);
    const { checkRetirementDays, createStackStepwise } = await import("../stacks/program");
    // Every config error before onSpec: apply and audit connect from there on.
    checkRetirementDays(spec, options.today ?? new Date());
    options.onSpec?.(spec);
    const stackRefs = referencedOutputs(raw);

    pulumi.runtime.setMocks({
        // In preview, as in a real `pulumi preview`, what providers compute is unknown.
        newResource: (a) => ({ id: `${a.name}-id`, state: options.preview ? a.inputs : mockState(a.type, a.name, a.inputs, stackRefs) }),
        call: (a) => mockCall(a.token, a.inputs),
    }, PROJECT, stack, options.preview ?? false);
    pulumi.runtime.setAllConfig(
        Object.fromEntries(Object.entries(raw).map(([k, v]) => [`${PROJECT}:${k}`, v])),
        [...secretKeys].map((k) => `${PROJECT}:${k}`),
    );

    const names = new Map<pulumi.Resource, Known>();
    const pending: Promise<GraphResource>[] = [];
    const { loadStackSpec } = await import("../stacks/load");

    let stackOutputs: Record<string, unknown> = {};
    await (pulumi.runtime as unknown as { runInPulumiStack(f: () => Promise<unknown>): Promise<unknown> }).runInPulumiStack(async () => {
        pulumi.runtime.registerStackTransformation((args) => {
            const opts = args.opts as pulumi.CustomResourceOptions & pulumi.ComponentResourceOptions;
            const providers = ([] as pulumi.ProviderResource[]).concat(opts.provider ?? [], Object.values(opts.providers ?? {}));
            names.set(args.resource, { name: args.name, type: args.type, parent: opts.parent, providers });
            const dependsOn = ([] as pulumi.Resource[]).concat((opts.dependsOn ?? []) as pulumi.Resource[]);
            pending.push(describe(args.type, args.name, args.props, args.resource, {
                parent: opts.parent, retainOnDelete: opts.retainOnDelete, deletedWith: opts.deletedWith,
                dependsOn, ignoreChanges: opts.ignoreChanges ?? [], provider: opts.provider,
            }, names, options.revealSecrets ?? false));
            return undefined;
        });
        const outputs = await createStackStepwise(loadStackSpec(stack), { today: options.today }, () => new Promise((resolve) => setImmediate(resolve)));
        stackOutputs = outputs as unknown as Record<string, unknown>;
        return outputs;
    });
    const resources = await Promise.all(pending);
    const outputs = (await resolveValue(stackOutputs, options.revealSecrets ?? false)) as Record<string, unknown>;
    return { stack, spec, resources, outputs };
}

interface Known { name: string; type: string; parent?: pulumi.Resource; providers: pulumi.ProviderResource[]; retainOnDelete?: boolean; deletedWith?: pulumi.Resource }

async function describe(
    type: string, name: string, props: pulumi.Inputs, resource: pulumi.Resource,
    o: { parent?: pulumi.Resource; retainOnDelete?: boolean; deletedWith?: pulumi.Resource; dependsOn: pulumi.Resource[]; ignoreChanges: string[]; provider?: pulumi.ProviderResource },
    names: Map<pulumi.Resource, Known>, reveal: boolean,
): Promise<GraphResource> {
    const custom = resource instanceof pulumi.CustomResource;
    const known = names.get(resource);
    if (known) Object.assign(known, { retainOnDelete: o.retainOnDelete, deletedWith: o.deletedWith });
    const inputs: Record<string, unknown> = {};
    const secretInputs: string[] = [];
    const secretDigests: Record<string, string> = {};
    for (const [key, value] of Object.entries(props ?? {})) {
        // A dynamic resource's serialized provider is code (tens of kB each), not configuration.
        if (value === undefined || key === "__provider") continue;
        // One walk in clear, noting whether any Output in it is secret (as pulumi.isSecret(pulumi.output(value)) would).
        const found = { secret: false };
        const clear = await resolveValue(value, true, found);
        if (found.secret) {
            secretInputs.push(key);
            secretDigests[key] = digest(clear);
            // Per field too, so a diff can tell which part of a secret object changed (a connection's host).
            if (clear && typeof clear === "object" && !Array.isArray(clear)) {
                for (const [k, v] of Object.entries(clear)) secretDigests[`${key}.${k}`] = digest(v);
            }
        }
        inputs[key] = found.secret && !reveal ? await resolveValue(value, false) : clear;
    }
    // The component resource's own name is not in the map until its transformation ran; resolve names late.
    await new Promise((r) => setImmediate(r));
    const nameOf = (r: pulumi.Resource | undefined) => (r ? names.get(r)?.name ?? "(unnamed)" : undefined);
    // A resource's provider is its own, or the nearest ancestor's for its package (as Pulumi resolves it).
    const pkg = type.split(":")[0];
    const providerOf = (known: Known | undefined): pulumi.ProviderResource | undefined => {
        if (!known) return undefined;
        return known.providers.find((p) => names.get(p)?.type === `pulumi:providers:${pkg}`) ?? providerOf(known.parent && names.get(known.parent));
    };
    // retainOnDelete and deletedWith: the nearest setting up the parent chain (Pulumi's documented default).
    const inherited = <K extends "retainOnDelete" | "deletedWith">(k: K): Known[K] => {
        for (let at = known; at; at = at.parent && names.get(at.parent)) if (at[k] !== undefined) return at[k];
        return undefined;
    };
    const deletedWith = inherited("deletedWith");
    return {
        type, name, parent: nameOf(o.parent), parentType: o.parent ? names.get(o.parent)?.type : undefined, custom, inputs, secretInputs: secretInputs.sort(),
        secretDigests,
        options: {
            // The SDK has resolved protect by now (its own, else the parent's): read it, not our opts.
            protect: !!(resource as unknown as { __protect?: boolean }).__protect,
            retainOnDelete: !!inherited("retainOnDelete"),
            dependsOn: o.dependsOn.map((r) => nameOf(r)!).sort(),
            ignoreChanges: [...o.ignoreChanges], provider: custom ? nameOf(o.provider ?? providerOf(o.parent && names.get(o.parent))) : undefined,
            ...(deletedWith ? { deletedWith: nameOf(deletedWith) } : {}),
        },
    };
}

/** A short digest of a (placeholder) secret value: equal digests, unchanged secret. */
function digest(value: unknown): string {
    return createHash("sha256").update(JSON.stringify(value) ?? "undefined").digest("hex").slice(0, 12);
}

/**
 * Resolve an Input deeply, masking secrets and unknowns. `found.secret` is set when an Output met on
 * the way is secret (an unknown one too).
 */
export async function resolveValue(value: unknown, reveal: boolean, found?: { secret: boolean }): Promise<unknown> {
    if (pulumi.Output.isInstance(value)) {
        const out = value as pulumi.Output<unknown>;
        const internal = out as unknown as { isKnown: Promise<boolean>; isSecret: Promise<boolean>; promise(): Promise<unknown> };
        const secret = await internal.isSecret;
        if (secret && found) found.secret = true;
        if (!(await internal.isKnown)) return UNKNOWN_MASK;
        if (secret && !reveal) return SECRET_MASK;
        return resolveValue(await internal.promise(), reveal, found);
    }
    if (value instanceof Promise) return resolveValue(await value, reveal, found);
    if (pulumi.Resource.isInstance(value)) return "[resource]";
    if (Array.isArray(value)) return Promise.all(value.map((v) => resolveValue(v, reveal, found)));
    if (value && typeof value === "object") {
        const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await resolveValue(v, reveal, found)] as const));
        return Object.fromEntries(entries.filter(([, v]) => v !== undefined));
    }
    return value;
}
