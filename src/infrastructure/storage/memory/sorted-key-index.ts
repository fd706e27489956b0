import { compareCodePoints } from "../../../domain/utf8";

/**
 * Keys in code-point order for range scans. New keys wait in a small unsorted
 * buffer and are merged in on the next scan; removed keys are skipped lazily
 * (the owner says which keys are present) and compacted away once they are
 * half of the index. Scans are O(log n + visited), writes O(1) amortised.
 */
export class SortedKeyIndex {
  private sorted: string[] = [];
  private pending: string[] = [];
  private removed = 0;

  constructor(private readonly isPresent: (key: string) => boolean) {}

  /** Records a key that has just become present (not called for overwrites). */
  add(key: string): void {
    this.pending.push(key);
  }

  /** Records that a key has stopped being present. */
  remove(): void {
    this.removed++;
  }

  clear(): void {
    this.sorted = [];
    this.pending = [];
    this.removed = 0;
  }

  /** Present keys strictly after `after` (from the start when null), in code-point order. */
  *keysAfter(after: string | null): Generator<string> {
    this.settle();
    const keys = this.sorted;
    for (let i = after === null ? 0 : this.firstIndexAfter(after); i < keys.length; i++) {
      if (this.isPresent(keys[i])) yield keys[i];
    }
  }

  private settle(): void {
    if (this.pending.length > 0) {
      this.sorted = mergeSorted(this.sorted, this.pending.sort(compareCodePoints), this.isPresent);
      this.pending = [];
      this.removed = 0;
    } else if (this.removed > this.sorted.length / 2) {
      this.sorted = this.sorted.filter(this.isPresent);
      this.removed = 0;
    }
  }

  private firstIndexAfter(key: string): number {
    let low = 0;
    let high = this.sorted.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareCodePoints(this.sorted[middle], key) <= 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

/** Merges two sorted lists, keeping each present key once. */
function mergeSorted(a: readonly string[], b: readonly string[], isPresent: (key: string) => boolean): string[] {
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let next: string;
    if (j >= b.length || (i < a.length && compareCodePoints(a[i], b[j]) <= 0)) next = a[i++];
    else next = b[j++];
    if (isPresent(next) && out[out.length - 1] !== next) out.push(next);
  }
  return out;
}
