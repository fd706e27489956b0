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

/**
 * A watcher that reconnects at random points (resuming with Last-Event-ID)
 * must see, concatenated, exactly the store's change log filtered (no gap,
 * no duplicate, in revision order), and folding its events must give the
 * listing of the same filter.
 */
describeForEachBackend("HTTP watch: random writes, deletes, expiries and reconnects against the change log (fast-check)", (backend) => {
  if (backend.name === "citus") return; // no change log there (the watch suite checks the 501)
  const t = useTestService(() => backend.env(), { emptyBeforeEach: true });

  it(`a reconnecting watcher's events are the change log filtered, and fold into the listing (${SEQUENCES} sequences)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), fc.constantFrom(null, "a$", "$1", "x%"), async (ops, filter) => {
        await t.api.delete("/keys");
        const head = Number((await t.api.head("/keys")).headers.get("kv-revision"));
        const query = filter === null ? "" : `&filter=${encodeURIComponent(filter)}`;
        const seen: SseEvent[] = [];
        let stream = await SseStream.open(`${t.api.baseUrl}/keys?watch=true&since=${head}${query}`);
        const drain = async () => {
          const want = await wanted(head, filter);
          seen.push(...(await stream.take(want.length - seen.length)));
        };
        try {
          for (const op of ops) {
            await apply(op);
            if (op.kind === "reconnect") {
              await drain();
              stream.close();
              const last = seen.length > 0 ? seen[seen.length - 1].id! : String(head);
              stream = await SseStream.open(`${t.api.baseUrl}/keys?watch=true${query}`, { "last-event-id": last });
            }
          }
          await apply({ kind: "expireAndPurge", ms: 4000 });
          await drain();
          const log = await wanted(head, filter);
          expect(seen.map((event) => [Number(event.id), event.event])).to.deep.equal(log.map((change) => [change.revision, change.kind]));
          const listed = await t.api.get(`/keys${filter === null ? "" : `?filter=${encodeURIComponent(filter)}`}`);
          expect(foldEvents({}, seen)).to.deep.equal(listed.json());
          expect(stream.pending).to.deep.equal([]);
        } finally {
          stream.close();
        }
      }),
      { numRuns: SEQUENCES },
    );
  });

  /** The store's own change log after `head`, filtered. */
  function wanted(head: number, filter: string | null) {
    return t.storage.changes!.read(head, filter === null ? null : KeyPattern.parse(filter), 100_000);
  }

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
