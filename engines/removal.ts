/**
 * Translator for DatabaseRemoval (components/databaseRemoval.ts), the dated step that drops an
 * expired Deployment's database and roles. `sql` prints it so a DBA sees the drop for review, behind
 * a psql variable (`psql -v confirm_drop=1`): a script handed over never drops by accident. It
 * declares no fact, so `apply` never runs it (only `pulumi up` drops) and `audit` checks nothing for it.
 */
import { EngineKind, SqlStep, Translator, unknownEngine } from "./model";
import * as mysql from "./mysql/statements";
import * as postgres from "./postgres/statements";

export const REMOVAL_KIND = "DatabaseRemoval";
/** The psql variable that must be set for the printed script to drop an expired Deployment. */
export const CONFIRM_DROP_VARIABLE = "confirm_drop";

/** The statements a removal of `database` and its roles (users) runs, in order. */
export function removalStatements(engine: EngineKind, database: string, roles: string[]): string[] {
    switch (engine) {
        case "postgres": return postgres.removalStatements(database, roles);
        case "mysql": return mysql.removalStatements(database, roles);
        default: return unknownEngine(engine);
    }
}

export const removalTranslator: Translator = (r) => {
    const engine = r.inputs.engine as EngineKind;
    const database = String(r.inputs.database);
    const roles = (r.inputs.roles as string[]) ?? [];
    const step: SqlStep = {
        engine, resource: { type: r.type, name: r.name }, server: "",
        kind: "removal",
        action: "ensure",
        // Runs only with `psql -v confirm_drop=1` exactly (engines/postgres/render.ts): not 0, yes or merely set.
        confirm: CONFIRM_DROP_VARIABLE,
        // DROP DATABASE cannot run inside a transaction block.
        transactional: false,
        statements: () => removalStatements(engine, database, roles),
        declares: [],
    };
    return [step];
};
