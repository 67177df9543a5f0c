/**
 * The Pulumi program (`pulumi up -s <stack>`): validate the stack's config, then compose the stack.
 * Validation throws before any resource is registered, so bad config creates nothing.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadStackSpec } from "./load";
import { createStack } from "./program";

const outputs = createStack(loadStackSpec(pulumi.getStack()));

/** Per Deployment: database, user, namespace and secret names; connection strings and Houston variables are secrets. */
export const deployments = outputs.deployments;
/** Per Deployment: active, retired since / removed on, or expired (removed by this update). */
export const retention = outputs.retention;
/** Secret: the values.yaml fragment for the platform chart. */
export const valuesYaml = outputs.valuesYaml;
