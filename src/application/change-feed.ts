import type { Change } from "../domain/change";
import type { ChangeLog } from "../domain/change-log";
import type { ChangeSignal } from "../domain/change-signal";
import { RevisionCompactedError } from "../domain/domain-error";
import type { KeyPattern } from "../domain/key-pattern";

export interface ChangeFeedOptions {
  /** Rows per read of the log. */
  readonly pageSize: number;
  /** The recent changes kept in memory for watchers that are close behind, in bytes of keys and values (about). */
  readonly windowBytes: number;
}

/** What a watcher gets from next(): changes in revision order, and how far it has now seen. */
export interface FeedPage {
  readonly changes: readonly Change[];
  /** Every change up to this revision that matches has been given; continue from here. */
  readonly through: number;
}

/**
 * One instance's view of the change log, shared by all its watchers: a
 * single reader follows the log (on each signal) and keeps a window of the
 * latest changes in memory, from which every watcher that is close behind
 * takes its next changes. A watcher further behind (a replay from `since`,
 * or one too slow to keep up) reads the log itself, filtered, a page at a
 * time, until it reaches the window. Watchers pull: nothing is queued for a
 * watcher that does not ask, so a slow one costs no memory here. Without
 * watchers the feed neither reads the log nor keeps a window.
 */
export class ChangeFeed {
  private window: Change[] = [];
  private windowBytes = 0;
  /** The window holds every change after this revision up to `position`. */
  private windowStart = 0;
  private position = 0;
  private readonly listeners = new Set<() => void>();
  private following: Promise<void> | null = null;
  private again = false;
  private unsubscribe: (() => void) | null = null;
  private lastError: unknown = null;
  /** Set while there were no watchers: the next read starts from the log's head, not from where the feed stopped. */
  private resync = true;

  constructor(
    private readonly log: ChangeLog,
    private readonly signal: ChangeSignal,
    private readonly options: ChangeFeedOptions,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Starts listening for signals; the log is read only while there are watchers, from its head when the first arrives. */
  start(): void {
    this.unsubscribe = this.signal.subscribe(() => {
      if (this.listeners.size > 0) void this.follow();
    });
  }

  /** Stops following; resolves once a read in progress has ended. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.again = false;
    await this.following;
  }

  /** The latest revision this instance has read from the log. */
  get revision(): number {
    return this.position;
  }

  /** The log's committed head, read now. */
  head(): Promise<number> {
    return this.log.head();
  }

  /** Calls `listener` whenever the feed has read new changes; returns the unsubscribe function. */
  onAdvance(listener: () => void): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1) {
      this.signal.setWanted(true);
      void this.follow();
    }
    return () => {
      if (!this.listeners.delete(listener) || this.listeners.size > 0) return;
      this.signal.setWanted(false);
      // Nobody reads the window now; the next watcher starts a new one.
      this.restartAt(this.position);
      this.resync = true;
    };
  }

  /**
   * The next changes after `after` that match, at most `limit`. Throws
   * RevisionCompactedError when changes after `after` are no longer kept.
   */
  async next(after: number, pattern: KeyPattern | null, limit: number): Promise<FeedPage> {
    return after >= this.windowStart ? this.fromWindow(after, pattern, limit) : this.fromLog(after, pattern, limit);
  }

  /**
   * As next(), always from the log: a stream's first page, so that a replay
   * from a revision the log no longer keeps is refused even while this
   * instance's window still holds it (every instance answers alike).
   */
  async fromLog(after: number, pattern: KeyPattern | null, limit: number): Promise<FeedPage> {
    const known = this.position;
    const changes = await this.log.read(after, pattern, limit);
    // Fewer than asked: the log held nothing more that matches when it was
    // read, and everything up to `known` had been committed before that.
    const last = changes.length > 0 ? changes[changes.length - 1].revision : after;
    return { changes, through: changes.length < limit ? Math.max(known, last) : last };
  }

  /** Reads what the log holds beyond `position` into the window; signals coalesce into one read at a time. */
  follow(): Promise<void> {
    if (this.following !== null) {
      this.again = true;
      return this.following;
    }
    this.following = this.readAhead().finally(() => {
      this.following = null;
      if (this.again) {
        this.again = false;
        void this.follow();
      }
    });
    return this.following;
  }

  private async readAhead(): Promise<void> {
    let advanced = false;
    try {
      // Every change committed by now has its revision once head() returns.
      const head = await this.log.head();
      if (this.resync) {
        this.resync = false;
        // Watchers behind the new start read what they missed from the log.
        if (head !== this.position) advanced = true;
        this.restartAt(head);
      }
      while (this.position < head) {
        const changes = await this.log.read(this.position, null, this.options.pageSize);
        if (changes.length === 0) break; // not expected (every revision up to head is readable), but never spin
        for (const change of changes) this.append(change);
        advanced = true;
      }
      this.lastError = null;
    } catch (error) {
      // Reported once per outage; the next signal (or the periodic one) retries.
      if (this.lastError === null) this.onError(error);
      this.lastError = error;
      // Changes after `position` trimmed before this instance read them:
      // watchers in that range will be told by their own reads.
      if (error instanceof RevisionCompactedError) this.restartAt(error.oldestAvailable);
    }
    if (advanced) for (const listener of [...this.listeners]) listener();
  }

  private append(change: Change): void {
    this.window.push(change);
    this.position = change.revision;
    this.windowBytes += sizeOf(change);
    let drop = 0;
    while (this.windowBytes > this.options.windowBytes && drop < this.window.length - 1) {
      this.windowBytes -= sizeOf(this.window[drop]);
      this.windowStart = this.window[drop].revision;
      drop++;
    }
    if (drop > 0) this.window = this.window.slice(drop);
  }

  private restartAt(revision: number): void {
    this.window = [];
    this.windowBytes = 0;
    this.windowStart = revision;
    this.position = revision;
  }

  private fromWindow(after: number, pattern: KeyPattern | null, limit: number): FeedPage {
    const changes: Change[] = [];
    // Revisions in the window are consecutive: the first after `after` is at this index.
    for (let i = Math.max(0, after - this.windowStart); i < this.window.length; i++) {
      const change = this.window[i];
      if (pattern !== null && !pattern.matches(change.key)) continue;
      changes.push(change);
      if (changes.length === limit) return { changes, through: change.revision };
    }
    return { changes, through: Math.max(after, this.position) };
  }
}

function sizeOf(change: Change): number {
  return 2 * change.key.length + 2 * (change.value?.length ?? 0) + 100;
}
