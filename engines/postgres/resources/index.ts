/** The PostgreSQL translators, one per provider resource type (by type token) and dynamic resource (by `__kind`). */
import type { Translator, Translators } from "../../model";
import { REMOVAL_KIND, removalTranslator } from "../../removal";
import * as database from "./database";
import * as defaultPrivileges from "./defaultPrivileges";
import * as fenceFunction from "./fenceFunction";
import * as grant from "./grant";
import * as role from "./role";
import * as roleMembership from "./roleMembership";
import * as schema from "./schema";

export const byType: Record<string, Translator> = {
    [database.TYPE]: database.translate,
    [role.TYPE]: role.translate,
    [schema.TYPE]: schema.translate,
    [grant.TYPE]: grant.translate,
    [defaultPrivileges.TYPE]: defaultPrivileges.translate,
};

export const byDynamicKind: Record<string, Translator> = {
    [roleMembership.KIND]: roleMembership.translate,
    [fenceFunction.KIND]: fenceFunction.translate,
    [REMOVAL_KIND]: removalTranslator,
};

export const translators: Translators = { byType, byDynamicKind };
