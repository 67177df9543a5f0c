/** What `npm start -- --keep` prints and writes so the README's commands reach its server. */
import assert from "node:assert/strict";
import * as path from "node:path";
import { serverAccess } from "../../../cli/demo";

describe("demo --keep: the exact options for its server, the passwords only in a pgpass file", () => {
    const out = path.join(process.cwd(), "out", "local");
    const a = serverAccess({ host: "127.0.0.1", port: 54321, user: "postgres", password: "pa:ss\\word", out, others: [{ user: "commander_user", password: "s3cret" }] });

    it("prints --admin-url without a password, --host and --port, and where the password is", () => {
        const text = a.lines.join("\n");
        assert.match(text, /npx astro-db apply --stack local --admin-url postgresql:\/\/postgres@127\.0\.0\.1:54321\/postgres --host 127\.0\.0\.1 --port 54321 --out out\/local/);
        assert.match(text, /npx astro-db audit --stack local --admin-url postgresql:\/\/postgres@127\.0\.0\.1:54321\/postgres/);
        assert.match(text, new RegExp(`export PGPASSFILE='${path.join(out, "pgpass")}'`));
        assert.ok(!text.includes("pa:ss") && !text.includes("s3cret"));
    });

    it("writes libpq's pgpass format (':' and '\\' escaped) and a server.env the README sources", () => {
        assert.equal(a.pgpass, "127.0.0.1:54321:*:postgres:pa\\:ss\\\\word\n127.0.0.1:54321:*:commander_user:s3cret\n");
        assert.match(a.env, /^ADMIN_URL='postgresql:\/\/postgres@127\.0\.0\.1:54321\/postgres'$/m);
        assert.match(a.env, /^HOST='127\.0\.0\.1'$/m);
        assert.match(a.env, /^PORT=54321$/m);
        assert.match(a.env, /^export PGHOST='127\.0\.0\.1' PGPORT=54321 PGUSER='postgres' PGDATABASE=postgres$/m);
        assert.ok(!a.env.includes("pa:ss") && !a.env.includes("s3cret"));
    });
});
