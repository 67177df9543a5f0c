/**
 * Which input changes make a provider replace a resource (delete and create) instead of updating it
 * in place: the provider's replace-on-change list, per Pulumi type token. Bridged providers decide
 * this from the Terraform schema's `ForceNew` / `RequiresReplace`, which the npm packages do not ship,
 * so the lists are read from the providers' sources (cited per entry). A dotted path is a nested input.
 */
import { replacementInputs } from "../components/aws";
import type { GraphResource } from "./graph";

export interface ReplaceRule {
    /** Inputs (dotted paths for nested ones) whose change forces a replacement. */
    inputs: readonly string[];
    /** Where the list comes from. */
    source: string;
}

const TF_POSTGRESQL = "cyrilgdn/terraform-provider-postgresql (bridged by pulumi/pulumi-postgresql) postgresql/resource_postgresql_*.go ForceNew, at ff936b9";
const TF_MYSQL = "terraform-providers/terraform-provider-mysql (bridged by pulumi/pulumi-mysql) mysql/resource_*.go ForceNew";
const TF_AWS = "hashicorp/terraform-provider-aws (bridged by pulumi/pulumi-aws) ForceNew";
const TF_RANDOM = "hashicorp/terraform-provider-random (bridged by pulumi/pulumi-random): every argument has RequiresReplace";

export const REPLACE_ON_CHANGES: Record<string, ReplaceRule> = {
    "aws:rds/instance:Instance": { inputs: replacementInputs, source: `${TF_AWS}, internal/service/rds/instance.go (components/aws replacementInputs)` },
    "aws:rds/subnetGroup:SubnetGroup": { inputs: ["name", "namePrefix"], source: `${TF_AWS}, internal/service/rds/subnet_group.go` },
    "aws:rds/parameterGroup:ParameterGroup": { inputs: ["name", "namePrefix", "family", "description"], source: `${TF_AWS}, internal/service/rds/parameter_group.go` },
    "aws:ec2/securityGroup:SecurityGroup": { inputs: ["name", "namePrefix", "description", "vpcId"], source: `${TF_AWS}, internal/service/ec2/vpc_security_group.go` },
    "postgresql:index/database:Database": { inputs: ["template", "encoding", "lcCollate", "lcCtype"], source: TF_POSTGRESQL },
    // A role's name changes in place (ALTER ROLE … RENAME TO).
    "postgresql:index/role:Role": { inputs: [], source: TF_POSTGRESQL },
    "postgresql:index/schema:Schema": { inputs: ["database"], source: TF_POSTGRESQL },
    "postgresql:index/grant:Grant": { inputs: ["role", "database", "schema", "objectType", "objects", "columns", "withGrantOption"], source: TF_POSTGRESQL },
    "postgresql:index/defaultPrivileges:DefaultPrivileges": { inputs: ["role", "database", "owner", "schema", "objectType", "withGrantOption"], source: TF_POSTGRESQL },
    "mysql:index/database:Database": { inputs: ["name"], source: TF_MYSQL },
    "mysql:index/user:User": { inputs: ["user", "host", "authPlugin"], source: TF_MYSQL },
    // The upstream grant has no update: every argument forces a new grant.
    "mysql:index/grant:Grant": { inputs: ["user", "host", "role", "database", "table", "privileges", "roles", "grant", "tlsOption"], source: TF_MYSQL },
    // pulumi-kubernetes: a new name or namespace is a new object; so is a new type (the API refuses it in place).
    "kubernetes:core/v1:Secret": { inputs: ["metadata.name", "metadata.namespace", "type"], source: "pulumi/pulumi-kubernetes provider/pkg/provider (name, namespace; Secret type immutable in the API)" },
    "kubernetes:core/v1:Namespace": { inputs: ["metadata.name"], source: "pulumi/pulumi-kubernetes provider/pkg/provider (name)" },
    "random:index/randomPassword:RandomPassword": { inputs: ["*"], source: TF_RANDOM },
    "random:index/randomBytes:RandomBytes": { inputs: ["*"], source: TF_RANDOM },
    "random:index/randomId:RandomId": { inputs: ["*"], source: TF_RANDOM },
    "random:index/randomString:RandomString": { inputs: ["*"], source: TF_RANDOM },
};

/**
 * Dynamic resources share one type token: their `__kind` picks the rule. RoleMembership's diff()
 * replaces on role, member or another server (components/postgres/roleMembership.ts); DatabaseRemoval
 * has no update, so any change replaces it.
 */
const DYNAMIC: Record<string, ReplaceRule> = {
    RoleMembership: { inputs: ["role", "member", "connection.host", "connection.port", "connection.database"], source: "components/postgres/roleMembership.ts diff()" },
    DatabaseRemoval: { inputs: ["*"], source: "components/databaseRemoval.ts (no update)" },
};

/** The rule for a resource; undefined when unknown (then every change counts as an update). */
export function replaceRule(r: Pick<GraphResource, "type" | "inputs">): ReplaceRule | undefined {
    if (r.type === "pulumi-nodejs:dynamic:Resource") return DYNAMIC[String(r.inputs.__kind)];
    return REPLACE_ON_CHANGES[r.type];
}

/** The value at a dotted path. */
export function valueAt(inputs: Record<string, unknown>, pathText: string): unknown {
    let v: unknown = inputs;
    for (const part of pathText.split(".")) {
        if (!v || typeof v !== "object") return undefined;
        v = (v as Record<string, unknown>)[part];
    }
    return v;
}
