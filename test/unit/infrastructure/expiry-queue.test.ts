import { expect } from "chai";
import { ExpiryQueue } from "../../../src/infrastructure/storage/memory/expiry-queue";

/** A small deterministic generator, so a failure reproduces. */
function random(seed: number): () => number {
  return () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

describe("ExpiryQueue", () => {
  it("yields exactly the tickets due at a time, whatever the heap's shape", () => {
    const next = random(7);
    for (let round = 0; round < 50; round++) {
      const queue = new ExpiryQueue();
      const expiries = Array.from({ length: Math.floor(next() * 200) }, () => Math.floor(next() * 1000));
      expiries.forEach((expiresAt, version) => queue.push({ expiresAt, key: `k${version}`, version }));
      const now = Math.floor(next() * 1000);
      const due = [...queue.due(now)].map((ticket) => ticket.version).sort((a, b) => a - b);
      const expected = expiries.flatMap((expiresAt, version) => (expiresAt <= now ? [version] : []));
      expect(due).to.deep.equal(expected);
    }
  });

  it("discards stale tickets from the front and pops due ones in expiry order", () => {
    const queue = new ExpiryQueue();
    [30, 10, 20, 40].forEach((expiresAt, version) => queue.push({ expiresAt, key: `k${version}`, version }));
    expect(queue.discardStale((ticket) => ticket.expiresAt < 25)?.expiresAt).to.equal(30);
    expect(queue.size).to.equal(2);
    expect(queue.popDue(29)).to.equal(null);
    expect(queue.popDue(100)?.expiresAt).to.equal(30);
    expect(queue.popDue(100)?.expiresAt).to.equal(40);
    expect(queue.discardStale(() => true)).to.equal(null);
  });
});
