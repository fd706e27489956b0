import type { Clock } from "../domain/clock";
import { DomainError } from "../domain/domain-error";
import { expiryFor } from "../domain/expiry";
import { validateKey } from "../domain/key";
import type { KeyValueRepository } from "../domain/key-value-repository";
import type { NewEntry, WriteResult } from "../domain/stored-entry";
import { compareCodePoints } from "../domain/utf8";
import type { OperationOutcomes } from "./operation-outcomes";

export class PutValues {
  constructor(
    private readonly repository: KeyValueRepository,
    private readonly clock: Clock,
    private readonly outcomes: OperationOutcomes,
  ) {}

  /**
   * Stores every entry atomically with one TTL (null makes the keys persistent,
   * clearing any earlier TTL). Results are in code-point order of keys.
   */
  async execute(entries: readonly NewEntry[], ttlSeconds: number | null): Promise<WriteResult[]> {
    if (entries.length === 0) throw new DomainError("invalid-key", "at least one key is required");
    for (const entry of entries) validateKey(entry.key);
    // Writing in one global key order means two concurrent multi-key writes
    // lock rows in the same order and cannot deadlock each other.
    const sorted = [...entries].sort((a, b) => compareCodePoints(a.key, b.key));
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i].key === sorted[i - 1].key) {
        throw new DomainError("invalid-key", `key ${JSON.stringify(sorted[i].key)} appears more than once`);
      }
    }
    const now = this.clock.now();
    const results = await this.repository.putMany(sorted, expiryFor(ttlSeconds, now), now);
    for (const result of results) this.outcomes.record("put", result.created ? "created" : "replaced");
    return results;
  }
}
