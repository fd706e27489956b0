import type { ChangeSignal } from "../../domain/change-signal";
import type { KeyValueRepository } from "../../domain/key-value-repository";
import { decorateRepository } from "./decorate-repository";

/** How often the change log's readers look for changes without being told: the longest a lost notification delays one. */
export const CHANGE_POLL_MS = 1_000;
/**
 * The signal fires at most this often: under a stream of writes, each read
 * of the log takes what this long committed, instead of reads (each a
 * numbering and a query) running back to back.
 */
export const CHANGE_MIN_INTERVAL_MS = 10;
/**
 * While notifications come faster than this (per ms, about one per write),
 * at most this often instead: a numbering costs the database about a
 * millisecond whatever it takes, and a write-saturated store with a watcher
 * served 12 % more PUTs at 50 ms than at 10 ms.
 */
export const CHANGE_BUSY_RATE_PER_MS = 1;
export const CHANGE_BUSY_INTERVAL_MS = 50;

/**
 * A ChangeSignal that fires when told to (after this process's own writes,
 * or a database notification), at most every `minIntervalMs` (every
 * CHANGE_BUSY_INTERVAL_MS while told at the busy rate), and every
 * `pollMs` regardless, so that a lost notification delays a change by at
 * most that long; all of it only while some instance has watchers: this
 * one (setWanted) or, as far as it has heard, another (watchedElsewhereFor).
 */
export class ChangeNotifications implements ChangeSignal {
  private readonly listeners = new Set<() => void>();
  private readonly timer: NodeJS.Timeout;
  private pending = false;
  private wanted = false;
  /** Until when (performance.now()) another instance is known to have watchers. */
  private elsewhereUntil = -Infinity;
  private lastFired = -Infinity;
  /** Notifications since the last fire, and whether they came at the busy rate. */
  private told = 0;
  private busy = false;
  /** Told whether this instance has watchers (see ChangeSignal.setWanted). */
  onWanted: (wanted: boolean) => void = () => {};

  constructor(
    pollMs = CHANGE_POLL_MS,
    private readonly minIntervalMs = CHANGE_MIN_INTERVAL_MS,
  ) {
    this.timer = setInterval(() => this.notify(), pollMs);
    this.timer.unref();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setWanted(wanted: boolean): void {
    this.wanted = wanted;
    this.onWanted(wanted);
  }

  /** Whether this instance has watchers now. */
  get wantedHere(): boolean {
    return this.wanted;
  }

  /** Another instance has watchers, for the next `ms` at least: its watchers need this instance's writes numbered (and announced) soon. */
  watchedElsewhereFor(ms: number): void {
    this.elsewhereUntil = Math.max(this.elsewhereUntil, performance.now() + ms);
  }

  /** Fires the listeners once, soon; notifications until then coalesce. Nothing while no watcher waits anywhere (every write calls this). */
  notify(): void {
    if (!(this.wanted || performance.now() < this.elsewhereUntil)) return;
    this.told++;
    if (this.pending) return;
    this.pending = true;
    const fire = () => {
      const now = performance.now();
      this.busy = this.told >= CHANGE_BUSY_RATE_PER_MS * (now - this.lastFired);
      this.told = 0;
      this.pending = false;
      this.lastFired = now;
      for (const listener of [...this.listeners]) listener();
    };
    const wait = this.lastFired + (this.busy ? CHANGE_BUSY_INTERVAL_MS : this.minIntervalMs) - performance.now();
    if (wait <= 0) setImmediate(fire);
    else setTimeout(fire, wait);
  }

  close(): void {
    clearInterval(this.timer);
    this.listeners.clear();
  }
}

/** The repository, notifying after each of its writes has completed (committed). */
export function notifyAfterWrites(inner: KeyValueRepository, notifications: ChangeNotifications): KeyValueRepository {
  const notifying = async <T>(result: Promise<T>): Promise<T> => {
    try {
      return await result;
    } finally {
      // Even a failed write may have committed (a lost answer): the log will say.
      notifications.notify();
    }
  };
  return decorateRepository(inner, {
    putMany: (...args) => notifying(inner.putMany(...args)),
    putIf: (...args) => notifying(inner.putIf(...args)),
    deleteIf: (...args) => notifying(inner.deleteIf(...args)),
    deleteMatching: (...args) => notifying(inner.deleteMatching(...args)),
    purgeExpired: (...args) => notifying(inner.purgeExpired(...args)),
  });
}
