/**
 * README "Tests": a server that cannot start skips its tests on a developer's machine, and fails the
 * run when CI=true or ASTRO_DB_REQUIRE_SERVERS=1.
 */
import assert from "node:assert/strict";
import { requireOrSkip, serversRequired, ServerUnavailableError } from "../../support/servers";

describe("ASTRO_DB_REQUIRE_SERVERS and CI: a server that cannot start", () => {
    const saved = { CI: process.env.CI, REQUIRE: process.env.ASTRO_DB_REQUIRE_SERVERS };
    afterEach(() => {
        if (saved.CI === undefined) delete process.env.CI; else process.env.CI = saved.CI;
        if (saved.REQUIRE === undefined) delete process.env.ASTRO_DB_REQUIRE_SERVERS; else process.env.ASTRO_DB_REQUIRE_SERVERS = saved.REQUIRE;
    });

    /** requireOrSkip with a server that never starts: "skipped", or the error it rethrew. */
    async function outcome(): Promise<string> {
        const skipped = new Error("skipped");
        const ctx = { skip: () => { throw skipped; }, test: { title: "a test" } } as unknown as Mocha.Context;
        const warn = console.warn;
        console.warn = () => undefined;
        try {
            await requireOrSkip(ctx, () => Promise.reject(new ServerUnavailableError("no server here")));
            return "started";
        } catch (err) {
            return err === skipped ? "skipped" : (err as Error).message;
        } finally {
            console.warn = warn;
        }
    }

    it("skips when neither is set, fails with ASTRO_DB_REQUIRE_SERVERS=1 or CI=true", async () => {
        delete process.env.CI;
        delete process.env.ASTRO_DB_REQUIRE_SERVERS;
        assert.equal(serversRequired(), false);
        assert.equal(await outcome(), "skipped");
        process.env.ASTRO_DB_REQUIRE_SERVERS = "1";
        assert.match(await outcome(), /no server here/);
        delete process.env.ASTRO_DB_REQUIRE_SERVERS;
        process.env.CI = "true";
        assert.match(await outcome(), /no server here/);
    });
});
