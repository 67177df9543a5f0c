/**
 * The platform chart's values that switch on manual connection strings (seed 000 step 1), for
 * each layout in facts.ts `VALUES_LAYOUTS`. Pure code, no Pulumi.
 */
import { Document } from "yaml";
import { adminConnection, type DbEndpoint } from "./connections";
import { VALUES_LAYOUTS, VALUES_PLACEHOLDER, type ValuesConnection, type ValuesLayout } from "./facts";

/** What the values are built from. */
export interface ManualConnectionValuesInput {
    /** Where the keys live in the chart's values. */
    layout: ValuesLayout;
    /**
     * The example/admin connection string for `database.connection`, e.g.
     * `postgresql://example_user:example_pass@host:5432?sslmode=prefer` (seed 000 step 1).
     */
    connection: string;
}

/** A values fragment: nested plain objects, ready to merge into a values.yaml. */
export type ValuesTree = { [key: string]: ValuesTree | string | boolean };

/**
 * The values object: `manualConnectionStrings.enabled: true` and `database.connection` under the
 * layout's prefix (`deployments`, `astronomer.houston.config.deployments` or
 * `deployments.databaseManagement`). Throws for an unknown layout or an empty connection.
 */
export function manualConnectionValues(input: ManualConnectionValuesInput): ValuesTree {
    const layout = VALUES_LAYOUTS[input.layout];
    if (layout === undefined) {
        throw new Error(`unknown values layout "${String(input.layout)}": use one of ${Object.keys(VALUES_LAYOUTS).join(", ")}`);
    }
    if (input.connection.length === 0) throw new Error("the connection string for deployments.database.connection is empty");
    const root: ValuesTree = {};
    const base = ensurePath(root, layout.prefix);
    setPath(base, layout.enabled, true);
    setPath(base, layout.connection, input.connection);
    return root;
}

/**
 * The same values as YAML text, written by the `yaml` library (so any connection string is
 * quoted correctly), with a header comment saying when the values take effect.
 */
export function manualConnectionValuesYaml(input: ManualConnectionValuesInput): string {
    const doc = new Document(manualConnectionValues(input));
    doc.commentBefore = [
        ` Manual connection strings for Airflow Deployment databases (astro-db, layout: ${input.layout}).`,
        " These values take effect at a platform's first install. An installed platform takes them",
        " through Houston's cluster configuration override (apply them as a platform config change).",
    ].join("\n");
    // lineWidth 0: never fold a long connection string across lines.
    return doc.toString({ lineWidth: 0 });
}

function ensurePath(node: ValuesTree, path: readonly string[]): ValuesTree {
    let cur = node;
    for (const key of path) {
        const next = cur[key];
        if (next === undefined) cur = cur[key] = {};
        else if (typeof next === "object") cur = next;
        else throw new Error(`values key ${path.join(".")} collides with a value at ${key}`);
    }
    return cur;
}

function setPath(node: ValuesTree, path: readonly string[], value: string | boolean): void {
    ensurePath(node, path.slice(0, -1))[path[path.length - 1]] = value;
}

/**
 * `database.connection` for values.yaml: the server's address in seed 000 step 1's format, with its
 * placeholder user and password (`placeholder`), or the admin's own (`admin`: the most powerful
 * credential, stored in the platform's Helm values, stale once rotated). Without a password the
 * admin's URL carries only the user.
 */
export function valuesConnectionString(which: ValuesConnection, admin: Omit<DbEndpoint, "database" | "password"> & { password?: string }): string {
    return which === "admin"
        ? adminConnection(admin)
        : adminConnection({ ...admin, user: VALUES_PLACEHOLDER.user, password: VALUES_PLACEHOLDER.password });
}
