import type { Clock } from "../domain/clock";
import { PreconditionFailedError } from "../domain/domain-error";
import { expiryFor } from "../domain/expiry";
import { validateKey } from "../domain/key";
import type { KeyValueRepository } from "../domain/key-value-repository";
import type { NewEntry, WriteResult } from "../domain/stored-entry";
import type { WriteCondition } from "../domain/write-condition";
import type { OperationOutcomes } from "./operation-outcomes";

export class PutValue {
  constructor(
    private readonly repository: KeyValueRepository,
    private readonly clock: Clock,
    private readonly outcomes: OperationOutcomes,
  ) {}

  /** Stores one entry if the condition holds at write time; throws PreconditionFailedError, writing nothing, when it does not. */
  async execute(entry: NewEntry, ttlSeconds: number | null, condition: WriteCondition): Promise<WriteResult> {
    validateKey(entry.key);
    const now = this.clock.now();
    const expiresAt = expiryFor(ttlSeconds, now);
    const result =
      condition.kind === "none" ? (await this.repository.putMany([entry], expiresAt, now))[0] : await this.repository.putIf(entry, expiresAt, condition, now);
    if (result === null) {
      this.outcomes.record("put", "precondition_failed");
      throw new PreconditionFailedError();
    }
    this.outcomes.record("put", result.created ? "created" : "replaced");
    return result;
  }
}
