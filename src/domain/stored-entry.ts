/** A live key as read from storage. */
export interface StoredEntry {
  readonly key: string;
  /** The value as JSON text, exactly as it was written (insignificant whitespace removed). */
  readonly value: string;
  /** Opaque, changes on every write of the key; the HTTP layer exposes it as the ETag. */
  readonly version: string;
  /** Epoch milliseconds at which the key disappears, or null when it never expires. */
  readonly expiresAt: number | null;
}

/** A key and its JSON text, on its way into storage. */
export interface NewEntry {
  readonly key: string;
  readonly value: string;
}

/** What storage reports for each key it wrote. */
export interface WriteResult {
  readonly key: string;
  readonly version: string;
  readonly expiresAt: number | null;
  /** True when no live key existed before (an expired key counts as absent). */
  readonly created: boolean;
}
