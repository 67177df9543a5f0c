/**
 * What the MySQL translators (one file per provider resource type in this folder) share: the step
 * they return and the provider's defaults. MySQL has no transactional DDL: every step is its own
 * statement (`transactional: false`), and `apply` undoes what a failed run created itself.
 */
import { DeclaredResource as GraphResource, GENERATED_PLACEHOLDER, SECRET_MASK, SqlStep, UNKNOWN_MASK } from "../../model";

/** The provider's defaults where an input is left out (hashicorp/terraform-provider-mysql v1.9.0 schema). */
export const MYSQL_PROVIDER_DEFAULTS = { characterSet: "utf8", collation: "utf8_general_ci", host: "localhost", tlsOption: "NONE", table: "*" } as const;

type StepInit = Omit<SqlStep, "engine" | "resource" | "server" | "deployment" | "transactional">;

export function step(r: GraphResource, init: StepInit): SqlStep {
    // MySQL commits every DDL statement at once: nothing runs in a transaction.
    return { engine: "mysql", resource: { type: r.type, name: r.name }, server: "", transactional: false, ...init };
}

/** A password the stack itself declares; undefined when it is generated or hidden. */
export function declaredPassword(r: GraphResource): string | undefined {
    const v = r.inputs.plaintextPassword ?? r.inputs.password;
    return typeof v === "string" && ![SECRET_MASK, UNKNOWN_MASK, GENERATED_PLACEHOLDER].includes(v) ? v : undefined;
}
