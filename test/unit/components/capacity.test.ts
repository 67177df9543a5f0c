import * as assert from "assert";
import {
    assessServer, checkConnectionSettings, DeploymentInput, estimateDeployment, largerClassThatFits, overMessage,
    rdsDefaultMaxConnections, rdsInstanceMemoryGiB, serverCapacity,
} from "../../../components/capacity";

const GIB = 1024 ** 3;

describe("connection capacity: what a Deployment may hold", () => {
    const cases: [string, DeploymentInput, number, string][] = [
        ["PgBouncer: the chart's two pools (10 + 5)", { release: "a", executor: "CeleryExecutor", pgbouncer: true }, 15, "pgbouncer"],
        ["PgBouncer with bigger pools from config", { release: "a", executor: "KubernetesExecutor", pgbouncer: true, connections: { metadataPoolSize: 20, resultBackendPoolSize: 8 } }, 28, "pgbouncer"],
        // scheduler 15 + 2 DAG processors + webserver 4×15 + triggerer 15 + Celery worker 1 + 16 tasks
        ["Celery without PgBouncer, Airflow defaults", { release: "a", executor: "CeleryExecutor", pgbouncer: false }, 15 + 2 + 60 + 15 + 1 + 16, "airflow"],
        // ... + 32 task pods (parallelism)
        ["Kubernetes without PgBouncer", { release: "a", executor: "KubernetesExecutor", pgbouncer: false }, 15 + 2 + 60 + 15 + 32, "airflow"],
        ["Local without PgBouncer", { release: "a", executor: "LocalExecutor", pgbouncer: false }, 15 + 2 + 60 + 15 + 32, "airflow"],
        // pool 2+0: scheduler 2×2, 4 DAG processors, webserver 4×2, triggerer 2, 3 workers, 3×8 tasks
        ["Celery with smaller pools and more replicas", { release: "a", executor: "CeleryExecutor", pgbouncer: false, connections: { poolSize: 2, maxOverflow: 0, schedulers: 2, workers: 3, workerConcurrency: 8 } }, 4 + 4 + 8 + 2 + 3 + 24, "airflow"],
        ["maxConnections replaces the estimate", { release: "a", executor: "CeleryExecutor", pgbouncer: false, connections: { maxConnections: 42 } }, 42, "maxConnections"],
        ["a failover Deployment counts once", { release: "a", executor: "CeleryExecutor", pgbouncer: true, failover: true }, 15, "pgbouncer"],
    ];
    for (const [name, input, total, basis] of cases) {
        it(name, () => {
            const e = estimateDeployment(input);
            assert.strictEqual(e.total, total);
            assert.strictEqual(e.basis, basis);
            assert.strictEqual(e.parts.reduce((n, p) => n + p.connections, 0), total);
            for (const p of e.parts) assert.ok(p.basis.length > 0, `${p.component} says where its numbers come from`);
        });
    }

    it("refuses settings that do not reach the server or do not fit the executor", () => {
        const keys = (d: DeploymentInput) => checkConnectionSettings(d).map(([k]) => k);
        assert.deepStrictEqual(keys({ release: "a", executor: "CeleryExecutor", pgbouncer: false, connections: { metadataPoolSize: 5 } }), ["metadataPoolSize"]);
        assert.deepStrictEqual(keys({ release: "a", executor: "CeleryExecutor", pgbouncer: true, connections: { poolSize: 5 } }), ["poolSize"]);
        assert.deepStrictEqual(keys({ release: "a", executor: "KubernetesExecutor", pgbouncer: false, connections: { workers: 2 } }), ["workers"]);
        assert.deepStrictEqual(keys({ release: "a", executor: "CeleryExecutor", pgbouncer: false, connections: { parallelism: 2 } }), ["parallelism"]);
        assert.deepStrictEqual(keys({ release: "a", executor: "CeleryExecutor", pgbouncer: false, connections: { maxConnections: 9, poolSize: 2 } }), ["poolSize"]);
        assert.deepStrictEqual(keys({ release: "a", executor: "CeleryExecutor", pgbouncer: false, connections: { poolSize: 2, workers: 2 } }), []);
    });
});

describe("connection capacity: what a server admits", () => {
    const memory: [string, number | undefined][] = [
        ["db.t3.micro", 1], ["db.t4g.medium", 4], ["db.t4g.2xlarge", 32], ["db.m5.large", 8], ["db.m6g.4xlarge", 64],
        ["db.r6g.large", 16], ["db.r6g.xlarge", 32], ["db.r7g.16xlarge", 512], ["db.x2g.large", 32], ["db.m4.large", undefined], ["not-a-class", undefined],
    ];
    for (const [cls, gib] of memory) it(`${cls}: ${gib === undefined ? "not in the table" : `${gib} GiB`}`, () => assert.strictEqual(rdsInstanceMemoryGiB(cls), gib));

    const formula: [string, "postgres" | "mysql", number, number][] = [
        ["PostgreSQL 4 GiB", "postgres", 4, 450],
        ["PostgreSQL 32 GiB", "postgres", 32, 3604],
        ["PostgreSQL 64 GiB is capped at 5000", "postgres", 64, 5000],
        ["MySQL 4 GiB", "mysql", 4, 341],
        ["MySQL 64 GiB (no cap)", "mysql", 64, 5461],
    ];
    for (const [name, engine, gib, max] of formula) it(`RDS default max_connections, ${name}: ${max}`, () => assert.strictEqual(rdsDefaultMaxConnections(engine, gib * GIB), max));

    it("subtracts the reserved slots: PostgreSQL 3, RDS PostgreSQL 3 + 2, MySQL none", () => {
        assert.strictEqual(serverCapacity({ kind: "rds", engine: "postgres", instanceClass: "db.t4g.medium" }).available, 445);
        assert.strictEqual(serverCapacity({ kind: "existing", engine: "postgres", maxConnections: 100 }).available, 97);
        assert.strictEqual(serverCapacity({ kind: "rds", engine: "mysql", instanceClass: "db.t4g.medium" }).available, 341);
    });

    it("takes a parameter-group max_connections over the formula, and says where the number comes from", () => {
        const c = serverCapacity({ kind: "rds", engine: "postgres", instanceClass: "db.t4g.medium", maxConnections: 1000 });
        assert.deepStrictEqual([c.maxConnections, c.available, c.source], [1000, 995, "parameter-group"]);
        assert.strictEqual(serverCapacity({ kind: "rds", engine: "postgres", instanceClass: "db.t4g.medium" }).source, "rds-formula");
    });

    it("does not guess an existing server's or an unknown class's max_connections", () => {
        for (const c of [serverCapacity({ kind: "existing", engine: "postgres" }), serverCapacity({ kind: "rds", engine: "postgres", instanceClass: "db.z1d.large" })]) {
            assert.strictEqual(c.available, undefined);
            assert.match(c.basis, /maxConnections/);
        }
        const a = assessServer({ name: "x", kind: "existing", engine: "postgres" }, [{ release: "a", executor: "CeleryExecutor", pgbouncer: false }]);
        assert.strictEqual(a.over, false);
    });
});

describe("connection capacity: a server's assessment", () => {
    const k8s = (release: string): DeploymentInput => ({ release, executor: "KubernetesExecutor", pgbouncer: false });
    const small = { name: "main", kind: "rds" as const, engine: "postgres" as const, instanceClass: "db.t4g.medium" };

    it("fits: total, headroom, biggest first", () => {
        const a = assessServer(small, [{ release: "b", executor: "CeleryExecutor", pgbouncer: true }, k8s("a")]);
        assert.deepStrictEqual([a.total, a.headroom, a.limit, a.over], [139, 306, 356, false]);
        assert.deepStrictEqual(a.deployments.map((d) => d.release), ["a", "b"]);
    });

    it("does not fit: over the threshold, with the numbers, the server and the fixes", () => {
        const a = assessServer(small, [k8s("a"), k8s("b"), k8s("c")]);
        assert.deepStrictEqual([a.total, a.over, a.usedPercent], [372, true, 84]);
        assert.strictEqual(largerClassThatFits(a), "db.t4g.large");
        const m = overMessage(a);
        for (const part of ["server main", "db.t4g.medium", "372", "445 available", "max_connections 450", "80% threshold (356)", "db.t4g.large fits", "pgbouncer: true", "deployments[].server"]) {
            assert.ok(m.includes(part), `${part} in: ${m}`);
        }
    });

    it("the threshold is configurable", () => {
        assert.strictEqual(assessServer(small, [k8s("a"), k8s("b"), k8s("c")], 90).over, false);
        assert.strictEqual(assessServer(small, [k8s("a")], 20).over, true);
    });
});
