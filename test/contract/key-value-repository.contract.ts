import { expect } from "chai";
import { KeyPattern } from "../../src/domain/key-pattern";
import type { KeyRange, KeyValueRepository } from "../../src/domain/key-value-repository";
import type { NewEntry } from "../../src/domain/stored-entry";
import type { ChangeLog } from "../../src/domain/change-log";
import { describeChangeLogContract, type HeldWrite } from "./change-log.contract";

/** Whether the storage keeps a change log, and whether its transactions can interleave; or why it keeps none. */
export type ChangeLogSupport = { readonly kept: true; readonly heldWrites: boolean } | { readonly kept: false; readonly reason: string };

export interface RepositoryHarness {
  readonly repository: KeyValueRepository;
  /** The storage's change log; null where it keeps none. */
  readonly changes: ChangeLog | null;
  /** Where the storage has concurrent sessions: a write held open in a transaction of its own. */
  readonly holdWrite?: (key: string) => Promise<HeldWrite>;
  /** Removes every key. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

const T0 = Date.UTC(2026, 0, 1);
const ALL: KeyRange = { pattern: null, after: null, through: null };

const entries = (...pairs: [string, string][]): NewEntry[] => pairs.map(([key, value]) => ({ key, value }));
const matching = (source: string): KeyRange => ({ pattern: KeyPattern.parse(source), after: null, through: null });

/**
 * The behaviour every KeyValueRepository adapter must have. Run against the
 * in-memory adapter, PGlite and a PostgreSQL server; an adapter that passes
 * is interchangeable with the others.
 */
export function describeRepositoryContract(adapter: string, open: () => Promise<RepositoryHarness>, changeLog: ChangeLogSupport): void {
  describe(`KeyValueRepository contract: ${adapter}`, function () {
    let harness: RepositoryHarness;
    let repo: KeyValueRepository;

    before(async function () {
      harness = await open();
      repo = harness.repository;
    });
    after(async () => harness?.close());
    beforeEach(async () => harness.reset());

    async function keys(range: KeyRange = ALL, now = T0): Promise<string[]> {
      return (await repo.list(range, 10_000, now)).map((entry) => entry.key);
    }

    describe("reads and writes", () => {
      it("returns null for a key that was never written", async () => {
        expect(await repo.get("missing", T0)).to.equal(null);
      });

      it("creates keys and reads back value, version and expiry", async () => {
        const results = await repo.putMany(entries(["a", "1"], ["b", '{"x":[true,null]}']), null, T0);
        expect(results.map((r) => [r.key, r.created, r.expiresAt])).to.deep.equal([
          ["a", true, null],
          ["b", true, null],
        ]);
        const b = await repo.get("b", T0);
        expect(b).to.deep.include({ key: "b", value: '{"x":[true,null]}', expiresAt: null });
        expect(b?.version).to.equal(results[1].version);
      });

      it("stores the JSON text exactly: huge numbers, escapes, unicode", async () => {
        const values = ["12345678901234567890", "1e400", '"a\\u0000b"', '"\\ud83d\\ude00 😀 é"', "-0.0", "[[[[[[]]]]]]"];
        await repo.putMany(values.map((value, i) => ({ key: `k${i}`, value })), null, T0);
        for (const [i, value] of values.entries()) expect((await repo.get(`k${i}`, T0))?.value).to.equal(value);
      });

      it("replacing a key reports created=false and issues a new version", async () => {
        const [first] = await repo.putMany(entries(["a", "1"]), null, T0);
        const [second] = await repo.putMany(entries(["a", "2"]), null, T0);
        expect(second.created).to.equal(false);
        expect(second.version).to.not.equal(first.version);
        expect((await repo.get("a", T0))?.value).to.equal("2");
      });

      it("never reuses a version, even after delete and re-create", async () => {
        const [first] = await repo.putMany(entries(["a", "1"]), null, T0);
        await repo.deleteIf("a", { kind: "none" }, T0);
        const [again] = await repo.putMany(entries(["a", "1"]), null, T0);
        expect(again.version).to.not.equal(first.version);
        expect(again.created).to.equal(true);
      });

      it("returns write results in the order of the entries given", async () => {
        const results = await repo.putMany(entries(["😀", "4"], ["b", "2"], ["é", "3"], ["a", "1"]), null, T0);
        expect(results.map((r) => r.key)).to.deep.equal(["😀", "b", "é", "a"]);
      });

      it("multi-key writes are atomic to readers", async () => {
        const writers = Array.from({ length: 30 }, (_, i) => repo.putMany(entries(["x", String(i)], ["y", String(i)]), null, T0));
        const readers = Array.from({ length: 30 }, () => repo.list(ALL, 10, T0));
        const [, lists] = await Promise.all([Promise.all(writers), Promise.all(readers)]);
        for (const list of lists) {
          if (list.length === 0) continue;
          expect(list.map((e) => e.key)).to.deep.equal(["x", "y"]);
          expect(list[0].value).to.equal(list[1].value);
        }
      });
    });

    describe("expiry", () => {
      it("a key is live until 1 ms before its expiry and absent from the expiry on", async () => {
        await repo.putMany(entries(["t", "1"]), T0 + 1000, T0);
        expect((await repo.get("t", T0 + 999))?.expiresAt).to.equal(T0 + 1000);
        expect(await repo.get("t", T0 + 1000)).to.equal(null);
        expect(await repo.get("t", T0 + 1001)).to.equal(null);
      });

      it("an expired key is absent from listings, filters and paging", async () => {
        await repo.putMany(entries(["a", "1"], ["c", "3"]), null, T0);
        await repo.putMany(entries(["b", "2"]), T0 + 10, T0);
        expect(await keys(ALL, T0 + 9)).to.deep.equal(["a", "b", "c"]);
        expect(await keys(ALL, T0 + 10)).to.deep.equal(["a", "c"]);
        expect(await keys(matching("b$"), T0 + 10)).to.deep.equal([]);
        expect(await repo.keysAt(ALL, 1, T0 + 10)).to.deep.equal(["c"]);
      });

      it("writing an expired key again is a create", async () => {
        await repo.putMany(entries(["a", "1"]), T0 + 10, T0);
        const [result] = await repo.putMany(entries(["a", "2"]), null, T0 + 10);
        expect(result.created).to.equal(true);
      });

      it("writing a live key with an expiry in the future is a replace", async () => {
        await repo.putMany(entries(["a", "1"]), T0 + 10, T0);
        const [result] = await repo.putMany(entries(["a", "2"]), T0 + 20, T0 + 9);
        expect(result.created).to.equal(false);
      });

      it("a write without expiry makes the key persistent again", async () => {
        await repo.putMany(entries(["a", "1"]), T0 + 10, T0);
        await repo.putMany(entries(["a", "2"]), null, T0 + 5);
        expect(await repo.get("a", T0 + 1_000_000)).to.deep.include({ value: "2", expiresAt: null });
      });

      it("deleting an expired key finds nothing", async () => {
        await repo.putMany(entries(["a", "1"]), T0 + 10, T0);
        expect(await repo.deleteIf("a", { kind: "none" }, T0 + 10)).to.equal(false);
      });

      it("purges expired keys in bounded batches and leaves live ones", async () => {
        await repo.putMany(entries(["e1", "1"], ["e2", "2"], ["e3", "3"]), T0 + 10, T0);
        await repo.putMany(entries(["later", "4"]), T0 + 100, T0);
        await repo.putMany(entries(["forever", "5"]), null, T0);
        expect(await repo.purgeExpired(T0 + 10, 2)).to.equal(2);
        expect(await repo.purgeExpired(T0 + 10, 2)).to.equal(1);
        expect(await repo.purgeExpired(T0 + 10, 2)).to.equal(0);
        expect(await keys(ALL, T0)).to.deep.equal(["forever", "later"]);
      });

      it("concurrent purges (several instances sweeping) remove each expired key exactly once", async () => {
        await repo.putMany(
          Array.from({ length: 500 }, (_, i) => ({ key: `e${i}`, value: "0" })),
          T0 + 10,
          T0,
        );
        let total = 0;
        for (;;) {
          const counts = await Promise.all([1, 2, 3].map(() => repo.purgeExpired(T0 + 10, 40)));
          total += counts.reduce((a, b) => a + b, 0);
          if (counts.every((count) => count === 0)) break;
        }
        expect(total).to.equal(500);
        expect(await keys(ALL, T0)).to.deep.equal([]);
      });

      it("does not purge a key that was rewritten without expiry", async () => {
        await repo.putMany(entries(["a", "1"]), T0 + 10, T0);
        await repo.putMany(entries(["a", "2"]), null, T0 + 5);
        expect(await repo.purgeExpired(T0 + 1000, 10)).to.equal(0);
        expect((await repo.get("a", T0 + 1000))?.value).to.equal("2");
      });
    });

    describe("ordering and ranges", () => {
      it("lists in Unicode code-point order, astral characters after U+FFFD", async () => {
        const shuffled = ["😀", "é", "a", "\uFFFD", "B", "\uE000", "z", "a\u0001", "", "aa"].filter((k) => k !== "");
        await repo.putMany(
          shuffled.map((key) => ({ key, value: "0" })),
          null,
          T0,
        );
        expect(await keys()).to.deep.equal(["B", "a", "a\u0001", "aa", "z", "é", "\uE000", "\uFFFD", "😀"]);
      });

      it("pages with an exclusive cursor and an inclusive upper bound", async () => {
        await repo.putMany(entries(["a", "1"], ["b", "2"], ["c", "3"], ["d", "4"]), null, T0);
        expect(await keys({ pattern: null, after: "a", through: "c" })).to.deep.equal(["b", "c"]);
        expect((await repo.list({ pattern: null, after: "a", through: null }, 2, T0)).map((e) => e.key)).to.deep.equal(["b", "c"]);
        expect(await repo.keysAt(ALL, 1, T0)).to.deep.equal(["b", "c"]);
        expect(await repo.keysAt(ALL, 3, T0)).to.deep.equal(["d"]);
        expect(await repo.keysAt(ALL, 4, T0)).to.deep.equal([]);
        expect(await repo.keysAt({ pattern: null, after: "b", through: null }, 0, T0)).to.deep.equal(["c", "d"]);
      });
    });

    describe("wildcard filters", () => {
      const stored = ["wod", "word", "world", "sword", "words", "Word", "w%d", "w_d", "wxd", "a$b", "a\\b", "a*b", "a?b", "a.b", "a[b", "a'b", "ab"];

      beforeEach(async () => {
        await repo.putMany(
          stored.map((key) => ({ key, value: "0" })),
          null,
          T0,
        );
      });

      const cases: [string, string[]][] = [
        ["wo$d", ["wod", "word", "world"]],
        ["w$d", ["w%d", "w_d", "wod", "word", "world", "wxd"]],
        ["w%d", ["w%d"]],
        ["w_d", ["w_d"]],
        ["word", ["word"]],
        ["Wo$", ["Word"]],
        ["$ord$", ["Word", "sword", "word", "words"]],
        ["a\\$b", ["a$b"]],
        ["a\\\\b", ["a\\b"]],
        ["a\\b", ["a\\b"]],
        ["a*b", ["a*b"]],
        ["a?b", ["a?b"]],
        ["a.b", ["a.b"]],
        ["a[b", ["a[b"]],
        ["a'b", ["a'b"]],
        ["a$", ["a$b", "a'b", "a*b", "a.b", "a?b", "a[b", "a\\b", "ab"]],
        ["$", [...stored].sort((x, y) => (x < y ? -1 : 1))],
        ["zzz$", []],
      ];
      for (const [pattern, expected] of cases) {
        it(`filter ${JSON.stringify(pattern)} lists exactly ${expected.length} keys`, async () => {
          expect(await keys(matching(pattern))).to.deep.equal(expected);
        });
      }

      it("lists a filter's matches exactly and in order, chunk by chunk, where they are dense, sparse, expired or past the prefix", async () => {
        // Dense matches first (every other key), then sparse ones (1 in 200), some expired, then keys past the prefix.
        const written = Array.from({ length: 3_000 }, (_, i) => {
          const dense = i < 1_000 && i % 2 === 0;
          const sparse = i >= 1_000 && i % 200 === 0;
          return `p:${String(i).padStart(4, "0")}${dense || sparse ? ":hit" : ""}${i % 7 === 0 ? ":x" : ""}`;
        });
        await repo.putMany(written.map((key) => ({ key, value: "1" })), null, T0);
        await repo.putMany(["p:0002:hit:late", "p:2200:hit:late"].map((key) => ({ key, value: "2" })), T0 + 5, T0);
        await repo.putMany(["q:0001:hit", "o:9999:hit"].map((key) => ({ key, value: "3" })), null, T0);
        for (const [source, regex] of [["p:$:hit$", /^p:.*:hit/], ["$:hit$", /:hit/]] as const) {
          const expected = [...written, "q:0001:hit", "o:9999:hit"].filter((key) => regex.test(key)).sort();
          const listed: string[] = [];
          for (let after: string | null = null; ; ) {
            const chunk = await repo.list({ pattern: KeyPattern.parse(source), after, through: null }, 100, T0 + 5);
            listed.push(...chunk.map((entry) => entry.key));
            if (chunk.length < 100) break;
            after = chunk[chunk.length - 1].key;
          }
          expect(listed, source).to.deep.equal(expected);
          // Where pages end: the keys at an offset and the one after it, from the start and from a cursor.
          for (const offset of [0, 99, 150, 400, expected.length - 1, expected.length]) {
            const at = await repo.keysAt({ pattern: KeyPattern.parse(source), after: null, through: null }, offset, T0 + 5);
            expect(at, `${source} keysAt ${offset}`).to.deep.equal(expected.slice(offset, offset + 2));
          }
          const cursor = expected[200];
          const fromCursor = await repo.keysAt({ pattern: KeyPattern.parse(source), after: cursor, through: null }, 300, T0 + 5);
          expect(fromCursor, `${source} keysAt 300 after ${cursor}`).to.deep.equal(expected.filter((key) => key > cursor).slice(300, 302));
          // Into the sparse part, where the walk hands over to the index.
          for (const offset of [0, 3, 8]) {
            const sparse = await repo.keysAt({ pattern: KeyPattern.parse(source), after: "p:0999", through: null }, offset, T0 + 5);
            expect(sparse, `${source} keysAt ${offset} after p:0999`).to.deep.equal(expected.filter((key) => key > "p:0999").slice(offset, offset + 2));
          }
          expect(await keys({ pattern: KeyPattern.parse(source), after: "p:0500", through: "p:2500" }, T0 + 5), source).to.deep.equal(
            expected.filter((key) => key > "p:0500" && key <= "p:2500"),
          );
        }
      });

      it("deletes only the keys a filter matches", async () => {
        expect(await repo.deleteMatching(KeyPattern.parse("wo$d"), T0)).to.equal(3);
        expect(await keys(matching("w$"))).to.deep.equal(["w%d", "w_d", "words", "wxd"]);
      });

      it("deletes every key when there is no filter", async () => {
        expect(await repo.deleteMatching(null, T0)).to.equal(stored.length);
        expect(await keys()).to.deep.equal([]);
      });

      it("deletes expired keys too, but counts only the live ones it removed", async () => {
        await repo.putMany(entries(["wood", "1"], ["wild", "2"]), T0 + 10, T0);
        expect(await repo.deleteMatching(KeyPattern.parse("w$d"), T0 + 10)).to.equal(6);
        expect(await repo.statistics(T0 + 10, 100)).to.deep.include({ expired: 0 });
        expect(await repo.deleteMatching(null, T0 + 10)).to.equal(stored.length - 6);
        expect(await repo.statistics(T0 + 10, 100)).to.deep.include({ entries: 0, expired: 0 });
      });
    });

    describe("conditional writes", () => {
      it("absent: creates a missing key, refuses a live one, re-creates an expired one", async () => {
        const created = await repo.putIf({ key: "a", value: "1" }, null, { kind: "absent" }, T0);
        expect(created?.created).to.equal(true);
        expect(await repo.putIf({ key: "a", value: "2" }, null, { kind: "absent" }, T0)).to.equal(null);
        await repo.putMany(entries(["b", "1"]), T0 + 10, T0);
        expect((await repo.putIf({ key: "b", value: "2" }, null, { kind: "absent" }, T0 + 10))?.created).to.equal(true);
        expect((await repo.get("a", T0))?.value).to.equal("1");
      });

      it("version-in: replaces only when the current version is listed", async () => {
        const [v1] = await repo.putMany(entries(["a", "1"]), null, T0);
        expect(await repo.putIf({ key: "a", value: "x" }, null, { kind: "version-in", versions: ["999999"] }, T0)).to.equal(null);
        expect(await repo.putIf({ key: "a", value: "x" }, null, { kind: "version-in", versions: ["not-a-version"] }, T0)).to.equal(null);
        const v2 = await repo.putIf({ key: "a", value: "2" }, null, { kind: "version-in", versions: ["1234", v1.version] }, T0);
        expect(v2).to.deep.include({ key: "a", created: false });
        expect(v2?.version).to.not.equal(v1.version);
        expect(await repo.putIf({ key: "a", value: "3" }, null, { kind: "version-in", versions: [v1.version] }, T0)).to.equal(null);
        expect((await repo.get("a", T0))?.value).to.equal("2");
      });

      it("version-in and present fail on absent and expired keys", async () => {
        const [v1] = await repo.putMany(entries(["a", "1"]), T0 + 10, T0);
        expect(await repo.putIf({ key: "a", value: "2" }, null, { kind: "version-in", versions: [v1.version] }, T0 + 10)).to.equal(null);
        expect(await repo.putIf({ key: "a", value: "2" }, null, { kind: "present" }, T0 + 10)).to.equal(null);
        expect(await repo.putIf({ key: "zz", value: "2" }, null, { kind: "present" }, T0)).to.equal(null);
        expect(await repo.get("zz", T0)).to.equal(null);
      });

      it("present: replaces a live key and sets the new expiry", async () => {
        await repo.putMany(entries(["a", "1"]), null, T0);
        const result = await repo.putIf({ key: "a", value: "2" }, T0 + 50, { kind: "present" }, T0);
        expect(result).to.deep.include({ created: false, expiresAt: T0 + 50 });
        expect(await repo.get("a", T0 + 50)).to.equal(null);
      });

      it("exactly one of many concurrent compare-and-set writes wins", async () => {
        const [v1] = await repo.putMany(entries(["a", "0"]), null, T0);
        const attempts = await Promise.all(
          Array.from({ length: 10 }, (_, i) => repo.putIf({ key: "a", value: String(i + 1) }, null, { kind: "version-in", versions: [v1.version] }, T0)),
        );
        const winners = attempts.filter((attempt) => attempt !== null);
        expect(winners).to.have.length(1);
        expect((await repo.get("a", T0))?.version).to.equal(winners[0]?.version);
      });

      it("deletes only when the condition holds", async () => {
        const [v1] = await repo.putMany(entries(["a", "1"]), null, T0);
        expect(await repo.deleteIf("a", { kind: "version-in", versions: ["424242"] }, T0)).to.equal(false);
        expect(await repo.deleteIf("a", { kind: "version-in", versions: [v1.version] }, T0)).to.equal(true);
        expect(await repo.deleteIf("a", { kind: "none" }, T0)).to.equal(false);
        await repo.putMany(entries(["b", "1"]), null, T0);
        expect(await repo.deleteIf("b", { kind: "present" }, T0)).to.equal(true);
      });
    });

    describe("concurrent calls (coalesced into batches where the adapter batches)", () => {
      it("answers many concurrent reads each with its own key and at its own now", async () => {
        await repo.putMany(entries(["a", "1"], ["b", "2"]), null, T0);
        await repo.putMany(entries(["e", "3"]), T0 + 500, T0);
        const expected: Record<string, (now: number) => string | null> = { a: () => "1", b: () => "2", missing: () => null, e: (now) => (now < T0 + 500 ? "3" : null) };
        const reads = Array.from({ length: 300 }, (_, i) => ({ key: ["a", "b", "missing", "e"][i % 4], now: T0 + 499 + (i % 3) }));
        const results = await Promise.all(reads.map((read) => repo.get(read.key, read.now)));
        results.forEach((entry, i) => expect(entry?.value ?? null, `${reads[i].key} at +${reads[i].now - T0}`).to.equal(expected[reads[i].key](reads[i].now)));
      });

      it("applies concurrent writes atomically with distinct versions, also when they repeat keys", async () => {
        const writes = Array.from({ length: 60 }, (_, i) => ({ shared: `k${i % 10}`, own: `own${i}`, value: String(i) }));
        const results = await Promise.all(writes.map((w) => repo.putMany(entries([w.shared, w.value], [w.own, w.value]), null, T0)));
        const versions = results.flat().map((result) => result.version);
        expect(new Set(versions).size).to.equal(versions.length);
        for (let k = 0; k < 10; k++) {
          const touching = results.flatMap((result, i) => result.filter((r) => r.key === `k${k}`).map((r) => ({ ...r, value: writes[i].value })));
          expect(touching).to.have.length(6);
          expect(touching.filter((r) => r.created)).to.have.length(1);
          // The stored pair is exactly what one of the writers was told.
          const stored = await repo.get(`k${k}`, T0);
          expect(touching.some((r) => r.version === stored?.version && r.value === stored?.value), `k${k}`).to.equal(true);
        }
        for (const [i, w] of writes.entries()) {
          expect(results[i].map((r) => r.key)).to.deep.equal([w.shared, w.own].sort());
          expect((await repo.get(w.own, T0))?.value).to.equal(w.value);
        }
      });
    });

    describe("statistics", () => {
      it("reports an empty store", async () => {
        const stats = await repo.statistics(T0, 100);
        expect(stats).to.deep.include({ expired: 0, oldestExpiredAt: null });
        expect(stats).to.deep.include({ entries: 0, entriesExact: true });
      });

      it("counts expired entries up to the limit and dates the oldest", async () => {
        await repo.putMany(entries(["a", "1"], ["b", "2"], ["c", "3"]), T0 + 1000, T0);
        await repo.putMany(entries(["d", "4"]), T0 + 2000, T0);
        await repo.putMany(entries(["e", "5"]), T0 + 9000, T0);
        await repo.putMany(entries(["p", "6"]), null, T0);

        expect(await repo.statistics(T0 + 999, 100)).to.deep.include({ expired: 0, oldestExpiredAt: null });
        // Expired means expiresAt <= now, the same boundary every read uses.
        expect(await repo.statistics(T0 + 1000, 100)).to.deep.include({ expired: 3, oldestExpiredAt: T0 + 1000 });
        expect(await repo.statistics(T0 + 5000, 100)).to.deep.include({ expired: 4, oldestExpiredAt: T0 + 1000 });
        expect(await repo.statistics(T0 + 5000, 2)).to.deep.include({ expired: 2, oldestExpiredAt: T0 + 1000 });
      });

      it("forgets expiries that were overwritten, deleted or purged", async () => {
        await repo.putMany(entries(["a", "1"], ["b", "2"], ["c", "3"]), T0 + 1000, T0);
        await repo.putMany(entries(["d", "4"]), T0 + 3000, T0);
        await repo.putMany(entries(["a", "1"]), null, T0);
        await repo.deleteIf("b", { kind: "none" }, T0);
        expect(await repo.statistics(T0 + 5000, 100)).to.deep.include({ expired: 2, oldestExpiredAt: T0 + 1000 });
        await repo.purgeExpired(T0 + 1000, 100);
        expect(await repo.statistics(T0 + 5000, 100)).to.deep.include({ expired: 1, oldestExpiredAt: T0 + 3000 });
      });

      it("counts stored entries, expired ones included, exactly while the store is small", async () => {
        await repo.putMany(entries(["a", "1"], ["b", "2"], ["c", "3"], ["d", "4"]), T0 + 1000, T0);
        await repo.putMany(entries(["a", "1"]), null, T0);
        await repo.deleteIf("b", { kind: "none" }, T0);
        expect(await repo.statistics(T0 + 5000, 100)).to.deep.include({ entries: 3, entriesExact: true, expired: 2 });
      });
    });

    it("reports ready", async () => {
      await repo.checkReady();
    });

    if (changeLog.kept) {
      describeChangeLogContract(() => ({ repository: repo, changes: harness.changes!, holdWrite: harness.holdWrite }), changeLog);
    } else {
      it.skip(`change log (${changeLog.reason})`);
    }
  });
}
