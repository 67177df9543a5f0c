/**
 * MySQL declarations against the live state: whether each holds, and every difference as a finding.
 * Pure code over the state catalog.ts reads.
 *
 * A Grant's privileges are compared with everything its account holds on the same level and target:
 * one the stack does not list is "extra". `apply` follows the provider, which only GRANTs, so it runs a
 * grant when a declared privilege is missing and leaves extras to whoever reads the audit. Beyond the
 * declarations, the audit reports any privilege of a declared account elsewhere (the Astro user has no
 * right outside its own database) and any other account's privilege on a declared database.
 */
import { databaseOfGrantPattern } from "./privileges";
import type { DeclarationResult, Finding, MysqlDeclaration } from "../model";
import { accountKey, MysqlState, PrivilegeRow } from "./catalog";

type Decl<T extends MysqlDeclaration["type"]> = Extract<MysqlDeclaration, { type: T }>;

const bq = (s: string) => `\`${s.replace(/`/g, "``")}\``;
const acct = (user: string, host: string) => `'${user}'@'${host}'`;

export const mysqlLabel = {
    database: (name: string) => `database ${bq(name)}`,
    account: (user: string, host: string) => `user ${acct(user, host)}`,
    /** A GRANT level: `airflow\_db\_x`.* as written. */
    level: (database: string, table: string) => `${bq(database)}.${table === "*" ? "*" : bq(table)}`,
};

const OK: DeclarationResult = { status: "ok", findings: [] };

function absent(f: Finding): DeclarationResult {
    return { status: "absent", findings: [f] };
}

function missingDatabase(name: string): Finding {
    return { status: "missing", object: mysqlLabel.database(name), message: `database ${bq(name)} does not exist` };
}

function missingAccount(user: string, host: string): Finding {
    return { status: "missing", object: mysqlLabel.account(user, host), grantee: acct(user, host), message: `user ${acct(user, host)} does not exist` };
}

/** mysql.user's ssl_type as a REQUIRE clause. */
export function requireClause(sslType: string): string {
    switch (sslType.toUpperCase()) {
        case "": return "NONE";
        case "ANY": return "SSL";
        default: return sslType.toUpperCase();
    }
}

function heldAt(state: MysqlState, d: Decl<"privileges">): PrivilegeRow[] {
    return state.privileges.filter((p) => p.user === d.user && p.host === d.host &&
        (d.table === "*" ? p.level === "database" && p.database === d.database : p.level === "table" && p.database === d.database && p.object === d.table));
}

function checkPrivileges(d: Decl<"privileges">, state: MysqlState): DeclarationResult {
    if (!state.accounts.has(accountKey(d.user, d.host))) return absent(missingAccount(d.user, d.host));
    const rows = heldAt(state, d);
    const held = new Set(rows.map((r) => r.privilege));
    const grantee = acct(d.user, d.host);
    const object = mysqlLabel.level(d.database, d.table);
    const missing = d.privileges.filter((p) => !held.has(p));
    const extra = [...held].filter((p) => !d.privileges.includes(p)).sort();
    const grantable = rows.filter((r) => r.grantable).map((r) => r.privilege).sort();
    const findings: Finding[] = [];
    if (missing.length) findings.push({ status: "missing", object, grantee, privileges: missing, message: `${grantee} lacks ${missing.join(", ")} on ${object}` });
    if (extra.length) findings.push({ status: "extra", object, grantee, privileges: extra, message: `${grantee} has ${extra.join(", ")} on ${object}, which the stack does not declare` });
    if (grantable.length) {
        findings.push({ status: "different", object, grantee, privileges: grantable, expected: false, actual: true, message: `${grantee} holds ${grantable.join(", ")} on ${object} with GRANT OPTION, which the stack does not declare` });
    }
    if (!findings.length) return OK;
    return { status: held.size === 0 ? "absent" : "different", findings };
}

/** Whether a declaration holds on the server, and every difference if not. */
export function checkMysqlDeclaration(d: MysqlDeclaration, state: MysqlState): DeclarationResult {
    switch (d.type) {
        case "database":
            return state.databases.has(d.name) ? OK : absent(missingDatabase(d.name));
        case "database-charset": {
            const db = state.databases.get(d.name);
            if (!db) return absent(missingDatabase(d.name));
            const findings: Finding[] = [];
            for (const [what, want, have] of [["character set", d.characterSet, db.characterSet], ["collation", d.collation, db.collation]] as const) {
                if (want.toLowerCase() !== have.toLowerCase()) {
                    findings.push({ status: "different", object: mysqlLabel.database(d.name), expected: want, actual: have, message: `database ${bq(d.name)}: ${what} is ${have}, the stack declares ${want}` });
                }
            }
            return findings.length ? { status: "different", findings } : OK;
        }
        case "user":
            return state.accounts.has(accountKey(d.user, d.host)) ? OK : absent(missingAccount(d.user, d.host));
        case "user-tls": {
            const a = state.accounts.get(accountKey(d.user, d.host));
            if (!a) return absent(missingAccount(d.user, d.host));
            const have = requireClause(a.sslType);
            if (have === d.tlsOption) return OK;
            return { status: "different", findings: [{ status: "different", object: mysqlLabel.account(d.user, d.host), grantee: acct(d.user, d.host), expected: d.tlsOption, actual: have, message: `user ${acct(d.user, d.host)} has REQUIRE ${have}, the stack declares REQUIRE ${d.tlsOption}` }] };
        }
        case "privileges":
            return checkPrivileges(d, state);
    }
}

/** Whether `apply` must run the step that declares `d`: what it can create or change is not there. */
export function mysqlNeedsRun(d: MysqlDeclaration, r: DeclarationResult): boolean {
    if (d.type === "privileges") return r.status === "absent" || r.findings.some((f) => f.status === "missing");
    return r.status !== "ok";
}

/** MySQL's LIKE-style match of a GRANT database pattern (`_` one character, `%` any, `\` escapes). */
export function patternMatches(pattern: string, name: string): boolean {
    let re = "";
    for (let i = 0; i < pattern.length; i++) {
        const c = pattern[i];
        if (c === "\\" && i + 1 < pattern.length) re += pattern[++i].replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        else if (c === "_") re += ".";
        else if (c === "%") re += ".*";
        else re += c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    }
    return new RegExp(`^${re}$`, "s").test(name);
}

function describe(r: PrivilegeRow): string {
    switch (r.level) {
        case "global": return "*.*";
        case "database": return mysqlLabel.level(r.database!, "*");
        case "table": return `${bq(r.database!)}.${bq(r.object!)}`;
        case "column": return `column ${bq(r.database!)}.${r.object!.split(".").map(bq).join(".")}`;
        case "routine": return `routine ${bq(r.database!)}.${bq(r.object!)}`;
        case "proxy": return `proxy for ${r.object}`;
        case "role": return `role ${r.object}`;
    }
}

/**
 * What nothing declares: privileges of a declared account beyond its declared grants (global USAGE,
 * which every account has, aside), and privileges of other accounts on a declared database (through a
 * pattern that matches it, or on its tables). Accounts with global privileges (the admins) are not
 * reported for the databases they reach through them.
 */
export function undeclaredMysqlFindings(decls: readonly MysqlDeclaration[], state: MysqlState): Finding[] {
    const grants = decls.filter((d): d is Decl<"privileges"> => d.type === "privileges");
    const accounts = new Set([...decls.flatMap((d) => (d.type === "user" ? [accountKey(d.user, d.host)] : [])), ...grants.map((g) => accountKey(g.user, g.host))]);
    const databases = decls.flatMap((d) => (d.type === "database" ? [d.name] : []));
    const declaredLevel = (r: PrivilegeRow) => grants.some((g) => g.user === r.user && g.host === r.host &&
        (g.table === "*" ? r.level === "database" && r.database === g.database : r.level === "table" && r.database === g.database && r.object === g.table));

    const groups = new Map<string, { row: PrivilegeRow; privileges: Set<string> }>();
    for (const r of state.privileges) {
        if (r.level === "global" && r.privilege === "USAGE") continue;
        if (declaredLevel(r)) continue; // compared by checkMysqlDeclaration
        const mine = accounts.has(accountKey(r.user, r.host));
        const onDeclaredDatabase = r.database !== undefined && databases.some((db) => (r.level === "database" ? patternMatches(r.database!, db) : r.database === db));
        if (!mine && !onDeclaredDatabase) continue;
        const key = `${r.user}\0${r.host}\0${r.level}\0${r.database ?? ""}\0${r.object ?? ""}`;
        const g = groups.get(key) ?? { row: r, privileges: new Set<string>() };
        g.privileges.add(r.privilege);
        groups.set(key, g);
    }
    const findings: Finding[] = [];
    for (const { row, privileges } of groups.values()) {
        const grantee = acct(row.user, row.host);
        const object = describe(row);
        const list = [...privileges].sort();
        let why = "";
        if (row.level === "database" && databaseOfGrantPattern(row.database!) === undefined) {
            const reached = databases.filter((db) => patternMatches(row.database!, db));
            why = reached.length ? ` (a pattern: it reaches ${reached.map(bq).join(", ")})` : " (a pattern with wildcards)";
        }
        const what = row.level === "role" || row.level === "proxy" ? object : `${list.join(", ")} on ${object}`;
        findings.push({ status: "extra", object, grantee, privileges: list, message: `${grantee} has ${what}${why}, which the stack does not declare` });
    }
    return findings;
}
