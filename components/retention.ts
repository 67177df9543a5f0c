/**
 * Retention of a removed Deployment's database (seed 002: kept 15 days after the Deployment is
 * deleted, configurable). Pure code: the state follows from the config and today's date.
 */

export type RetentionState =
    /** In use: login enabled, secrets present. */
    | { state: "active" }
    /** Removed from Astronomer: login disabled, secrets removed, database and roles kept until `removeOn`. */
    | { state: "retired"; retiredAt: string; removeOn: string; daysLeft: number }
    /** The retention period has passed: this `pulumi up` drops the database and its roles. */
    | { state: "expired"; retiredAt: string; removeOn: string };

const DAY_MS = 24 * 60 * 60 * 1000;

/** `YYYY-MM-DD` of a date, in UTC. */
export function isoDay(d: Date): string {
    return d.toISOString().slice(0, 10);
}

export function parseDay(day: string): Date | undefined {
    const d = new Date(`${day}T00:00:00Z`);
    return Number.isNaN(d.getTime()) || isoDay(d) !== day ? undefined : d;
}

/** A Deployment's retention state on `today`, given its retirement day and the stack's retention period. */
export function retentionState(retiredAt: string | undefined, retentionDays: number, today: Date): RetentionState {
    if (retiredAt === undefined) return { state: "active" };
    const since = parseDay(retiredAt);
    if (!since) throw new Error(`"${retiredAt}" is not a calendar date (YYYY-MM-DD)`);
    const removeOn = new Date(since.getTime() + retentionDays * DAY_MS);
    const todayStart = parseDay(isoDay(today))!;
    const daysLeft = Math.round((removeOn.getTime() - todayStart.getTime()) / DAY_MS);
    if (daysLeft > 0) return { state: "retired", retiredAt, removeOn: isoDay(removeOn), daysLeft };
    return { state: "expired", retiredAt, removeOn: isoDay(removeOn) };
}
