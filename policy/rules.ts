/**
 * The policy rules of astro-db stacks as pure functions: the CrossGuard pack (policy/index.ts, for
 * `pulumi preview --policy-pack policy`) and `astro-db plan --policy` (offline, no credentials) both
 * run these. Each rule takes one resource as both callers see it and returns the violations'
 * messages (empty: compliant). Imports only pure modules, so the pack needs nothing but this folder
 * and the repository's components/ sources.
 *
 * What each caller can see differs, and the rules say so instead of guessing:
 * - secretKeys: `plan --policy` knows which inputs are secret; the policy SDK hands the pack plain
 *   values, so there a credential counts as covered when the provider always stores it as a secret
 *   (PROVIDER_SECRET_INPUTS) or the resource lists it in additionalSecretOutputs.
 * - retainOnDelete: the engine does not send it to policy packs, so the pack checks `protect` only.
 */
import { DEFAULT_RETENTION_DAYS, SECRETS } from "../components/astronomer/facts";
import { isProductionStack, RDS_TLS_PARAMETER } from "../components/aws/facts";

export type Enforcement = "mandatory" | "advisory";

/** One resource as a rule sees it. */
export interface PolicyResource {
    type: string;
    name: string;
    /** Inputs (secret values may be masked). */
    props: Record<string, unknown>;
    /** Input keys whose values are secret; undefined when the caller cannot tell (the pack). */
    secretKeys?: readonly string[];
    protect?: boolean;
    /** undefined when the caller cannot tell (the pack). */
    retainOnDelete?: boolean;
    additionalSecretOutputs?: readonly string[];
}

export interface PolicyContext {
    stack: string;
    /** Days a retired Deployment's database is kept; backups must cover them. Defaults to 15 (seed 002). */
    retentionDays?: number;
    /** Each Deployment's namespace by release, when known (plan --policy); else `<platform>-<release>` is expected. */
    namespaces?: Readonly<Record<string, string>>;
}

export interface Rule {
    name: string;
    description: string;
    enforcementLevel: Enforcement;
    /** Pulumi type tokens the rule applies to. */
    resourceTypes: readonly string[] | "*";
    validate(r: PolicyResource, ctx: PolicyContext): string[];
}

export interface Violation {
    policy: string;
    resource: string;
    message: string;
    enforcement: Enforcement;
}

export const RDS_INSTANCE = "aws:rds/instance:Instance";
const PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup";
const PG_GRANT = "postgresql:index/grant:Grant";
const PG_DEFAULT_PRIVILEGES = "postgresql:index/defaultPrivileges:DefaultPrivileges";
const K8S_SECRET = "kubernetes:core/v1:Secret";
const DATABASES = ["postgresql:index/database:Database", "mysql:index/database:Database"];

/** Inputs a provider always stores as secrets, whatever the program passed. */
export const PROVIDER_SECRET_INPUTS: Record<string, readonly string[]> = {
    "postgresql:index/role:Role": ["password"],
    "mysql:index/user:User": ["plaintextPassword", "password"],
    "pulumi:providers:postgresql": ["password"],
    "pulumi:providers:mysql": ["password"],
    "pulumi:providers:kubernetes": ["kubeconfig"],
    [K8S_SECRET]: ["data", "stringData"],
    [RDS_INSTANCE]: ["password"],
};

/** Input keys that carry a credential whatever their value (a password, a kubeconfig, a fernet key, a secret's data). */
const CREDENTIAL_KEY = /^(password|plaintextPassword|masterPassword|kubeconfig|fernetKey|stringData|data|connection|secretString|token)$/;
/** A URL with a password in it: `scheme://user:password@host`. */
const URL_WITH_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^/:@\s]+:[^@\s/]+@/i;
/** A fernet key: url-safe base64 of 32 bytes. */
const FERNET_KEY = /^[A-Za-z0-9_-]{43}=$/;
const MASKS = new Set(["[secret]", "[unknown]"]);

/** Whether a value (deeply) holds something that reads as a credential. */
export function holdsCredential(v: unknown): boolean {
    if (typeof v === "string") return !MASKS.has(v) && (URL_WITH_PASSWORD.test(v) || FERNET_KEY.test(v));
    if (Array.isArray(v)) return v.some(holdsCredential);
    if (v && typeof v === "object") return Object.values(v).some(holdsCredential);
    return false;
}

function isCredentialInput(key: string, v: unknown): boolean {
    if (v === undefined || v === null || typeof v === "boolean" || typeof v === "number") return false;
    if (typeof v === "string" && MASKS.has(v)) return false;
    return CREDENTIAL_KEY.test(key) || holdsCredential(v);
}

/**
 * Credential-bearing stack outputs not marked secret (plan --policy reads the outputs masked, so a
 * credential that shows is one that is not secret). Returns the output paths.
 */
export function exposedOutputs(outputs: Record<string, unknown>, at = ""): string[] {
    return Object.entries(outputs).flatMap(([k, v]) => {
        const p = at ? `${at}.${k}` : k;
        if (v && typeof v === "object" && !Array.isArray(v)) return exposedOutputs(v as Record<string, unknown>, p);
        return holdsCredential(v) || (/password|kubeconfig/i.test(k) && typeof v === "string" && !MASKS.has(v)) ? [p] : [];
    });
}

const str = (v: unknown) => (typeof v === "string" ? v : undefined);

export const RULES: readonly Rule[] = [
    {
        name: "rds-storage-encrypted",
        description: "RDS storage is encrypted at rest.",
        enforcementLevel: "mandatory",
        resourceTypes: [RDS_INSTANCE],
        validate: (r) => (r.props.storageEncrypted === true ? [] : ["storageEncrypted is not true: the data and its snapshots would be stored unencrypted"]),
    },
    {
        name: "rds-not-public",
        description: "RDS instances have no public address.",
        enforcementLevel: "mandatory",
        resourceTypes: [RDS_INSTANCE],
        validate: (r) => (r.props.publiclyAccessible === true ? ["publiclyAccessible is true: the server gets an address reachable from the internet"] : []),
    },
    {
        name: "rds-deletion-protection-and-final-snapshot",
        description: "RDS instances have deletion protection and take a final snapshot when deleted.",
        enforcementLevel: "mandatory",
        resourceTypes: [RDS_INSTANCE],
        validate: (r) => [
            ...(r.props.deletionProtection === true ? [] : ["deletionProtection is not true: AWS would delete the instance when asked"]),
            ...(r.props.skipFinalSnapshot === true ? ["skipFinalSnapshot is true: deleting the instance would leave no final snapshot"] : []),
        ],
    },
    {
        name: "rds-backups-cover-retention",
        description: "Automated backups are kept at least as long as retired Deployments' databases (seed 002).",
        enforcementLevel: "mandatory",
        resourceTypes: [RDS_INSTANCE],
        validate: (r, ctx) => {
            const need = ctx.retentionDays ?? DEFAULT_RETENTION_DAYS;
            const have = r.props.backupRetentionPeriod;
            return typeof have === "number" && have >= need ? [] : [`backupRetentionPeriod ${JSON.stringify(have)} is below the retention period of ${need} days: a dropped database could no longer be restored`];
        },
    },
    {
        name: "rds-tls-forced",
        description: "The parameter group forces TLS (rds.force_ssl=1 / require_secure_transport=1) and every instance uses one.",
        enforcementLevel: "mandatory",
        resourceTypes: [RDS_INSTANCE, PARAMETER_GROUP],
        validate: (r) => {
            if (r.type === RDS_INSTANCE) {
                return str(r.props.parameterGroupName) ? [] : ["no parameterGroupName: the engine's default parameter group does not force TLS"];
            }
            const family = str(r.props.family) ?? "";
            const tls = family.startsWith("mysql") ? RDS_TLS_PARAMETER.mysql : RDS_TLS_PARAMETER.postgres;
            const params = Array.isArray(r.props.parameters) ? (r.props.parameters as { name?: unknown; value?: unknown }[]) : [];
            const p = params.find((x) => x.name === tls.name);
            const on = p !== undefined && (String(p.value) === tls.value || String(p.value).toUpperCase() === "ON");
            return on ? [] : [`parameter group family ${family || "(unset)"} does not set ${tls.name}=${tls.value}: clients could connect without TLS`];
        },
    },
    {
        name: "rds-multi-az-on-prod",
        description: "On stacks named prod*, RDS instances run Multi-AZ.",
        enforcementLevel: "mandatory",
        resourceTypes: [RDS_INSTANCE],
        validate: (r, ctx) => (isProductionStack(ctx.stack) && r.props.multiAz !== true ? [`stack "${ctx.stack}" is production but multiAz is not true: one availability zone's outage stops every Airflow Deployment`] : []),
    },
    {
        name: "public-gets-temporary-only",
        description: "No grant gives PUBLIC anything but TEMPORARY (seed 000 never revokes CONNECT; the stack does).",
        enforcementLevel: "mandatory",
        resourceTypes: [PG_GRANT, PG_DEFAULT_PRIVILEGES],
        validate: (r) => {
            if (String(r.props.role).toLowerCase() !== "public") return [];
            const extra = (Array.isArray(r.props.privileges) ? (r.props.privileges as unknown[]) : []).map(String).filter((p) => p.toUpperCase() !== "TEMPORARY");
            return extra.length ? [`grants ${extra.join(", ")} to PUBLIC on ${r.props.objectType} ${r.props.database ?? ""}: every role on the server would get it`] : [];
        },
    },
    {
        name: "deployment-database-kept",
        description: "Every Deployment database is retained on delete or protected (the pack sees protect only).",
        enforcementLevel: "mandatory",
        resourceTypes: DATABASES,
        validate: (r) => {
            if (r.protect || r.retainOnDelete) return [];
            return r.retainOnDelete === false
                ? ["neither retainOnDelete nor protect: removing it from the stack would drop the Deployment's database"]
                : [];
        },
    },
    {
        name: "deployment-database-protected-on-prod",
        description: "On stacks named prod*, Deployment databases are protected (what the pack can check: the engine does not send it retainOnDelete).",
        enforcementLevel: "advisory",
        resourceTypes: DATABASES,
        validate: (r, ctx) => (r.retainOnDelete === undefined && isProductionStack(ctx.stack) && !r.protect
            ? ["not protected on a production stack (a retired Deployment's database is left unprotected for its removal; `astro-db plan --policy` also checks retainOnDelete)"] : []),
    },
    {
        name: "credentials-are-secret",
        description: "No credential (password, connection string, kubeconfig, fernet key, a URL with a password) in an input that is not secret.",
        enforcementLevel: "mandatory",
        resourceTypes: "*",
        validate: (r) => {
            const covered = new Set(r.secretKeys ?? [...(PROVIDER_SECRET_INPUTS[r.type] ?? []), ...(r.additionalSecretOutputs ?? [])]);
            return Object.entries(r.props)
                .filter(([k, v]) => !k.startsWith("__") && !covered.has(k) && isCredentialInput(k, v))
                .map(([k]) => `input "${k}" holds a credential but is not secret: wrap it in pulumi.secret() (or list it in additionalSecretOutputs)`);
        },
    },
    {
        name: "kubernetes-secrets-in-deployment-namespace",
        description: "A Deployment's Kubernetes secrets live in that Deployment's namespace only.",
        enforcementLevel: "mandatory",
        resourceTypes: [K8S_SECRET],
        validate: (r, ctx) => {
            const meta = (r.props.metadata ?? {}) as { name?: unknown; namespace?: unknown; labels?: Record<string, unknown> };
            const name = str(meta.name) ?? "";
            const suffix = Object.values(SECRETS).map((s) => s.suffix).find((s) => name.endsWith(`-${s}`));
            if (!suffix) return [];
            const release = name.slice(0, -(suffix.length + 1));
            const namespace = str(meta.namespace);
            const expected = ctx.namespaces?.[release];
            if (namespace === undefined) return [`secret ${name} names no namespace: it would land in the provider's default namespace, not Deployment ${release}'s`];
            if (expected !== undefined) return namespace === expected ? [] : [`secret ${name} is in namespace ${namespace}, not Deployment ${release}'s namespace ${expected}`];
            return namespace.endsWith(`-${release}`) ? [] : [`secret ${name} is in namespace ${namespace}, not a namespace of Deployment ${release} (<platform release>-${release})`];
        },
    },
];

/** Every rule against every resource. */
export function checkResources(resources: readonly PolicyResource[], ctx: PolicyContext, rules: readonly Rule[] = RULES): Violation[] {
    return resources.flatMap((r) => rules
        .filter((rule) => rule.resourceTypes === "*" || rule.resourceTypes.includes(r.type))
        .flatMap((rule) => rule.validate(r, ctx).map((message) => ({ policy: rule.name, resource: r.name, message, enforcement: rule.enforcementLevel }))));
}
