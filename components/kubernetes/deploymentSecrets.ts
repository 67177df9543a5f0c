import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { SECRETS } from "../astronomer/facts";
import { fernetKeyFromBase64 } from "../astronomer/fernet";

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
    /** A fernet key carried over from an existing Airflow (seed 003). Defaults to one generated once and kept. */
    readonly fernetKey?: pulumi.Input<string>;
    /** Create the namespace too. Defaults to false: Houston's createDeployment creates it. */
    readonly createNamespace?: boolean;
}

/**
 * The Kubernetes secrets an Airflow Deployment reads (seed 003): `<release>-airflow-metadata`,
 * `<release>-airflow-result-backend` (key `connection` each) and `<release>-fernet-key` (key `fernet-key`).
 * The Kubernetes provider comes from opts (a cluster, or one that renders manifests to a directory).
 */
export class DeploymentSecrets extends pulumi.ComponentResource {
    /** Secret: the fernet key the Deployment's secret holds. */
    public readonly fernetKey: pulumi.Output<string>;
    public readonly secrets: { metadata: k8s.core.v1.Secret; resultBackend: k8s.core.v1.Secret; fernetKey: k8s.core.v1.Secret };
    public readonly secretNames: { metadata: string; resultBackend: string; fernetKey: string };

    constructor(name: string, args: DeploymentSecretsArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("astro-db:kubernetes:DeploymentSecrets", name, {}, opts);
        const labels = { "app.kubernetes.io/managed-by": "astro-db", release: args.release };

        const dependsOn: pulumi.Resource[] = [];
        if (args.createNamespace) {
            dependsOn.push(new k8s.core.v1.Namespace(`${name}-namespace`, {
                metadata: { name: args.namespace, labels },
            }, { parent: this, retainOnDelete: true }));
        }

        // 32 random bytes, generated once and kept in state; Airflow wants them url-safe base64 encoded.
        this.fernetKey = pulumi.secret(args.fernetKey !== undefined
            ? pulumi.output(args.fernetKey)
            : new random.RandomBytes(`${name}-fernet-bytes`, { length: 32 }, { parent: this }).base64.apply(fernetKeyFromBase64));

        const secret = (suffix: string, secretName: string, key: string, value: pulumi.Input<string>) =>
            new k8s.core.v1.Secret(`${name}-${suffix}`, {
                metadata: { name: secretName, namespace: args.namespace, labels },
                type: "Opaque",
                stringData: { [key]: pulumi.secret(value) },
            }, { parent: this, dependsOn });

        this.secrets = {
            metadata: secret("metadata", args.names.metadata, SECRETS.metadata.key, args.metadataConnection),
            resultBackend: secret("result-backend", args.names.resultBackend, SECRETS.resultBackend.key, args.resultBackendConnection),
            fernetKey: secret("fernet-key", args.names.fernetKey, SECRETS.fernetKey.key, this.fernetKey),
        };
        this.secretNames = { ...args.names };
        this.registerOutputs({ fernetKey: this.fernetKey, secretNames: this.secretNames });
    }
}
