/**
 * The CrossGuard policies: each rule of rules.ts as a ResourceValidationPolicy. Kept apart from
 * index.ts (which starts the pack's server) so the tests can call the validate functions directly.
 */
import { ResourceValidationArgs, ResourceValidationPolicy, ReportViolation } from "@pulumi/policy";
import { PolicyResource, Rule, RULES } from "./rules";

/** The stack of a resource, from its URN (`urn:pulumi:<stack>::<project>::<type>::<name>`). */
export function stackOfUrn(urn: string): string {
    return urn.split("::")[0].replace(/^urn:pulumi:/, "");
}

/** A resource as the shared rules see it, from what the policy SDK hands the pack. */
export function policyResource(args: ResourceValidationArgs): PolicyResource {
    return {
        type: args.type,
        name: args.name,
        props: args.props,
        // The SDK unwraps secrets and the engine sends no retainOnDelete: both stay unknown (see rules.ts).
        secretKeys: undefined,
        retainOnDelete: undefined,
        protect: args.opts.protect,
        additionalSecretOutputs: args.opts.additionalSecretOutputs,
    };
}

export function asPolicy(rule: Rule): ResourceValidationPolicy {
    return {
        name: rule.name,
        description: rule.description,
        enforcementLevel: rule.enforcementLevel,
        validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
            if (rule.resourceTypes !== "*" && !rule.resourceTypes.includes(args.type)) return;
            for (const message of rule.validate(policyResource(args), { stack: stackOfUrn(args.urn) })) reportViolation(message);
        },
    };
}

export const policies: ResourceValidationPolicy[] = RULES.map(asPolicy);
