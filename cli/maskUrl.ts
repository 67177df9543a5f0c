/** A connection URL as it may be printed: the password replaced by ****. One masking for every command. */
export function maskUrl(url: string): string {
    try {
        const u = new URL(url);
        if (u.password) u.password = "****";
        return u.toString();
    } catch {
        // Not a URL (e.g. "host=... password=..."): mask what looks like a password anyway.
        return url.replace(/(password\s*=\s*)('[^']*'|\S+)/gi, "$1****").replace(/(\/\/[^:/@\s]*:)[^@\s]*@/g, "$1****@");
    }
}
