import { rdsDefaults, RdsServerArgs } from "../components/aws";
import type { RdsServerSpec } from "./config";

export type RdsNetworkArgs = Pick<RdsServerArgs, "vpcId" | "subnetIds" | "allowedSecurityGroupIds" | "allowedCidrs">;

/** The RdsServer arguments a server's config amounts to: config validation checks exactly these. */
export function rdsServerArgs(spec: RdsServerSpec, retentionDays: number, network: RdsNetworkArgs): RdsServerArgs {
    const r = spec.rds;
    return {
        engine: spec.engine,
        identifier: r.identifier,
        engineVersion: r.engineVersion,
        allowMajorVersionUpgrade: r.allowMajorVersionUpgrade,
        instanceClass: r.instanceClass,
        allocatedStorage: r.allocatedStorage,
        maxAllocatedStorage: r.maxAllocatedStorage,
        multiAz: r.multiAz,
        // Backups outlive a removed Deployment's retention, so a dropped database can still be restored.
        backupRetentionPeriod: r.backupRetentionDays ?? Math.max(rdsDefaults(spec.engine).backupRetentionPeriod, retentionDays),
        performanceInsightsEnabled: r.performanceInsights,
        masterUsername: r.masterUsername,
        passwordMode: r.passwordMode,
        kmsKeyId: r.kmsKeyId,
        deletionProtection: r.deletionProtection,
        tags: r.tags,
        // A parameter-group max_connections replaces RDS's formula of the class's memory (plan's capacity reads it).
        ...(r.maxConnections === undefined ? {} : { parameters: { max_connections: String(r.maxConnections) } }),
        ...network,
    };
}
