/**
 * How long astro-db waits for a server: to connect (and log in), and for each statement. One setting
 * per run (cli/main.ts sets it from --connect-timeout / --statement-timeout); every client reads it.
 */

export interface ConnectionLimits {
    connectSeconds: number;
    statementSeconds: number;
}
export const DEFAULT_LIMITS: Readonly<ConnectionLimits> = { connectSeconds: 15, statementSeconds: 60 };
/** The most --connect-timeout / --statement-timeout accept. */
export const MAX_TIMEOUT_SECONDS = 3600;
let limits: ConnectionLimits = { ...DEFAULT_LIMITS };

/** The limits of this run (cli/main.ts sets them before a command runs). */
export function setConnectionLimits(l: Partial<ConnectionLimits>): void {
    limits = { ...DEFAULT_LIMITS, ...l };
}
export function connectionLimits(): Readonly<ConnectionLimits> {
    return limits;
}
