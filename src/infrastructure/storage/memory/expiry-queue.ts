export interface ExpiryTicket {
  readonly expiresAt: number;
  readonly key: string;
  readonly version: number;
}

/**
 * A binary min-heap of expiry times. Overwritten or deleted keys leave their
 * old tickets behind; the owner discards a ticket whose version is no longer
 * current when it comes out.
 */
export class ExpiryQueue {
  private readonly heap: ExpiryTicket[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(ticket: ExpiryTicket): void {
    const heap = this.heap;
    heap.push(ticket);
    let child = heap.length - 1;
    while (child > 0) {
      const parent = (child - 1) >>> 1;
      if (heap[parent].expiresAt <= heap[child].expiresAt) break;
      [heap[parent], heap[child]] = [heap[child], heap[parent]];
      child = parent;
    }
  }

  /** Removes and returns the earliest ticket if it expires at or before `now`. */
  popDue(now: number): ExpiryTicket | null {
    const top = this.heap[0];
    return top !== undefined && top.expiresAt <= now ? this.popTop() : null;
  }

  /** Drops earliest tickets while `stale` says so; returns the earliest one left, if any. */
  discardStale(stale: (ticket: ExpiryTicket) => boolean): ExpiryTicket | null {
    while (this.heap.length > 0 && stale(this.heap[0])) this.popTop();
    return this.heap[0] ?? null;
  }

  /**
   * Tickets expiring at or before `now`, in no particular order. Visits only
   * those (a subtree whose root is later holds nothing earlier), so the cost
   * follows the number of due tickets, not the size of the queue.
   */
  *due(now: number): Generator<ExpiryTicket> {
    const pending = this.heap.length > 0 ? [0] : [];
    for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
      const ticket = this.heap[node];
      if (ticket.expiresAt > now) continue;
      yield ticket;
      for (const child of [2 * node + 1, 2 * node + 2]) if (child < this.heap.length) pending.push(child);
    }
  }

  private popTop(): ExpiryTicket {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop() as ExpiryTicket;
    if (heap.length > 0) {
      heap[0] = last;
      let parent = 0;
      for (;;) {
        const left = 2 * parent + 1;
        const right = left + 1;
        let smallest = parent;
        if (left < heap.length && heap[left].expiresAt < heap[smallest].expiresAt) smallest = left;
        if (right < heap.length && heap[right].expiresAt < heap[smallest].expiresAt) smallest = right;
        if (smallest === parent) break;
        [heap[parent], heap[smallest]] = [heap[smallest], heap[parent]];
        parent = smallest;
      }
    }
    return top;
  }

  clear(): void {
    this.heap.length = 0;
  }
}
