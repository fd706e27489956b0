import { expect } from "chai";
import type { Change } from "../../src/domain/change";
import type { ChangeLog } from "../../src/domain/change-log";
import { RevisionCompactedError } from "../../src/domain/domain-error";
import { KeyPattern } from "../../src/domain/key-pattern";
import type { KeyValueRepository } from "../../src/domain/key-value-repository";

/** A write made outside the repository, in a transaction held open until commit() or rollback(). */
export interface HeldWrite {
  /** Writes (inserts or overwrites) another key in the same transaction. */
  write(key: string, value: string): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

export interface ChangeLogHarness {
  readonly repository: KeyValueRepository;
  readonly changes: ChangeLog;
  /** Where the storage has concurrent sessions: writes `key` in a transaction left open. */
  readonly holdWrite?: (key: string) => Promise<HeldWrite>;
}

const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;

/** Every change committed so far after `after` (the head numbers them), in revision order, checked to increase. */
async function changesSince(log: ChangeLog, after: number, pattern: KeyPattern | null = null): Promise<Change[]> {
  await log.head();
  const changes = await log.read(after, pattern, 10_000);
  changes.forEach((change, i) => {
    if (i > 0) expect(change.revision, "revisions increase").to.be.greaterThan(changes[i - 1].revision);
  });
  return changes;
}

const kinds = (changes: readonly Change[]) => changes.map((change) => [change.kind, change.key]);

/**
 * The change log every storage keeps beside its keys (the watch feed reads
 * it): one change per key written or removed, revisions in commit order,
 * replay by revision and filter, retention. Registered inside the repository
 * contract, on the same storage.
 */
export function describeChangeLogContract(harness: () => ChangeLogHarness, options: { readonly heldWrites: boolean }): void {
  describe("change log", () => {
    let repo: KeyValueRepository;
    let log: ChangeLog;
    beforeEach(() => {
      ({ repository: repo, changes: log } = harness());
    });

    it("records each key of a write as a put with its own revision, value, version and expiry; the head moves by one per key", async () => {
      const before = await log.head();
      const written = await repo.putMany([{ key: "a", value: '{"x":1}' }, { key: "b", value: "12345678901234567890" }], T0 + HOUR, T0);
      expect(await log.head()).to.equal(before + 2);
      const changes = await changesSince(log, before);
      expect(changes.map((change) => change.revision)).to.deep.equal([before + 1, before + 2]);
      const byKey = new Map(changes.map((change) => [change.key, change]));
      for (const [i, { key, value }] of [{ key: "a", value: '{"x":1}' }, { key: "b", value: "12345678901234567890" }].entries()) {
        expect(byKey.get(key)).to.deep.include({ kind: "put", value, version: written[i].version, expiresAt: T0 + HOUR });
      }
    });

    it("records overwrites, conditional writes and deletes in order, and nothing for a condition that failed", async () => {
      const [first] = await repo.putMany([{ key: "k", value: "1" }], null, T0);
      const before = await log.head();
      await repo.putMany([{ key: "k", value: "2" }], null, T0);
      expect(await repo.putIf({ key: "k", value: "3" }, null, { kind: "version-in", versions: [first.version] }, T0)).to.equal(null);
      const current = await repo.get("k", T0);
      await repo.putIf({ key: "k", value: "3" }, null, { kind: "version-in", versions: [current!.version] }, T0);
      expect(await repo.deleteIf("k", { kind: "version-in", versions: [first.version] }, T0)).to.equal(false);
      const last = await repo.get("k", T0);
      await repo.deleteIf("k", { kind: "none" }, T0);
      const changes = await changesSince(log, before);
      expect(changes.map((change) => [change.kind, change.value])).to.deep.equal([
        ["put", "2"],
        ["put", "3"],
        ["delete", null],
      ]);
      expect(changes[2]).to.deep.include({ key: "k", version: last!.version, expiresAt: null });
    });

    it("records a removal as expire when the key's expiry had passed (the sweeper's purge, or a delete of an expired key), else as delete", async () => {
      await repo.putMany([{ key: "gone-1", value: "1" }, { key: "gone-2", value: "2" }], T0 + 1000, T0);
      await repo.putMany([{ key: "gone-3", value: "3" }], T0 + HOUR, T0);
      const before = await log.head();
      expect(await repo.purgeExpired(T0 + 1000, 100)).to.equal(2);
      const purged = await changesSince(log, before);
      expect(kinds(purged).sort()).to.deep.equal([
        ["expire", "gone-1"],
        ["expire", "gone-2"],
      ]);
      expect(purged.map((change) => change.expiresAt)).to.deep.equal([T0 + 1000, T0 + 1000]);
      await repo.putMany([{ key: "gone-4", value: "4" }], T0 + 1000, T0);
      const middle = await log.head();
      await repo.deleteMatching(KeyPattern.parse("gone-$"), T0 + 2000);
      expect(kinds(await changesSince(log, middle)).sort()).to.deep.equal([
        ["delete", "gone-3"],
        ["expire", "gone-4"],
      ]);
    });

    it("replays from any retained revision, filtered with the listing's wildcard semantics, a page at a time", async () => {
      const before = await log.head();
      await repo.putMany(["wod", "word", "world", "sword", "wo", "w%d", "wo_d"].map((key) => ({ key, value: "1" })), null, T0);
      await repo.deleteMatching(KeyPattern.parse("sword"), T0);
      const filtered = await changesSince(log, before, KeyPattern.parse("wo$d"));
      expect(filtered.map((change) => change.key).sort()).to.deep.equal(["wo_d", "wod", "word", "world"]);
      expect((await changesSince(log, before, KeyPattern.parse("w%d"))).map((change) => change.key)).to.deep.equal(["w%d"]);
      const all = await changesSince(log, before);
      expect(all).to.have.length(8);
      const page = await log.read(all[2].revision, null, 3);
      expect(page).to.deep.equal(all.slice(3, 6));
      expect(await log.read(all[7].revision, null, 10)).to.deep.equal([]);
    });

    it("reads in numeric revision order, also across 99 -> 100 and beyond", async () => {
      const before = await log.head();
      await repo.putMany(Array.from({ length: 150 }, (_, i) => ({ key: `n${String(i).padStart(3, "0")}`, value: "1" })), null, T0);
      const changes = await changesSince(log, before);
      expect(changes.map((change) => change.revision)).to.deep.equal(Array.from({ length: 150 }, (_, i) => before + i + 1));
      expect(before + 150).to.be.greaterThan(100);
    });

    it("keeps revisions increasing per key and globally across every kind of write", async () => {
      const before = await log.head();
      await repo.putMany([{ key: "p", value: "1" }], null, T0);
      await repo.putMany([{ key: "p", value: "2" }, { key: "q", value: "1" }], T0 + 10, T0);
      await repo.putIf({ key: "r", value: "1" }, null, { kind: "absent" }, T0);
      await repo.purgeExpired(T0 + 10, 10);
      await repo.deleteMatching(null, T0 + 10);
      const changes = await changesSince(log, before);
      expect(changes.map((change) => change.revision)).to.deep.equal(changes.map((_, i) => before + i + 1));
      expect(kinds(changes.filter((change) => change.key === "p"))).to.deep.equal([
        ["put", "p"],
        ["put", "p"],
        ["expire", "p"],
      ]);
    });

    it("trims the oldest changes beyond a count, then refuses to replay from before them (revision compacted) and names where to continue", async () => {
      await repo.putMany(["t1", "t2", "t3", "t4"].map((key) => ({ key, value: "1" })), null, T0);
      const head = await log.head();
      let trimmed = 0;
      for (let batch = 1; batch > 0; trimmed += batch) batch = await log.trim({ kind: "count", changes: 2 }, T0, 1_000);
      expect(trimmed).to.be.greaterThan(1);
      expect(await log.trim({ kind: "count", changes: 2 }, T0, 1_000)).to.equal(0);
      expect(await log.head()).to.equal(head);
      expect((await log.read(head - 2, null, 10)).map((change) => change.key)).to.deep.equal(["t3", "t4"]);
      const refused = await log.read(head - 3, null, 10).then(
        () => null,
        (error: unknown) => error,
      );
      expect(refused).to.be.instanceOf(RevisionCompactedError);
      expect((refused as RevisionCompactedError).oldestAvailable).to.equal(head - 2);
      expect((refused as RevisionCompactedError).code).to.equal("revision-compacted");
    });

    it("trims by age in batches of at most the limit, keeping what the retention still covers", async () => {
      await repo.putMany(["u1", "u2", "u3"].map((key) => ({ key, value: "1" })), null, T0);
      const head = await log.head();
      await log.trim({ kind: "duration", ms: HOUR }, T0, 1_000);
      expect((await log.read(head - 3, null, 10)).map((change) => change.key)).to.deep.equal(["u1", "u2", "u3"]);
      // Later than every change: the memory store stamps changes with the caller's clock, a database with its own.
      const later = Date.now() + HOUR;
      expect(await log.trim({ kind: "duration", ms: 0 }, later, 2)).to.equal(2);
      while ((await log.trim({ kind: "duration", ms: 0 }, later, 1_000)) > 0);
      expect(await log.read(head, null, 10)).to.deep.equal([]);
      const refused = await log.read(head - 1, null, 10).catch((error: unknown) => error);
      expect(refused).to.be.instanceOf(RevisionCompactedError);
      expect((refused as RevisionCompactedError).oldestAvailable).to.equal(head);
      await repo.putMany([{ key: "u4", value: "1" }], null, T0);
      expect((await changesSince(log, head)).map((change) => change.key)).to.deep.equal(["u4"]);
    });

    it("gives revisions to every committed change when trimming, so that changes never pile up unnumbered while nothing asks for the head", async () => {
      const before = await log.head();
      await repo.putMany([{ key: "numbered-by-trim", value: "1" }], null, T0);
      await log.trim({ kind: "duration", ms: HOUR }, T0, 1_000);
      expect((await log.read(before, null, 10)).map((change) => change.key)).to.deep.equal(["numbered-by-trim"]);
    });

    // Only storages with concurrent sessions can interleave transactions; in
    // memory every write runs to completion before the next begins.
    if (options.heldWrites) {
      it("numbers changes in commit order without making writers take turns: a follower sees every change once, in order, when a transaction that wrote first commits last", async () => {
        const hold = harness().holdWrite!;
        const before = await log.head();
        const held = await hold("held-early");
        // Completes while the earlier transaction is still open.
        await repo.putMany([{ key: "written-later", value: "2" }], null, T0);
        const seen: Change[] = [];
        let after = before;
        const follow = async () => {
          await log.head();
          const changes = await log.read(after, null, 100);
          seen.push(...changes);
          if (changes.length > 0) after = changes[changes.length - 1].revision;
        };
        await follow();
        expect(seen.map((change) => change.key)).to.deep.equal(["written-later"]);
        await held.commit();
        await follow();
        // Revisions by write order (a sequence drawn as each transaction
        // writes) would put held-early first, behind the follower's position.
        expect(seen.map((change) => change.key)).to.deep.equal(["written-later", "held-early"]);
        expect(seen.map((change) => change.revision)).to.deep.equal([before + 1, before + 2]);
      });

      it("numbers the writes of one key in the order they happened, also when the later write's transaction began first", async () => {
        const hold = harness().holdWrite!;
        const before = await log.head();
        const held = await hold("began-first");
        await repo.putMany([{ key: "contested", value: '"from the repository"' }], null, T0);
        // Overwrites the key after the repository's write committed; revisions
        // by transaction age would put this write before that one.
        await held.write("contested", '"from the held transaction"');
        await held.commit();
        await log.head();
        const contested = (await changesSince(log, before)).filter((change) => change.key === "contested");
        expect(contested.map((change) => change.value)).to.deep.equal(['"from the repository"', '"from the held transaction"']);
        expect((await repo.get("contested", T0))?.value).to.equal('"from the held transaction"');
      });

      it("gives no revision to a write that rolled back", async () => {
        const hold = harness().holdWrite!;
        const before = await log.head();
        await (await hold("rolled-back")).rollback();
        await repo.putMany([{ key: "kept", value: "1" }], null, T0);
        expect(kinds(await changesSince(log, before))).to.deep.equal([["put", "kept"]]);
        expect(await log.head()).to.equal(before + 1);
      });
    }
  });
}
