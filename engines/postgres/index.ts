/** PostgreSQL: what the rest of astro-db reaches through ENGINES (engines/index.ts). */
import type { Translators } from "../model";
import { REMOVAL_KIND, removalTranslator } from "../removal";
import { FAILOVER_DYNAMIC_TRANSLATORS } from "./dynamicResources";
import { POSTGRES_TRANSLATORS } from "./resources";

export const translators: Translators = {
    byType: POSTGRES_TRANSLATORS,
    byDynamicKind: { ...FAILOVER_DYNAMIC_TRANSLATORS, [REMOVAL_KIND]: removalTranslator },
};
