/**
 * Every option in every `astro-db <command> --help` is in the README, and every astro-db option the
 * README names exists: the "Who does what" table's row for a command lists all its options (and
 * only those), short flags are the same in every command and listed in the README's short-flag
 * line. An option someone adds without documenting it fails here.
 */
import assert from "node:assert/strict";
import { captureCli } from "../../support/cli";
import { readReadme } from "../../support/readme";

interface HelpOption {
    long: string;
    short?: string;
}

/** The options `--help` lists: `  -s, --stack <name>  …` or `  --preview  …`. */
function helpOptions(help: string): HelpOption[] {
    const section = help.split(/^Options:$/m)[1]?.split(/^\S.*:$/m)[0] ?? "";
    return [...section.matchAll(/^ {2}(?:(-[A-Za-z]), )?(--[a-z][a-z0-9-]*)/gm)]
        .map((m) => ({ long: m[2], ...(m[1] ? { short: m[1] } : {}) }))
        .filter((o) => o.long !== "--help");
}

/** The subcommands `astro-db --help` lists. */
function helpCommands(help: string): string[] {
    const section = help.split(/^Commands:$/m)[1] ?? "";
    return [...section.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]).filter((c) => c !== "help");
}

/**
 * Flags of other tools the README quotes (pulumi, psql, pg_dump, kubectl, npm, mocha): not astro-db's.
 * Each with the tool, so an astro-db option of the same name is still checked in its table row.
 */
const OTHER_TOOLS: Record<string, string> = {
    "--secret": "pulumi config set",
    "--path": "pulumi config set",
    "--show-secrets": "pulumi stack output",
    "--policy-pack": "pulumi preview",
    "--diff": "pulumi preview",
    "--single-transaction": "psql",
    "--dbname": "pg_dump",
    "--data-only": "pg_dump",
    "--blobs": "pg_dump",
    "--username": "pg_dump",
    "--file": "pg_dump (and fence's old name of --stack-file, hidden from its help)",
    "--table": "pg_dump",
    "--prefix": "npm ci",
    "--server-side": "kubectl apply (a patch-mode file)",
    "--field-manager": "kubectl apply (a patch-mode file)",
    "--force-conflicts": "kubectl apply (a patch-mode file)",
    "--all": "kubectl delete pods (seed 003's restart)",
    "--namespace": "kubectl delete pods (seed 003's restart)",
    "--data": "curl (Houston's API)",
    "--user-only": "scripts/install-test-deps.sh",
    "--noEmit": "tsc",
    "--sizes": "npm run bench (scripts/bench.ts)",
    "--apply-sizes": "npm run bench (scripts/bench.ts)",
    "--report": "npm run bench (scripts/bench.ts)",
};

describe("README and --help list the same options", function () {
    this.timeout(120_000);
    const readme = readReadme();
    let commands: Map<string, HelpOption[]>;

    before(async () => {
        const top = await captureCli(["--help"]);
        assert.equal(top.code, 0);
        commands = new Map();
        for (const c of helpCommands(top.out)) {
            const r = await captureCli([c, "--help"]);
            assert.equal(r.code, 0, `${c} --help: ${r.err}`);
            commands.set(c, helpOptions(r.out));
        }
        assert.ok(commands.size >= 7, `commands found: ${[...commands.keys()].join(", ")}`);
    });

    /** The "Who does what" table rows that run `astro-db <command>`, as one text. */
    function tableRow(command: string): string {
        const table = readme.split("## Who does what")[1]?.split(/\n\n/)[1] ?? "";
        const rows = table.split("\n").filter((l) => new RegExp(`astro-db ${command}\\b`).test(l));
        assert.ok(rows.length >= 1, `README "Who does what" has no row running astro-db ${command}`);
        return rows.join("\n");
    }

    it("each command's row in the README's table lists every option its --help shows, and no other", () => {
        const problems: string[] = [];
        for (const [command, options] of commands) {
            const row = tableRow(command);
            const named = new Set(row.match(/--[a-z][a-z0-9-]*/g) ?? []);
            for (const o of options) if (!named.has(o.long)) problems.push(`astro-db ${command} ${o.long}: in --help, not in the README's row`);
            const longs = new Set(options.map((o) => o.long));
            for (const n of named) if (!longs.has(n)) problems.push(`astro-db ${command} ${n}: in the README's row, not an option`);
        }
        assert.deepEqual(problems, []);
    });

    it("every --option the README names is an option of some command (or another tool's flag it quotes)", () => {
        const all = new Set(["--help", ...[...commands.values()].flat().map((o) => o.long)]);
        const unknown = [...new Set(readme.match(/(?<![\w-])--[a-z][a-zA-Z0-9-]*/g) ?? [])].filter((f) => !all.has(f) && !(f in OTHER_TOOLS));
        assert.deepEqual(unknown, [], "README names options no --help has: document the option or correct the README");
    });

    it("short flags mean the same in every command, every command with the long option has it, and the README lists them", () => {
        const byLong = new Map<string, Set<string | undefined>>();
        for (const options of commands.values()) for (const o of options) byLong.set(o.long, new Set([...(byLong.get(o.long) ?? []), o.short]));
        const problems: string[] = [];
        const byShort = new Map<string, string>();
        for (const [long, shorts] of byLong) {
            const defined = [...shorts].filter((s): s is string => !!s);
            if (defined.length === 0) continue;
            if (shorts.size > 1) problems.push(`${long}: short flags ${[...shorts].map((s) => s ?? "(none)").join(", ")} in different commands`);
            for (const s of defined) {
                if (byShort.has(s) && byShort.get(s) !== long) problems.push(`${s} means both ${byShort.get(s)} and ${long}`);
                byShort.set(s, long);
                if (!readme.includes(`\`${s}\` \`${long}\``)) problems.push(`README does not list the short flag \`${s}\` \`${long}\``);
            }
        }
        assert.deepEqual(problems, []);
    });
});
