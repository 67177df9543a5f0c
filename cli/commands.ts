import type { Register } from "./main";
import { registerMigrate } from "./migrate";

/** Subcommands beyond `plan`. */
export const COMMANDS: Register[] = [registerMigrate];
