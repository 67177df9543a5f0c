/** PostgreSQL: what the rest of astro-db reaches through ENGINES (engines/index.ts). */
import { postgresApply } from "./apply";
import { postgresAudit } from "./audit";
import { parseAdminUrl } from "./client";
import { translators } from "./resources";
import { startPgReads } from "./snapshot";

export { translators };

export const engine = { translators, parseAdminUrl, apply: postgresApply, audit: postgresAudit, startReads: startPgReads };
