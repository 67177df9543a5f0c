/** MySQL (and MariaDB): what the rest of astro-db reaches through ENGINES (engines/index.ts). */
import type { Translators } from "../model";
import { REMOVAL_KIND, removalTranslator } from "../removal";
import { MYSQL_TRANSLATORS } from "./resources";

export const translators: Translators = {
    byType: MYSQL_TRANSLATORS,
    byDynamicKind: { [REMOVAL_KIND]: removalTranslator },
};
