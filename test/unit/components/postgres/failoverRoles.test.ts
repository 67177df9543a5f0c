/**
 * FailoverRoles (seed 004) and its place in AirflowDeploymentDatabase, under Pulumi's mocks, for both
 * user-management models, in update and preview mode.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { deploymentNames } from "../../../../components/names";
import { ROLE_MEMBERSHIP_KIND } from "../../../../engines/postgres/membership";

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const ADMIN_PASSWORD = "admin-pw-never-in-the-provider";
const DYNAMIC = "pulumi-nodejs:dynamic:Resource";
const release = "amateur-sunspot-5075";
const names = deploymentNames(release);

interface Seen { type: string; name: string; inputs: Record<string, any> }
interface Registered { resource: pulumi.Resource; type: string; name: string; opts: pulumi.CustomResourceOptions; props: Record<string, unknown> }

const value = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply(resolve));
const isSecretInput = (v: unknown) => !!v && typeof v === "object" && SECRET_SIG in (v as object);

for (const preview of [false, true]) {
    describe(`FailoverRoles (${preview ? "preview" : "update"} mode)`, () => {
        let seen: Seen[];
        let registered: Registered[];
        let mod: typeof import("../../../../components/postgres/failoverRoles");
        let deploymentMod: typeof import("../../../../components/airflowDeployment");
        let postgresql: typeof import("@pulumi/postgresql");

        beforeEach(async () => {
            seen = [];
            registered = [];
            pulumi.runtime.setMocks({
                newResource: (a) => {
                    seen.push({ type: a.type, name: a.name, inputs: a.inputs });
                    const extra = !preview && a.type === "random:index/randomPassword:RandomPassword" ? { result: `pw-${a.name}` } : {};
                    return { id: `${a.name}-id`, state: { ...a.inputs, ...extra } };
                },
                call: (a) => { throw new Error(`Mock not implemented: ${a.token}`); },
            }, "astro-db", "test", preview);
            mod = await import("../../../../components/postgres/failoverRoles");
            deploymentMod = await import("../../../../components/airflowDeployment");
            postgresql = await import("@pulumi/postgresql");
        });

        /** Records every child's type, name and options (transformations see what the mocks do not). */
        const record: pulumi.ResourceTransformation = (a) => {
            registered.push({ resource: a.resource, type: a.type, name: a.name, opts: a.opts as pulumi.CustomResourceOptions, props: a.props });
            return undefined;
        };
        const nameOf = (r: pulumi.Input<pulumi.Resource>) => registered.find((x) => x.resource === r)?.name;
        const settle = () => new Promise((r) => setTimeout(r, 50));

        function make(users: "customer" | "apc", extra: Partial<import("../../../../components/postgres/failoverRoles").FailoverRolesArgs> = {}) {
            return new mod.FailoverRoles(release, {
                ownerRole: names.ownerRole, terminatorRole: names.terminatorRole, loginRoles: names.loginRoles,
                orchestratorUser: "commander_user", users, adminUser: "admin",
                connection: { host: "db.example.com", port: 5432, user: "admin", password: ADMIN_PASSWORD, sslmode: "verify-full" },
                dataRole: users === "customer" ? names.user : undefined,
                ...extra,
            }, { transformations: [record] });
        }

        /** A whole Deployment with failover, its children recorded. */
        const deployment = (users: "customer" | "apc") => new deploymentMod.AirflowDeploymentDatabase(release, {
            release, executor: "CeleryExecutor", pgbouncer: false, names,
            server: { engine: "postgres", host: "db.example.com", port: 5432, adminUser: "admin", sslmode: "require" },
            databaseProvider: new postgresql.Provider("pg", { host: "db.example.com", username: "admin", password: pulumi.secret("x"), superuser: false }),
            failover: { users, orchestratorUser: "commander_user", planes: ["dp1", "dp2"] },
            adminPassword: pulumi.secret(ADMIN_PASSWORD),
        }, { transformations: [record] });

        /** In registration order (the order `sql` and `apply` run them), not the order the mocks saw them. */
        const memberships = () => seen.filter((r) => r.type === DYNAMIC)
            .sort((a, b) => registered.findIndex((r) => r.name === a.name) - registered.findIndex((r) => r.name === b.name))
            .map((r) => ({ name: r.name, role: r.inputs.role, member: r.inputs.member, inherit: r.inputs.inherit, set: r.inputs.set, admin: r.inputs.admin }));

        it("customer model: owner NOLOGIN, terminator NOLOGIN NOINHERIT, two login roles with generated secret passwords", async () => {
            const f = make("customer");
            await settle();
            const roles = seen.filter((r) => r.type === "postgresql:index/role:Role");
            assert.deepStrictEqual(roles.map((r) => [r.name, r.inputs.name, r.inputs.login, r.inputs.inherit ?? true]), [
                [`${release}-owner-role`, "airflow_db_amateur_sunspot_5075_owner", false, true],
                [`${release}-terminator-role`, "airflow_conn_killer_amateur_sunspot_5075", false, false],
                [`${release}-dp1-login-role`, "dp1_user_amateur_sunspot_5075", true, true],
                [`${release}-dp2-login-role`, "dp2_user_amateur_sunspot_5075", true, true],
            ]);
            for (const r of roles.slice(2)) {
                assert.ok(preview || isSecretInput(r.inputs.password), `${r.name} password is sent as a secret`);
                // Every session of a login role runs as the Deployment's data role, so what it creates is the data role's.
                assert.strictEqual(r.inputs.assumeRole, names.user, `${r.name} switches to the data role at login`);
                assert.strictEqual(r.inputs.searchPaths, undefined, "public needs no search_path");
            }
            assert.deepStrictEqual(seen.filter((r) => r.type === "random:index/randomPassword:RandomPassword").map((r) => r.name), [`${release}-dp1-password`, `${release}-dp2-password`]);
            for (const p of f.loginPasswords!) assert.strictEqual(await pulumi.isSecret(p), true);
            if (!preview) assert.deepStrictEqual(await Promise.all(f.loginPasswords!.map(value)), [`pw-${release}-dp1-password`, `pw-${release}-dp2-password`]);
            for (const r of registered.filter((x) => x.type === "postgresql:index/role:Role")) {
                assert.strictEqual(r.opts.retainOnDelete, true, `${r.name} is retained on delete`);
                // The provider's Role update revokes every membership not in `roles`: the
                // RoleMembership grants must never be undone by a refreshed `roles`.
                assert.deepStrictEqual(r.opts.ignoreChanges, ["roles"], `${r.name} ignores changes to roles`);
            }
            if (!preview) assert.strictEqual(await value(f.databaseOwner), names.ownerRole);
        });

        it("customer model: login roles to the terminator WITH INHERIT FALSE, SET FALSE; owner and terminator to the orchestrator; in that order", async () => {
            make("customer");
            await settle();
            const m = memberships();
            assert.deepStrictEqual(m.map(({ name, ...rest }) => [name, rest]), [
                // The admin (RDS's master user) holds the owner's privileges, so its grants on the owner's database take effect.
                [`${release}-admin-owner`, { role: "airflow_db_amateur_sunspot_5075_owner", member: "admin", inherit: true, set: true, admin: false }],
                [`${release}-dp1-terminator-membership`, { role: "dp1_user_amateur_sunspot_5075", member: "airflow_conn_killer_amateur_sunspot_5075", inherit: false, set: false, admin: false }],
                [`${release}-dp2-terminator-membership`, { role: "dp2_user_amateur_sunspot_5075", member: "airflow_conn_killer_amateur_sunspot_5075", inherit: false, set: false, admin: false }],
                [`${release}-orchestrator-owner`, { role: "airflow_db_amateur_sunspot_5075_owner", member: "commander_user", inherit: true, set: true, admin: false }],
                [`${release}-orchestrator-terminator`, { role: "airflow_conn_killer_amateur_sunspot_5075", member: "commander_user", inherit: true, set: true, admin: false }],
            ]);
            for (const r of seen.filter((x) => x.type === DYNAMIC)) assert.strictEqual(r.inputs.__kind, ROLE_MEMBERSHIP_KIND);
            // Privileges, not data: every membership is revoked when it leaves the stack.
            for (const r of registered.filter((x) => x.type === DYNAMIC)) assert.ok(!r.opts.retainOnDelete, `${r.name} is not retained on delete`);
            // The orchestrator gets the terminator only once the terminator's own memberships (INHERIT FALSE, SET FALSE)
            // are in place; the others wait for nothing but their roles.
            const deps = (n: string) => ([] as pulumi.Input<pulumi.Resource>[]).concat((registered.find((r) => r.name === `${release}-${n}`)!.opts.dependsOn ?? []) as pulumi.Input<pulumi.Resource>[]).map((r) => nameOf(r as pulumi.Resource));
            assert.deepStrictEqual(deps("orchestrator-terminator"), [`${release}-dp1-terminator-membership`, `${release}-dp2-terminator-membership`]);
            for (const n of ["admin-owner", "dp1-terminator-membership", "dp2-terminator-membership", "orchestrator-owner"]) assert.deepStrictEqual(deps(n), [], n);
        });

        it("keeps the connection secret and out of the serialized provider", async function () {
            make("customer");
            await settle();
            for (const r of seen.filter((x) => x.type === DYNAMIC)) {
                if (!preview) assert.ok(isSecretInput(r.inputs.connection), `${r.name} connection is sent as a secret`);
                assert.strictEqual(typeof r.inputs.__provider, "string");
                assert.ok(!r.inputs.__provider.includes(ADMIN_PASSWORD), "the serialized provider holds no credential");
                assert.ok(!r.inputs.__provider.includes("db.example.com"), "nor the server");
            }
            if (!preview) {
                const conn = seen.find((x) => x.type === DYNAMIC)!.inputs.connection.value;
                assert.deepStrictEqual(conn, { host: "db.example.com", port: 5432, user: "admin", password: ADMIN_PASSWORD, database: "postgres", sslmode: "verify-full" });
            }
            for (const r of registered.filter((x) => x.type === DYNAMIC)) {
                assert.ok(r.opts.additionalSecretOutputs?.includes("connection"), `${r.name} stores its connection as a secret output`);
            }
        });

        it("apc model: only the owner and terminator roles and the orchestrator's grants", async () => {
            const f = make("apc");
            await settle();
            assert.deepStrictEqual(seen.filter((r) => r.type === "postgresql:index/role:Role").map((r) => r.inputs.name), [names.ownerRole, names.terminatorRole]);
            assert.strictEqual(seen.filter((r) => r.type === "random:index/randomPassword:RandomPassword").length, 0);
            assert.deepStrictEqual(memberships().map((m) => [m.role, m.member, m.inherit, m.set]), [
                [names.ownerRole, "admin", true, true],
                [names.ownerRole, "commander_user", true, true],
                [names.terminatorRole, "commander_user", true, true],
            ]);
            assert.deepStrictEqual(f.connectRoles, {});
            assert.strictEqual(f.loginPasswords, undefined);
        });

        it("grants pg_signal_backend to the terminator only when asked (terminate: pg_signal_backend)", async () => {
            make("customer", { terminate: "pg_signal_backend" });
            await settle();
            assert.deepStrictEqual(memberships().filter((m) => m.role === "pg_signal_backend").map((m) => [m.member, m.inherit, m.set]), [[names.terminatorRole, true, false]]);
        });

        it("grants an admin that cannot signal on its own the login roles WITH INHERIT TRUE, SET FALSE, listed before the orchestrator's grants", async () => {
            make("customer", { adminSignals: false, adminUser: "createrole_admin" });
            await settle();
            const m = memberships().map((x) => [x.role, x.member, x.inherit, x.set]);
            const admin = m.filter((x) => x[1] === "createrole_admin" && x[0] !== names.ownerRole);
            assert.deepStrictEqual(admin, names.loginRoles.map((r) => [r, "createrole_admin", true, false]));
            assert.ok(m.indexOf(admin[1]) < m.findIndex((x) => x[1] === "commander_user"));
        });

        it("without adminUser, the admin is the connection's user (owner membership, login roles)", async () => {
            make("customer", { adminSignals: false, adminUser: undefined });
            await settle();
            const m = memberships().filter((x) => x.member === "admin").map((x) => x.role).sort();
            assert.deepStrictEqual(m, [names.ownerRole, ...names.loginRoles].sort());
        });

        it("refuses conflicting arguments, and customer-managed users without the data role they need to use Airflow's tables", () => {
            assert.throws(() => make("customer", { planes: ["dp1", "dp1"] }), /two different names/);
            assert.throws(() => make("apc", { loginPasswords: ["a", "b"] }), /users: apc and loginPasswords cannot both be set/);
            assert.throws(() => make("apc", { dataRole: names.user }), /users: apc and dataRole cannot both be set/);
            assert.throws(() => make("customer", { dataRole: undefined }), /users: customer needs dataRole/);
        });

        it("gives the login roles the Deployment's schema as search_path when it is not public", async () => {
            make("customer", { searchPath: ["airflow"] });
            await settle();
            for (const r of seen.filter((x) => x.type === "postgresql:index/role:Role" && x.inputs.login)) assert.deepStrictEqual(r.inputs.searchPaths, ["airflow"]);
        });

        it("in a Deployment: the owner role owns the database, the first plane gets CONNECT in the one grant chain (changes ignored), the Astro role is the login roles' shared data role", async () => {
            const d = deployment("customer");
            await settle();
            const db = seen.find((r) => r.type === "postgresql:index/database:Database")!;
            if (!preview) assert.strictEqual(db.inputs.owner, names.ownerRole);
            const dbReg = registered.find((r) => r.type === "postgresql:index/database:Database")!;
            const ownerDeps = await (dbReg.props.owner as unknown as { resources(): Promise<Set<pulumi.Resource>> }).resources();
            assert.deepStrictEqual([...ownerDeps].map(nameOf), [`${release}-owner-role`], "the database waits for the owner role");
            assert.deepStrictEqual(([] as unknown[]).concat(dbReg.opts.dependsOn).map((r) => nameOf(r as pulumi.Resource)), [`${release}-admin-owner`],
                "and for the admin's membership in it: GRANT/REVOKE ON DATABASE by a non-owner is only a warning");
            // Grants are revoked when they leave the stack, unless the database leaves too (nothing to revoke then).
            for (const g of registered.filter((r) => r.type === "postgresql:index/grant:Grant" || r.type === "postgresql:index/defaultPrivileges:DefaultPrivileges")) {
                assert.ok(!g.opts.retainOnDelete, `${g.name} is not retained on delete`);
                assert.strictEqual(g.opts.deletedWith, d.access.database, `${g.name} is deleted with the database`);
            }

            const grants = registered.filter((r) => r.type === "postgresql:index/grant:Grant" && r.props.objectType === "database");
            assert.deepStrictEqual(grants.map((g) => g.name), [`${release}-public-connect`, `${release}-dp1-connect`, `${release}-dp2-connect`, `${release}-database-grant`]);
            const publicGrant = seen.find((r) => r.name === `${release}-public-connect`)!;
            assert.deepStrictEqual([publicGrant.inputs.role, publicGrant.inputs.privileges], ["public", ["TEMPORARY"]], "PUBLIC loses CONNECT only");
            // Exactly one plane can connect: the first; a failover moves CONNECT.
            grants.slice(1, 3).forEach((g, i) => {
                assert.deepStrictEqual(g.opts.ignoreChanges, ["privileges"], `${g.name}: a failover moves it, and the next update must not undo that`);
                const input = seen.find((r) => r.name === g.name)!.inputs;
                assert.deepStrictEqual(input.privileges, i === 0 ? ["CONNECT"] : []);
                if (!preview) assert.strictEqual(input.role, names.loginRoles[i]);
            });
            // They all rewrite the database's ACL row: each waits for the one before it.
            grants.slice(1).forEach((g, i) => assert.deepStrictEqual(([] as unknown[]).concat(g.opts.dependsOn).map((r) => nameOf(r as pulumi.Resource)), [grants[i].name]));

            // The Astro role is the shared data role: NOLOGIN, no password, and no CONNECT, which a fenced login role would inherit.
            const astro = seen.find((r) => r.name === `${release}-user`)!;
            assert.deepStrictEqual([astro.inputs.name, astro.inputs.login, astro.inputs.password], [names.user, false, undefined]);
            assert.ok(!seen.some((r) => r.name === `${release}-password`), "no password is generated for it");
            assert.strictEqual(d.access.password, undefined);
            assert.deepStrictEqual(seen.find((r) => r.name === `${release}-database-grant`)!.inputs.privileges, ["CREATE", "TEMPORARY"]);
            // Each login role is its member WITH INHERIT TRUE, SET TRUE, once the role exists.
            const dataRole = registered.filter((r) => r.type === DYNAMIC && /-data-role$/.test(r.name));
            assert.deepStrictEqual(dataRole.map((r) => r.name), [`${release}-dp1-data-role`, `${release}-dp2-data-role`]);
            assert.deepStrictEqual(([] as unknown[]).concat(dataRole[0].opts.dependsOn).map((r) => nameOf(r as pulumi.Resource)), [`${release}-user`]);
            assert.deepStrictEqual(([] as unknown[]).concat(dataRole[1].opts.dependsOn).map((r) => nameOf(r as pulumi.Resource)), [`${release}-user`]);
            const dataRoleInputs = seen.filter((r) => r.type === DYNAMIC && /-data-role$/.test(r.name)).map((r) => [r.inputs.role, r.inputs.member, r.inputs.inherit, r.inputs.set, r.inputs.admin]);
            if (!preview) assert.deepStrictEqual(dataRoleInputs, names.loginRoles.map((l) => [names.user, l, true, true, false]));
            for (const r of dataRole) assert.ok(!r.opts.retainOnDelete, `${r.name} is revoked when it leaves the stack`);
            if (!preview) for (const r of seen.filter((x) => /-data-role$/.test(x.name))) assert.ok(isSecretInput(r.inputs.connection), `${r.name} connection is sent as a secret`);
            // No login role is a member of the owner role (it could grant itself CONNECT back).
            assert.ok(!memberships().some((m) => m.role === names.ownerRole && names.loginRoles.includes(m.member)));

            assert.ok(d.failover);
            for (const plane of ["dp1", "dp2"]) {
                const c = d.planeConnections![plane];
                assert.strictEqual(await pulumi.isSecret(c), true);
                if (!preview) assert.ok((await value(c)).startsWith(`postgresql://${plane}_user_amateur_sunspot_5075:`));
            }
            // The Deployment-level connection (Houston, values) is the first plane's login role.
            for (const o of [d.metadataConnection, d.resultBackendConnection, d.houstonVariables] as pulumi.Output<unknown>[]) assert.strictEqual(await pulumi.isSecret(o), true);
            if (!preview) {
                assert.strictEqual(await value(d.connectionUser), names.loginRoles[0]);
                assert.strictEqual(await value(d.userName), names.user);
                assert.strictEqual(await value(d.metadataConnection), await value(d.planeConnections!.dp1));
                const vars = (await value(d.houstonVariables)) as { upsertDeployment: { metadataConnection: string } };
                assert.ok(vars.upsertDeployment.metadataConnection.startsWith(`postgresql://${names.loginRoles[0]}:`));
            }
        });

        it("in a Deployment with apc-managed users: the Astro user stays a login user with CONNECT, and connects", async () => {
            const d = deployment("apc");
            await settle();
            const astro = seen.find((r) => r.name === `${release}-user`)!;
            assert.strictEqual(astro.inputs.login, true);
            assert.deepStrictEqual(seen.find((r) => r.name === `${release}-database-grant`)!.inputs.privileges, ["CONNECT", "CREATE", "TEMPORARY"]);
            assert.ok(!seen.some((r) => /-(connect|data-role)$/.test(r.name) && r.name !== `${release}-public-connect`));
            if (!preview) assert.strictEqual(await value(d.connectionUser), names.user);
        });
    });
}
