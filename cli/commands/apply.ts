/** `astro-db apply`: the stack's SQL on a live server, by the admin URL's engine, and the Deployments' secrets. */
import { type Command, Option } from "commander";
import { type Register, serverCommandOptions } from "../command";
import { parsePort } from "../input";

export const registerApply: Register = (program: Command, setExit) => {
    serverCommandOptions(program.command("apply").description("run the stack's SQL on a PostgreSQL or MySQL server (by the --admin-url scheme; creates what is missing, a second run changes nothing) and write the Deployments' secrets and values.yaml"))
        .option("-d, --deployment <release>", "only this Deployment")
        .option("-o, --out <dir>", "where to write the secrets and values.yaml (default: out/<stack>)")
        .option("--host <host>", "host in the written connection strings (default: the stack's server; for RDS the admin URL's)")
        .addOption(new Option("--port <port>", "port in the written connection strings").argParser((v) => parsePort("--port", v)))
        .option("--rotate-password <release...>", "give these Deployments' existing Astro users (failover with customer-managed users: both login roles) a new password and rewrite their secrets")
        .option("--fernet-key <release=file...>", "write the fernet key held in <file> (a Secret manifest, e.g. from kubectl get secret -o yaml, or the bare key) for an existing Deployment whose --out has none")
        .option("--new-fernet-key <release...>", "write a NEW fernet key for these existing Deployments (Airflow then cannot decrypt what it encrypted with the old one)")
        .addOption(new Option("-f, --format <format>", "report format").choices(["text", "json"]).default("text"))
        .action(async (given: { stack: string; stackFile?: string; adminUrl: string; deployment?: string; out?: string; host?: string; port?: number; server?: string; rotatePassword?: string[]; fernetKey?: string[]; newFernetKey?: string[]; format: string }) => {
            const { applyStack, parseFernetKeyOptions, renderApplyResult } = await import("../apply");
            const r = await applyStack({ ...given, file: given.stackFile, fernetKeyFiles: parseFernetKeyOptions(given.fernetKey), newFernetKeys: given.newFernetKey, rotatePasswords: given.rotatePassword });
            process.stdout.write(given.format === "json" ? JSON.stringify(r, null, 2) + "\n" : renderApplyResult(r));
            return setExit(r.ok ? 0 : 2);
        });
};
