/**
 * PostgreSQL features by the first server version that has them (server_version_num): every
 * version gate reads this map.
 */
export const PG_FEATURES = {
    /** Identity columns (pg_attribute.attidentity). */
    identityColumns: 100000,
    /** Generated columns (pg_attribute.attgenerated). */
    generatedColumns: 120000,
    /** GRANT ... WITH INHERIT/SET, pg_auth_members.inherit_option/set_option. */
    grantOptions: 160000,
    /** The MAINTAIN privilege on tables (not part of the table privileges astro-db grants: see privileges.ts). */
    maintainPrivilege: 170000,
} as const;

export type PgFeature = keyof typeof PG_FEATURES;

/** Whether a server of this server_version_num has the feature. */
export function pgSupports(versionNum: number, feature: PgFeature): boolean {
    return versionNum >= PG_FEATURES[feature];
}

/** server_version_num of the first PostgreSQL with INHERIT and SET grant options. */
export const PG_GRANT_OPTIONS_MIN_VERSION_NUM = PG_FEATURES.grantOptions;
