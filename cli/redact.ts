/**
 * Everything astro-db prints passes through `redact` (cli/main.ts): URL passwords masked (engines/url.ts
 * maskUrl) and every credential this run registered hidden, raw, percent-, base64- or JSON-encoded
 * (README "Secrets in what the tool prints, bad input, time limits").
 */
import { MASK, maskUrl, meantUserinfo, safeDecode } from "../engines/url";

/* ---------------------------------------------------------------- known secrets */

/** Shorter values are not searched for in free text (they would mask ordinary words); URLs still mask them. */
const MIN_SECRET_LENGTH = 4;
const secrets = new Set<string>();

/** Register a credential this run holds: from now on `redact` hides it in every form it may be printed in. */
export function registerSecret(value: unknown): void {
    if (typeof value !== "string" && typeof value !== "number" && typeof value !== "bigint") return;
    const s = String(value);
    if (s.trim().length < MIN_SECRET_LENGTH) return;
    secrets.add(s);
    const decoded = safeDecode(s);
    if (decoded !== s && decoded.length >= MIN_SECRET_LENGTH) secrets.add(decoded);
}

/** Register every leaf of a structure as a credential (the values of serverPasswords, fernetKeys). */
export function registerSecretsIn(value: unknown): void {
    if (Array.isArray(value)) value.forEach(registerSecretsIn);
    else if (value && typeof value === "object") Object.values(value).forEach(registerSecretsIn);
    else registerSecret(value);
}

/** Keys whose values are credentials in a kubeconfig or a Secret manifest (token, password, client-key-data, data, …). */
const CREDENTIAL_KEY = /token|passw|secret|key|cert|auth|credential|^data$|^stringData$/i;

/**
 * Register the credentials in a document (a kubeconfig, as a mapping or as YAML text, or a Secret
 * manifest): the values under credential-named keys, so ordinary words (names, kinds) stay readable.
 * Text that is not such a document is registered whole.
 */
export function registerCredentialsIn(value: unknown, parseText: (text: string) => unknown): void {
    if (typeof value === "string") {
        let parsed: unknown;
        try {
            parsed = parseText(value);
        } catch {
            parsed = undefined;
        }
        if (parsed && typeof parsed === "object") {
            registerSecret(value);
            registerCredentialsIn(parsed, parseText);
        } else registerSecret(value.trim());
        return;
    }
    if (Array.isArray(value)) value.forEach((v) => registerCredentialsIn(v, parseText));
    else if (value && typeof value === "object") {
        for (const [k, v] of Object.entries(value)) {
            if (CREDENTIAL_KEY.test(k)) registerSecretsIn(v);
            else if (v && typeof v === "object") registerCredentialsIn(v, parseText);
        }
    }
}

/** The password of every URL in these texts (command-line arguments, environment values). */
export function registerUrlSecrets(texts: readonly (string | undefined)[]): void {
    for (const text of texts) {
        if (text === undefined) continue;
        const info = meantUserinfo(text);
        if (info?.password !== undefined) registerSecret(info.password);
        try {
            const u = new URL(text);
            if (u.password) registerSecret(u.password);
        } catch {
            // Only the meant password above.
        }
        const keyword = /password\s*=\s*('[^']*'|\S+)/i.exec(text);
        if (keyword) registerSecret(keyword[1].replace(/^'|'$/g, ""));
    }
}

/** Forget the registered secrets (each CLI run starts afresh). */
export function forgetSecrets(): void {
    secrets.clear();
}

/** Every way a secret may appear in printed text. */
export function secretForms(secret: string): string[] {
    const forms = new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]);
    try {
        const u = new URL("x://h");
        u.password = secret;
        forms.add(u.password);
    } catch {
        // Not settable: the other forms remain.
    }
    const b = Buffer.from(secret, "utf8");
    for (const f of [b.toString("base64"), b.toString("base64url"), b.toString("base64").replace(/=+$/, "")]) forms.add(f);
    for (const f of [...forms]) forms.add(f.replace(/%[0-9A-F]{2}/g, (x) => x.toLowerCase()));
    return [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

/** Text as it may be printed: URL passwords, `password=` values and every registered secret masked. */
export function redact(text: string): string {
    let out = text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, (url) => maskUrl(url));
    out = out.replace(/(password\s*=\s*)('[^']*'|[^\s&]+)/gi, (m, key: string, value: string) => (value === MASK ? m : `${key}${MASK}`));
    // Longest first, so a secret containing another is masked whole.
    const forms = [...new Set([...secrets].flatMap(secretForms))].sort((a, b) => b.length - a.length);
    for (const f of forms) out = out.split(f).join(MASK);
    return out;
}

/** While `run` runs, every byte written to stdout and stderr goes through `redact` (the one place output is guarded). */
export async function withRedactedOutput<T>(run: () => Promise<T>): Promise<T> {
    const streams = [process.stdout, process.stderr];
    const originals = streams.map((s) => s.write);
    streams.forEach((stream, i) => {
        const write = originals[i];
        stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) =>
            (write as (...a: unknown[]) => boolean).call(stream, redact(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8")), ...rest)) as typeof stream.write;
    });
    try {
        return await run();
    } finally {
        streams.forEach((stream, i) => (stream.write = originals[i]));
    }
}
