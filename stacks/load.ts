import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig, StackSpec } from "./config";
import { PROJECT } from "./configError";

/** The running stack's config (as the Pulumi engine or the mocks set it) parsed into a StackSpec. */
export function loadStackSpec(stack: string): StackSpec {
    const raw: Record<string, string> = {};
    const secretKeys = new Set<string>();
    const prefix = `${PROJECT}:`;
    for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
        if (!key.startsWith(prefix)) continue;
        const name = key.slice(prefix.length);
        raw[name] = value;
        // isConfigSecret is how the SDK itself knows which keys were stored with --secret.
        if ((pulumi.runtime as unknown as { isConfigSecret(k: string): boolean }).isConfigSecret(key)) secretKeys.add(name);
    }
    return parseStackConfig(stack, raw, secretKeys);
}
