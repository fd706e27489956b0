import type { Clock } from "../domain/clock";
import type { KeyPattern } from "../domain/key-pattern";
import type { KeyValueRepository } from "../domain/key-value-repository";
import type { OperationOutcomes } from "./operation-outcomes";

export class DeleteValues {
  constructor(
    private readonly repository: KeyValueRepository,
    private readonly clock: Clock,
    private readonly outcomes: OperationOutcomes,
  ) {}

  /** Deletes every key matching the pattern, or every key when it is null; returns how many live keys went. */
  async execute(pattern: KeyPattern | null): Promise<number> {
    const deleted = await this.repository.deleteMatching(pattern, this.clock.now());
    this.outcomes.record("delete_many", "deleted", deleted);
    return deleted;
  }
}
