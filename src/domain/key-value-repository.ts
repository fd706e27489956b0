import type { KeyPattern } from "./key-pattern";
import type { KeyspaceStatistics } from "./keyspace-statistics";
import type { NewEntry, StoredEntry, WriteResult } from "./stored-entry";
import type { WriteCondition } from "./write-condition";

/** A range of live keys in code-point order: after < key <= through, optionally matching a pattern. */
export interface KeyRange {
  readonly pattern: KeyPattern | null;
  /** Exclusive lower bound. */
  readonly after: string | null;
  /** Inclusive upper bound. */
  readonly through: string | null;
}

/**
 * The storage port. Every method takes `now` (epoch ms) from the caller's
 * clock and treats keys with `expiresAt <= now` as absent, so all adapters
 * agree on expiry to the millisecond whatever their own clock says.
 *
 * Adapters throw StorageUnavailableError when the store cannot be reached.
 */
export interface KeyValueRepository {
  get(key: string, now: number): Promise<StoredEntry | null>;

  /**
   * Writes all entries atomically (all or none) with one expiry.
   * Keys must be distinct; results come back in the order of the entries.
   */
  putMany(entries: readonly NewEntry[], expiresAt: number | null, now: number): Promise<WriteResult[]>;

  /** Writes one entry if the condition holds at write time; null when it does not. */
  putIf(entry: NewEntry, expiresAt: number | null, condition: WriteCondition, now: number): Promise<WriteResult | null>;

  /** Deletes one live key if the condition holds; false when absent or the condition fails. */
  deleteIf(key: string, condition: WriteCondition, now: number): Promise<boolean>;

  /**
   * Deletes every key matching the pattern, or every key when it is null;
   * expired ones go too (they are invisible anyway). Returns how many live
   * keys were deleted, as of `now`.
   */
  deleteMatching(pattern: KeyPattern | null, now: number): Promise<number>;

  /** Up to `limit` live entries of the range in ascending code-point order of keys. */
  list(range: KeyRange, limit: number, now: number): Promise<StoredEntry[]>;

  /**
   * Keys of the live entries at positions `offset` and `offset + 1` (zero-based)
   * of the range, fewer when the range is shorter. Paging uses it to find where a
   * page ends and whether more follow, without reading values.
   */
  keysAt(range: KeyRange, offset: number, now: number): Promise<string[]>;

  /** Removes up to `limit` keys that expired at or before `now`; returns how many. Safe to run concurrently. */
  purgeExpired(now: number, limit: number): Promise<number>;

  /**
   * Size and expiry backlog, at a cost that does not grow with the number of
   * keys (the expired count stops at `expiredLimit`).
   */
  statistics(now: number, expiredLimit: number): Promise<KeyspaceStatistics>;

  /** Resolves when storage is reachable and its schema is current; rejects otherwise. */
  checkReady(): Promise<void>;
}
