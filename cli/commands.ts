import type { Register } from "./main";
import { registerMigrate } from "./migrate";
import { registerSql } from "./sql/command";
import { registerApply } from "./apply";
import { registerAudit } from "./audit";
import { registerDemo } from "./demo";
import { registerFence } from "./fence";

/** Subcommands beyond `plan`. */
export const COMMANDS: Register[] = [registerMigrate, registerSql, registerApply, registerAudit, registerFence, registerDemo];
