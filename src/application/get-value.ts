import type { Clock } from "../domain/clock";
import { KeyNotFoundError, PreconditionFailedError } from "../domain/domain-error";
import { validateKey } from "../domain/key";
import type { KeyValueRepository } from "../domain/key-value-repository";
import type { StoredEntry } from "../domain/stored-entry";
import { conditionHolds, UNCONDITIONAL, type WriteCondition } from "../domain/write-condition";
import type { OperationOutcomes } from "./operation-outcomes";

export class GetValue {
  constructor(
    private readonly repository: KeyValueRepository,
    private readonly clock: Clock,
    private readonly outcomes: OperationOutcomes,
  ) {}

  /**
   * The live entry. Throws KeyNotFoundError when the key is absent or
   * expired, and PreconditionFailedError when the entry does not satisfy the
   * condition (checked only when there is an entry: an absent key is a miss
   * whatever the condition).
   */
  async execute(key: string, condition: WriteCondition = UNCONDITIONAL): Promise<StoredEntry> {
    const entry = await this.repository.get(validateKey(key), this.clock.now());
    if (entry === null) {
      this.outcomes.record("get", "miss");
      throw new KeyNotFoundError();
    }
    this.outcomes.record("get", "hit");
    if (!conditionHolds(condition, entry.version)) throw new PreconditionFailedError();
    return entry;
  }
}
