/** What `plan --against` flags for a reviewer, worst first (cli/compare.ts, cli/capacity.ts produce them). */

/** Worst first: `--fail-on <s>` fails on a finding of severity s or worse. */
export const SEVERITIES = ["drop", "replace", "capacity", "revoke", "forget", "change"] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Finding {
    /**
     * drop: data is deleted; replace: the RDS server (or its endpoint) is replaced, or the guard
     * against that is lifted; capacity: a server's Deployments may take more than its threshold of
     * its connection slots (every Deployment on it fails when it is full); revoke: a grant or role
     * membership leaves the stack (or is replaced) while its database and roles stay, so `pulumi up`
     * revokes it (what held it loses access); forget: a database or role
     * leaves the stack but stays on the server;
     * change: an in-place change a reviewer must see (a minor engine version).
     */
    severity: Severity;
    resource: string;
    message: string;
}
