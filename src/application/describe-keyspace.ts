import type { Clock } from "../domain/clock";
import type { KeyValueRepository } from "../domain/key-value-repository";
import type { KeyspaceStatistics } from "../domain/keyspace-statistics";

/** Expired entries are counted up to this many; beyond it the oldest one's age tells more than a count. */
export const EXPIRED_COUNT_LIMIT = 100_000;

export interface KeyspaceReport extends KeyspaceStatistics {
  /** How long the longest-expired entry has waited to be purged; 0 when none waits. */
  readonly oldestExpiredAgeMs: number;
}

/** Size of the keyspace and the expiry backlog, for monitoring. */
export class DescribeKeyspace {
  constructor(
    private readonly repository: KeyValueRepository,
    private readonly clock: Clock,
  ) {}

  async execute(): Promise<KeyspaceReport> {
    const now = this.clock.now();
    const statistics = await this.repository.statistics(now, EXPIRED_COUNT_LIMIT);
    const oldestExpiredAgeMs = statistics.oldestExpiredAt === null ? 0 : now - statistics.oldestExpiredAt;
    return { ...statistics, oldestExpiredAgeMs };
  }
}
