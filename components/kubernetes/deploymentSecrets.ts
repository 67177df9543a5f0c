import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { FIELD_MANAGER, PULUMI_PATCH_ANNOTATIONS, SECRETS } from "../astronomer/facts";
import { chartSecretValues, secretData, type SecretPart } from "../astronomer/secretOwnership";
import type { ValuesTree } from "../astronomer/values";

export interface DeploymentSecretsArgs {
    /** The Deployment's release name (`amateur-sunspot-5075`). */
    readonly release: string;
    /** The Deployment's namespace (`<platform release>-<release>`). */
    readonly namespace: string;
    /** Secret names, from components/names.ts. */
    readonly names: { metadata: string; resultBackend: string; fernetKey: string };
    /** The metadata connection string (secret). */
    readonly metadataConnection: pulumi.Input<string>;
    /** The result-backend connection string, `db+` scheme (secret). */
    readonly resultBackendConnection: pulumi.Input<string>;
    /** The Deployment's fernet key (secret). */
    readonly fernetKey: pulumi.Input<string>;
    /**
     * `create`: the component owns whole Secrets (the chart is pointed at them, see `chartValues`);
     * `patch`: the chart's Secrets exist and only their data keys are server-side applied. Defaults to `create`.
     */
    readonly owner?: "create" | "patch";
    /** Which secrets to write. Defaults to all three (`patch` with PgBouncer: only the fernet key, see secretOwnership.ts). */
    readonly parts?: readonly SecretPart[];
    /** Create the namespace too (`create` only). Defaults to false: Houston's createDeployment creates it. */
    readonly createNamespace?: boolean;
}

/**
 * The Kubernetes secrets an Airflow Deployment reads (seed 003): `<release>-airflow-metadata`,
 * `<release>-airflow-result-backend` (key `connection` each) and `<release>-fernet-key` (key `fernet-key`).
 *
 * - `create`: `kubernetes:core/v1:Secret` resources the stack owns. The chart must be pointed at them
 *   (`chartValues`: `data.metadataSecretName`, `data.resultBackendSecretName`, `fernetKeySecretName`),
 *   else Helm refuses to adopt them or Pulumi finds them already there.
 * - `patch`: `kubernetes:core/v1:SecretPatch` resources: server-side apply of the `data` key alone
 *   (not `stringData`, which server-side apply does not track per key), with the field manager
 *   `astro-db`, forcing the conflict with the chart's manager on that key only. Kept on delete
 *   (`retainOnDelete`): deleting a Patch releases its fields and Kubernetes would drop the key,
 *   blanking a running Deployment's connection.
 * The Kubernetes provider comes from opts (a cluster, or one that renders manifests to a directory).
 */
export class DeploymentSecrets extends pulumi.ComponentResource {
    public readonly owner: "create" | "patch";
    public readonly secrets: Partial<Record<SecretPart, k8s.core.v1.Secret | k8s.core.v1.SecretPatch>>;
    public readonly secretNames: { metadata: string; resultBackend: string; fernetKey: string };
    /** `create`: the Airflow chart values that point the Deployment at these secrets. */
    public readonly chartValues?: ValuesTree;

    constructor(name: string, args: DeploymentSecretsArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("astro-db:kubernetes:DeploymentSecrets", name, {}, opts);
        const owner = args.owner ?? "create";
        if (owner === "patch" && args.createNamespace) {
            throw new pulumi.ResourceError("createNamespace and owner patch cannot both be set: a patch needs the chart's secrets, so the namespace exists", this);
        }
        const parts = args.parts ?? (Object.keys(SECRETS) as SecretPart[]);
        const labels = { "app.kubernetes.io/managed-by": "astro-db", release: args.release };

        const dependsOn: pulumi.Resource[] = [];
        if (args.createNamespace) {
            dependsOn.push(new k8s.core.v1.Namespace(`${name}-namespace`, {
                metadata: { name: args.namespace, labels },
            }, { parent: this, retainOnDelete: true }));
        }
        const values: Record<SecretPart, pulumi.Input<string>> = {
            metadata: args.metadataConnection, resultBackend: args.resultBackendConnection, fernetKey: args.fernetKey,
        };
        const suffix: Record<SecretPart, string> = { metadata: "metadata", resultBackend: "result-backend", fernetKey: "fernet-key" };

        this.secrets = {};
        for (const part of parts) {
            const secretName = args.names[part];
            const key = SECRETS[part].key;
            this.secrets[part] = owner === "create"
                ? new k8s.core.v1.Secret(`${name}-${suffix[part]}`, {
                    metadata: { name: secretName, namespace: args.namespace, labels },
                    type: "Opaque",
                    stringData: { [key]: pulumi.secret(values[part]) },
                }, { parent: this, dependsOn })
                : new k8s.core.v1.SecretPatch(`${name}-${suffix[part]}-patch`, {
                    metadata: {
                        name: secretName, namespace: args.namespace,
                        annotations: { [PULUMI_PATCH_ANNOTATIONS.fieldManager]: FIELD_MANAGER, [PULUMI_PATCH_ANNOTATIONS.force]: "true" },
                    },
                    data: { [key]: pulumi.secret(pulumi.output(values[part]).apply(secretData)) },
                }, { parent: this, retainOnDelete: true });
        }
        this.owner = owner;
        this.secretNames = { ...args.names };
        if (owner === "create") this.chartValues = chartSecretValues(args.names);
        this.registerOutputs({ owner: this.owner, secretNames: this.secretNames, chartValues: this.chartValues });
    }
}
