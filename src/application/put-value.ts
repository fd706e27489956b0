import type { Clock } from "../domain/clock";
import { expiryFor } from "../domain/expiry";
import { validateKey } from "../domain/key";
import type { KeyValueRepository } from "../domain/key-value-repository";
import type { NewEntry, WriteResult } from "../domain/stored-entry";
import type { WriteCondition } from "../domain/write-condition";

export type PutValueOutcome = WriteResult | "precondition-failed";

export class PutValue {
  constructor(
    private readonly repository: KeyValueRepository,
    private readonly clock: Clock,
  ) {}

  /** Stores one entry if the condition holds at write time. */
  async execute(entry: NewEntry, ttlSeconds: number | null, condition: WriteCondition): Promise<PutValueOutcome> {
    validateKey(entry.key);
    const now = this.clock.now();
    const expiresAt = expiryFor(ttlSeconds, now);
    if (condition.kind === "none") {
      const [result] = await this.repository.putMany([entry], expiresAt, now);
      return result;
    }
    return (await this.repository.putIf(entry, expiresAt, condition, now)) ?? "precondition-failed";
  }
}
