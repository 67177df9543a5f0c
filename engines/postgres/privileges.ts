/**
 * What each Deployment's Astro user is granted on PostgreSQL (seed 000 steps 2-3), spelled as the
 * explicit privilege lists that `ALL PRIVILEGES` means for each object type. The postgresql provider
 * compares these lists with the catalogs, so they must be explicit to show no drift.
 * Used by the component (what Pulumi creates) and by the SQL builders (what `astro-db sql` prints).
 */
export const PG_PRIVILEGES = {
    database: ["CONNECT", "CREATE", "TEMPORARY"],
    schema: ["CREATE", "USAGE"],
    table: ["DELETE", "INSERT", "REFERENCES", "SELECT", "TRIGGER", "TRUNCATE", "UPDATE"],
    sequence: ["SELECT", "UPDATE", "USAGE"],
    function: ["EXECUTE"],
} as const;

export type PgObjectType = keyof typeof PG_PRIVILEGES;

/**
 * What `ALL` stands for per object type (as the catalogs list it, one by one): the table above plus
 * the object types astro-db itself never grants on. Tables: PostgreSQL <= 16's list; MAINTAIN
 * (PostgreSQL 17, versions.ts) is not part of it.
 */
export const PG_ALL_PRIVILEGES: Readonly<Record<string, readonly string[]>> = {
    ...PG_PRIVILEGES,
    procedure: PG_PRIVILEGES.function,
    routine: PG_PRIVILEGES.function,
    type: ["USAGE"],
};

/** Object types seed 000 grants on "ALL ... IN SCHEMA" and in default privileges, in that order. */
export const PG_SCHEMA_OBJECT_TYPES = ["table", "sequence", "function"] as const;

/**
 * PUBLIC keeps TEMPORARY on a Deployment's database but loses CONNECT, so one Deployment's user
 * cannot connect to another's database (beyond seed 000, which leaves CONNECT to PUBLIC).
 * A provider Grant revokes everything from the role and then grants its list, so PUBLIC's grant
 * lists what PUBLIC keeps.
 */
export const PG_PUBLIC_KEEPS_ON_DATABASE = ["TEMPORARY"] as const;
