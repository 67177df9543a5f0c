/**
 * The Pulumi runtime, lightened while the CLI runs a stack program under Pulumi's mocks (cli/graph.ts).
 * Everything here is switched on for that run only and switched back after it; `pulumi up` and the
 * tests that run the program under mocks in-process never see it unless they go through runStackGraph.
 *
 * Switched off or shortened, because nothing offline reads it:
 * - every resource's call stack (all frames, parsed and turned into file URLs), which the engine
 *   shows as the resource's source position;
 * - the leak bookkeeping around each of the runtime's promises, reported when `pulumi up` exits;
 * - a dynamic provider's serialized code (the `__provider` input, which the graph leaves out);
 * - a resource's registration (`registerResource`): the same mock is asked with the same inputs and
 *   its state resolves the same output properties, but without the round trip through protobuf
 *   messages and the work done for the engine alone (dependency URNs, provider references, aliases,
 *   hooks, source positions, debug labels per property). Half the program's time went there.
 * What the program registers, and what every output resolves to, is the same.
 */
import * as pulumi from "@pulumi/pulumi";

type Props = Record<string, unknown>;

interface Rpc {
    serializeResourceProperties(label: string, props: Props, opts: object): Promise<[Props, unknown]>;
    serializeProperties(label: string, props: Props): Promise<Props>;
    serializeProperty(label: string, value: unknown, deps: Set<pulumi.Resource>, opts: object): Promise<unknown>;
    deserializeProperty(value: unknown, keepUnknowns?: boolean): unknown;
    isRpcSecret(value: unknown): boolean;
    unwrapRpcSecret(value: unknown): unknown;
}
interface Settings { rpcKeepAlive(): () => void; getMonitor(): unknown; isDryRun(): boolean; isLegacyApplyEnabled(): boolean }
interface MockMonitorLike {
    mocks: { newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult | Promise<pulumi.runtime.MockResourceResult> };
    resources: Map<string, { urn: string; id: string | null; state: Props }>;
    newUrn(parent: string, type: string, name: string): string;
}
type RegisterResource = (res: pulumi.Resource, parent: pulumi.Resource | undefined, t: string, name: string, custom: boolean, remote: boolean,
    newDependency: unknown, props: Props, opts: pulumi.ResourceOptions & { urn?: string; import?: string }, ...rest: unknown[]) => void;
type RegisterOutputs = (res: pulumi.Resource, outputs: Props | Promise<Props> | pulumi.Output<Props>) => void;

/** Switches the runtime to its offline form; returns how to switch it back. */
export function offlineRuntime(): () => void {
    const undo: (() => void)[] = [];
    const swap = <T extends object, K extends keyof T>(target: T | undefined, key: K, value: T[K]) => {
        if (!target || typeof target[key] !== "function") return;
        const original = target[key];
        target[key] = value;
        undo.push(() => { target[key] = original; });
    };
    const resource = pulumi.Resource as unknown as { callsites(): unknown[] };
    swap(resource, "callsites", () => []);
    swap(optional<{ debuggablePromise<T>(p: Promise<T>, ctx: unknown): Promise<T> }>("@pulumi/pulumi/runtime/debuggable"), "debuggablePromise", <T>(p: Promise<T>) => p);
    swap(optional<{ serializeFunction(f: unknown, o?: unknown): Promise<{ text: string; containsSecrets: boolean }> }>("@pulumi/pulumi/runtime/closure/serializeClosure"), "serializeFunction",
        async () => ({ text: "/* a dynamic provider's code: not serialized offline */", containsSecrets: false }));
    const runtime = optional<{ registerResource: RegisterResource; registerResourceOutputs: RegisterOutputs }>("@pulumi/pulumi/runtime/resource");
    const rpc = optional<Rpc>("@pulumi/pulumi/runtime/rpc");
    const settings = optional<Settings>("@pulumi/pulumi/runtime/settings");
    const mocks = optional<{ MockMonitor: new (...a: never[]) => MockMonitorLike }>("@pulumi/pulumi/runtime/mocks");
    if (runtime && rpc && settings && mocks && [rpc.serializeResourceProperties, rpc.serializeProperties, rpc.serializeProperty, rpc.deserializeProperty,
        rpc.isRpcSecret, rpc.unwrapRpcSecret, settings.rpcKeepAlive, settings.getMonitor, settings.isDryRun, settings.isLegacyApplyEnabled].every((f) => typeof f === "function")) {
        swap(runtime, "registerResource", registerUnderMocks(runtime.registerResource, rpc, settings, mocks.MockMonitor));
        swap(runtime, "registerResourceOutputs", outputsUnderMocks(runtime.registerResourceOutputs, rpc, settings, mocks.MockMonitor));
    }
    return () => undo.reverse().forEach((u) => u());
}

/** One of the Pulumi SDK's internal modules, or undefined when a version has moved it. */
function optional<T>(id: string): T | undefined {
    try {
        return require(id) as T;
    } catch {
        return undefined;
    }
}

/**
 * registerResource as the SDK does it (runtime/resource.js) against its MockMonitor (runtime/mocks.js),
 * step for step where a value can be seen: the mock gets the serialized inputs after their round trip
 * through a protobuf Struct (keys sorted), the URN and ID the monitor would answer, and the outputs
 * resolve from the mock's state after the same round trip, then the inputs the state lacks. Anything
 * else (a remote component, a real engine) goes to the SDK's own function.
 */
function registerUnderMocks(original: RegisterResource, rpc: Rpc, settings: Settings, MockMonitor: new (...a: never[]) => MockMonitorLike): RegisterResource {
    return function (this: unknown, res, parent, t, name, custom, remote, newDependency, props, opts, ...rest) {
        const monitor = settings.getMonitor();
        if (remote || opts.urn !== undefined || !(monitor instanceof MockMonitor)) {
            return original.call(this, res, parent, t, name, custom, remote, newDependency, props, opts, ...rest);
        }
        const label = `resource:${name}[${t}]`;
        const done = settings.rpcKeepAlive();
        const urn = settled<string>();
        lazy(res, "urn", () => newOutput(res, urn));
        const id = custom ? settled<string | undefined>() : undefined;
        if (id) lazy(res, "id", () => newOutput(res, id));
        const resolveProperties = custom ? lazyProperties(res, label, props, rpc, settings) : () => undefined;
        const register = async () => {
            const [serialized] = await rpc.serializeResourceProperties(label, props, { keepOutputValues: false, excludeResourceReferencesFromDependencies: false });
            const parentURN = parent ? await (parent.urn as unknown as { promise(): Promise<string> }).promise() : undefined;
            let err: Error | undefined;
            let result: pulumi.runtime.MockResourceResult = { id: undefined, state: {} };
            let state: Props = {};
            const resourceUrn = monitor.newUrn(parentURN ?? "", t, name);
            try {
                result = await monitor.mocks.newResource({
                    type: t, name, inputs: deserialize(rpc, viaStruct(serialized) as Props),
                    provider: "", custom, id: (opts as { import?: string }).import ?? "",
                });
                state = await rpc.serializeProperties("", result.state);
                monitor.resources.set(resourceUrn, { urn: resourceUrn, id: result.id ?? null, state });
            } catch (e) {
                err = new Error(`failed to register new resource ${name} [${t}]: ${e instanceof Error ? e.message : String(e)}`);
            }
            urn.settle(err ? "" : resourceUrn, err, true);
            const resourceId = err ? undefined : result.id || undefined;
            id?.settle(resourceId, err, resourceId !== undefined);
            const allProps = err ? {} : deserialize(rpc, viaStruct(state) as Props);
            if (!err && (!settings.isDryRun() || settings.isLegacyApplyEnabled())) {
                for (const key of Object.keys(props)) {
                    if (Object.prototype.hasOwnProperty.call(allProps, key)) continue;
                    const input = await rpc.serializeProperty(`${label}#...`, props[key], new Set(), { keepOutputValues: false });
                    if (input !== undefined) allProps[key] = rpc.deserializeProperty(input, false);
                }
            }
            resolveProperties(allProps, err);
        };
        // As the SDK: a failure rejects the resource's outputs and is reported as an unhandled rejection.
        register().then(done, (e) => {
            done();
            throw e;
        });
    };
}

/**
 * registerResourceOutputs (a component's registerOutputs) as the SDK does it against its MockMonitor:
 * the outputs are awaited and serialized (a failure is reported as an unhandled rejection, as the
 * SDK reports it) and kept as the resource's state, without the protobuf message.
 */
function outputsUnderMocks(original: RegisterOutputs, rpc: Rpc, settings: Settings, MockMonitor: new (...a: never[]) => MockMonitorLike): RegisterOutputs {
    return function (this: unknown, res, outputs) {
        const monitor = settings.getMonitor();
        if (!(monitor instanceof MockMonitor)) return original.call(this, res, outputs);
        const done = settings.rpcKeepAlive();
        const register = async () => {
            const urn = await (res.urn as unknown as { promise(): Promise<string> }).promise();
            const resolved = await rpc.serializeProperties("monitor.registerResourceOutputs(...)", { outputs });
            const state = viaStruct(resolved.outputs ?? {}) as Props;
            const registered = monitor.resources.get(urn);
            if (!registered) throw new Error(`unknown resource ${urn}`);
            registered.state = state;
        };
        register().then(done, (e) => {
            done();
            throw e;
        });
    };
}

/** The monitor's `deserializeProperties`: each defined value of the object, in its key order. */
function deserialize(rpc: Rpc, values: Props): Props {
    const out: Props = {};
    for (const k of Object.keys(values)) if (values[k] !== undefined) out[k] = rpc.deserializeProperty(values[k], false);
    return out;
}

/**
 * A value after google-protobuf's Struct.fromJavaScript and toJavaScript, as the monitor's messages
 * carry it: objects come back with their keys sorted; anything but null, booleans, numbers, strings,
 * arrays and objects is refused as Struct refuses it.
 */
export function viaStruct(value: unknown): unknown {
    if (value === null || typeof value === "boolean" || typeof value === "number" || typeof value === "string") return value;
    if (Array.isArray(value)) return value.map(viaStruct);
    if (typeof value === "object") {
        const out: Props = {};
        for (const k of Object.keys(value).sort()) out[k] = viaStruct((value as Props)[k]);
        return out;
    }
    throw new Error("Unexpected struct type.");
}

interface Settled<T> { value: Promise<T>; known: Promise<boolean>; settle(value: T, err: Error | undefined, known: boolean): void }

function settled<T>(): Settled<T> {
    let resolve!: (v: T) => void, reject!: (e: Error) => void, resolveKnown!: (k: boolean) => void, rejectKnown!: (e: Error) => void;
    const value = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
    const known = new Promise<boolean>((res, rej) => { resolveKnown = res; rejectKnown = rej; });
    return {
        value, known,
        settle: (v, err, k) => {
            if (err) {
                reject(err);
                rejectKnown(err);
            } else {
                resolve(v);
                resolveKnown(k);
            }
        },
    };
}

type OutputConstructor = new (resources: pulumi.Resource, value: Promise<unknown>, isKnown: Promise<boolean>, isSecret: Promise<boolean>, allResources: Promise<pulumi.Resource | pulumi.Resource[]>) => pulumi.Output<never>;
const OutputImpl = pulumi.Output as unknown as OutputConstructor;

function newOutput<T>(res: pulumi.Resource, s: Settled<T>): pulumi.Output<T> {
    return new OutputImpl(res, s.value, s.known, Promise.resolve(false), Promise.resolve(res));
}

/** `target[key]` as a property made on first read (or replaced by a write). */
function lazy(target: object, key: string, make: () => unknown): void {
    const define = (value: unknown) => Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
    Object.defineProperty(target, key, {
        enumerable: true, configurable: true,
        get() {
            const value = make();
            define(value);
            return value;
        },
        set: define,
    });
}

interface Resolved { value: unknown; known: boolean; secret: boolean; deps: pulumi.Resource[] }

/**
 * rpc.transferProperties and rpc.resolveProperties, with each property's Output made when it is first
 * read: most of a provider resource's properties (every output it declares) are never read offline,
 * and an Output is a dozen promises. A property's value, knownness and secretness are what the SDK
 * would resolve it to: the mock's state, a secret when the state says so, undefined (unknown in a
 * preview) when the state lacks it; a failed registration rejects every property.
 */
function lazyProperties(onto: pulumi.Resource, label: string, props: Props, rpc: Rpc, settings: Settings): (allProps: Props, err?: Error) => void {
    let settle!: (r: { values: Map<string, Resolved> } | { err: Error }) => void;
    const registered = new Promise<{ values: Map<string, Resolved> } | { err: Error }>((resolve) => { settle = resolve; });
    const keys = Object.keys(props).filter((k) => k !== "id" && k !== "urn");
    for (const k of keys) {
        if (Object.prototype.hasOwnProperty.call(onto, k)) throw new Error(`Property '${k}' is already initialized on target '${label}`);
        lazy(onto, k, () => {
            const r = registered.then((x) => ("err" in x ? Promise.reject(x.err) : x.values.get(k)!));
            return new OutputImpl(onto, r.then((x) => x.value), r.then((x) => x.known), r.then((x) => x.secret), r.then((x) => x.deps));
        });
    }
    return (allProps, err) => {
        if (err) return settle({ err });
        const values = new Map<string, Resolved>();
        for (const k of keys) {
            if (Object.prototype.hasOwnProperty.call(allProps, k)) {
                const v = allProps[k];
                values.set(k, { value: rpc.unwrapRpcSecret(v), known: true, secret: rpc.isRpcSecret(v), deps: [] });
            } else {
                values.set(k, { value: undefined, known: !settings.isDryRun(), secret: false, deps: [] });
            }
        }
        settle({ values });
    };
}
