/** MySQL (and MariaDB): what the rest of astro-db reaches through ENGINES (engines/index.ts). */
import { mysqlApply } from "./apply";
import { mysqlAudit } from "./audit";
import { parseMysqlAdminUrl } from "./client";
import { translators } from "./resources";

export { translators };

export const engine = { translators, parseAdminUrl: parseMysqlAdminUrl, apply: mysqlApply, audit: mysqlAudit };
