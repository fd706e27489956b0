import type { Clock } from "../domain/clock";
import { KeyNotFoundError, PreconditionFailedError } from "../domain/domain-error";
import { validateKey } from "../domain/key";
import type { KeyValueRepository } from "../domain/key-value-repository";
import type { WriteCondition } from "../domain/write-condition";
import type { OperationOutcomes } from "./operation-outcomes";

export class DeleteValue {
  constructor(
    private readonly repository: KeyValueRepository,
    private readonly clock: Clock,
    private readonly outcomes: OperationOutcomes,
  ) {}

  /** Deletes a live key if the condition holds; throws KeyNotFoundError or PreconditionFailedError otherwise. */
  async execute(key: string, condition: WriteCondition): Promise<void> {
    if (await this.repository.deleteIf(validateKey(key), condition, this.clock.now())) {
      this.outcomes.record("delete", "deleted");
      return;
    }
    // A failed delete without a precondition means nothing was there. With
    // one, the precondition failed: for If-Match an absent key fails it too
    // (RFC 9110 section 13.1.1), so there is no need to look again.
    if (condition.kind === "none") {
      this.outcomes.record("delete", "not_found");
      throw new KeyNotFoundError();
    }
    this.outcomes.record("delete", "precondition_failed");
    throw new PreconditionFailedError();
  }
}
