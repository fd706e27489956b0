/**
 * A linearizability checker for one register per key (Wing & Gong's search
 * with Lowe's memoization, as in Knossos and Porcupine). Each key's history is
 * checked on its own: a history is linearizable iff every key's is (locality).
 *
 * The register holds null (absent) or a value with its entity-tag, as the
 * service's responses report them; every operation states what it observed,
 * and the search looks for one order of all operations, consistent with
 * real time (an operation that returned before another was invoked comes
 * first), in which every observation is what a single register would give.
 */

export type RegisterState = { readonly value: string; readonly etag: string } | null;

export type Operation =
  | { readonly kind: "read"; readonly found: RegisterState }
  | { readonly kind: "write"; readonly value: string; readonly etag: string; readonly created: boolean }
  | { readonly kind: "cas"; readonly expected: string; readonly value: string; readonly etag: string | null }
  | { readonly kind: "delete"; readonly existed: boolean };

export interface HistoryEntry {
  readonly key: string;
  readonly invokedAt: number;
  readonly returnedAt: number;
  readonly operation: Operation;
}

/** The register's transition: the next state, or undefined when the observation is impossible from `state`. */
export function step(state: RegisterState, operation: Operation): RegisterState | undefined {
  switch (operation.kind) {
    case "read":
      if (state === null || operation.found === null) return state === operation.found ? state : undefined;
      return state.value === operation.found.value && state.etag === operation.found.etag ? state : undefined;
    case "write":
      return (state === null) === operation.created ? { value: operation.value, etag: operation.etag } : undefined;
    case "cas": {
      const matches = state !== null && state.etag === operation.expected;
      if (operation.etag === null) return matches ? undefined : state;
      return matches ? { value: operation.value, etag: operation.etag } : undefined;
    }
    case "delete":
      return (state !== null) === operation.existed ? null : undefined;
  }
}

interface Event {
  readonly call: boolean;
  readonly id: number;
  readonly operation: Operation;
  match: Event | null;
  prev: Event | null;
  next: Event | null;
}

/** Checks one key's history, starting from an absent register. */
export function isLinearizable(history: readonly HistoryEntry[], initial: RegisterState = null): boolean {
  const head = buildEvents(history);
  const linearized = new Uint8Array(history.length);
  const cache = new Set<string>();
  const calls: { event: Event; state: RegisterState }[] = [];
  let state = initial;
  let entry = head.next;
  while (head.next !== null) {
    if (entry === null) throw new Error("unreachable: ran off the event list");
    if (entry.call) {
      const next = step(state, entry.operation);
      if (next !== undefined) {
        linearized[entry.id] = 1;
        const key = `${linearized.join("")}|${JSON.stringify(next)}`;
        if (!cache.has(key)) {
          cache.add(key);
          calls.push({ event: entry, state });
          state = next;
          lift(entry);
          entry = head.next;
          continue;
        }
        linearized[entry.id] = 0;
      }
      entry = entry.next;
    } else {
      // A return whose call is not linearized yet: undo the last choice.
      const last = calls.pop();
      if (last === undefined) return false;
      state = last.state;
      linearized[last.event.id] = 0;
      unlift(last.event);
      entry = last.event.next;
    }
  }
  return true;
}

/** Groups a history by key and checks each; returns the keys whose history is not linearizable. */
export function nonLinearizableKeys(history: readonly HistoryEntry[]): string[] {
  const byKey = new Map<string, HistoryEntry[]>();
  for (const entry of history) byKey.set(entry.key, [...(byKey.get(entry.key) ?? []), entry]);
  return [...byKey].filter(([, entries]) => !isLinearizable(entries)).map(([key]) => key);
}

function buildEvents(history: readonly HistoryEntry[]): Event {
  const points: { at: number; event: Event }[] = [];
  history.forEach((entry, id) => {
    if (entry.returnedAt < entry.invokedAt) throw new Error("an operation returned before it was invoked");
    const call: Event = { call: true, id, operation: entry.operation, match: null, prev: null, next: null };
    const ret: Event = { call: false, id, operation: entry.operation, match: null, prev: null, next: null };
    call.match = ret;
    points.push({ at: entry.invokedAt, event: call }, { at: entry.returnedAt, event: ret });
  });
  // At equal times calls go first: operations that touch are treated as concurrent.
  points.sort((a, b) => a.at - b.at || Number(b.event.call) - Number(a.event.call));
  const head: Event = { call: false, id: -1, operation: { kind: "delete", existed: false }, match: null, prev: null, next: null };
  let last = head;
  for (const { event } of points) {
    event.prev = last;
    last.next = event;
    last = event;
  }
  return head;
}

function lift(call: Event): void {
  call.prev!.next = call.next;
  if (call.next) call.next.prev = call.prev;
  const ret = call.match!;
  ret.prev!.next = ret.next;
  if (ret.next) ret.next.prev = ret.prev;
}

function unlift(call: Event): void {
  const ret = call.match!;
  ret.prev!.next = ret;
  if (ret.next) ret.next.prev = ret;
  call.prev!.next = call;
  if (call.next) call.next.prev = call;
}
