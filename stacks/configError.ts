/** ConfigError, with no dependency, so the CLI can recognise it without loading Pulumi. */

/** The Pulumi project name: every config key is `astro-db:<key>`. */
export const PROJECT = "astro-db";

/** The one error bad config produces: every problem, each with its key and fix. */
export class ConfigError extends Error {
    /** `file`: the stack file the config came from, when it is not the one Pulumi reads (--stack-file). */
    constructor(readonly stack: string, readonly problems: { key: string; message: string }[], readonly file?: string) {
        super(
            `Stack "${stack}" has invalid config (nothing was created)${file === undefined ? "" : ` in ${file}`}:\n` +
            problems.map((p) => `  - ${PROJECT}:${p.key}: ${p.message}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}
