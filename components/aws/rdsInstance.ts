/**
 * RdsServer: one RDS PostgreSQL or MySQL instance with its subnet group, security group and
 * TLS-enforcing parameter group; it hands out the admin endpoint and credentials (secret). Defaults:
 * `rdsDefaults(engine)`, `parameterGroupFamily(engine, version)`; `checkRdsServerArgs` runs before any
 * child is registered. See README "RDS server (`components/aws`)".
 */
import * as pulumi from "@pulumi/pulumi";
import { GENERATED_PASSWORD_LENGTH, GENERATED_PASSWORD_SPECIALS } from "../password";
import type * as aws from "@pulumi/aws";
import * as random from "@pulumi/random";
import { passwordFromSecretString } from "../adminPassword";
import { DEFAULT_RETENTION_DAYS } from "../astronomer/facts";
import type { EngineKind } from "../../engines/model";
import { RDS_TLS_PARAMETER } from "./facts";

export type RdsEngine = EngineKind;
export const RDS_ENGINES: readonly RdsEngine[] = ["postgres", "mysql"];

/**
 * How the master password is made.
 * - `secretsManager`: RDS generates it and keeps it in AWS Secrets Manager (`manageMasterUserPassword`),
 *   rotating it on its own schedule; this component reads the current value back at each deployment.
 * - `random`: a `random.RandomPassword` kept (encrypted) in the Pulumi state and passed as `password`.
 */
export type RdsPasswordMode = "secretsManager" | "random";
export const RDS_PASSWORD_MODES: readonly RdsPasswordMode[] = ["secretsManager", "random"];

export const RDS_STORAGE_TYPES = ["gp2", "gp3", "io1", "io2"] as const;
export type RdsStorageType = (typeof RDS_STORAGE_TYPES)[number];

/** Enhanced Monitoring intervals RDS accepts, in seconds (0 = off). */
export const RDS_MONITORING_INTERVALS = [0, 1, 5, 10, 15, 30, 60] as const;

/** Characters RDS refuses in a master password (CreateDBInstance MasterUserPassword). */
export const RDS_PASSWORD_FORBIDDEN_CHARS = ["/", '"', "@", " "] as const;

/**
 * aws.rds.Instance inputs whose change makes the provider replace the instance (delete it, taking the
 * final snapshot, then create an empty one) instead of modifying it in place.
 *
 * Source: the `ForceNew: true` attributes of the `aws_db_instance` schema in the Terraform AWS provider
 * that @pulumi/aws bridges (internal/service/rds/instance.go, read in pulumi/terraform-provider-aws at
 * 0c2894b8868a3ee891c8d2666e711159c56fcc59; the hashicorp/terraform-provider-aws copies agree). The npm
 * package ships no schema and no replaceOnChanges data for this resource, so the list cannot be read
 * from node_modules. Not in the list, because the provider modifies them in place: `identifier`
 * (ModifyDBInstance NewDBInstanceIdentifier), `engineVersion`, `instanceClass`, `password`, `port`,
 * `dbSubnetGroupName`, `parameterGroupName`, storage size and type.
 *
 * With `deletionProtection` (default) the delete half of such a replacement fails, and with `protect`
 * (default) Pulumi refuses it up front: a replacement needs both turned off first, on purpose.
 */
export const replacementInputs = [
    "availabilityZone",
    "backupTarget",
    "characterSetName",
    "customIamInstanceProfile",
    "dbName",
    "engine",
    "kmsKeyId",
    "ncharCharacterSetName",
    "restoreToPointInTime",
    "s3Import",
    "snapshotIdentifier",
    "storageEncrypted",
    "timezone",
    "username",
] as const satisfies readonly (keyof aws.rds.InstanceArgs)[];

/** Defaults that depend on the engine. */
export interface RdsEngineDefaults {
    engineVersion: string;
    port: number;
    /** The parameter that makes the server refuse connections without TLS, and its enforcing value. */
    tlsParameter: { readonly name: string; readonly value: string };
    /** Further parameters set in the parameter group (besides the TLS one). */
    parameters: Record<string, string>;
    enabledCloudwatchLogsExports: string[];
    /** RDS limit on the master user name's length. */
    masterUsernameMaxLength: number;
}

/** Every default of `RdsServerArgs`, for one engine. */
export interface RdsDefaults extends RdsEngineDefaults {
    instanceClass: string;
    allocatedStorage: number;
    maxAllocatedStorage: number;
    storageType: RdsStorageType;
    storageEncrypted: boolean;
    masterUsername: string;
    passwordMode: RdsPasswordMode;
    multiAz: boolean;
    backupRetentionPeriod: number;
    deletionProtection: boolean;
    skipFinalSnapshot: boolean;
    deleteAutomatedBackups: boolean;
    copyTagsToSnapshot: boolean;
    autoMinorVersionUpgrade: boolean;
    allowMajorVersionUpgrade: boolean;
    applyImmediately: boolean;
    performanceInsightsEnabled: boolean;
    performanceInsightsRetentionPeriod: number;
    iamDatabaseAuthenticationEnabled: boolean;
    monitoringInterval: number;
    /** Fixed: the server sits in private subnets and is never given a public address. */
    publiclyAccessible: false;
    protect: boolean;
    retainOnDelete: boolean;
    tags: Record<string, string>;
}

const ENGINE_DEFAULTS: Record<RdsEngine, RdsEngineDefaults> = {
    postgres: {
        // Airflow 2.x (Astronomer Software) is tested up to PostgreSQL 16, and seed 004's
        // `WITH INHERIT FALSE, SET FALSE` memberships need 16+. A major version alone lets RDS pick,
        // and auto-upgrade, the newest minor.
        engineVersion: "16",
        port: 5432,
        tlsParameter: RDS_TLS_PARAMETER.postgres,
        parameters: {},
        enabledCloudwatchLogsExports: ["postgresql", "upgrade"],
        masterUsernameMaxLength: 63,
    },
    mysql: {
        // RDS for MySQL 8.0 left standard support on 2026-07-31: a new 8.0 instance is billed for
        // Extended Support from day one. 8.4 is the LTS line after Airflow's tested "8.0, Innovation".
        engineVersion: "8.4",
        port: 3306,
        tlsParameter: RDS_TLS_PARAMETER.mysql,
        // The slow query log is exported to CloudWatch only when it is on and written to files.
        parameters: { slow_query_log: "1", log_output: "FILE" },
        // "general" logs every statement: too much for a metadata database by default.
        enabledCloudwatchLogsExports: ["error", "slowquery"],
        masterUsernameMaxLength: 16,
    },
};

/** The defaults of `RdsServerArgs` for one engine, in one place (the README's table is built from them). */
export function rdsDefaults(engine: RdsEngine): RdsDefaults {
    const e = ENGINE_DEFAULTS[engine];
    if (e === undefined) throw new Error(`unknown RDS engine "${engine}": use one of ${RDS_ENGINES.join(", ")}`);
    return {
        engineVersion: e.engineVersion,
        port: e.port,
        tlsParameter: { ...e.tlsParameter },
        parameters: { ...e.parameters },
        enabledCloudwatchLogsExports: [...e.enabledCloudwatchLogsExports],
        masterUsernameMaxLength: e.masterUsernameMaxLength,
        instanceClass: "db.t4g.medium",
        allocatedStorage: 50,
        maxAllocatedStorage: 200,
        storageType: "gp3",
        storageEncrypted: true,
        masterUsername: "astroadmin",
        passwordMode: "secretsManager",
        multiAz: false,
        // Backups cover the window in which a deleted Deployment's database can still be restored (seed 002).
        backupRetentionPeriod: DEFAULT_RETENTION_DAYS,
        deletionProtection: true,
        skipFinalSnapshot: false,
        deleteAutomatedBackups: false,
        copyTagsToSnapshot: true,
        autoMinorVersionUpgrade: true,
        allowMajorVersionUpgrade: false,
        applyImmediately: false,
        performanceInsightsEnabled: true,
        performanceInsightsRetentionPeriod: 7,
        iamDatabaseAuthenticationEnabled: false,
        monitoringInterval: 0,
        publiclyAccessible: false,
        protect: true,
        retainOnDelete: false,
        tags: { "managed-by": "astro-db" },
    };
}

/** Parameters RDS applies only at a reboot: "immediate" is refused for them. */
const STATIC_PARAMETERS = new Set(["max_connections"]);

/**
 * The RDS parameter group family of an engine version: `postgres16` for "16" or "16.4",
 * `mysql8.0` for "8.0" or "8.0.39", `mysql8.4` for "8.4". Throws on a version it cannot place.
 */
export function parameterGroupFamily(engine: RdsEngine, version: string): string {
    if (!/^\d+(\.\d+)*$/.test(version)) {
        throw new Error(`engine version "${version}" is not a version number such as ${rdsDefaults(engine).engineVersion}`);
    }
    const [major, minor] = version.split(".");
    switch (engine) {
        case "postgres":
            // From PostgreSQL 10 the family is the major version alone; before, major.minor (postgres9.6).
            if (Number(major) >= 10) return `postgres${Number(major)}`;
            if (minor === undefined) throw new Error(`PostgreSQL version "${version}" needs its minor part (e.g. 9.6)`);
            return `postgres${Number(major)}.${Number(minor)}`;
        case "mysql":
            if (minor === undefined) {
                throw new Error(`MySQL version "${version}" needs major.minor (e.g. 8.0 or 8.4): the parameter group family depends on both`);
            }
            return `mysql${Number(major)}.${Number(minor)}`;
        default: {
            const unknown: never = engine; // a new engine is a compile error until it has a family
            throw new Error(`unknown RDS engine "${unknown as string}": use one of ${RDS_ENGINES.join(", ")}`);
        }
    }
}

export interface RdsServerArgs {
    /** Database engine. Changing it replaces the server. */
    readonly engine: RdsEngine;
    /**
     * The RDS instance identifier, used as is (no random suffix): 1-63 lowercase letters, digits and
     * hyphens, starting with a letter, without `--` or a trailing `-`. It also names the subnet group
     * (`<identifier>`), the security group (`astro-db-<identifier>`) and the parameter group
     * (`<identifier>-<family>`). Required.
     */
    readonly identifier: string;
    /**
     * Engine version; a major (or major.minor for MySQL) lets RDS choose the newest minor and, with
     * `autoMinorVersionUpgrade`, keep upgrading it. Defaults to "16" for postgres, "8.4" for mysql.
     */
    readonly engineVersion?: string;
    /** Instance class. Defaults to "db.t4g.medium". */
    readonly instanceClass?: string;
    /** Initial storage in GiB (20-65536). Defaults to 50. */
    readonly allocatedStorage?: number;
    /** Storage autoscaling ceiling in GiB; 0 turns autoscaling off. Defaults to 200. */
    readonly maxAllocatedStorage?: number;
    /** Storage type: gp2, gp3, io1 or io2. Defaults to "gp3". */
    readonly storageType?: RdsStorageType;
    /**
     * Encrypt storage at rest. Only set false to adopt an existing unencrypted instance: changing it
     * replaces the server. Defaults to true.
     */
    readonly storageEncrypted?: boolean;
    /** KMS key (ARN) for storage encryption; changing it replaces the server. Defaults to the AWS-managed `aws/rds` key. */
    readonly kmsKeyId?: pulumi.Input<string>;
    /**
     * Master user name: letters and digits, starting with a letter, at most 63 characters (postgres) or
     * 16 (mysql). Changing it replaces the server. Defaults to "astroadmin".
     */
    readonly masterUsername?: string;
    /**
     * Where the master password comes from: "secretsManager" (RDS manages and rotates it in Secrets
     * Manager; deployments need secretsmanager:GetSecretValue on it) or "random" (kept in the Pulumi
     * state). Defaults to "secretsManager".
     */
    readonly passwordMode?: RdsPasswordMode;
    /** KMS key for the Secrets Manager secret of the master password ("secretsManager" mode only). Defaults to `aws/secretsmanager`. */
    readonly masterUserSecretKmsKeyId?: pulumi.Input<string>;
    /** Port the server listens on (1150-65535). Defaults to 5432 for postgres, 3306 for mysql. */
    readonly port?: number;

    /** VPC of the server (and of its security group). Required. */
    readonly vpcId: pulumi.Input<string>;
    /** Private subnets, in at least two availability zones. Required. */
    readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * Security groups admitted on the engine port, e.g. the cluster's node security group.
     * Defaults to none (then `allowedCidrs` must admit someone).
     */
    readonly allowedSecurityGroupIds?: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * IPv4/IPv6 CIDR blocks admitted on the engine port. 0.0.0.0/0 is admitted only when listed here.
     * Defaults to none.
     */
    readonly allowedCidrs?: pulumi.Input<pulumi.Input<string>[]>;

    /** Deploy a standby in a second availability zone. Defaults to false. */
    readonly multiAz?: boolean;
    /** Days of automated backups (1-35). Defaults to 15 (seed 002's retention of deleted Deployments' databases). */
    readonly backupRetentionPeriod?: number;
    /** Daily backup window (UTC, "hh24:mi-hh24:mi"). Defaults to one RDS picks. */
    readonly backupWindow?: string;
    /** Weekly maintenance window ("ddd:hh24:mi-ddd:hh24:mi"). Defaults to one RDS picks. */
    readonly maintenanceWindow?: string;
    /** Refuse deletion at the AWS API. Defaults to true. */
    readonly deletionProtection?: boolean;
    /** Skip the final snapshot when the instance is deleted. Defaults to false. */
    readonly skipFinalSnapshot?: boolean;
    /** Delete automated backups together with the instance. Defaults to false (they expire with their retention). */
    readonly deleteAutomatedBackups?: boolean;
    /** Copy the instance's tags to its snapshots. Defaults to true. */
    readonly copyTagsToSnapshot?: boolean;
    /** Apply minor engine upgrades in the maintenance window. Defaults to true. */
    readonly autoMinorVersionUpgrade?: boolean;
    /** Allow a change of `engineVersion` to a new major version. Defaults to false. */
    readonly allowMajorVersionUpgrade?: boolean;
    /** Apply modifications at once instead of in the next maintenance window. Defaults to false. */
    readonly applyImmediately?: boolean;
    /** Performance Insights (Database Insights standard). Defaults to true. */
    readonly performanceInsightsEnabled?: boolean;
    /** Performance Insights retention: 7, 731, or a multiple of 31 days. Defaults to 7. */
    readonly performanceInsightsRetentionPeriod?: number;
    /** KMS key for Performance Insights data; cannot be changed once set. Defaults to the AWS-managed key. */
    readonly performanceInsightsKmsKeyId?: pulumi.Input<string>;
    /** Log types exported to CloudWatch Logs. Defaults to ["postgresql", "upgrade"] for postgres, ["error", "slowquery"] for mysql. */
    readonly enabledCloudwatchLogsExports?: string[];
    /** Extra parameters for the parameter group; the TLS parameter cannot be turned off. Defaults to none for postgres, slow_query_log=1 and log_output=FILE for mysql. */
    readonly parameters?: Record<string, string>;
    /** Allow IAM database authentication besides passwords. Defaults to false. */
    readonly iamDatabaseAuthenticationEnabled?: boolean;
    /** Server certificate authority, e.g. "rds-ca-rsa2048-g1". Defaults to the region's RDS default. */
    readonly caCertIdentifier?: pulumi.Input<string>;
    /** Enhanced Monitoring interval in seconds (0, 1, 5, 10, 15, 30, 60). Defaults to 0 (off). */
    readonly monitoringInterval?: number;
    /** IAM role RDS uses for Enhanced Monitoring; required when `monitoringInterval` > 0. Defaults to none. */
    readonly monitoringRoleArn?: pulumi.Input<string>;
    /** Tags for every AWS resource, merged over `managed-by: astro-db`. Defaults to {}. */
    readonly tags?: Record<string, pulumi.Input<string>>;
    /** Pulumi `protect` on the instance (refuses delete and replace). Defaults to `opts.protect`, else true. */
    readonly protect?: boolean;
    /**
     * Pulumi `retainOnDelete` on the instance: deleting it from the program would leave it running (and
     * billed) instead of deleting it. Deletion protection and the final snapshot already guard the data.
     * Defaults to false.
     */
    readonly retainOnDelete?: boolean;
}

const IDENTIFIER_MAX = 63;
const RESERVED_MASTER_USERNAMES = ["rdsadmin", "rdsrepladmin", "rdstopmgr", "rdsproxyadmin", "user", "public", "none", "all", "select", "table"];

/** Problems with an RDS instance identifier, as sentences that say the fix; empty when valid. */
export function checkRdsIdentifier(identifier: string): string[] {
    const fix = "use 1-63 lowercase letters, digits and hyphens, starting with a letter, e.g. astro-prod-airflow";
    if (typeof identifier !== "string" || identifier.length === 0) return [`identifier is required: ${fix}`];
    const problems: string[] = [];
    if (identifier.length > IDENTIFIER_MAX) problems.push(`identifier "${identifier}" is ${identifier.length} characters; RDS allows at most ${IDENTIFIER_MAX}`);
    if (!/^[a-z]/.test(identifier)) problems.push(`identifier "${identifier}" must start with a lowercase letter`);
    if (!/^[a-z0-9-]*$/.test(identifier)) problems.push(`identifier "${identifier}" may contain only lowercase letters, digits and hyphens`);
    if (identifier.includes("--")) problems.push(`identifier "${identifier}" must not contain two consecutive hyphens`);
    if (identifier.endsWith("-")) problems.push(`identifier "${identifier}" must not end with a hyphen`);
    return problems.length > 0 ? problems.map((p) => `${p}: ${fix}`) : [];
}

/** Problems with a master user name for an engine; empty when valid. */
export function checkMasterUsername(engine: RdsEngine, username: string): string[] {
    const max = (ENGINE_DEFAULTS[engine] ?? ENGINE_DEFAULTS.postgres).masterUsernameMaxLength;
    const fix = `use letters and digits, starting with a letter, at most ${max} characters (e.g. astroadmin)`;
    if (username.length === 0) return [`masterUsername is empty: ${fix}`];
    const problems: string[] = [];
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(username)) problems.push(`masterUsername "${username}" is not letters and digits starting with a letter: ${fix}`);
    if (username.length > max) problems.push(`masterUsername "${username}" is ${username.length} characters; RDS for ${engine} allows at most ${max}: ${fix}`);
    if (RESERVED_MASTER_USERNAMES.includes(username.toLowerCase())) problems.push(`masterUsername "${username}" is reserved by RDS or the engine: choose another, e.g. astroadmin`);
    return problems;
}

function isKnownArray(v: unknown): v is unknown[] {
    return Array.isArray(v);
}

function checkCidr(cidr: string): string | undefined {
    const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
    if (v4) {
        const ok = v4.slice(1, 5).every((o) => Number(o) <= 255) && Number(v4[5]) <= 32;
        return ok ? undefined : `allowedCidrs entry "${cidr}" is not a valid IPv4 CIDR block: use e.g. 10.0.0.0/16`;
    }
    const v6 = /^[0-9A-Fa-f:]+\/(\d{1,3})$/.exec(cidr);
    if (v6 && cidr.includes(":") && Number(v6[1]) <= 128) return undefined;
    return `allowedCidrs entry "${cidr}" is not a CIDR block: use e.g. 10.0.0.0/16`;
}

/**
 * Every problem with the arguments, as sentences that name the argument and the fix; empty when they
 * are valid. Only values known now are checked (lists from other stacks are checked when they resolve).
 */
export function checkRdsServerArgs(args: RdsServerArgs): string[] {
    const problems: string[] = [];
    if (!RDS_ENGINES.includes(args.engine)) {
        return [`engine "${String(args.engine)}" is not supported: use one of ${RDS_ENGINES.join(", ")}`];
    }
    const d = rdsDefaults(args.engine);
    problems.push(...checkRdsIdentifier(args.identifier));

    const version = args.engineVersion ?? d.engineVersion;
    try {
        parameterGroupFamily(args.engine, version);
    } catch (e) {
        problems.push(`engineVersion: ${(e as Error).message}`);
    }

    const instanceClass = args.instanceClass ?? d.instanceClass;
    if (!/^db\.[a-z0-9-]+\.[a-z0-9-]+$/.test(instanceClass)) {
        problems.push(`instanceClass "${instanceClass}" is not an RDS instance class: use e.g. db.t4g.medium or db.r6g.large`);
    }

    const allocated = args.allocatedStorage ?? d.allocatedStorage;
    const maxAllocated = args.maxAllocatedStorage ?? d.maxAllocatedStorage;
    if (!Number.isInteger(allocated) || allocated < 20 || allocated > 65536) {
        problems.push(`allocatedStorage ${allocated} is outside 20-65536 GiB: give a whole number of GiB in that range`);
    }
    if (!Number.isInteger(maxAllocated) || maxAllocated < 0) {
        problems.push(`maxAllocatedStorage ${maxAllocated} is not a whole number of GiB: give one, or 0 to turn storage autoscaling off`);
    } else if (maxAllocated !== 0 && maxAllocated < allocated) {
        problems.push(`maxAllocatedStorage (${maxAllocated} GiB) is below allocatedStorage (${allocated} GiB): raise maxAllocatedStorage, lower allocatedStorage, or set maxAllocatedStorage to 0 to turn autoscaling off`);
    }
    const storageType = args.storageType ?? d.storageType;
    if (!(RDS_STORAGE_TYPES as readonly string[]).includes(storageType)) {
        problems.push(`storageType "${storageType}" is not one of ${RDS_STORAGE_TYPES.join(", ")}`);
    }
    if (args.kmsKeyId !== undefined && (args.storageEncrypted ?? d.storageEncrypted) === false) {
        problems.push("kmsKeyId and storageEncrypted: false cannot both be set: remove kmsKeyId or encrypt the storage");
    }

    const backup = args.backupRetentionPeriod ?? d.backupRetentionPeriod;
    if (!Number.isInteger(backup) || backup < 1 || backup > 35) {
        problems.push(`backupRetentionPeriod ${backup} is outside 1-35 days: RDS keeps automated backups at most 35 days, and 0 would turn them (and point-in-time restore) off`);
    }

    const piEnabled = args.performanceInsightsEnabled ?? d.performanceInsightsEnabled;
    const piRetention = args.performanceInsightsRetentionPeriod;
    if (piRetention !== undefined) {
        if (!piEnabled) {
            problems.push("performanceInsightsRetentionPeriod and performanceInsightsEnabled: false cannot both be set: remove the retention or enable Performance Insights");
        } else if (!(piRetention === 7 || piRetention === 731 || (Number.isInteger(piRetention) && piRetention > 0 && piRetention % 31 === 0))) {
            problems.push(`performanceInsightsRetentionPeriod ${piRetention} is not 7, 731 or a multiple of 31 days`);
        }
    }
    if (args.performanceInsightsKmsKeyId !== undefined && !piEnabled) {
        problems.push("performanceInsightsKmsKeyId and performanceInsightsEnabled: false cannot both be set: remove the key or enable Performance Insights");
    }

    const interval = args.monitoringInterval ?? d.monitoringInterval;
    if (!(RDS_MONITORING_INTERVALS as readonly number[]).includes(interval)) {
        problems.push(`monitoringInterval ${interval} is not one of ${RDS_MONITORING_INTERVALS.join(", ")} seconds`);
    } else if (interval > 0 && args.monitoringRoleArn === undefined) {
        problems.push(`monitoringInterval ${interval} needs monitoringRoleArn (an IAM role RDS can assume to publish Enhanced Monitoring): give the role, or set monitoringInterval to 0`);
    }

    problems.push(...checkMasterUsername(args.engine, args.masterUsername ?? d.masterUsername));

    const mode = args.passwordMode ?? d.passwordMode;
    if (!RDS_PASSWORD_MODES.includes(mode)) {
        problems.push(`passwordMode "${String(mode)}" is not one of ${RDS_PASSWORD_MODES.join(", ")}`);
    } else if (mode !== "secretsManager" && args.masterUserSecretKmsKeyId !== undefined) {
        problems.push(`masterUserSecretKmsKeyId and passwordMode "${mode}" cannot both be set: the key encrypts the Secrets Manager secret, which only passwordMode "secretsManager" creates`);
    }

    const port = args.port ?? d.port;
    if (!Number.isInteger(port) || port < 1150 || port > 65535) {
        problems.push(`port ${port} is outside 1150-65535, the ports RDS allows: use ${d.port}`);
    }

    // Network: lists given literally are checked now.
    if (isKnownArray(args.subnetIds)) {
        if (args.subnetIds.length < 2) {
            problems.push(`subnetIds has ${args.subnetIds.length} subnet(s): an RDS subnet group needs private subnets in at least two availability zones`);
        }
        if (args.subnetIds.some((s) => typeof s === "string" && s.trim() === "")) problems.push("subnetIds contains an empty id");
    }
    const sgs = args.allowedSecurityGroupIds;
    const cidrs = args.allowedCidrs;
    const sgsKnownEmpty = sgs === undefined || (isKnownArray(sgs) && sgs.length === 0);
    const cidrsKnownEmpty = cidrs === undefined || (isKnownArray(cidrs) && cidrs.length === 0);
    if (sgsKnownEmpty && cidrsKnownEmpty) {
        problems.push("allowedSecurityGroupIds and allowedCidrs are both empty, so nothing could reach the server: give the cluster's node security group in allowedSecurityGroupIds (or CIDR blocks in allowedCidrs)");
    }
    if (isKnownArray(cidrs)) {
        for (const c of cidrs) {
            if (typeof c === "string") {
                const p = checkCidr(c);
                if (p) problems.push(p);
            }
        }
    }
    if (isKnownArray(sgs)) {
        for (const s of sgs) {
            if (typeof s === "string" && !/^sg-[0-9a-f]+$/.test(s)) {
                problems.push(`allowedSecurityGroupIds entry "${s}" is not a security group id (sg-...)`);
            }
        }
    }

    // The TLS parameter is the point of the parameter group: it may be restated, never weakened.
    const tls = d.tlsParameter;
    const given = args.parameters?.[tls.name];
    if (given !== undefined && given !== tls.value && given.toUpperCase() !== "ON") {
        problems.push(`parameters.${tls.name} = "${given}" would let clients connect without TLS: remove it (this component always sets ${tls.name}=${tls.value})`);
    }
    return problems;
}

export const RDS_SERVER_TYPE = "astro-db:aws:RdsServer";

/**
 * An RDS PostgreSQL or MySQL server for Airflow metadata databases: private, encrypted, TLS-only,
 * reachable only from the given security groups and CIDR blocks, with backups, a final snapshot and
 * deletion protection.
 */
export class RdsServer extends pulumi.ComponentResource {
    public readonly instance: aws.rds.Instance;
    /** Host name of the server. */
    public readonly address: pulumi.Output<string>;
    public readonly port: pulumi.Output<number>;
    /** `host:port`. */
    public readonly endpoint: pulumi.Output<string>;
    /** The master user name. */
    public readonly adminUser: pulumi.Output<string>;
    /** The master password (secret). In "secretsManager" mode, the secret's current version at deployment time. */
    public readonly adminPassword: pulumi.Output<string>;
    public readonly engine: RdsEngine;
    public readonly securityGroupId: pulumi.Output<string>;
    public readonly parameterGroupName: pulumi.Output<string>;
    public readonly subnetGroupName: pulumi.Output<string>;
    public readonly arn: pulumi.Output<string>;
    /** ARN of the Secrets Manager secret holding the master password; undefined in "random" mode. */
    public readonly masterUserSecretArn: pulumi.Output<string | undefined>;
    /** How the master password is made (the argument with its default applied). */
    public readonly passwordMode: RdsPasswordMode;

    constructor(name: string, args: RdsServerArgs, opts: pulumi.ComponentResourceOptions = {}) {
        // Pulumi copies a component's `protect` to every child: it goes to the instance alone (below),
        // never to the groups a major upgrade or a rename has to replace.
        super(RDS_SERVER_TYPE, name, {}, { ...opts, protect: undefined });

        const problems = checkRdsServerArgs(args);
        if (problems.length > 0) {
            throw new pulumi.ResourceError(`RdsServer "${name}": ${problems.join("; ")}`, this);
        }

        // Loaded here, not at the top: @pulumi/aws takes about half a second to load, and every run of
        // the CLI loads this module (config validation uses its pure helpers) whether a stack has RDS or not.
        const sdk = require("@pulumi/aws") as typeof aws;
        const d = rdsDefaults(args.engine);
        const engine = args.engine;
        const identifier = args.identifier;
        const engineVersion = args.engineVersion ?? d.engineVersion;
        const family = parameterGroupFamily(engine, engineVersion);
        const port = args.port ?? d.port;
        const masterUsername = args.masterUsername ?? d.masterUsername;
        const passwordMode = args.passwordMode ?? d.passwordMode;
        this.passwordMode = passwordMode;
        const storageEncrypted = args.storageEncrypted ?? d.storageEncrypted;
        const skipFinalSnapshot = args.skipFinalSnapshot ?? d.skipFinalSnapshot;
        const performanceInsightsEnabled = args.performanceInsightsEnabled ?? d.performanceInsightsEnabled;
        const protect = args.protect ?? opts.protect ?? d.protect;
        const retainOnDelete = args.retainOnDelete ?? d.retainOnDelete;
        const tags = { ...d.tags, ...args.tags };
        this.engine = engine;

        const subnetGroup = new sdk.rds.SubnetGroup(`${name}-subnets`, {
            name: identifier,
            description: `astro-db: private subnets of RDS ${engine} ${identifier}`,
            subnetIds: args.subnetIds,
            tags,
        }, { parent: this, protect: false });

        // Inline rules make the rule set authoritative: a rule added by hand is removed at the next
        // `pulumi up`, so the group admits only what is declared. They also accept lists that are
        // whole Outputs (a cluster stack's outputs), which one resource per source could not.
        const ingress = pulumi
            .all([args.allowedSecurityGroupIds ?? [], args.allowedCidrs ?? []])
            .apply(([sgIds, cidrs]) => {
                const rules: aws.types.input.ec2.SecurityGroupIngress[] = [];
                for (const sg of sgIds) {
                    rules.push({ protocol: "tcp", fromPort: port, toPort: port, securityGroups: [sg], description: `${engine} clients in ${sg}` });
                }
                for (const cidr of cidrs) {
                    const v6 = cidr.includes(":");
                    if (cidr === "0.0.0.0/0" || cidr === "::/0") {
                        pulumi.log.warn(`allowedCidrs contains ${cidr}: RDS ${identifier} admits the whole ${v6 ? "IPv6" : "IPv4"} internet on port ${port}`, this);
                    }
                    rules.push(v6
                        ? { protocol: "tcp", fromPort: port, toPort: port, ipv6CidrBlocks: [cidr], description: `${engine} clients in ${cidr}` }
                        : { protocol: "tcp", fromPort: port, toPort: port, cidrBlocks: [cidr], description: `${engine} clients in ${cidr}` });
                }
                if (rules.length === 0) {
                    throw new pulumi.ResourceError(`RdsServer "${name}": allowedSecurityGroupIds and allowedCidrs resolved to empty lists, so nothing could reach the server: give the cluster's node security group`, this);
                }
                return rules;
            });
        const securityGroup = new sdk.ec2.SecurityGroup(`${name}-sg`, {
            name: `astro-db-${identifier}`,
            description: `astro-db: clients of RDS ${engine} ${identifier}`,
            vpcId: args.vpcId,
            ingress,
            // No egress: the server only answers connections (security groups are stateful) and
            // none of its features here (backups, logs, Performance Insights) go through the VPC.
            egress: [],
            tags: { ...tags, Name: `astro-db-${identifier}` },
        }, { parent: this, protect: false });

        const parameters: Record<string, string> = { ...d.parameters, ...args.parameters, [d.tlsParameter.name]: d.tlsParameter.value };
        // The family is part of the name, so a major upgrade creates the new group before dropping the
        // old one (a group in use cannot be deleted).
        const parameterGroup = new sdk.rds.ParameterGroup(`${name}-params`, {
            name: `${identifier}-${family.replace(/\./g, "-")}`,
            family,
            description: `astro-db: RDS ${engine} ${identifier} (TLS required)`,
            parameters: Object.entries(parameters)
                .sort(([a], [b]) => a.localeCompare(b))
                .map(([pname, value]) => ({ name: pname, value, applyMethod: STATIC_PARAMETERS.has(pname) ? "pending-reboot" : "immediate" })),
            tags,
        }, { parent: this, protect: false });

        let password: pulumi.Output<string> | undefined;
        if (passwordMode === "random") {
            password = new random.RandomPassword(`${name}-admin-password`, {
                length: GENERATED_PASSWORD_LENGTH,
                special: true,
                overrideSpecial: GENERATED_PASSWORD_SPECIALS,
                minLower: 1,
                minUpper: 1,
                minNumeric: 1,
            }, { parent: this }).result;
        }

        const instanceArgs: aws.rds.InstanceArgs = {
            identifier,
            engine,
            engineVersion,
            instanceClass: args.instanceClass ?? d.instanceClass,
            allocatedStorage: args.allocatedStorage ?? d.allocatedStorage,
            maxAllocatedStorage: args.maxAllocatedStorage ?? d.maxAllocatedStorage,
            storageType: args.storageType ?? d.storageType,
            storageEncrypted,
            kmsKeyId: args.kmsKeyId,
            username: masterUsername,
            // `manageMasterUserPassword` and `password` conflict even when one is false: set only one.
            manageMasterUserPassword: passwordMode === "secretsManager" ? true : undefined,
            masterUserSecretKmsKeyId: args.masterUserSecretKmsKeyId,
            password,
            port,
            dbSubnetGroupName: subnetGroup.name,
            vpcSecurityGroupIds: [securityGroup.id],
            parameterGroupName: parameterGroup.name,
            publiclyAccessible: d.publiclyAccessible,
            multiAz: args.multiAz ?? d.multiAz,
            backupRetentionPeriod: args.backupRetentionPeriod ?? d.backupRetentionPeriod,
            backupWindow: args.backupWindow,
            maintenanceWindow: args.maintenanceWindow,
            deletionProtection: args.deletionProtection ?? d.deletionProtection,
            skipFinalSnapshot,
            deleteAutomatedBackups: args.deleteAutomatedBackups ?? d.deleteAutomatedBackups,
            copyTagsToSnapshot: args.copyTagsToSnapshot ?? d.copyTagsToSnapshot,
            autoMinorVersionUpgrade: args.autoMinorVersionUpgrade ?? d.autoMinorVersionUpgrade,
            allowMajorVersionUpgrade: args.allowMajorVersionUpgrade ?? d.allowMajorVersionUpgrade,
            applyImmediately: args.applyImmediately ?? d.applyImmediately,
            performanceInsightsEnabled,
            performanceInsightsRetentionPeriod: performanceInsightsEnabled
                ? (args.performanceInsightsRetentionPeriod ?? d.performanceInsightsRetentionPeriod)
                : undefined,
            performanceInsightsKmsKeyId: args.performanceInsightsKmsKeyId,
            enabledCloudwatchLogsExports: args.enabledCloudwatchLogsExports ?? d.enabledCloudwatchLogsExports,
            iamDatabaseAuthenticationEnabled: args.iamDatabaseAuthenticationEnabled ?? d.iamDatabaseAuthenticationEnabled,
            caCertIdentifier: args.caCertIdentifier,
            monitoringInterval: args.monitoringInterval ?? d.monitoringInterval,
            monitoringRoleArn: args.monitoringRoleArn,
            tags,
        };

        if (!skipFinalSnapshot) {
            // The final snapshot's name must be unique among the account's snapshots and must not change
            // from one `pulumi up` to the next (a timestamp would show a diff in every preview). A random
            // suffix made once does both. It is renewed when a replacement input changes, so a replaced
            // instance does not reuse the name of the snapshot its predecessor left behind.
            const keepers: Record<string, pulumi.Input<string>> = {};
            for (const key of replacementInputs) {
                const value = instanceArgs[key];
                if (value !== undefined) keepers[key] = pulumi.output(value as pulumi.Input<string | number | boolean>).apply((v) => String(v));
            }
            const suffix = new random.RandomId(`${name}-final-snapshot-suffix`, { byteLength: 4, keepers }, { parent: this, protect: false });
            instanceArgs.finalSnapshotIdentifier = pulumi.interpolate`${identifier}-final-${suffix.hex}`;
        }

        this.instance = new sdk.rds.Instance(`${name}-instance`, instanceArgs, {
            parent: this,
            protect,
            retainOnDelete,
            // The identifier is fixed, so a replacement cannot create the new instance first.
            deleteBeforeReplace: true,
        });

        this.address = this.instance.address;
        this.port = this.instance.port;
        this.endpoint = this.instance.endpoint;
        this.arn = this.instance.arn;
        this.adminUser = this.instance.username;
        this.securityGroupId = securityGroup.id;
        this.parameterGroupName = parameterGroup.name;
        this.subnetGroupName = subnetGroup.name;

        if (passwordMode === "secretsManager") {
            const secretArn = this.instance.masterUserSecrets.apply((secrets) => {
                const arn = secrets?.[0]?.secretArn;
                if (!arn) {
                    throw new pulumi.ResourceError(`RdsServer "${name}": RDS reports no master user secret for ${identifier} although manageMasterUserPassword is on: check the instance in the RDS console`, this);
                }
                return arn;
            });
            this.masterUserSecretArn = secretArn;
            // Read at every deployment, so a rotation by Secrets Manager reaches the providers that use it.
            const version = sdk.secretsmanager.getSecretVersionOutput({ secretId: secretArn }, { parent: this });
            // Secret before it is parsed, so no plain Output ever holds the password.
            this.adminPassword = pulumi
                .all([pulumi.secret(version.secretString), secretArn])
                .apply(([s, arn]) => passwordFromSecretString(s, arn));
        } else {
            this.masterUserSecretArn = pulumi.output(undefined);
            this.adminPassword = pulumi.secret(password!);
        }

        this.registerOutputs({
            instance: this.instance,
            address: this.address,
            port: this.port,
            endpoint: this.endpoint,
            adminUser: this.adminUser,
            adminPassword: this.adminPassword,
            engine: this.engine,
            securityGroupId: this.securityGroupId,
            parameterGroupName: this.parameterGroupName,
            subnetGroupName: this.subnetGroupName,
            arn: this.arn,
            masterUserSecretArn: this.masterUserSecretArn,
        });
    }
}
