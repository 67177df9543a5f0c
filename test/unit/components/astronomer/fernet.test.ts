import * as assert from "assert";
import { randomBytes } from "crypto";
import { checkFernetKey, fernetKeyFromBase64, fernetKeyFromBytes, isFernetKey } from "../../../../components/astronomer/fernet";

// 32 bytes whose standard base64 contains both + and /.
const BYTES = Buffer.from("fbef" + "ff".repeat(29) + "fe", "hex");
const STD = BYTES.toString("base64");
const URLSAFE = STD.replace(/\+/g, "-").replace(/\//g, "_");

describe("astronomer fernet keys", () => {
    it("fixture: the standard base64 has + and / in it", () => {
        assert.match(STD, /\+/);
        assert.match(STD, /\//);
    });

    it("accepts url-safe base64 of 32 bytes with its = padding", () => {
        assert.ok(isFernetKey(URLSAFE));
        assert.deepStrictEqual(checkFernetKey(URLSAFE), []);
        for (let i = 0; i < 50; i++) assert.ok(isFernetKey(fernetKeyFromBytes(randomBytes(32))));
        // What Fernet.generate_key() printed once: 44 characters, ending in =.
        assert.ok(isFernetKey("cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="));
    });

    it("rejects standard base64 with + or / and says how to fix it", () => {
        assert.ok(!isFernetKey(STD));
        const problems = checkFernetKey(STD);
        assert.strictEqual(problems.length, 1);
        assert.match(problems[0], /replace \+ with - and \/ with _/);
    });

    it("rejects wrong lengths, missing padding, whitespace and garbage", () => {
        const cases: [string, RegExp][] = [
            ["", /empty/],
            [URLSAFE.slice(0, -1), /lacks its = padding/],
            [Buffer.alloc(16).toString("base64url") + "==", /encodes 16 bytes/],
            [Buffer.alloc(33).toString("base64url"), /encodes 33 bytes/],
            [URLSAFE + "\n", /whitespace/],
            ["not a fernet key at all, really not one!!", /not base64/],
        ];
        for (const [key, re] of cases) {
            assert.ok(!isFernetKey(key), JSON.stringify(key));
            const problems = checkFernetKey(key);
            assert.ok(problems.some((p) => re.test(p)), `${JSON.stringify(key)}: ${problems.join(" | ")}`);
        }
    });

    it("never tells to generate a new key for a carried-over one: copy the old Airflow's key, or leave it out for a new Deployment", () => {
        const broken = ["", URLSAFE.slice(0, 20), Buffer.alloc(16).toString("base64url") + "==", "not a fernet key at all, really not one!!", URLSAFE + "==="];
        for (const key of broken) {
            const problems = checkFernetKey(key);
            assert.ok(problems.length > 0, JSON.stringify(key));
            for (const p of problems) assert.doesNotMatch(p, /generate (a new key|one with)|Fernet\.generate_key/, p);
            assert.ok(problems.some((p) => /copy the old Airflow's fernet key exactly \(its `\[core\] fernet_key` \/ AIRFLOW__CORE__FERNET_KEY: url-safe base64 of 32 bytes, 44 characters ending in =\)/.test(p)), problems.join(" | "));
            assert.ok(problems.some((p) => /remove the fernetKeys entry to have one generated for a NEW Deployment/.test(p)), problems.join(" | "));
        }
    });

    it("never repeats the key in a message", () => {
        for (const key of [STD, URLSAFE.slice(0, -1), URLSAFE + " "]) {
            for (const p of checkFernetKey(key)) assert.ok(!p.includes(key.trim().slice(0, 20)), p);
        }
    });

    it("builds keys from 32 bytes and from RandomBytes-style standard base64", () => {
        assert.strictEqual(fernetKeyFromBytes(BYTES), URLSAFE);
        assert.strictEqual(fernetKeyFromBase64(STD), URLSAFE);
        assert.strictEqual(fernetKeyFromBase64(URLSAFE), URLSAFE);
        assert.deepStrictEqual(Buffer.from(fernetKeyFromBase64(STD), "base64url"), BYTES);
        assert.throws(() => fernetKeyFromBytes(randomBytes(31)), /32 bytes, not 31/);
        assert.throws(() => fernetKeyFromBase64(randomBytes(16).toString("base64")), /base64 of 32 bytes/);
        assert.throws(() => fernetKeyFromBase64(STD.slice(0, -1)), /base64 of 32 bytes/);
    });
});
