import type { Clock } from "../domain/clock";
import type { KeyPattern } from "../domain/key-pattern";
import type { KeyValueRepository } from "../domain/key-value-repository";

export class DeleteValues {
  constructor(
    private readonly repository: KeyValueRepository,
    private readonly clock: Clock,
  ) {}

  /** Deletes every key matching the pattern, or every key when it is null; returns how many live keys went. */
  execute(pattern: KeyPattern | null): Promise<number> {
    return this.repository.deleteMatching(pattern, this.clock.now());
  }
}
