import type { Register } from "./main";
import { registerMigrate } from "./migrate";
import { registerSql } from "./sql/command";
import { registerApply } from "./apply";
import { registerAudit } from "./audit";

/** Subcommands beyond `plan`. */
export const COMMANDS: Register[] = [registerMigrate, registerSql, registerApply, registerAudit];
