import type { Clock } from "../domain/clock";
import { validateKey } from "../domain/key";
import type { KeyValueRepository } from "../domain/key-value-repository";
import type { WriteCondition } from "../domain/write-condition";

export type DeleteValueOutcome = "deleted" | "absent" | "precondition-failed";

export class DeleteValue {
  constructor(
    private readonly repository: KeyValueRepository,
    private readonly clock: Clock,
  ) {}

  async execute(key: string, condition: WriteCondition): Promise<DeleteValueOutcome> {
    const deleted = await this.repository.deleteIf(validateKey(key), condition, this.clock.now());
    if (deleted) return "deleted";
    // A failed delete without a precondition means nothing was there. With
    // one, the precondition failed: for If-Match an absent key fails it too
    // (RFC 9110 section 13.1.1), so there is no need to look again.
    return condition.kind === "none" ? "absent" : "precondition-failed";
  }
}
