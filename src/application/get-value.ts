import type { Clock } from "../domain/clock";
import { validateKey } from "../domain/key";
import type { KeyValueRepository } from "../domain/key-value-repository";
import type { StoredEntry } from "../domain/stored-entry";

export class GetValue {
  constructor(
    private readonly repository: KeyValueRepository,
    private readonly clock: Clock,
  ) {}

  /** The live entry, or null when the key is absent or expired. */
  async execute(key: string): Promise<StoredEntry | null> {
    return this.repository.get(validateKey(key), this.clock.now());
  }
}
