import type { Change } from "../../../domain/change";
import type { ChangeLog, Retention } from "../../../domain/change-log";
import { RevisionCompactedError } from "../../../domain/domain-error";
import type { KeyPattern } from "../../../domain/key-pattern";

interface Recorded {
  readonly change: Change;
  /** The caller's clock when the change was made (retention by duration). */
  readonly at: number;
}

/**
 * The change log of the in-memory store. Changes are recorded synchronously
 * by the repository as it writes, so revision order is write order and every
 * read sees a prefix.
 */
export class InMemoryChangeLog implements ChangeLog {
  /** Ascending revisions, consecutive: recorded[i] has revision trimmed + i + 1. */
  private recorded: Recorded[] = [];
  private last = 0;
  /** Every revision up to this one has been trimmed. */
  private trimmed = 0;

  record(change: Omit<Change, "revision" | "recordedAt">, at: number): void {
    this.recorded.push({ change: { revision: ++this.last, ...change, recordedAt: at }, at });
  }

  head(): Promise<number> {
    return Promise.resolve(this.last);
  }

  read(after: number, pattern: KeyPattern | null, limit: number): Promise<Change[]> {
    if (after < this.trimmed) return Promise.reject(new RevisionCompactedError(after, this.trimmed));
    const found: Change[] = [];
    for (let i = Math.max(0, after - this.trimmed); i < this.recorded.length && found.length < limit; i++) {
      const { change } = this.recorded[i];
      if (pattern === null || pattern.matches(change.key)) found.push(change);
    }
    return Promise.resolve(found);
  }

  trim(retention: Retention, now: number, limit: number): Promise<number> {
    let count = 0;
    while (count < limit && count < this.recorded.length && !retained(retention, this.recorded, count, now)) count++;
    this.recorded = this.recorded.slice(count);
    this.trimmed += count;
    return Promise.resolve(count);
  }
}

/** Whether the retention still covers recorded[index]. */
function retained(retention: Retention, recorded: readonly Recorded[], index: number, now: number): boolean {
  if (retention.kind === "count") return recorded.length - index <= retention.changes;
  return recorded[index].at > now - retention.ms;
}
