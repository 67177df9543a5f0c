/**
 * `astro-db sql` for MySQL servers: the stack's MySQL steps as a script for the `mysql` client, for a DBA
 * to review or run. Safe to run twice (CREATE ... IF NOT EXISTS; GRANT adds only what is missing;
 * ALTER brings a drifted character set or REQUIRE clause back). Passwords are user variables the DBA sets
 * first, unless the stack declares one and `--show-passwords` is given; CREATE USER then runs as a
 * prepared statement, because IDENTIFIED BY takes only a literal.
 */
import * as sql from "../../engines/mysql/statements";
import { quoteString } from "../../engines/mysql/quote";
import type { StackGraph } from "../graph";
import type { SqlStep } from "../../engines/model";
import { byDeployment } from "../../engines/postgres/render";

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

/** Per MySQL server of the stack, its script, from the stack's translated steps. */
export function mysqlSqlSections(stack: string, graph: StackGraph, steps: readonly SqlStep[], warnings: readonly string[], o: { deployment?: string } = {}): string[] {
    const sections: string[] = [];
    for (const server of graph.spec.servers.filter((s) => s.engine === "mysql")) {
        const mine = steps.filter((s) => s.server === server.name && s.engine === "mysql");
        if (mine.length === 0) continue;
        const passwords = new Map(mine.filter((s) => s.setsPasswordOf && s.declaredPassword !== undefined).map((s) => [s.setsPasswordOf!, s.declaredPassword!]));
        const variables = mine.filter((s) => s.setsPasswordOf && !passwords.has(s.setsPasswordOf)).map((s) => `SET ${sql.passwordVariable(s.setsPasswordOf!)} = '<password>';`);
        const where = server.kind === "existing" ? `-h ${server.host} -P ${server.port}` : "-h <RDS endpoint> -P 3306 --ssl-mode=REQUIRED";
        sections.push(renderMysqlScript(mine, [
            `astro-db sql --stack ${stack}${o.deployment ? ` --deployment ${o.deployment}` : ""}: server "${server.name}" (MySQL)`,
            "Built from the stack's resource graph, following the mysql provider (v1.9.0): a Grant only adds privileges, it revokes nothing.",
            ...warnings.map((w) => `WARNING: ${w}`),
            "Run it as the admin with the mysql client:",
            `  mysql ${where} -u <admin> -p < this.sql`,
            ...(variables.length ? [
                "Set each new user's password first (nothing here holds one in clear; `astro-db apply` generates them and writes the secrets):",
                ...variables.map((v) => `  ${v}`),
                "e.g. put those lines in front of this script; a user variable left unset makes CREATE USER fail.",
            ] : []),
        ], passwords));
    }
    return sections;
}
