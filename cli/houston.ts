/**
 * `astro-db houston --stack S --deployment R [--create|--upsert]`: the GraphQL mutation that hands a
 * Deployment's database to Houston (seed 000 step 6) with its variables; credentials masked unless
 * --show-secrets; the password from --outputs, else --out, else the placeholder with a warning.
 * See README "Handing a Deployment to the platform".
 */
import * as fs from "fs";
import { parseConnection, type DbEndpoint } from "../components/astronomer/connections";
import { houstonMutation, houstonVariables, type HoustonMutation, type HoustonVariables } from "../components/astronomer/houston";
import { runStackGraph } from "./graph";
import { GENERATED_PLACEHOLDER } from "../engines/model";
import { outputLayout, planeLayout, readDeploymentPassword } from "./manifests";
import { checkInputFile, InputError, maskUrl } from "../engines/url";

export interface HoustonOptions {
    stack: string;
    file?: string;
    deployment: string;
    mutation: HoustonMutation;
    /** Houston's workspace id (`workspaceUuid`, required by createDeployment). */
    workspace?: string;
    /** upsertDeployment: the existing Deployment to update. */
    deploymentUuid?: string;
    /** The Deployment's label in Houston. Defaults to the release name. */
    label?: string;
    /** `pulumi stack output deployments --show-secrets --json` saved to a file. */
    outputs?: string;
    /** `astro-db apply --out` directory. */
    out?: string;
    showSecrets: boolean;
}

export interface HoustonRequest {
    query: string;
    variables: Record<string, unknown>;
    /** Where the password came from, and anything the caller must still fill in. */
    warnings: string[];
}

export const MASK = "****";

/** Every credential in a variable set masked: `pass` fields and the passwords in connection strings. */
export function maskVariables(v: unknown, key = ""): unknown {
    if (Array.isArray(v)) return v.map((x) => maskVariables(x));
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, maskVariables(x, k)]));
    if (typeof v === "string" && key === "pass") return MASK;
    if (typeof v === "string" && /^[a-z+]+:\/\//.test(v)) return maskUrl(v);
    return v;
}

/** The options checked before the stack program runs: each message names the option and the fix. */
function checkHoustonOptions(o: HoustonOptions): void {
    if (o.mutation === "createDeployment" && o.deploymentUuid) throw new InputError("--deployment-uuid updates an existing Deployment: use it with --upsert");
    if (o.outputs !== undefined && o.out !== undefined) throw new InputError("--outputs and --out cannot both be set: take the variables from Pulumi's outputs or the password from apply's directory");
    if (o.outputs !== undefined) checkInputFile("--outputs", o.outputs);
    if (o.out !== undefined && !(fs.existsSync(o.out) && fs.statSync(o.out).isDirectory())) {
        throw new InputError(`--out ${o.out}: no such directory: give the directory \`astro-db apply --out\` wrote`);
    }
}

export async function houstonRequest(o: HoustonOptions): Promise<HoustonRequest> {
    checkHoustonOptions(o);
    const graph = await runStackGraph(o.stack, { revealSecrets: true, file: o.file });
    const d = graph.spec.deployments.find((x) => x.release === o.deployment);
    if (!d) throw new InputError(`--deployment ${o.deployment}: stack "${o.stack}" has no such Deployment (its Deployments: ${graph.spec.deployments.map((x) => x.release).join(", ")})`);
    const out = (graph.outputs.deployments as Record<string, { metadataConnection: string; connectionUser: string; houstonVariables: HoustonVariables }> | undefined)?.[d.release];
    if (!out) throw new InputError(`--deployment ${d.release}: the Deployment is retired or removed in stack "${o.stack}": Houston has nothing to take for it`);

    const warnings: string[] = [];
    let vars: HoustonVariables;
    if (o.outputs !== undefined) {
        let all: Record<string, { houstonVariables?: HoustonVariables }>;
        try {
            all = JSON.parse(fs.readFileSync(o.outputs, "utf8"));
        } catch {
            throw new InputError(`--outputs ${o.outputs} is not JSON: save \`pulumi stack output deployments --show-secrets --json\` there`);
        }
        const fromPulumi = all[d.release]?.houstonVariables;
        if (!fromPulumi) throw new InputError(`--outputs ${o.outputs} has no houstonVariables for ${d.release}: save \`pulumi stack output deployments --show-secrets --json\` there`);
        vars = fromPulumi;
    } else {
        const { resultBackend: _r, driver: _d, options: _o, ...endpoint } = parseConnection(out.metadataConnection);
        let password: string | undefined;
        if (o.out !== undefined) {
            const layout = d.failover?.users === "customer" ? planeLayout(outputLayout(o.out), d.failover.planes[0]) : outputLayout(o.out);
            password = readDeploymentPassword(layout, d.names, out.connectionUser, d.release);
            if (password === undefined) throw new InputError(`--out ${o.out} holds no password for ${out.connectionUser}: run \`astro-db apply --stack ${o.stack} --out ${o.out}\` first`);
        } else if (endpoint.password === GENERATED_PLACEHOLDER) {
            warnings.push(`the password of ${out.connectionUser} is generated by \`pulumi up\` or \`astro-db apply\`: pass --outputs <file> (pulumi stack output deployments --show-secrets --json) or --out <apply's directory>; the variables carry a placeholder`);
        }
        vars = houstonVariables({
            endpoint: { ...(endpoint as DbEndpoint), password: password ?? endpoint.password },
            pgbouncer: d.pgbouncer, releaseName: d.release, namespace: d.names.namespace, executor: d.executor,
        });
    }

    const variables: Record<string, unknown> = {
        workspaceUuid: o.workspace ?? "<workspace uuid>",
        ...(o.deploymentUuid ? { deploymentUuid: o.deploymentUuid } : {}),
        type: "airflow",
        label: o.label ?? d.release,
        ...vars[o.mutation],
    };
    if (o.workspace === undefined) warnings.push("no --workspace: workspaceUuid is a placeholder (Houston's workspace id, seed 000 prerequisites)");
    if (o.mutation === "createDeployment") {
        warnings.push("createDeployment cannot skip Houston's own database provisioning (seed 000: skipAirflowDatabaseProvisioning is upsert-only); prefer --upsert for a database astro-db made");
    }
    return { query: houstonMutation(o.mutation, Object.keys(variables)), variables: o.showSecrets ? variables : (maskVariables(variables) as Record<string, unknown>), warnings };
}
