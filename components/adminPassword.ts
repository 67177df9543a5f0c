/**
 * The admin password of the dynamic providers (RoleMembership, FenceFunction, DatabaseRemoval),
 * resolved when the provider runs, never frozen in state (RDS rotates a password it manages: README
 * "RDS server (`components/aws`)"): `passwordSecretArn` (read with the AWS SDK, loaded only then),
 * `password` (given by the stack), or neither (PGPASSWORD / ~/.pgpass). The providers' diff ignores the ARN (where to read the
 * password is no part of a resource) but not a given password, so a changed one is stored (update).
 */

import type * as pulumi from "@pulumi/pulumi";

/** Where a provider finds the admin password (see the module comment). */
export interface AdminPasswordSource {
    password?: string;
    /** ARN of the RDS-managed master user secret (`{"username": ..., "password": ...}`). */
    passwordSecretArn?: string;
}

/** `c` without `passwordSecretArn`, for a diff. */
/** A dynamic resource's options with its stored admin `connection` output a secret too (masked in diffs, encrypted in state). */
export function connectionSecretOptions(opts: pulumi.CustomResourceOptions = {}): pulumi.CustomResourceOptions {
    return { ...opts, additionalSecretOutputs: [...(opts.additionalSecretOutputs ?? []), "connection"] };
}

export function withoutSecretArn<T extends AdminPasswordSource>(c: T): Omit<T, "passwordSecretArn"> {
    const { passwordSecretArn: _arn, ...rest } = c;
    return rest;
}

/** The master password in an RDS-managed secret's JSON (`{"username": ..., "password": ...}`). */
export function passwordFromSecretString(secretString: string, secretArn: string): string {
    let parsed: unknown;
    try {
        parsed = JSON.parse(secretString);
    } catch {
        throw new Error(`the master user secret ${secretArn} is not JSON: RDS-managed secrets hold {"username","password"}`);
    }
    const password = (parsed as { password?: unknown } | null)?.password;
    if (typeof password !== "string" || password.length === 0) {
        throw new Error(`the master user secret ${secretArn} has no "password" field`);
    }
    return password;
}

/** The region of a Secrets Manager ARN: `arn:aws:secretsmanager:<region>:<account>:secret:<name>`. */
export function secretRegion(arn: string): string {
    const parts = arn.split(":");
    if (parts.length < 7 || parts[0] !== "arn" || parts[2] !== "secretsmanager" || parts[3] === "") {
        throw new Error(`"${arn}" is not a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)`);
    }
    return parts[3];
}

/** The current password in the RDS-managed secret, read now (each call reads again: a rotation shows at once). */
export async function readSecretPassword(arn: string): Promise<string> {
    // Loaded here, not captured: the serialized provider then carries a require, nothing else.
    let sdk: typeof import("@aws-sdk/client-secrets-manager");
    try {
        sdk = require("@aws-sdk/client-secrets-manager") as typeof import("@aws-sdk/client-secrets-manager");
    } catch (err) {
        throw new Error(`reading the master user secret ${arn} needs the npm package @aws-sdk/client-secrets-manager (npm ci): ${(err as Error).message}`);
    }
    const client = new sdk.SecretsManagerClient({ region: secretRegion(arn) });
    try {
        const out = await client.send(new sdk.GetSecretValueCommand({ SecretId: arn }));
        if (typeof out.SecretString !== "string") throw new Error(`the master user secret ${arn} has no SecretString`);
        return passwordFromSecretString(out.SecretString, arn);
    } catch (err) {
        const e = err as Error;
        if (/master user secret/.test(e.message)) throw e;
        throw new Error(`cannot read the master user secret ${arn} (AWS credentials where pulumi runs need secretsmanager:GetSecretValue, and kms:Decrypt for its key): ${e.name}: ${e.message}`);
    } finally {
        client.destroy();
    }
}

/** The password to log in with now: the secret's current value, else the given one, else undefined (PGPASSWORD). */
export async function resolveAdminPassword(c: AdminPasswordSource): Promise<string | undefined> {
    if (c.passwordSecretArn !== undefined && c.passwordSecretArn !== "") return readSecretPassword(c.passwordSecretArn);
    return c.password;
}
