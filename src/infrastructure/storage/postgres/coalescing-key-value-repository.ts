import { StorageUnavailableError } from "../../../domain/domain-error";
import type { KeyValueRepository } from "../../../domain/key-value-repository";
import type { NewEntry, StoredEntry, WriteResult } from "../../../domain/stored-entry";
import { Batcher, type BatcherOptions } from "./batcher";
import type { BatchStatements, PendingWrite, PointRead } from "./postgres-key-value-repository";

export interface CoalescingOptions {
  readonly reads: BatcherOptions;
  readonly writes: BatcherOptions;
}

/**
 * Coalesces concurrent point reads, and concurrent unconditional writes, of
 * many requests into one statement per batch (see Batcher); every other call
 * passes straight through. The Node side of a query costs more than
 * PostgreSQL's, so fewer, larger statements are what lets the service outrun
 * one query per request. Each read keeps its own `now`; each write stays
 * atomic and is acknowledged only after the statement holding it committed.
 */
export class CoalescingKeyValueRepository implements KeyValueRepository {
  private readonly reads: Batcher<PointRead, StoredEntry | null>;
  private readonly writes: Batcher<PendingWrite, WriteResult[]>;
  readonly putIf: KeyValueRepository["putIf"];
  readonly deleteIf: KeyValueRepository["deleteIf"];
  readonly deleteMatching: KeyValueRepository["deleteMatching"];
  readonly list: KeyValueRepository["list"];
  readonly keysAt: KeyValueRepository["keysAt"];
  readonly purgeExpired: KeyValueRepository["purgeExpired"];
  readonly statistics: KeyValueRepository["statistics"];
  readonly checkReady: KeyValueRepository["checkReady"];

  constructor(
    private readonly inner: KeyValueRepository & BatchStatements,
    options: CoalescingOptions,
  ) {
    this.reads = new Batcher((reads) => this.readBatch(reads), options.reads);
    this.writes = new Batcher((writes) => this.writeBatch(writes), options.writes);
    this.putIf = inner.putIf.bind(inner);
    this.deleteIf = inner.deleteIf.bind(inner);
    this.deleteMatching = inner.deleteMatching.bind(inner);
    this.list = inner.list.bind(inner);
    this.keysAt = inner.keysAt.bind(inner);
    this.purgeExpired = inner.purgeExpired.bind(inner);
    this.statistics = inner.statistics.bind(inner);
    this.checkReady = inner.checkReady.bind(inner);
  }

  get(key: string, now: number): Promise<StoredEntry | null> {
    return this.reads.submit({ key, now });
  }

  putMany(entries: readonly NewEntry[], expiresAt: number | null, now: number): Promise<WriteResult[]> {
    return this.writes.submit({ entries, expiresAt, now });
  }

  /**
   * One batch's reads in one statement. When only part of the store is out
   * of reach (a Citus worker down), each read is retried alone, so that keys
   * on the nodes still up are served.
   */
  private async readBatch(reads: PointRead[]): Promise<PromiseSettledResult<StoredEntry | null>[]> {
    try {
      return (await this.inner.getEach(reads)).map((value) => ({ status: "fulfilled", value }));
    } catch (error) {
      if (reads.length === 1 || !isPartialOutage(error)) throw error;
      const alone: PromiseSettledResult<StoredEntry | null>[] = [];
      for (const read of reads) alone.push(...(await this.readBatch([read]).catch((reason: unknown) => [{ status: "rejected" as const, reason }])));
      return alone;
    }
  }

  /**
   * The writes of one batch, in as few statements as possible. A key may
   * appear once per statement, so a write repeating a key of its group starts
   * the next group, in arrival order.
   */
  private async writeBatch(writes: PendingWrite[]): Promise<PromiseSettledResult<WriteResult[]>[]> {
    const results: PromiseSettledResult<WriteResult[]>[] = [];
    let group: PendingWrite[] = [];
    let keys = new Set<string>();
    for (const write of writes) {
      if (write.entries.some((entry) => keys.has(entry.key))) {
        results.push(...(await this.writeGroup(group)));
        group = [];
        keys = new Set();
      }
      group.push(write);
      for (const entry of write.entries) keys.add(entry.key);
    }
    results.push(...(await this.writeGroup(group)));
    return results;
  }

  /**
   * One group's statement. When it fails for a reason other than storage
   * being unreachable, or because only part of the store is (a Citus worker
   * down), its writes are retried one by one, so one bad write - or one
   * write to the missing node - fails alone; when storage is gone, the group
   * fails (earlier groups keep their commits). A failed statement committed
   * nothing (on Citus, a distributed transaction aborts on every node), so
   * the retry writes each value once.
   */
  private async writeGroup(group: PendingWrite[]): Promise<PromiseSettledResult<WriteResult[]>[]> {
    try {
      return (await this.inner.putEach(group)).map((value) => ({ status: "fulfilled", value }));
    } catch (error) {
      if (group.length === 1 || (error instanceof StorageUnavailableError && !isPartialOutage(error))) return group.map(() => ({ status: "rejected", reason: error }));
      const alone: PromiseSettledResult<WriteResult[]>[] = [];
      for (const write of group) alone.push(...(await this.writeGroup([write])));
      return alone;
    }
  }
}

function isPartialOutage(error: unknown): boolean {
  return error instanceof StorageUnavailableError && error.partial;
}
