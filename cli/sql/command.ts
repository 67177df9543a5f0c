/**
 * `astro-db sql --stack <name> [--deployment <release>] [--show-passwords]`: the SQL the stack's
 * database resources amount to, as a psql script per server, for a DBA to review or run.
 */
import { runStackGraph, StackGraph } from "../graph";
import * as sql from "../../engines/postgres/statements";
import { renderMysqlScript } from "../../engines/mysql/render";
import * as mysqlSql from "../../engines/mysql/statements";
import { translateGraph, stackServerContext } from "./registry";
import { renderPsql } from "../../engines/postgres/render";
import type { EngineKind, SqlStep } from "../../engines/model";

export interface SqlOptions {
    deployment?: string;
    server?: string;
    /** Print passwords the stack declares in clear (generated ones are only known after apply). */
    showPasswords?: boolean;
    /** A stack file other than stacks/Pulumi.<stack>.yaml. */
    file?: string;
}

export async function stackSql(stack: string, o: SqlOptions = {}): Promise<string> {
    return graphSql(await runStackGraph(stack, { revealSecrets: o.showPasswords ?? false, file: o.file }), o);
}

/**
 * The script for a graph. Passwords show in clear only when the graph was built with secrets
 * revealed and the stack itself declares them; generated ones are psql variables always.
 */
export function graphSql(graph: StackGraph, o: SqlOptions = {}): string {
    const stack = graph.stack;
    if (o.deployment !== undefined && !graph.spec.deployments.some((d) => d.release === o.deployment)) {
        throw new Error(`stack "${stack}" has no Deployment "${o.deployment}" (Deployments: ${graph.spec.deployments.map((d) => d.release).join(", ")})`);
    }
    const { steps, warnings } = translateGraph(graph, { deployment: o.deployment, server: o.server });
    const sections = (Object.keys(SQL_SECTIONS) as EngineKind[]).flatMap((engine) => SQL_SECTIONS[engine](stack, graph, steps.filter((s) => s.engine === engine), warnings, o));
    if (sections.length === 0) {
        return `-- astro-db sql --stack ${stack}: no SQL${o.deployment ? ` for Deployment ${o.deployment}` : ""}\n${warnings.map((w) => `-- WARNING: ${w}\n`).join("")}`;
    }
    return sections.join("\n");
}

/** Per engine, its servers' scripts from the stack's steps of that engine; `sql` prints them in this order. */
const SQL_SECTIONS: Record<EngineKind, (stack: string, graph: StackGraph, steps: readonly SqlStep[], warnings: readonly string[], o: SqlOptions) => string[]> = {
    postgres: postgresSqlSections,
    mysql: mysqlSqlSections,
};

/** Per PostgreSQL server of the stack, its psql script. */
function postgresSqlSections(stack: string, graph: StackGraph, steps: readonly SqlStep[], warnings: readonly string[], o: SqlOptions): string[] {
    const sections: string[] = [];
    for (const server of graph.spec.servers) {
        const mine = steps.filter((s) => s.server === server.name);
        if (mine.length === 0) continue;
        const ctx = stackServerContext(graph, server);
        const passwords = new Map(mine.filter((s) => s.setsPasswordOf && s.declaredPassword !== undefined).map((s) => [s.setsPasswordOf!, s.declaredPassword!]));
        const variables = mine.filter((s) => s.setsPasswordOf && !passwords.has(s.setsPasswordOf)).map((s) => `-v ${sql.passwordVariable(s.setsPasswordOf!)}=<password>`);
        const where = server.kind === "existing" ? `-h ${server.host} -p ${server.port}` : "-h <RDS endpoint> -p 5432";
        sections.push(renderPsql(mine, {
            maintenanceDatabase: ctx.maintenanceDatabase,
            passwords,
            warnings,
            title: [
                `astro-db sql --stack ${stack}${o.deployment ? ` --deployment ${o.deployment}` : ""}: server "${server.name}" (PostgreSQL, admin ${ctx.adminUser}${ctx.adminIsSuperuser ? ", superuser" : ", not a superuser"})`,
                "Built from the stack's resource graph, following the postgresql provider: each Grant revokes, then grants, in one transaction.",
                "Run it as the admin with psql (\\connect, \\gset and \\if are psql meta-commands):",
                `  psql -X ${where} -U ${ctx.adminUser} -d ${ctx.maintenanceDatabase} ${variables.join(" ")} -f this.sql`.replace(/ +/g, " "),
                "Safe to run more than once: CREATE DATABASE and CREATE ROLE run only when missing; everything else is idempotent.",
                passwords.size || variables.length === 0
                    ? ""
                    : "Passwords are psql variables: nothing here holds one in clear (`astro-db apply` generates them and writes the Deployments' secrets).",
            ].filter(Boolean),
        }));
    }
    return sections;
}

/** Per MySQL server of the stack, its script, from the stack's translated steps. */
function mysqlSqlSections(stack: string, graph: StackGraph, steps: readonly SqlStep[], warnings: readonly string[], o: { deployment?: string } = {}): string[] {
    const sections: string[] = [];
    for (const server of graph.spec.servers) {
        const mine = steps.filter((s) => s.server === server.name);
        if (mine.length === 0) continue;
        const passwords = new Map(mine.filter((s) => s.setsPasswordOf && s.declaredPassword !== undefined).map((s) => [s.setsPasswordOf!, s.declaredPassword!]));
        const variables = mine.filter((s) => s.setsPasswordOf && !passwords.has(s.setsPasswordOf)).map((s) => `SET ${mysqlSql.passwordVariable(s.setsPasswordOf!)} = '<password>';`);
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
