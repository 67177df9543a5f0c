/** `astro-db sql`: the stack's SQL as a script per server (cli/sql/command.ts). */
import type { Command } from "commander";
import { type Register, stackCommandOptions } from "../command";

export const registerSql: Register = (program: Command, setExit) => {
    stackCommandOptions(program.command("sql").description("print the SQL the stack's database resources amount to (a psql script per server; passwords masked)"))
        .option("-d, --deployment <release>", "only this Deployment")
        .option("--server <name>", "only this server")
        .option("--show-passwords", "print passwords the stack declares in clear (generated ones stay psql variables)", false)
        .action(async (o: { stack: string; stackFile?: string; deployment?: string; server?: string; showPasswords: boolean }) => {
            const { stackSql } = await import("../sql/command");
            process.stdout.write(await stackSql(o.stack, { ...o, file: o.stackFile }));
            setExit(0);
        });
};
