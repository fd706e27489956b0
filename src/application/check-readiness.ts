import type { KeyValueRepository } from "../domain/key-value-repository";

export class CheckReadiness {
  constructor(private readonly repository: KeyValueRepository) {}

  /** Resolves when storage is reachable and migrated; rejects with the reason otherwise. */
  execute(): Promise<void> {
    return this.repository.checkReady();
  }
}
