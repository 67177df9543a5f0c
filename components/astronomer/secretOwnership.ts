/**
 * Who owns a Deployment's secrets (`secrets: houston | patch | create`) and what that means for the
 * stack, the chart and the pods, with and without PgBouncer. Pure code: the component, the plan and
 * `apply --out` read the same answers here. See README "Handing a Deployment to the platform".
 */
import { CHART_PGBOUNCER, CHART_SECRET_VALUES, SECRETS, type SecretOwner } from "./facts";
import type { ValuesTree } from "./values";

export type SecretPart = keyof typeof SECRETS;
const ALL_PARTS = Object.keys(SECRETS) as SecretPart[];

export interface SecretsHandOffInput {
    owner: SecretOwner;
    pgbouncer: boolean;
    release: string;
    namespace: string;
}

export interface SecretsHandOff {
    owner: SecretOwner;
    /** The secrets the stack writes (all of a secret, or with `patch` only its data key). */
    parts: SecretPart[];
    /** Where the Deployment's pods send their metadata connections. */
    podsConnectTo: string;
    /** What the stack does about the secrets and what is left to the platform, in one sentence. */
    note: string;
}

/** Why an owner cannot be used for a Deployment, each with its fix; empty when it can. */
export function checkSecretOwner(owner: SecretOwner, pgbouncer: boolean): string[] {
    if (owner === "create" && pgbouncer) {
        return ["secrets: create with pgbouncer: true would make the pods bypass PgBouncer (a chart pointed at the stack's metadata secret no longer renders its PgBouncer URL): use secrets: houston or patch for this Deployment, or pgbouncer: false"];
    }
    return [];
}

/** The host:port/database the chart's PgBouncer serves a Deployment's metadata on. */
export function pgbouncerEndpoint(release: string, namespace: string, part: "metadata" | "resultBackend" = "metadata"): string {
    return `${release}-${CHART_PGBOUNCER.serviceSuffix}.${namespace}:${CHART_PGBOUNCER.port}/${release}-${CHART_PGBOUNCER.databaseSuffixes[part]}`;
}

/** What owning the secrets one way means for this Deployment. Throws for a combination checkSecretOwner refuses. */
export function secretsHandOff(i: SecretsHandOffInput): SecretsHandOff {
    const problems = checkSecretOwner(i.owner, i.pgbouncer);
    if (problems.length) throw new Error(`Deployment ${i.release}: ${problems.join("; ")}`);
    const viaPgbouncer = `PgBouncer at ${pgbouncerEndpoint(i.release, i.namespace)}, which connects to the server (the chart's secrets, from Houston's metadataConnectionJson)`;
    switch (i.owner) {
        case "houston":
            return {
                owner: i.owner, parts: [],
                podsConnectTo: i.pgbouncer ? viaPgbouncer : "the server directly (the chart's secrets, from Houston's metadataConnection)",
                note: "the stack registers no Secret: the platform's chart creates them from the Houston variables (`astro-db houston`, the houstonVariables output)",
            };
        case "patch":
            return i.pgbouncer
                ? {
                      owner: i.owner, parts: ["fernetKey"], podsConnectTo: viaPgbouncer,
                      note: "the stack patches only the fernet key: with PgBouncer the connection secrets stay the chart's (pods -> PgBouncer -> server); change the connection with Houston's upsertDeployment",
                  }
                : {
                      owner: i.owner, parts: [...ALL_PARTS], podsConnectTo: "the server directly (the chart's secrets, their data keys patched by the stack)",
                      note: "the stack server-side applies the data keys of the chart's secrets (field manager astro-db, forced), kept on delete",
                  };
        case "create":
            return {
                owner: i.owner, parts: [...ALL_PARTS], podsConnectTo: "the server directly (the stack's secrets; the chart is pointed at them)",
                note: "the stack owns the secrets: point the chart at them with the chartValues output",
            };
    }
}

/** The Airflow chart values that point a Deployment at the stack's secrets (`create`). */
export function chartSecretValues(names: Record<SecretPart, string>): ValuesTree {
    const root: ValuesTree = {};
    for (const part of ALL_PARTS) {
        const path = CHART_SECRET_VALUES[part];
        let node = root;
        for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as ValuesTree;
        node[path[path.length - 1]] = names[part];
    }
    return root;
}

/** base64 of UTF-8 text, as a Secret's `data` holds it (a patch sets `data`, which server-side apply tracks per key). */
export function secretData(value: string): string {
    return Buffer.from(value, "utf8").toString("base64");
}
