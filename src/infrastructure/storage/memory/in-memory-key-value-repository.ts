import { isLive } from "../../../domain/expiry";
import type { KeyPattern } from "../../../domain/key-pattern";
import type { KeyspaceStatistics } from "../../../domain/keyspace-statistics";
import type { KeyRange, KeyValueRepository } from "../../../domain/key-value-repository";
import type { NewEntry, StoredEntry, WriteResult } from "../../../domain/stored-entry";
import { compareCodePoints } from "../../../domain/utf8";
import { conditionHolds, type WriteCondition } from "../../../domain/write-condition";
import { ExpiryQueue, type ExpiryTicket } from "./expiry-queue";
import { InMemoryChangeLog } from "./in-memory-change-log";
import { SortedKeyIndex } from "./sorted-key-index";

interface Item {
  readonly value: string;
  readonly version: number;
  readonly expiresAt: number | null;
}

/**
 * A complete repository in process memory: for unit tests and throwaway runs.
 * Every method runs synchronously to completion, which makes multi-key writes
 * atomic and conditional writes race-free. Nothing survives a restart.
 */
export class InMemoryKeyValueRepository implements KeyValueRepository {
  private readonly items = new Map<string, Item>();
  private readonly index = new SortedKeyIndex((key) => this.items.has(key));
  private readonly expiries = new ExpiryQueue();
  private lastVersion = 0;

  /** `changes` records every write and removal, as the database adapters' triggers do. */
  constructor(readonly changes = new InMemoryChangeLog()) {}

  get(key: string, now: number): Promise<StoredEntry | null> {
    const item = this.liveItem(key, now);
    return Promise.resolve(item ? toEntry(key, item) : null);
  }

  putMany(entries: readonly NewEntry[], expiresAt: number | null, now: number): Promise<WriteResult[]> {
    return Promise.resolve(entries.map((entry) => this.write(entry, expiresAt, now)));
  }

  putIf(entry: NewEntry, expiresAt: number | null, condition: WriteCondition, now: number): Promise<WriteResult | null> {
    const current = this.liveItem(entry.key, now);
    if (!conditionHolds(condition, current ? String(current.version) : null)) return Promise.resolve(null);
    return Promise.resolve(this.write(entry, expiresAt, now));
  }

  deleteIf(key: string, condition: WriteCondition, now: number): Promise<boolean> {
    const current = this.liveItem(key, now);
    if (!current || !conditionHolds(condition, String(current.version))) return Promise.resolve(false);
    this.remove(key, now);
    return Promise.resolve(true);
  }

  deleteMatching(pattern: KeyPattern | null, now: number): Promise<number> {
    let live = 0;
    const doomed = [...this.index.keysAfter(null)].filter((key) => pattern === null || pattern.matches(key));
    for (const key of doomed) {
      if (isLive((this.items.get(key) as Item).expiresAt, now)) live++;
      this.remove(key, now);
    }
    if (pattern === null) {
      this.index.clear();
      this.expiries.clear();
    }
    return Promise.resolve(live);
  }

  list(range: KeyRange, limit: number, now: number): Promise<StoredEntry[]> {
    const entries: StoredEntry[] = [];
    for (const [key, item] of this.liveInRange(range, now)) {
      if (entries.length >= limit) break;
      entries.push(toEntry(key, item));
    }
    return Promise.resolve(entries);
  }

  keysAt(range: KeyRange, offset: number, now: number): Promise<string[]> {
    const keys: string[] = [];
    let position = 0;
    for (const [key] of this.liveInRange(range, now)) {
      if (position >= offset) keys.push(key);
      if (keys.length === 2) break;
      position++;
    }
    return Promise.resolve(keys);
  }

  purgeExpired(now: number, limit: number): Promise<number> {
    let purged = 0;
    while (purged < limit) {
      const ticket = this.expiries.popDue(now);
      if (!ticket) break;
      if (this.isCurrent(ticket)) {
        this.remove(ticket.key, now);
        purged++;
      }
    }
    return Promise.resolve(purged);
  }

  statistics(now: number, expiredLimit: number): Promise<KeyspaceStatistics> {
    // Tickets of overwritten or deleted keys are garbage: drop them from the
    // front so the earliest ticket left belongs to a stored entry.
    const earliest = this.expiries.discardStale((ticket) => !this.isCurrent(ticket));
    let expired = 0;
    for (const ticket of this.expiries.due(now)) {
      if (expired >= expiredLimit) break;
      if (this.isCurrent(ticket)) expired++;
    }
    return Promise.resolve({
      entries: this.items.size,
      entriesExact: true,
      expired,
      oldestExpiredAt: earliest !== null && earliest.expiresAt <= now ? earliest.expiresAt : null,
    });
  }

  checkReady(): Promise<void> {
    return Promise.resolve(undefined);
  }

  private write(entry: NewEntry, expiresAt: number | null, now: number): WriteResult {
    const previous = this.items.get(entry.key);
    const version = ++this.lastVersion;
    this.items.set(entry.key, { value: entry.value, version, expiresAt });
    if (!previous) this.index.add(entry.key);
    if (expiresAt !== null) this.expiries.push({ expiresAt, key: entry.key, version });
    this.changes.record({ key: entry.key, kind: "put", value: entry.value, version: String(version), expiresAt }, now);
    const created = !previous || !isLive(previous.expiresAt, now);
    return { key: entry.key, version: String(version), expiresAt, created };
  }

  /** Removes a stored key; recorded as expired when its expiry had passed at `now`. */
  private remove(key: string, now: number): void {
    const { version, expiresAt } = this.items.get(key) as Item;
    this.items.delete(key);
    this.index.remove();
    this.changes.record({ key, kind: isLive(expiresAt, now) ? "delete" : "expire", value: null, version: String(version), expiresAt }, now);
  }

  private isCurrent(ticket: ExpiryTicket): boolean {
    return this.items.get(ticket.key)?.version === ticket.version;
  }

  private liveItem(key: string, now: number): Item | null {
    const item = this.items.get(key);
    return item && isLive(item.expiresAt, now) ? item : null;
  }

  private *liveInRange(range: KeyRange, now: number): Generator<[string, Item]> {
    for (const key of this.index.keysAfter(range.after)) {
      if (range.through !== null && compareCodePoints(key, range.through) > 0) return;
      const item = this.items.get(key) as Item;
      if (isLive(item.expiresAt, now) && (range.pattern === null || range.pattern.matches(key))) yield [key, item];
    }
  }
}

function toEntry(key: string, item: Item): StoredEntry {
  return { key, value: item.value, version: String(item.version), expiresAt: item.expiresAt };
}
