/**
 * Every engine astro-db knows, by kind. Code outside engines/ chooses an engine through ENGINES or
 * a `switch` that ends in `unknownEngine(kind)`, so a new engine is a compile error until handled.
 */
import type { EngineApply } from "./apply";
import type { EngineAudit } from "./audit";
import { type EarlyReads, ENGINE_FEATURES, type ReadPurpose, type EngineFeatures, type EngineKind, type Translators } from "./model";
import type { AdminEndpoint } from "./url";
import * as mysql from "./mysql";
import * as postgres from "./postgres";

export interface Engine {
    kind: EngineKind;
    /** Its name in messages: "PostgreSQL", "MySQL". */
    label: string;
    /** The Pulumi provider package of its resources: type tokens start with `<package>:`. */
    pulumiPackage: string;
    /** Provider resource types (and dynamic resource kinds) to SQL steps. */
    translators: Translators;
    /** What it supports beyond SQL (engines/model.ts ENGINE_FEATURES). */
    features: EngineFeatures;
    /** An admin URL's parts, or an InputError naming --admin-url and the fix. */
    parseAdminUrl(url: string): AdminEndpoint;
    /** `astro-db apply`'s run on a live server (engines/<engine>/apply.ts). */
    apply: EngineApply;
    /** `astro-db audit`'s comparison of a live server with the stack (engines/<engine>/audit.ts). */
    audit: EngineAudit;
    /**
     * Begins reading the server's catalogs and these databases' (those that exist) at once, while the
     * stack program still runs; `apply` and `audit` take the reads over (their request's `early`).
     * Engines without it read when they run.
     */
    startReads?(adminUrl: string, databases: readonly string[], purpose: ReadPurpose): EarlyReads;
}

export const ENGINES: Record<EngineKind, Engine> = {
    postgres: { kind: "postgres", label: "PostgreSQL", pulumiPackage: "postgresql", features: ENGINE_FEATURES.postgres, ...postgres.engine },
    mysql: { kind: "mysql", label: "MySQL", pulumiPackage: "mysql", features: ENGINE_FEATURES.mysql, ...mysql.engine },
};

/** Every engine's translators in one set (type tokens are per provider; a dynamic kind means the same for all). */
export const ALL_TRANSLATORS: Translators = {
    byType: Object.assign({}, ...Object.values(ENGINES).map((e) => e.translators.byType)),
    byDynamicKind: Object.assign({}, ...Object.values(ENGINES).map((e) => e.translators.byDynamicKind)),
};
