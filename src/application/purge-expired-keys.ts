import type { Clock } from "../domain/clock";
import type { KeyValueRepository } from "../domain/key-value-repository";

export interface PurgeLimits {
  /** Rows removed per storage statement. */
  readonly batchSize: number;
  /** Statements per run at most, so one run cannot monopolise storage. */
  readonly maxBatches: number;
}

export interface PurgeReport {
  readonly purged: number;
  readonly batches: number;
  /** True when the last batch was full: more expired keys are probably waiting. */
  readonly backlog: boolean;
}

/**
 * Removes expired keys in bounded batches. Expired keys are already invisible
 * to every read, so this only reclaims space; it is safe to run from several
 * instances at once (adapters skip rows another purge holds).
 */
export class PurgeExpiredKeys {
  constructor(
    private readonly repository: KeyValueRepository,
    private readonly clock: Clock,
  ) {}

  async execute(limits: PurgeLimits): Promise<PurgeReport> {
    let purged = 0;
    for (let batch = 1; batch <= limits.maxBatches; batch++) {
      const removed = await this.repository.purgeExpired(this.clock.now(), limits.batchSize);
      purged += removed;
      if (removed < limits.batchSize) return { purged, batches: batch, backlog: false };
    }
    return { purged, batches: limits.maxBatches, backlog: true };
  }
}
