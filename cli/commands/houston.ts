/** `astro-db houston`: the Houston mutation and variables that hand a Deployment's database to the platform (seed 000 step 6; cli/houston.ts). */
import { Option } from "commander";
import { type Register, stackCommandOptions } from "../command";
import type { HoustonOptions } from "../houston";

/** commander's names for HoustonOptions: --stack-file for `file`, --create for `mutation`, plus --format. */
type HoustonCliOptions = Omit<HoustonOptions, "file" | "mutation"> & { stackFile?: string; create?: boolean; format: string };

export const registerHouston: Register = (program, setExit) => {
    stackCommandOptions(program.command("houston").description("print the Houston GraphQL mutation (createDeployment or upsertDeployment) and its variables that hand a Deployment's database to the platform (seed 000 step 6); credentials masked unless --show-secrets"))
        .requiredOption("-d, --deployment <release>", "the Deployment")
        .addOption(new Option("--create", "createDeployment (cannot skip Houston's database provisioning)").conflicts("upsert"))
        .option("--upsert", "upsertDeployment with skipAirflowDatabaseProvisioning: true (the default)")
        .option("--workspace <uuid>", "Houston's workspace id (workspaceUuid)")
        .option("--deployment-uuid <uuid>", "with --upsert: the existing Deployment to update")
        .option("--label <label>", "the Deployment's label (default: the release name)")
        .option("--outputs <file>", "take the variables from `pulumi stack output deployments --show-secrets --json` saved to this file")
        .option("-o, --out <dir>", "take the password from what `astro-db apply --out <dir>` wrote")
        .option("--show-secrets", "print passwords in clear (for piping to curl)", false)
        .addOption(new Option("-f, --format <format>", "text: the mutation, then the variables; request: one JSON body {query, variables} for curl --data @-").choices(["text", "request"]).default("text"))
        .action(async (o: HoustonCliOptions) => {
            const { houstonRequest, MASK } = await import("../houston");
            const r = await houstonRequest({ ...o, file: o.stackFile, mutation: o.create ? "createDeployment" : "upsertDeployment" });
            for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
            if (!o.showSecrets) process.stderr.write(`note: credentials are masked (${MASK}); add --show-secrets to send the request\n`);
            if (o.format === "request") process.stdout.write(JSON.stringify({ query: r.query, variables: r.variables }) + "\n");
            else process.stdout.write(`${r.query}\n${JSON.stringify(r.variables, null, 2)}\n`);
            setExit(0);
        });
};
