/**
 * `pulumi.Output` wrappers around the pure functions of this folder. Every result carries a
 * credential (or, for the values YAML, may), so every result is a secret Output whether or not
 * its inputs were secret (DESIGN.md "Rules that hold everywhere").
 */
import * as pulumi from "@pulumi/pulumi";
import { metadataConnection, pgbouncerJson, resultBackendConnection, type DbEndpoint } from "./connections";
import type { Executor, HoustonConnectionJson, ValuesLayout } from "./facts";
import { houstonVariables, type HoustonVariables } from "./houston";
import { manualConnectionValuesYaml } from "./values";

/** A `DbEndpoint` whose fields may come from other resources. */
export type DbEndpointInput = { readonly [K in keyof DbEndpoint]: pulumi.Input<DbEndpoint[K]> };

/** `houstonVariables` input whose fields may come from other resources. */
export interface HoustonVariablesOutputInput {
    readonly endpoint: DbEndpointInput;
    readonly pgbouncer: pulumi.Input<boolean>;
    readonly releaseName: pulumi.Input<string>;
    readonly namespace: pulumi.Input<string>;
    readonly executor: pulumi.Input<Executor>;
}

/** `manualConnectionValuesYaml` input whose fields may come from other resources. */
export interface ManualConnectionValuesOutputInput {
    readonly layout: pulumi.Input<ValuesLayout>;
    readonly connection: pulumi.Input<string>;
}

function endpointOutput(e: DbEndpointInput): pulumi.Output<DbEndpoint> {
    // pulumi.output unwraps each field; the cast only restores the optional sslmode's type.
    return pulumi.output(e) as pulumi.Output<DbEndpoint>;
}

/** `metadataConnection` as a secret Output. */
export function metadataConnectionOutput(e: DbEndpointInput): pulumi.Output<string> {
    return pulumi.secret(endpointOutput(e).apply(metadataConnection));
}

/** `resultBackendConnection` (the `db+` string) as a secret Output. */
export function resultBackendConnectionOutput(e: DbEndpointInput): pulumi.Output<string> {
    return pulumi.secret(endpointOutput(e).apply(resultBackendConnection));
}

/** `pgbouncerJson` as a secret Output; fails the deployment for a MySQL endpoint. */
export function pgbouncerJsonOutput(e: DbEndpointInput): pulumi.Output<HoustonConnectionJson> {
    return pulumi.secret(endpointOutput(e).apply(pgbouncerJson));
}

/** `houstonVariables` (both variable sets) as a secret Output. */
export function houstonVariablesOutput(input: HoustonVariablesOutputInput): pulumi.Output<HoustonVariables> {
    const v = pulumi
        .all([endpointOutput(input.endpoint), input.pgbouncer, input.releaseName, input.namespace, input.executor])
        .apply(([endpoint, pgbouncer, releaseName, namespace, executor]) =>
            houstonVariables({ endpoint, pgbouncer, releaseName, namespace, executor }),
        );
    return pulumi.secret(v);
}

/** `manualConnectionValuesYaml` as a secret Output: the connection string may carry a password. */
export function manualConnectionValuesYamlOutput(input: ManualConnectionValuesOutputInput): pulumi.Output<string> {
    const v = pulumi
        .all([input.layout, input.connection])
        .apply(([layout, connection]) => manualConnectionValuesYaml({ layout, connection }));
    return pulumi.secret(v);
}
