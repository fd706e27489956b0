import type { ChangeLog, Retention } from "../domain/change-log";
import type { Clock } from "../domain/clock";
import type { PurgeLimits } from "./purge-expired-keys";

/**
 * Removes changes the retention no longer covers, oldest first, in bounded
 * batches (the sweeper's). Safe to run from several instances at once: each
 * batch removes a prefix of what is left.
 */
export class TrimChanges {
  constructor(
    private readonly changes: ChangeLog,
    private readonly retention: Retention,
    private readonly clock: Clock,
  ) {}

  /** Returns how many changes were removed. */
  async execute(limits: PurgeLimits): Promise<number> {
    let trimmed = 0;
    for (let batch = 1; batch <= limits.maxBatches; batch++) {
      const removed = await this.changes.trim(this.retention, this.clock.now(), limits.batchSize);
      trimmed += removed;
      if (removed < limits.batchSize) break;
    }
    return trimmed;
  }
}
