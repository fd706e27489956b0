/**
 * How full storage is and how far expiry reclamation lags, read cheaply
 * enough to be sampled on every metrics scrape of a table of ten million keys.
 */
export interface KeyspaceStatistics {
  /**
   * Entries stored, expired ones not yet purged included. Exact when
   * `entriesExact`; otherwise the store's own running estimate (counting
   * every row on each scrape is what this type exists to avoid).
   */
  readonly entries: number;
  readonly entriesExact: boolean;
  /** Entries expired at or before `now` and not yet purged, counted up to the caller's limit. */
  readonly expired: number;
  /** Expiry time (epoch ms) of the longest-expired entry not yet purged; null when none is. */
  readonly oldestExpiredAt: number | null;
}
