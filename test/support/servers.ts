/**
 * Real-server harness for integration tests: cli/localServers.ts (which the demo and the bench use
 * too), plus requireOrSkip for mocha hooks.
 */
import { type DbServer, errorMessage, INSTALL_HINT, serversRequired } from "../../cli/localServers";

export * from "../../cli/localServers";

/**
 * Runs `start` from a mocha hook or test. If it fails: rethrows when
 * serversRequired(), otherwise skips the test (a `before` hook skips the whole
 * suite) after printing why and how to install the servers.
 */
export async function requireOrSkip<T extends DbServer>(ctx: Mocha.Context, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    if (serversRequired()) throw err;
    // Mocha's skip() takes no reason, so print it where the developer will see it.
    const where = ctx.test?.parent?.fullTitle() || ctx.test?.title || "test";
    const reason = errorMessage(err);
    const hint = reason.includes(INSTALL_HINT) ? "" : `  [servers] install the servers with: ${INSTALL_HINT}\n`;
    console.warn(
      `\n  [servers] skipping "${where}": ${reason}\n${hint}` +
        "  [servers] set ASTRO_DB_REQUIRE_SERVERS=1 (or CI=true) to fail instead of skipping\n",
    );
    return ctx.skip();
  }
}
