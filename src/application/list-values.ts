import type { ChangeLog } from "../domain/change-log";
import type { Clock } from "../domain/clock";
import { DomainError } from "../domain/domain-error";
import type { KeyPattern } from "../domain/key-pattern";
import type { KeyRange, KeyValueRepository } from "../domain/key-value-repository";
import type { StoredEntry } from "../domain/stored-entry";
import type { OperationOutcomes } from "./operation-outcomes";

export const MAX_PAGE_SIZE = 10_000;

export interface ListRequest {
  readonly pattern: KeyPattern | null;
  /** Exclusive cursor: list keys after this one. */
  readonly after: string | null;
  /** Page size; null lists everything. */
  readonly limit: number | null;
}

export interface Listing {
  /** Live entries in ascending code-point order, read from storage lazily in bounded chunks. */
  readonly entries: AsyncIterable<StoredEntry>;
  /** Cursor for the next page when a limit was given and more entries follow; otherwise null. */
  readonly nextAfter: string | null;
  /**
   * The change log's head when the listing began, before its first read;
   * null without a change log. Every change up to it is reflected in the
   * listing (or superseded by a later one), so watching from it misses nothing.
   */
  readonly revision: number | null;
}

/** Bounds on one storage round trip: chunks grow from the first size up to the row cap while they stay under the byte budget. */
export interface ChunkPolicy {
  readonly firstRows: number;
  readonly maxRows: number;
  readonly maxBytes: number;
}

/** Chunks that start at 100 rows and grow up to `maxRows` (the storage's own bound) and 1 MiB. */
export function chunkPolicy(maxRows: number): ChunkPolicy {
  return { firstRows: 100, maxRows, maxBytes: 1024 * 1024 };
}


/**
 * Lists entries with keyset pagination over storage, so memory stays bounded
 * by one chunk whether the store holds ten keys or ten million. The listing is
 * not a snapshot: each chunk sees the store as it is when the chunk is read
 * (every key appears at most once, in order; keys written meanwhile may or may
 * not appear).
 */
export class ListValues {
  constructor(
    private readonly repository: KeyValueRepository,
    private readonly clock: Clock,
    private readonly outcomes: OperationOutcomes,
    /** How much one storage read may fetch: each storage adapter states its own. */
    private readonly chunks: ChunkPolicy,
    private readonly changes: ChangeLog | null = null,
  ) {}

  async execute(request: ListRequest): Promise<Listing> {
    const { pattern, after, limit } = request;
    if (limit !== null && (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE)) {
      throw new DomainError("invalid-page", `a page holds from 1 to ${MAX_PAGE_SIZE} entries`);
    }
    // Any string orders as a cursor, but no key contains NUL and storage cannot hold one.
    if (after !== null && after.includes("\u0000")) throw new DomainError("invalid-page", "a page cursor must not contain NUL (U+0000)");
    // Read first: whatever committed up to this revision, every later read sees.
    const revision = this.changes === null ? null : await this.changes.head();
    if (limit === null) return this.listed({ entries: this.read({ pattern, after, through: null }, Infinity), nextAfter: null, revision });

    // Find where the page ends (and whether anything follows) from keys alone,
    // before any value is read, so the Link header can precede a streamed body.
    const boundary = await this.repository.keysAt({ pattern, after, through: null }, limit - 1, this.clock.now());
    const through = boundary.length > 0 ? boundary[0] : null;
    const nextAfter = boundary.length > 1 ? boundary[0] : null;
    return this.listed({ entries: this.read({ pattern, after, through }, limit), nextAfter, revision });
  }

  private listed(listing: Listing): Listing {
    this.outcomes.record("list", "listed");
    return listing;
  }

  private async *read(range: KeyRange, limit: number): AsyncGenerator<StoredEntry> {
    let cursor = range.after;
    let remaining = limit;
    let rows = this.chunks.firstRows;
    while (remaining > 0) {
      const chunk = await this.repository.list({ ...range, after: cursor }, Math.min(rows, remaining), this.clock.now());
      let bytes = 0;
      for (const entry of chunk) {
        bytes += entry.key.length + entry.value.length;
        yield entry;
      }
      if (chunk.length < Math.min(rows, remaining)) return;
      remaining -= chunk.length;
      cursor = chunk[chunk.length - 1].key;
      rows = nextChunkRows(this.chunks, chunk.length, bytes);
    }
  }
}

function nextChunkRows(policy: ChunkPolicy, rows: number, bytes: number): number {
  const perRow = Math.max(1, bytes / rows);
  return Math.max(1, Math.min(policy.maxRows, rows * 2, Math.floor(policy.maxBytes / perRow)));
}
