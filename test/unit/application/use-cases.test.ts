import { expect } from "chai";
import sinon from "sinon";
import { DeleteValue } from "../../../src/application/delete-value";
import { DeleteValues } from "../../../src/application/delete-values";
import { DescribeKeyspace, EXPIRED_COUNT_LIMIT } from "../../../src/application/describe-keyspace";
import { GetValue } from "../../../src/application/get-value";
import { ListValues } from "../../../src/application/list-values";
import { PurgeExpiredKeys } from "../../../src/application/purge-expired-keys";
import { PutValue } from "../../../src/application/put-value";
import { PutValues } from "../../../src/application/put-values";
import { DomainError, KeyNotFoundError, PreconditionFailedError } from "../../../src/domain/domain-error";
import { KeyPattern } from "../../../src/domain/key-pattern";
import type { StoredEntry } from "../../../src/domain/stored-entry";
import { InMemoryKeyValueRepository } from "../../../src/infrastructure/storage/memory/in-memory-key-value-repository";
import { FakeClock } from "../../support/fake-clock";
import { RecordingOutcomes } from "../../support/recording-outcomes";

/** The error a call rejects with, or null. */
function failureOf(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => null,
    (error: unknown) => error,
  );
}

async function collect(entries: AsyncIterable<StoredEntry>): Promise<string[]> {
  const keys: string[] = [];
  for await (const entry of entries) keys.push(entry.key);
  return keys;
}

describe("use cases (in-memory repository, fake clock)", () => {
  let clock: FakeClock;
  let repository: InMemoryKeyValueRepository;
  let put: PutValues;
  let putOne: PutValue;
  let get: GetValue;
  let list: ListValues;
  let outcomes: RecordingOutcomes;
  /** The live value of a key, or null. */
  const valueOf = (key: string): Promise<string | null> =>
    get.execute(key).then(
      (entry) => entry.value,
      (error: unknown) => {
        if (error instanceof KeyNotFoundError) return null;
        throw error;
      },
    );

  beforeEach(() => {
    clock = new FakeClock();
    repository = new InMemoryKeyValueRepository();
    outcomes = new RecordingOutcomes();
    put = new PutValues(repository, clock, outcomes);
    putOne = new PutValue(repository, clock, outcomes);
    get = new GetValue(repository, clock, outcomes);
    list = new ListValues(repository, clock, outcomes, { firstRows: 2, maxRows: 3, maxBytes: 1_000_000 });
  });

  describe("PutValues", () => {
    it("applies expire_in from the clock's now and expires exactly then", async () => {
      const [result] = await put.execute([{ key: "a", value: "1" }], 60);
      expect(result.expiresAt).to.equal(clock.now() + 60_000);
      clock.advance(59_999);
      expect(await valueOf("a")).to.equal("1");
      clock.advance(1);
      expect(await valueOf("a")).to.equal(null);
    });

    it("rejects duplicate keys, invalid keys and bad TTLs before writing anything", async () => {
      const attempts: [() => Promise<unknown>, string][] = [
        [() => put.execute([{ key: "a", value: "1" }, { key: "a", value: "2" }], null), "invalid-key"],
        [() => put.execute([{ key: "ok", value: "1" }, { key: "", value: "2" }], null), "invalid-key"],
        [() => put.execute([], null), "invalid-key"],
        [() => put.execute([{ key: "ok", value: "1" }], 0), "invalid-expiry"],
      ];
      for (const [attempt, code] of attempts) {
        const error = await attempt().then(() => null, (e: unknown) => e);
        expect(error).to.be.instanceOf(DomainError).with.property("code", code);
      }
      expect(await valueOf("ok")).to.equal(null);
      expect([...outcomes.counts.keys()].filter((name) => name.startsWith("put/"))).to.deep.equal([]);
    });

    it("records one outcome per key written", async () => {
      await put.execute([{ key: "a", value: "1" }], null);
      await put.execute(["a", "b", "c"].map((key) => ({ key, value: "2" })), null);
      expect(outcomes.counts.get("put/created")).to.equal(3);
      expect(outcomes.counts.get("put/replaced")).to.equal(1);
    });

  });

  describe("PutValue", () => {
    it("raises PreconditionFailedError without writing, and records it", async () => {
      await put.execute([{ key: "a", value: "1" }], null);
      expect(await failureOf(putOne.execute({ key: "a", value: "2" }, null, { kind: "absent" }))).to.be.instanceOf(PreconditionFailedError);
      expect(await valueOf("a")).to.equal("1");
      expect(outcomes.counts.get("put/precondition_failed")).to.equal(1);
    });

    it("re-creating an expired key is a create", async () => {
      await put.execute([{ key: "a", value: "1" }], 1);
      clock.advance(1000);
      const outcome = await putOne.execute({ key: "a", value: "2" }, null, { kind: "none" });
      expect(outcome).to.deep.include({ created: true });
    });
  });

  describe("GetValue", () => {
    it("raises KeyNotFoundError for an absent key and PreconditionFailedError for a failed condition, recording hits and misses", async () => {
      const [written] = await put.execute([{ key: "a", value: "1" }], null);
      expect(await failureOf(get.execute("b"))).to.be.instanceOf(KeyNotFoundError);
      expect(await failureOf(get.execute("b", { kind: "present" }))).to.be.instanceOf(KeyNotFoundError);
      expect(await failureOf(get.execute("a", { kind: "version-in", versions: ["0"] }))).to.be.instanceOf(PreconditionFailedError);
      expect((await get.execute("a", { kind: "version-in", versions: [written.version] })).value).to.equal("1");
      expect(outcomes.counts.get("get/miss")).to.equal(2);
      expect(outcomes.counts.get("get/hit")).to.equal(2);
    });
  });

  describe("DeleteValue", () => {
    it("tells deleted, absent and precondition-failed apart", async () => {
      const deleteOne = new DeleteValue(repository, clock, outcomes);
      const [written] = await put.execute([{ key: "a", value: "1" }], null);
      expect(await failureOf(deleteOne.execute("a", { kind: "version-in", versions: ["0"] }))).to.be.instanceOf(PreconditionFailedError);
      expect(await failureOf(deleteOne.execute("a", { kind: "version-in", versions: [written.version] }))).to.equal(null);
      expect(await failureOf(deleteOne.execute("a", { kind: "none" }))).to.be.instanceOf(KeyNotFoundError);
      expect(await failureOf(deleteOne.execute("a", { kind: "present" }))).to.be.instanceOf(PreconditionFailedError);
      expect(Object.fromEntries(outcomes.counts)).to.deep.include({ "delete/deleted": 1, "delete/not_found": 1, "delete/precondition_failed": 2 });
    });
  });

  describe("DeleteValues", () => {
    it("deletes by filter or everything", async () => {
      await put.execute(["ab", "ac", "b"].map((key) => ({ key, value: "0" })), null);
      const deleteMany = new DeleteValues(repository, clock, outcomes);
      expect(await deleteMany.execute(KeyPattern.parse("a$"))).to.equal(2);
      expect(await deleteMany.execute(null)).to.equal(1);
      expect(outcomes.counts.get("delete_many/deleted")).to.equal(3);
    });
  });

  describe("ListValues", () => {
    beforeEach(async () => {
      await put.execute(["a", "b", "c", "d", "e", "f", "g"].map((key) => ({ key, value: "0" })), null);
    });

    it("streams everything across chunks, in order", async () => {
      const listing = await list.execute({ pattern: null, after: null, limit: null });
      expect(listing.nextAfter).to.equal(null);
      expect(await collect(listing.entries)).to.deep.equal(["a", "b", "c", "d", "e", "f", "g"]);
    });

    it("reads storage in bounded chunks, never everything at once", async () => {
      const spy = sinon.spy(repository, "list");
      await collect((await list.execute({ pattern: null, after: null, limit: null })).entries);
      const sizes = spy.getCalls().map((call) => call.args[1]);
      expect(Math.max(...sizes)).to.be.at.most(3);
      expect(sizes.length).to.be.at.least(3);
    });

    it("pages with limit and after, and says where the next page starts", async () => {
      const first = await list.execute({ pattern: null, after: null, limit: 3 });
      expect(await collect(first.entries)).to.deep.equal(["a", "b", "c"]);
      expect(first.nextAfter).to.equal("c");
      const last = await list.execute({ pattern: null, after: "e", limit: 2 });
      expect(await collect(last.entries)).to.deep.equal(["f", "g"]);
      expect(last.nextAfter).to.equal(null);
    });

    it("combines paging with a filter", async () => {
      await put.execute(["ax", "bx", "cx"].map((key) => ({ key, value: "0" })), null);
      const page = await list.execute({ pattern: KeyPattern.parse("$x"), after: "ax", limit: 1 });
      expect(await collect(page.entries)).to.deep.equal(["bx"]);
      expect(page.nextAfter).to.equal("bx");
    });

    it("skips keys that expire while a listing is being read", async () => {
      await put.execute([{ key: "h", value: "0" }], 1);
      const listing = await list.execute({ pattern: null, after: null, limit: null });
      clock.advance(1000);
      expect(await collect(listing.entries)).to.deep.equal(["a", "b", "c", "d", "e", "f", "g"]);
    });

    it("rejects a limit outside 1..10000", async () => {
      for (const limit of [0, 10_001, 1.5]) {
        const error = await list.execute({ pattern: null, after: null, limit }).then(() => null, (e: unknown) => e);
        expect(error).to.be.instanceOf(DomainError).with.property("code", "invalid-page");
      }
    });
  });

  describe("PurgeExpiredKeys", () => {
    it("purges in batches up to the cap and reports a backlog", async () => {
      await put.execute(Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: "0" })), 1);
      clock.advance(1000);
      const purge = new PurgeExpiredKeys(repository, clock);
      expect(await purge.execute({ batchSize: 2, maxBatches: 2 })).to.deep.equal({ purged: 4, batches: 2, backlog: true });
      expect(await purge.execute({ batchSize: 2, maxBatches: 2 })).to.deep.equal({ purged: 1, batches: 1, backlog: false });
    });
  });

  describe("DescribeKeyspace", () => {
    it("reports size, expired backlog and how long the oldest expired key has waited", async () => {
      const describeKeyspace = new DescribeKeyspace(repository, clock);
      expect(await describeKeyspace.execute()).to.deep.equal({ entries: 0, entriesExact: true, expired: 0, oldestExpiredAt: null, oldestExpiredAgeMs: 0 });
      await put.execute([{ key: "a", value: "1" }], 2);
      await put.execute([{ key: "b", value: "1" }], 60);
      await put.execute([{ key: "c", value: "1" }], null);
      const expiresAt = clock.now() + 2000;
      clock.advance(2500);
      expect(await describeKeyspace.execute()).to.deep.equal({ entries: 3, entriesExact: true, expired: 1, oldestExpiredAt: expiresAt, oldestExpiredAgeMs: 500 });
    });

    it("asks storage to stop counting expired keys at the limit", async () => {
      const statistics = sinon.spy(repository, "statistics");
      await new DescribeKeyspace(repository, clock).execute();
      expect(statistics.calledOnceWithExactly(clock.now(), EXPIRED_COUNT_LIMIT)).to.equal(true);
    });
  });
});
