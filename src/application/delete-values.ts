import type { KeyPattern } from "../domain/key-pattern";
import type { KeyValueRepository } from "../domain/key-value-repository";

export class DeleteValues {
  constructor(private readonly repository: KeyValueRepository) {}

  /** Deletes every key matching the pattern, or every key when it is null; returns the count. */
  execute(pattern: KeyPattern | null): Promise<number> {
    return this.repository.deleteMatching(pattern);
  }
}
