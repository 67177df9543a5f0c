import type { LiveSessions } from "./audit";

/**
 * Read-only catalog reads of many databases (one per Deployment) at once, over a few connections:
 * `apply` and `audit` read every Deployment database's contents this way before they compare or
 * write; writes stay one Deployment after another. The admin holds its maintenance connection plus
 * at most MAX_READERS reader connections at a time, never more than the server's free slots.
 */

/** At most this many connections read Deployment databases at once (besides the maintenance connection). */
export const MAX_READERS = 4;

/**
 * How many reader connections to open: MAX_READERS, fewer when the server has fewer free slots
 * (`headroom`: max_connections less the reserved slots and the sessions in use), and at least one,
 * as reading the databases one after another needs.
 */
export function readerCount(headroom: number): number {
    return Math.max(1, Math.min(MAX_READERS, Math.floor(headroom)));
}

/** readerCount for a server's live sessions: its slots less the reserved ones and the sessions in use. */
export function readersFor(live: LiveSessions): number {
    const available = live.maxConnections - live.reserved.reduce((n, r) => n + r.slots, 0);
    return readerCount(available - live.sessions.reduce((n, s) => n + s.count, 0));
}

/** An item readAll left out because it was stopped. */
export class NotRead extends Error {
    constructor() {
        super("not read: the reads were stopped");
    }
}

/**
 * `read` for every item, at most `limit` at a time. Every item settles: a failure does not stop the
 * others. Results come in the items' order. Once `stopped()` says so, no further item is read (those
 * left out are rejected with NotRead).
 */
export async function readAll<T, R>(items: readonly T[], limit: number, read: (item: T) => Promise<R>, stopped: () => boolean = () => false): Promise<PromiseSettledResult<R>[]> {
    const results: PromiseSettledResult<R>[] = items.map(() => ({ status: "rejected", reason: new NotRead() }));
    let next = 0;
    const reader = async () => {
        while (next < items.length && !stopped()) {
            const i = next++;
            try {
                results[i] = { status: "fulfilled", value: await read(items[i]) };
            } catch (reason) {
                results[i] = { status: "rejected", reason };
            }
        }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, reader));
    return results;
}

