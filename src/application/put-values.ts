import type { Clock } from "../domain/clock";
import { DomainError } from "../domain/domain-error";
import { expiryFor } from "../domain/expiry";
import { validateKey } from "../domain/key";
import type { KeyValueRepository } from "../domain/key-value-repository";
import type { NewEntry, WriteResult } from "../domain/stored-entry";
import type { OperationOutcomes } from "./operation-outcomes";

export class PutValues {
  constructor(
    private readonly repository: KeyValueRepository,
    private readonly clock: Clock,
    private readonly outcomes: OperationOutcomes,
  ) {}

  /**
   * Stores every entry atomically with one TTL (null makes the keys persistent,
   * clearing any earlier TTL). Results are in the order of the entries.
   */
  async execute(entries: readonly NewEntry[], ttlSeconds: number | null): Promise<WriteResult[]> {
    if (entries.length === 0) throw new DomainError("invalid-key", "at least one key is required");
    const keys = new Set<string>();
    for (const entry of entries) {
      if (keys.has(validateKey(entry.key))) throw new DomainError("invalid-key", `key ${JSON.stringify(entry.key)} appears more than once`);
      keys.add(entry.key);
    }
    const now = this.clock.now();
    const results = await this.repository.putMany(entries, expiryFor(ttlSeconds, now), now);
    for (const result of results) this.outcomes.record("put", result.created ? "created" : "replaced");
    return results;
  }
}
