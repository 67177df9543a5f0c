/**
 * The stack's MySQL steps as a script for the `mysql` client (`astro-db sql`). Safe to run twice
 * (CREATE ... IF NOT EXISTS; GRANT adds only what is missing; ALTER restores a drifted character set or
 * REQUIRE clause). Passwords are user variables unless given (CREATE USER then runs as a prepared
 * statement: IDENTIFIED BY takes only a literal); a drop runs only after SET @confirm_drop = 1.
 */
import { byDeployment, type SqlStep } from "../model";
import { quoteString } from "./quote";
import * as sql from "./statements";

/** The script for one server's MySQL steps. */
export function renderMysqlScript(steps: readonly SqlStep[], title: string[], passwords: ReadonlyMap<string, string> = new Map()): string {
    const password = (user: string) => (passwords.has(user) ? quoteString(passwords.get(user)!) : sql.passwordVariable(user));
    const lines = title.map((t) => `-- ${t}`.trimEnd());
    for (const [deployment, group] of byDeployment(steps)) {
        lines.push("", `-- ======== ${deployment === undefined ? "server-wide" : `Deployment ${deployment}`} ========`);
        for (const s of group) {
            const head = `-- ${s.resource.type} ${s.resource.name}${s.action === "create" ? " (create if missing)" : ""}`;
            const statements = s.statements({ password });
            if (s.confirm === undefined) lines.push(head, ...statements.map((t) => `${t};`));
            else {
                // A drop runs only with `SET @confirm_drop = 1;` in front of the script, exactly as psql's -v confirm_drop=1.
                const skipped = `astro-db: skipped ${s.resource.name} (it drops): put SET @${s.confirm} = 1; in front of this script to run it`;
                lines.push(`${head}: runs only after SET @${s.confirm} = 1;`, ...sql.onlyIfConfirmed(s.confirm, statements, skipped).map((t) => `${t};`));
            }
        }
    }
    return lines.join("\n") + "\n";
}
