/**
 * The README's runnable command blocks: a fenced ```bash / ```sh block right after the marker line
 * `<!-- readme-test -->`. test/integration/readme.test.ts runs them as written against the server
 * `npm start -- --keep` leaves running; a line ending in `# exit N` (N a digit) must exit N, every
 * other line 0.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export const README_TEST_MARKER = "<!-- readme-test -->";

export interface ReadmeBlock {
    /** 1-based line of the block's first command in README.md. */
    line: number;
    /** The commands, one per entry, `\`-continued lines joined; blank and comment-only lines dropped. */
    commands: { line: number; text: string; exit: number }[];
}

export function readmePath(): string {
    return path.join(__dirname, "..", "..", "README.md");
}

/** The marked blocks of `text`, in order. A marker not followed by a bash/sh block is an error. */
export function readmeBlocks(text: string): ReadmeBlock[] {
    const lines = text.split("\n");
    const blocks: ReadmeBlock[] = [];
    for (let i = 0; i < lines.length; i++) {
        if (lines[i].trim() !== README_TEST_MARKER) continue;
        const fence = lines[i + 1]?.trim();
        if (fence !== "```bash" && fence !== "```sh") throw new Error(`README.md line ${i + 1}: ${README_TEST_MARKER} must be followed by a \`\`\`bash or \`\`\`sh block`);
        const commands: ReadmeBlock["commands"] = [];
        let j = i + 2;
        for (; j < lines.length && lines[j].trim() !== "```"; j++) {
            const start = j;
            let text = lines[j];
            while (text.endsWith("\\") && j + 1 < lines.length) text = `${text.slice(0, -1)}\n${lines[++j]}`;
            if (!text.trim() || text.trim().startsWith("#")) continue;
            const exit = /#\s*exit (\d)\b/.exec(text.slice(text.lastIndexOf("\n") + 1));
            commands.push({ line: start + 1, text, exit: exit ? Number(exit[1]) : 0 });
        }
        if (j >= lines.length) throw new Error(`README.md line ${i + 2}: the marked block never ends`);
        blocks.push({ line: i + 3, commands });
        i = j;
    }
    return blocks;
}

/**
 * One bash script running every command in order (so `. out/local/server.env` carries over), each
 * followed by a check of its exit code that stops the script with the README line at fault.
 */
export function readmeScript(blocks: ReadmeBlock[]): string {
    const out = ["set -u"];
    for (const b of blocks) {
        for (const c of b.commands) {
            out.push(`echo ${JSON.stringify(`+ README.md:${c.line}: ${c.text.split("\n")[0]}`)}`);
            out.push(c.text);
            out.push(`rc=$?; if [ "$rc" != ${c.exit} ]; then echo "README.md line ${c.line} exited $rc, the README says ${c.exit}" >&2; exit 100; fi`);
        }
    }
    return `${out.join("\n")}\n`;
}

/** README.md as the tests read it. */
export function readReadme(): string {
    return fs.readFileSync(readmePath(), "utf8");
}
