import { strict as assert } from "assert";
import { MAX_READERS, NotRead, readAll, readerCount } from "../../../engines/readers";

describe("reading many databases over a few connections", () => {
    it("never has more than the limit in flight, and answers in the items' order", async () => {
        let inFlight = 0;
        let most = 0;
        const results = await readAll([5, 1, 4, 2, 3, 0, 6], 3, async (n) => {
            most = Math.max(most, ++inFlight);
            await new Promise((r) => setTimeout(r, n));
            inFlight--;
            return n * 10;
        });
        assert.equal(most, 3);
        assert.deepEqual(results.map((r) => (r.status === "fulfilled" ? r.value : undefined)), [50, 10, 40, 20, 30, 0, 60]);
    });

    it("a failure in one read leaves the others read", async () => {
        const results = await readAll(["a", "b", "c"], 2, async (x) => {
            if (x === "b") throw new Error("database b: connection refused");
            return x.toUpperCase();
        });
        assert.deepEqual(results.map((r) => r.status), ["fulfilled", "rejected", "fulfilled"]);
        assert.match(String((results[1] as PromiseRejectedResult).reason), /database b/);
        assert.deepEqual(await readAll([], 4, async () => 1), []);
    });

    it("once stopped, reads no further item, finishes those in flight, and marks the rest not read", async () => {
        let stopped = false;
        const started: number[] = [];
        const results = await readAll([1, 2, 3, 4, 5, 6], 2, async (n) => {
            started.push(n);
            if (n === 2) stopped = true;
            await new Promise((r) => setTimeout(r, 5));
            return n;
        }, () => stopped);
        assert.deepEqual(started, [1, 2]);
        assert.deepEqual(results.map((r) => (r.status === "fulfilled" ? r.value : r.reason instanceof NotRead ? "not read" : "failed")), [1, 2, "not read", "not read", "not read", "not read"]);
    });

    it("opens no more reader connections than the server has free slots, and at least one", () => {
        assert.equal(readerCount(100), MAX_READERS);
        assert.equal(readerCount(2), 2);
        assert.equal(readerCount(0), 1);
        assert.equal(readerCount(-5), 1);
    });
});
