/** `astro-db audit`: a live server against the stack, by the admin URL's engine (exit 0 clean, 1 drift, 2 error). */
import { type Command, Option } from "commander";
import type { AuditOptions } from "../audit";
import { type Register, serverCommandOptions } from "../command";

export const registerAudit: Register = (program: Command, setExit) => {
    serverCommandOptions(program.command("audit").description("compare a live PostgreSQL or MySQL server (by the --admin-url scheme) with the stack: missing, extra and different privileges, roles, memberships (exit 0 clean, 1 drift, 2 error)"))
        .option("-d, --deployment <release>", "only this Deployment")
        .addOption(new Option("-f, --format <format>", "output format").choices(["text", "json"]).default("text"))
        .action(async (given: AuditOptions & { stackFile?: string; format: "text" | "json" }) => {
            const { auditStack, renderAudit } = await import("../audit");
            const r = await auditStack({ ...given, file: given.stackFile });
            process.stdout.write(renderAudit(r, given.format));
            // A database that could not be read: an error, whatever the others showed.
            return setExit(r.errors?.length ? 2 : r.clean ? 0 : 1);
        });
};
