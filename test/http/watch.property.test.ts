import { expect } from "chai";
import fc from "fast-check";
import { KeyPattern } from "../../src/domain/key-pattern";
import { describeForEachBackend } from "../support/backends";
import { foldEvents, SseStream, type SseEvent } from "../support/sse-stream";
import { useTestService } from "../support/test-service";

const SEQUENCES = Number(process.env.PROPERTY_RUNS ?? 25);

type Op =
  | { kind: "put"; key: string; value: number; expire: number | null }
  | { kind: "putMany"; keys: string[]; value: number }
  | { kind: "delete"; key: string }
  | { kind: "deleteMatching"; filter: string }
  | { kind: "expireAndPurge"; ms: number }
  | { kind: "reconnect" };

const keyArb = fc.constantFrom("a", "b", "ab", "ba", "a1", "b1", "x", "x%", "x_1");
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("put" as const), key: keyArb, value: fc.integer({ min: 0, max: 99 }), expire: fc.option(fc.integer({ min: 1, max: 3 }), { freq: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("putMany" as const), keys: fc.uniqueArray(keyArb, { minLength: 1, maxLength: 4 }), value: fc.integer({ min: 0, max: 99 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("delete" as const), key: keyArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("deleteMatching" as const), filter: fc.constantFrom("a$", "$1", "x%", "$") }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("expireAndPurge" as const), ms: fc.integer({ min: 0, max: 3000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("reconnect" as const) }) },
);

/** A change as the model predicts it. */
interface ModelChange {
  readonly kind: "put" | "delete" | "expire";
  readonly key: string;
  readonly value: number | null;
}

/**
 * The store as the contract describes it, kept apart from every adapter:
 * which changes each operation makes. The changes of one operation are a set
 * (their revisions are consecutive, in an order the storage picks); the
 * operations, made one after another, give their sets in that order.
 */
class StoreModel {
  private readonly entries = new Map<string, { value: number; expiresAt: number | null }>();

  constructor(private now: number) {}

  apply(op: Op): ModelChange[] {
    switch (op.kind) {
      case "put":
        return [this.put(op.key, op.value, op.expire === null ? null : this.now + op.expire * 1000)];
      case "putMany":
        return op.keys.map((key) => this.put(key, op.value, null));
      case "delete":
        return this.isLive(op.key) ? [this.remove(op.key)] : [];
      case "deleteMatching": {
        const pattern = KeyPattern.parse(op.filter);
        return [...this.entries.keys()].filter((key) => pattern.matches(key)).map((key) => this.remove(key));
      }
      case "expireAndPurge":
        this.now += op.ms;
        return [...this.entries.keys()].filter((key) => !this.isLive(key)).map((key) => this.remove(key));
      case "reconnect":
        return [];
    }
  }

  private put(key: string, value: number, expiresAt: number | null): ModelChange {
    this.entries.set(key, { value, expiresAt });
    return { kind: "put", key, value };
  }

  /** Removes a stored key: an expire when its expiry has passed, else a delete. */
  private remove(key: string): ModelChange {
    const kind = this.isLive(key) ? "delete" : "expire";
    this.entries.delete(key);
    return { kind, key, value: null };
  }

  private isLive(key: string): boolean {
    const entry = this.entries.get(key);
    return entry !== undefined && (entry.expiresAt === null || entry.expiresAt > this.now);
  }
}

/** An event as [kind, key, value], to compare with the model. */
function describeEvent(event: SseEvent): string {
  const data = JSON.parse(event.data) as { key: string; value?: number };
  return JSON.stringify([event.event, data.key, data.value ?? null]);
}

/**
 * A watcher that reconnects at random points (resuming with Last-Event-ID)
 * must see, concatenated, exactly the model's changes filtered: each
 * operation's changes under the revisions that follow the previous
 * operation's, none missing, none twice, revisions increasing. Folding its
 * events must give the listing of the same filter.
 */
describeForEachBackend("HTTP watch: random writes, deletes, expiries and reconnects against the change log (fast-check)", (backend) => {
  if (backend.name === "citus") return; // no change log there (the watch suite checks the 501)
  const t = useTestService(() => backend.env(), { emptyBeforeEach: true });

  it(`a reconnecting watcher's events are the change log filtered, and fold into the listing (${SEQUENCES} sequences)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), fc.constantFrom(null, "a$", "$1", "x%"), async (ops, filter) => {
        await t.api.delete("/keys");
        const head = Number((await t.api.head("/keys")).headers.get("kv-revision"));
        const pattern = filter === null ? null : KeyPattern.parse(filter);
        const query = filter === null ? "" : `&filter=${encodeURIComponent(filter)}`;
        const model = new StoreModel(t.clock.now());
        /** Per operation: the revisions its changes take (all keys), and those changes that match. */
        const expected: { readonly after: number; readonly size: number; readonly matching: ModelChange[] }[] = [];
        let revision = head;
        const wantedCount = () => expected.reduce((sum, op) => sum + op.matching.length, 0);
        const seen: SseEvent[] = [];
        let stream = await SseStream.open(`${t.api.baseUrl}/keys?watch=true&since=${head}${query}`);
        const drain = async () => {
          seen.push(...(await stream.take(wantedCount() - seen.length)));
        };
        try {
          for (const op of ops) {
            await apply(op);
            const changes = model.apply(op);
            expected.push({ after: revision, size: changes.length, matching: changes.filter((change) => pattern === null || pattern.matches(change.key)) });
            revision += changes.length;
            if (op.kind === "reconnect") {
              await drain();
              stream.close();
              const last = seen.length > 0 ? seen[seen.length - 1].id! : String(head);
              stream = await SseStream.open(`${t.api.baseUrl}/keys?watch=true${query}`, { "last-event-id": last });
            }
          }
          await drain();
          const ids = seen.map((event) => Number(event.id));
          ids.forEach((id, i) => expect(id, "revisions increase").to.be.greaterThan(i === 0 ? head : ids[i - 1]));
          let next = 0;
          for (const { after, size, matching } of expected) {
            const mine = seen.slice(next, next + matching.length);
            next += matching.length;
            for (const event of mine) expect(Number(event.id)).to.be.within(after + 1, after + size);
            expect(mine.map(describeEvent).sort()).to.deep.equal(matching.map((change) => JSON.stringify([change.kind, change.key, change.value])).sort());
          }
          const listed = await t.api.get(`/keys${filter === null ? "" : `?filter=${encodeURIComponent(filter)}`}`);
          expect(foldEvents({}, seen)).to.deep.equal(listed.json());
          // Nothing beyond the model's changes: a write the model missed would be here.
          expect(Number((await t.api.head("/keys")).headers.get("kv-revision"))).to.equal(revision);
          expect(stream.pending).to.deep.equal([]);
        } finally {
          stream.close();
        }
      }),
      { numRuns: SEQUENCES },
    );
  });

  async function apply(op: Op): Promise<void> {
    switch (op.kind) {
      case "put":
        await t.api.put(`/keys/${encodeURIComponent(op.key)}${op.expire === null ? "" : `?expire_in=${op.expire}`}`, String(op.value));
        return;
      case "putMany":
        await t.api.put("/keys", Object.fromEntries(op.keys.map((key) => [key, op.value])));
        return;
      case "delete":
        await t.api.delete(`/keys/${encodeURIComponent(op.key)}`);
        return;
      case "deleteMatching":
        await t.api.delete(`/keys?filter=${encodeURIComponent(op.filter)}`);
        return;
      case "expireAndPurge":
        t.clock.advance(op.ms);
        await t.storage.repository.purgeExpired(t.clock.now(), 1000);
        return;
      case "reconnect":
        return;
    }
  }
});
