/**
 * What happened to a key: written (`put`), removed by a client (`delete`),
 * or removed because its expiry had passed (`expire`: the sweeper's purge, or
 * a delete that found the key already expired).
 */
export type ChangeKind = "put" | "delete" | "expire";

/** One change of one key, as the change log keeps it. */
export interface Change {
  /**
   * The store's revision after this change. Revisions are consecutive
   * integers; a change is readable only once every smaller revision is
   * (committed in revision order).
   */
  readonly revision: number;
  readonly key: string;
  readonly kind: ChangeKind;
  /** The JSON text written (put); null for delete and expire. */
  readonly value: string | null;
  /** The entry's version: the one written (put), or the one removed. */
  readonly version: string;
  /** The entry's expiry: the one written (put), or the one the removed entry had. */
  readonly expiresAt: number | null;
  /** When the storage recorded it, epoch ms by the storage's clock (the database's, where there is one). */
  readonly recordedAt: number;
}
