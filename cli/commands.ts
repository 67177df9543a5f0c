import type { Register } from "./main";

/** Subcommands beyond `plan`. */
export const COMMANDS: Register[] = [];
