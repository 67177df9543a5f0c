/** The MySQL translators, one per provider resource type (by type token) and dynamic resource (by `__kind`). */
import type { Translator, Translators } from "../../model";
import { REMOVAL_KIND, removalTranslator } from "../../removal";
import * as database from "./database";
import * as grant from "./grant";
import * as user from "./user";

export const byType: Record<string, Translator> = {
    [database.TYPE]: database.translate,
    [user.TYPE]: user.translate,
    [grant.TYPE]: grant.translate,
};

export const byDynamicKind: Record<string, Translator> = {
    [REMOVAL_KIND]: removalTranslator,
};

export const translators: Translators = { byType, byDynamicKind };
