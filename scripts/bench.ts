/**
 * Timings, kept out of the tests: how long the offline machinery takes per stack (the stack program
 * under Pulumi's mocks, then its SQL), so a slow change shows up here instead of as a flaky test.
 * Run with `npm run bench [-- <iterations>]`.
 */
import { performance } from "perf_hooks";
import { runStackGraph } from "../cli/graph";
import { graphSql } from "../cli/sql/command";

async function main() {
    const iterations = Number(process.argv[2] ?? 5);
    const rows: { stack: string; resources: number; planMs: number; sqlMs: number }[] = [];
    for (const stack of ["local", "dev", "staging", "prod", "mysql-dev"]) {
        let planMs = 0;
        let sqlMs = 0;
        let resources = 0;
        for (let i = 0; i < iterations; i++) {
            const t0 = performance.now();
            const graph = await runStackGraph(stack);
            const t1 = performance.now();
            graphSql(graph);
            const t2 = performance.now();
            planMs += t1 - t0;
            sqlMs += t2 - t1;
            resources = graph.resources.length;
        }
        rows.push({ stack, resources, planMs: planMs / iterations, sqlMs: sqlMs / iterations });
    }
    console.log(`mean of ${iterations} runs`);
    console.table(rows.map((r) => ({ stack: r.stack, resources: r.resources, "plan ms": r.planMs.toFixed(1), "sql ms": r.sqlMs.toFixed(1) })));
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
