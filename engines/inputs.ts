/**
 * Reading a graph resource's inputs in a translator: typed, with the provider's defaults, and a
 * clear error naming the resource when an input is unknown (preview), secret, or of the wrong type.
 */
import { DeclaredResource as GraphResource, SECRET_MASK, UNKNOWN_MASK } from "./model";

export function fail(r: GraphResource, message: string): never {
    throw new Error(`${r.type} ${r.name}: ${message}`);
}

/** An input's value; refuses unknown values and secret ones (other than a password, which translators handle). */
export function input(r: GraphResource, key: string): unknown {
    const v = r.inputs[key];
    if (v === UNKNOWN_MASK) fail(r, `input "${key}" is not known until the resources it comes from exist (run without --preview)`);
    if (v === SECRET_MASK && key !== "password") fail(r, `input "${key}" is secret and cannot be turned into SQL`);
    return v;
}

export function str(r: GraphResource, key: string): string | undefined {
    const v = input(r, key);
    if (v === undefined || v === null || v === "") return undefined;
    if (typeof v !== "string") fail(r, `input "${key}" is ${JSON.stringify(v)}, expected text`);
    return v;
}

export function requiredStr(r: GraphResource, key: string): string {
    const v = str(r, key);
    if (v === undefined) fail(r, `input "${key}" is required (astro-db names every object explicitly; the provider would otherwise invent a name)`);
    return v;
}

/** Booleans arrive as booleans, or as "true"/"false" from provider configuration. */
export function bool(r: GraphResource, key: string, fallback: boolean): boolean {
    const v = input(r, key);
    if (v === undefined || v === null) return fallback;
    if (typeof v === "boolean") return v;
    if (v === "true" || v === "false") return v === "true";
    return fail(r, `input "${key}" is ${JSON.stringify(v)}, expected true or false`);
}

export function num(r: GraphResource, key: string, fallback: number): number {
    const v = input(r, key);
    if (v === undefined || v === null) return fallback;
    const n = typeof v === "number" ? v : Number(v);
    if (!Number.isInteger(n)) fail(r, `input "${key}" is ${JSON.stringify(v)}, expected an integer`);
    return n;
}

export function strList(r: GraphResource, key: string): string[] {
    const v = input(r, key);
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) fail(r, `input "${key}" is ${JSON.stringify(v)}, expected a list of text`);
    return v as string[];
}
