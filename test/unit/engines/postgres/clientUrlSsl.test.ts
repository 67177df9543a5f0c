import * as assert from "assert";
import { PG_SSLMODES, pgClientConfig, urlClientConfig } from "../../../../engines/postgres/client";
import { InputError } from "../../../../engines/url";

describe("the CLI's --admin-url sslmode takes the providers' libpq meaning (engines/postgres/client.ts)", () => {
    for (const sslmode of PG_SSLMODES) {
        it(`sslmode=${sslmode}: the CLI's TLS setting equals the dynamic providers'`, () => {
            const cli = urlClientConfig(`postgresql://admin:pw@db.example.com:5432/postgres?sslmode=${sslmode}`, "--admin-url");
            const providers = pgClientConfig({ host: "db.example.com", port: 5432, user: "admin", password: "pw", database: "postgres", sslmode });
            assert.deepStrictEqual(cli.ssl, providers.ssl);
            assert.ok(!cli.connectionString!.includes("sslmode"), "pg must not parse sslmode a second way");
        });
    }
    it("allow connects without TLS and verify-ca does not check the host name (where pg's own parsing differs)", () => {
        assert.strictEqual(urlClientConfig("postgresql://a@h/postgres?sslmode=allow", "--admin-url").ssl, false);
        const ca = urlClientConfig("postgresql://a@h/postgres?sslmode=verify-ca", "--admin-url").ssl as { rejectUnauthorized: boolean; checkServerIdentity: () => unknown };
        assert.strictEqual(ca.rejectUnauthorized, true);
        assert.strictEqual(ca.checkServerIdentity(), undefined);
    });
    it("a URL without sslmode is left to pg unchanged", () => {
        const url = "postgresql://a:pw@h:5432/postgres";
        assert.deepStrictEqual(urlClientConfig(url, "--admin-url"), { connectionString: url });
    });
    it("an sslmode libpq does not know is an input error naming the option", () => {
        assert.throws(() => urlClientConfig("postgresql://a@h/postgres?sslmode=no-verify", "--admin-url"),
            (e: Error) => e instanceof InputError && /--admin-url: sslmode=no-verify is not one of disable, allow/.test(e.message));
    });
});
