import * as assert from "assert";
import { liveCapacity } from "../../../cli/capacityLive";
import { parseStackConfig } from "../../../stacks/config";

describe("connection capacity: live sessions attributed to Deployments", () => {
    it("counts a failover Deployment's login roles (either plane) as that Deployment, once, and the rest as other", () => {
        const spec = parseStackConfig("dev", {
            servers: JSON.stringify([{ name: "main", existing: { host: "db.example.com", adminUser: "admin", maxConnections: 100 } }]),
            deployments: JSON.stringify([
                { release: "amateur-sunspot-5075", pgbouncer: true, failover: { orchestratorUser: "commander_user" } },
                { release: "quasar-nebula-1234", executor: "KubernetesExecutor", connections: { maxConnections: 2 } },
            ]),
        });
        const live = liveCapacity(spec.servers[0], spec.deployments, {
            maxConnections: 100,
            reserved: [{ setting: "superuser_reserved_connections", slots: 3 }],
            sessions: [
                { database: "airflow_db_amateur_sunspot_5075", user: "dp1_user_amateur_sunspot_5075", count: 4 },
                { database: "airflow_db_amateur_sunspot_5075", user: "dp2_user_amateur_sunspot_5075", count: 1 },
                { database: "postgres", user: "astro_quasar_nebula_1234", count: 3 },
                { database: "airflow_db_quasar_nebula_1234", user: "admin", count: 1 },
                { database: "postgres", user: "admin", count: 2 },
            ],
        });
        assert.deepStrictEqual(live.deployments.map((d) => [d.release, d.sessions, d.estimate, d.above]), [["amateur-sunspot-5075", 5, 15, false], ["quasar-nebula-1234", 4, 2, true]]);
        assert.deepStrictEqual(live.deployments[1].by, { "postgres/astro_quasar_nebula_1234": 3, "airflow_db_quasar_nebula_1234/admin": 1 });
        assert.deepStrictEqual([live.available, live.inUse, live.headroom, live.other], [97, 11, 86, 2]);
    });
});
