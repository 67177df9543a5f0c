/**
 * The one rule for everything astro-db prints (stdout, stderr, help, errors, progress, JSON): no
 * password, connection-string password, kubeconfig credential, fernet key or token, however it was
 * written. Two layers, both here:
 *   - URLs: `maskUrl` replaces a URL's password by ****, also in a URL that does not parse as meant
 *     (a password with `/`, `#`, `?`), and `urlPasswordProblem` refuses such a URL without echoing it;
 *   - known secrets: every credential the run was given (URL passwords from the command line and
 *     ASTRO_DB_ADMIN_URL / PGPASSWORD / MYSQL_PWD, credential values of the stack file, generated
 *     passwords) is registered, and `redact` hides it raw, percent-encoded, base64-encoded and
 *     JSON-escaped. cli/main.ts passes every byte the commands write through `redact`.
 */

export const MASK = "****";

/** Characters that end or change a URL's user-info part when written raw, with their escapes. */
const URL_USERINFO_BREAKERS: Record<string, string> = { "/": "%2F", "#": "%23", "?": "%3F", "@": "%40", "%": "%25", " ": "%20" };

/**
 * The user-info (`user:password`) a URL was meant to carry: everything between `scheme://` and the
 * last `@` of the authority as the user wrote it, even where a raw `/`, `#` or `?` makes a URL parser
 * end the host part early. Undefined when the text has no `scheme://…@`.
 */
export function meantUserinfo(url: string): { user: string; password?: string; start: number; end: number } | undefined {
    const m = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url.trim());
    if (!m) return undefined;
    const offset = url.indexOf(m[0]) + m[0].length;
    const rest = url.slice(offset);
    // The host part after the last '@' never holds '@'; a query (ssl-ca=<file>) may hold '/' but rarely '@'.
    const at = rest.lastIndexOf("@");
    if (at < 0) return undefined;
    const info = rest.slice(0, at);
    const colon = info.indexOf(":");
    return { user: colon < 0 ? info : info.slice(0, colon), password: colon < 0 ? undefined : info.slice(colon + 1), start: offset, end: offset + at };
}

/**
 * Why a URL does not carry its user name and password as the user meant, or undefined when it does:
 * a raw `/ # ? @ % space` in them (a `%` that does not start an escape like %2F) must be
 * percent-encoded. The message names the characters and their codes, never the URL.
 */
export function urlPasswordProblem(option: string, url: string): string | undefined {
    const info = meantUserinfo(url);
    if (!info) return undefined;
    const found = new Set<string>();
    for (const [i, c] of [...`${info.user}:${info.password ?? ""}`].entries()) {
        if (c === "%") {
            if (!/^%[0-9a-f]{2}/i.test(`${info.user}:${info.password ?? ""}`.slice(i))) found.add(c);
        } else if (c in URL_USERINFO_BREAKERS) found.add(c);
    }
    if (found.size === 0) return undefined;
    const list = [...found].map((c) => `"${c}" as ${URL_USERINFO_BREAKERS[c]}`).join(", ");
    return `${option}: the user name or password holds characters a URL cannot carry raw, so the URL does not say what you meant: ` +
        `percent-encode them (${list}; e.g. node -e 'console.log(encodeURIComponent(process.argv[1]))' '<password>'). ` +
        "The URL is not shown: it holds a password";
}

/** A connection URL as it may be printed: the password replaced by ****. One masking for every command. */
export function maskUrl(url: string): string {
    const info = meantUserinfo(url);
    if (info?.password !== undefined) {
        // As the user meant it (last '@'), which also covers a URL a parser would read differently.
        return url.slice(0, info.start) + `${info.user}:${MASK}` + url.slice(info.end);
    }
    if (info) return url;
    // Not a URL (e.g. "host=... password=..."): mask what looks like a password anyway.
    return url.replace(/(password\s*=\s*)('[^']*'|\S+)/gi, `$1${MASK}`);
}

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

/** decodeURIComponent, or the text itself where it holds a `%` that starts no escape. */
export function safeDecode(s: string): string {
    try {
        return decodeURIComponent(s);
    } catch {
        return s;
    }
}
