/** `astro-db fence`: data-plane failover as the orchestrator (seed 004; cli/fence.ts). */
import { Option } from "commander";
import type { FenceCliOptions } from "../fence";
import { type Register, stackCommandOptions } from "../command";

export const registerFence: Register = (program, setExit) => {
    stackCommandOptions(program
        .command("fence")
        .description("data-plane failover (seed 004), as the orchestrator user: the source plane's login role loses CONNECT and its sessions, the target's can connect"))
        .requiredOption("-d, --deployment <release>", "the Deployment's release name")
        .requiredOption("--from <plane>", "the data plane to fence (one of the Deployment's failover.planes)")
        .requiredOption("--admin-url <url>", "the orchestrator user's URL, postgresql://commander_user@host:5432/postgres (password: PGPASSWORD or ~/.pgpass)")
        .addOption(new Option("--file <path>", "the old name of --stack-file").hideHelp())
        .option("--timeout <seconds>", "how long to keep terminating the source's sessions", "30")
        .option("--json", "print the result as JSON", false)
        .action(async (o: FenceCliOptions) => {
            const { fence, FenceRefused, renderFence } = await import("../fence");
            try {
                const seconds = Number(o.timeout);
                if (!(seconds > 0)) throw new FenceRefused(`--timeout ${o.timeout} is not a positive number of seconds`);
                if (o.stackFile !== undefined && o.file !== undefined && o.stackFile !== o.file) throw new FenceRefused("--stack-file and --file name different files: give only --stack-file");
                const r = await fence({ stack: o.stack, deployment: o.deployment, from: o.from, adminUrl: o.adminUrl, file: o.stackFile ?? o.file, timeoutMs: seconds * 1000 });
                process.stdout.write(o.json ? JSON.stringify(r, null, 2) + "\n" : renderFence(r, o.adminUrl));
                setExit(r.ok ? 0 : 1);
            } catch (err) {
                const refused = err instanceof FenceRefused;
                process.stderr.write(`astro-db fence: ${refused ? "refused" : "error"}: ${err instanceof Error ? err.message : String(err)}\n`);
                setExit(2);
            }
        });
};
