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
    const heap = this.heap;
    if (heap.length === 0 || heap[0].expiresAt > now) return null;
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
