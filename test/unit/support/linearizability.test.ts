import { expect } from "chai";
import { isLinearizable, type HistoryEntry, type Operation } from "../../support/linearizability";

const op = (invokedAt: number, returnedAt: number, operation: Operation): HistoryEntry => ({ key: "k", invokedAt, returnedAt, operation });
const write = (value: string, etag: string, created: boolean): Operation => ({ kind: "write", value, etag, created });
const read = (found: { value: string; etag: string } | null): Operation => ({ kind: "read", found });
const cas = (expected: string, value: string, etag: string | null): Operation => ({ kind: "cas", expected, value, etag });

/** The fault suite trusts this checker to reject what a register cannot do; these cases prove that it does. */
describe("linearizability checker (single register per key)", () => {
  it("accepts a sequential history that a register would produce", () => {
    expect(
      isLinearizable([
        op(0, 1, read(null)),
        op(2, 3, write("a", "1", true)),
        op(4, 5, read({ value: "a", etag: "1" })),
        op(6, 7, cas("1", "b", "2")),
        op(8, 9, cas("1", "c", null)),
        op(10, 11, { kind: "delete", existed: true }),
        op(12, 13, { kind: "delete", existed: false }),
      ]),
    ).to.equal(true);
  });

  it("accepts concurrent operations in either order, whichever the observations need", () => {
    // The read overlaps the write, so it may see the old state or the new one.
    expect(isLinearizable([op(0, 1, write("a", "1", true)), op(2, 6, write("b", "2", false)), op(3, 4, read({ value: "b", etag: "2" }))])).to.equal(true);
    expect(isLinearizable([op(0, 1, write("a", "1", true)), op(2, 6, write("b", "2", false)), op(3, 4, read({ value: "a", etag: "1" }))])).to.equal(true);
  });

  it("rejects a stale read after a write completed", () => {
    expect(isLinearizable([op(0, 1, write("a", "1", true)), op(2, 3, write("b", "2", false)), op(4, 5, read({ value: "a", etag: "1" }))])).to.equal(false);
  });

  it("rejects two compare-and-sets that both won against the same entity-tag", () => {
    expect(isLinearizable([op(0, 1, write("a", "1", true)), op(2, 5, cas("1", "b", "2")), op(3, 6, cas("1", "c", "3"))])).to.equal(false);
  });

  it("rejects a read of a value nobody wrote, and a create reported on an existing key", () => {
    expect(isLinearizable([op(0, 1, read({ value: "x", etag: "9" }))])).to.equal(false);
    expect(isLinearizable([op(0, 1, write("a", "1", true)), op(2, 3, write("b", "2", true))])).to.equal(false);
  });

  it("rejects reads that go back in time between two readers (new value, then old)", () => {
    expect(
      isLinearizable([
        op(0, 1, write("a", "1", true)),
        op(2, 10, write("b", "2", false)),
        op(3, 4, read({ value: "b", etag: "2" })),
        op(5, 6, read({ value: "a", etag: "1" })),
      ]),
    ).to.equal(false);
  });

  describe("operations with an unknown outcome (returning at Infinity)", () => {
    it("accept that an unanswered write happened (a later read sees it, learning its etag) or did not", () => {
      const lost = op(2, Infinity, { kind: "write?", value: "b" });
      expect(isLinearizable([op(0, 1, write("a", "1", true)), lost, op(5, 6, read({ value: "b", etag: "7" })), op(7, 8, cas("7", "c", "8"))])).to.equal(true);
      expect(isLinearizable([op(0, 1, write("a", "1", true)), lost, op(5, 6, read({ value: "a", etag: "1" }))])).to.equal(true);
    });

    it("reject a value seen before its write was invoked, or seen and then undone", () => {
      expect(isLinearizable([op(0, 1, write("a", "1", true)), op(2, 3, read({ value: "b", etag: "7" })), op(4, Infinity, { kind: "write?", value: "b" })])).to.equal(false);
      expect(
        isLinearizable([op(0, 1, write("a", "1", true)), op(2, Infinity, { kind: "write?", value: "b" }), op(3, 4, read({ value: "b", etag: "7" })), op(5, 6, read({ value: "a", etag: "1" }))]),
      ).to.equal(false);
    });

    it("let an unanswered compare-and-set apply only where its entity-tag matched", () => {
      const history = [op(0, 1, write("a", "1", true)), op(2, Infinity, { kind: "cas?", expected: "9", value: "b" }), op(3, 4, read({ value: "b", etag: "5" }))];
      expect(isLinearizable(history)).to.equal(false);
      expect(isLinearizable([op(0, 1, write("a", "1", true)), op(2, Infinity, { kind: "cas?", expected: "1", value: "b" }), op(3, 4, read({ value: "b", etag: "5" }))])).to.equal(true);
    });
  });

  it("checks a long concurrent history in bounded time", () => {
    // 4 clients x 150 overlapping writes and reads of a counter-like register.
    const history: HistoryEntry[] = [];
    let version = 0;
    for (let t = 0; t < 600; t += 4) {
      version++;
      history.push(op(t, t + 3, write(`v${version}`, String(version), version === 1)));
      history.push(op(t + 1, t + 2, read({ value: `v${version}`, etag: String(version) })));
      history.push(op(t + 1, t + 5, read({ value: `v${version}`, etag: String(version) })));
    }
    expect(isLinearizable(history)).to.equal(true);
  });

  it("gives up with a clear error, not an out-of-memory crash, when a history needs more states than its budget", () => {
    // Ten unanswered writes and an impossible read: the search must try every subset before it can say no.
    const history = Array.from({ length: 10 }, (_, n) => op(n, Infinity, { kind: "write?", value: `w${n}` }));
    history.push(op(20, 21, read({ value: "nobody wrote this", etag: "1" })));
    expect(isLinearizable(history)).to.equal(false);
    expect(() => isLinearizable(history, null, 50)).to.throw(/gave up after 50 states: 11 operations, 10 with unknown outcome/);
  });
});
