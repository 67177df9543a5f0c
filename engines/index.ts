/**
 * Every engine astro-db knows, by kind. Code outside engines/ chooses an engine through ENGINES or
 * a `switch` that ends in `unknownEngine(kind)`, so a new engine is a compile error until handled.
 */
import { ENGINE_FEATURES, type EngineFeatures, type EngineKind, type Translators } from "./model";
import * as mysql from "./mysql";
import * as postgres from "./postgres";

export interface Engine {
    kind: EngineKind;
    /** The Pulumi provider package of its resources: type tokens start with `<package>:`. */
    pulumiPackage: string;
    /** Provider resource types (and dynamic resource kinds) to SQL steps. */
    translators: Translators;
    /** What it supports beyond SQL (engines/model.ts ENGINE_FEATURES). */
    features: EngineFeatures;
}

export const ENGINES: Record<EngineKind, Engine> = {
    postgres: { kind: "postgres", pulumiPackage: "postgresql", translators: postgres.translators, features: ENGINE_FEATURES.postgres },
    mysql: { kind: "mysql", pulumiPackage: "mysql", translators: mysql.translators, features: ENGINE_FEATURES.mysql },
};

/** Every engine's translators in one set (type tokens are per provider; a dynamic kind means the same for all). */
export const ALL_TRANSLATORS: Translators = {
    byType: Object.assign({}, ...Object.values(ENGINES).map((e) => e.translators.byType)),
    byDynamicKind: Object.assign({}, ...Object.values(ENGINES).map((e) => e.translators.byDynamicKind)),
};
