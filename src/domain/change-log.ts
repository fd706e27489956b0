import type { Change } from "./change";
import type { KeyPattern } from "./key-pattern";

/** How long the change log keeps changes: for a duration, or the latest N. */
export type Retention = { readonly kind: "duration"; readonly ms: number } | { readonly kind: "count"; readonly changes: number };

/**
 * The store's changes in revision order, written by the storage itself as
 * part of each write (a write and its change commit together or not at all).
 *
 * A storage may give revisions after commit (so that writers need not take
 * turns): a committed change is readable once it has its revision, at the
 * latest when head() returns. Every read sees a prefix of the revisions, so
 * a reader that has seen revision n will never be shown a change numbered n
 * or lower later; and per key, revisions follow the order of the writes.
 */
export interface ChangeLog {
  /**
   * The latest revision (0 before the first change). Every change committed
   * before the call has a revision at or below it when the call returns.
   */
  head(): Promise<number>;

  /**
   * Up to `limit` changes with revision > `after`, of keys matching the
   * pattern (all keys when null), in revision order; only changes that have
   * their revision (see head). Throws RevisionCompactedError when changes
   * after `after` have been trimmed.
   */
  read(after: number, pattern: KeyPattern | null, limit: number): Promise<Change[]>;

  /**
   * Removes up to `limit` of the oldest changes that the retention no longer
   * covers (`now` is the caller's clock; a database may use its own, see the
   * adapter); returns how many.
   */
  trim(retention: Retention, now: number, limit: number): Promise<number>;
}
