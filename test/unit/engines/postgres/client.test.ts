import * as assert from "assert";
import { PG_SSLMODES, pgSsl } from "../../../../engines/postgres/client";

describe("libpq's sslmode on the pg driver (the one mapping: dynamic providers and removal)", () => {
    it("disable and allow connect without TLS (pg cannot fall back as libpq's allow does, so it takes the first libpq tries)", () => {
        assert.strictEqual(pgSsl("disable"), false);
        assert.strictEqual(pgSsl("allow"), false);
    });
    it("prefer, require and no sslmode (libpq's default is prefer) use TLS without verifying the server", () => {
        for (const mode of ["prefer", "require", undefined] as const) assert.deepStrictEqual(pgSsl(mode), { rejectUnauthorized: false }, String(mode));
    });
    it("verify-ca checks the certificate chain but not the host name; verify-full checks both", () => {
        const ca = pgSsl("verify-ca") as { rejectUnauthorized: boolean; checkServerIdentity?: () => unknown };
        assert.strictEqual(ca.rejectUnauthorized, true);
        assert.strictEqual(typeof ca.checkServerIdentity, "function");
        assert.strictEqual(ca.checkServerIdentity!(), undefined, "any host name is accepted");
        assert.deepStrictEqual(pgSsl("verify-full"), { rejectUnauthorized: true });
    });
    it("knows every libpq mode", () => {
        assert.deepStrictEqual([...PG_SSLMODES], ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]);
    });
});
