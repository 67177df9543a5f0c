/**
 * RDS facts shared by the component, the config checks and the policy rules (policy/rules.ts).
 * Pure: no Pulumi here, so the policy pack can import it.
 */

/** The parameter that makes an RDS server refuse connections without TLS, and its enforcing value, per engine. */
export const RDS_TLS_PARAMETER = {
    postgres: { name: "rds.force_ssl", value: "1" },
    mysql: { name: "require_secure_transport", value: "1" },
} as const;

/** Stacks whose name starts with `prod` are production: protect, deletion protection and Multi-AZ are required there. */
export function isProductionStack(stack: string): boolean {
    return /^prod/.test(stack);
}
