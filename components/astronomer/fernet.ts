/**
 * Airflow fernet keys (the `<release>-fernet-key` secret, seed 003). Pure code, no Pulumi. Only the
 * canonical form is taken (what `Fernet.generate_key()` prints: url-safe base64 of 32 bytes, 44
 * characters ending in `=`; Python's decoder would also take `+` and `/`), so every consumer reads the
 * same key. A key carried over from an existing Airflow encrypts its metadata: messages say to copy it
 * exactly (or leave it out for a NEW Deployment), never to generate another, and never show it.
 */

/** Bytes in a Fernet key: 16 signing + 16 encryption. */
export const FERNET_KEY_BYTES = 32;

const FERNET_KEY = /^[A-Za-z0-9_-]{43}=$/;

/** True when `s` is a canonical Fernet key: url-safe base64 of 32 bytes, 44 characters with `=`. */
export function isFernetKey(s: string): boolean {
    return FERNET_KEY.test(s);
}

/** The fix for a carried-over key that is not a Fernet key. */
const COPY_THE_OLD_KEY =
    "copy the old Airflow's fernet key exactly (its `[core] fernet_key` / AIRFLOW__CORE__FERNET_KEY: url-safe base64 of 32 bytes, " +
    "44 characters ending in =), or remove the fernetKeys entry to have one generated for a NEW Deployment " +
    "(a new key cannot decrypt the old Airflow's connections and variables)";

/**
 * Problems with a carried-over fernet key, each a sentence that says the fix; empty when the key is
 * valid. Messages describe the key, never repeat it.
 */
export function checkFernetKey(s: string): string[] {
    if (isFernetKey(s)) return [];
    if (s.length === 0) return [`the fernet key is empty: ${COPY_THE_OLD_KEY}`];
    const problems: string[] = [];
    if (s.trim() !== s) {
        problems.push("the fernet key has leading or trailing whitespace (often a newline from echo or a file): remove it");
    }
    const t = s.trim();
    if (/[+/]/.test(t)) {
        problems.push("the fernet key is standard base64 (it contains + or /): Fernet keys are url-safe base64, so replace + with - and / with _ (fernetKeyFromBase64 does this)");
    }
    if (/[^A-Za-z0-9+/_=-]/.test(t)) {
        problems.push(`the fernet key contains characters that are not base64: ${COPY_THE_OLD_KEY}`);
    } else {
        const body = t.replace(/=+$/, "");
        const bytes = Math.floor((body.length * 6) / 8);
        if (bytes !== FERNET_KEY_BYTES || /=./.test(t)) {
            problems.push(`the fernet key encodes ${bytes} bytes, and Fernet needs exactly ${FERNET_KEY_BYTES}: ${COPY_THE_OLD_KEY}`);
        } else if (t.length === 43) {
            problems.push("the fernet key lacks its = padding, which Python's base64 decoder requires: append =");
        } else if (t.length !== 44) {
            problems.push("the fernet key has the wrong padding: a 32-byte key ends in exactly one =");
        }
    }
    // Whitespace alone can make the key invalid; every other case names at least one problem.
    return problems.length > 0 ? problems : [`the fernet key is not url-safe base64 of 32 bytes: ${COPY_THE_OLD_KEY}`];
}

/** The Fernet key for 32 random bytes: url-safe base64 with `=` padding. Throws for another length. */
export function fernetKeyFromBytes(buf: Uint8Array): string {
    if (buf.length !== FERNET_KEY_BYTES) {
        throw new Error(`a fernet key is made of ${FERNET_KEY_BYTES} bytes, not ${buf.length}`);
    }
    // Node's "base64url" drops the padding, which Python's decoder needs: translate instead.
    return toUrlSafe(Buffer.from(buf).toString("base64"));
}

/**
 * Converts the standard base64 of 32 bytes (e.g. `@pulumi/random` RandomBytes `.base64`) to a
 * Fernet key. A key that is already url-safe is returned unchanged. Throws if the text is not the
 * base64 of exactly 32 bytes.
 */
export function fernetKeyFromBase64(std: string): string {
    if (!/^[A-Za-z0-9+/_-]{43}=$/.test(std)) {
        throw new Error(`expected the base64 of ${FERNET_KEY_BYTES} bytes (44 characters ending in =)`);
    }
    return toUrlSafe(std);
}

function toUrlSafe(b64: string): string {
    return b64.replace(/\+/g, "-").replace(/\//g, "_");
}
