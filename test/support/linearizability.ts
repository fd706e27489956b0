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

/**
 * null: absent. An etag of null: the value was written by an operation whose
 * response was lost, so its entity-tag is not known until someone reads it.
 */
export type RegisterState = { readonly value: string; readonly etag: string | null } | null;

export type Operation =
  | { readonly kind: "read"; readonly found: { readonly value: string; readonly etag: string } | null }
  | { readonly kind: "write"; readonly value: string; readonly etag: string; readonly created: boolean }
  | { readonly kind: "cas"; readonly expected: string; readonly value: string; readonly etag: string | null }
  | { readonly kind: "delete"; readonly existed: boolean }
  // Outcome unknown (no response, or a 5xx): the operation may or may not have
  // taken effect. Such an entry returns at +Infinity, so the search may also
  // place it after everything else, which is the same as "never happened".
  | { readonly kind: "write?"; readonly value: string }
  | { readonly kind: "cas?"; readonly expected: string; readonly value: string }
  | { readonly kind: "delete?" };

export interface HistoryEntry {
  readonly key: string;
  readonly invokedAt: number;
  /** Infinity for an operation whose outcome is unknown. */
  readonly returnedAt: number;
  readonly operation: Operation;
}

/**
 * The register's transition: every state the operation may leave, given what
 * it observed; none when the observation is impossible from `state`.
 */
export function step(state: RegisterState, operation: Operation): RegisterState[] {
  const etagMayBe = (expected: string) => state !== null && (state.etag === expected || state.etag === null);
  switch (operation.kind) {
    case "read": {
      const found = operation.found;
      if (state === null || found === null) return state === found ? [state] : [];
      // Reading a value whose etag was unknown learns it.
      return state.value === found.value && (state.etag === found.etag || state.etag === null) ? [found] : [];
    }
    case "write":
      return (state === null) === operation.created ? [{ value: operation.value, etag: operation.etag }] : [];
    case "cas":
      if (operation.etag !== null) return etagMayBe(operation.expected) ? [{ value: operation.value, etag: operation.etag }] : [];
      return state === null || state.etag !== operation.expected ? [state] : [];
    case "delete":
      return (state !== null) === operation.existed ? [null] : [];
    case "write?":
      return [{ value: operation.value, etag: null }];
    case "cas?": {
      const applied = { value: operation.value, etag: null };
      if (!etagMayBe(operation.expected)) return [state];
      return state!.etag === null ? [applied, state] : [applied];
    }
    case "delete?":
      return [null];
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

interface Choice {
  readonly event: Event;
  /** The state before the event. */
  readonly state: RegisterState;
  readonly options: RegisterState[];
  /** The next option to try when the search comes back to this choice. */
  readonly next: number;
}

/**
 * How many distinct (linearized set, state) pairs the search may visit before
 * it gives up: about 1 GB of memo. A history that needs more is too ambiguous
 * to decide (typically: many operations with unknown outcome on one key), and
 * the checker says so instead of running out of memory.
 */
export const SEARCH_BUDGET = 4_000_000;

/** Checks one key's history, starting from an absent register; throws when the search exceeds `budget`. */
export function isLinearizable(history: readonly HistoryEntry[], initial: RegisterState = null, budget = SEARCH_BUDGET): boolean {
  const head = buildEvents(history);
  // One bit per operation: the memo keys are an eighth of a byte per
  // operation, so a search across a crash (many outcomes unknown) fits in memory.
  const linearized = new Uint8Array(Math.ceil(history.length / 8));
  const mark = (id: number, on: boolean) => (on ? (linearized[id >> 3] |= 1 << (id & 7)) : (linearized[id >> 3] &= ~(1 << (id & 7))));
  const cache = new Set<string>();
  const calls: Choice[] = [];
  let state = initial;
  let entry = head.next;

  /** Linearizes `event` with the first untried, unseen option from `from`; false when there is none. */
  const tryOptions = (event: Event, before: RegisterState, options: RegisterState[], from: number): boolean => {
    mark(event.id, true);
    const done = Buffer.from(linearized).toString("latin1");
    for (let i = from; i < options.length; i++) {
      const key = `${done}|${JSON.stringify(options[i])}`;
      if (cache.has(key)) continue;
      if (cache.size >= budget) {
        const unknown = history.filter((entry) => entry.returnedAt === Infinity).length;
        throw new Error(`linearizability search gave up after ${budget} states: ${history.length} operations, ${unknown} with unknown outcome`);
      }
      cache.add(key);
      calls.push({ event, state: before, options, next: i + 1 });
      state = options[i];
      lift(event);
      entry = head.next;
      return true;
    }
    mark(event.id, false);
    return false;
  };

  while (head.next !== null) {
    if (entry === null) throw new Error("unreachable: ran off the event list");
    if (entry.call) {
      if (!tryOptions(entry, state, step(state, entry.operation), 0)) entry = entry.next;
    } else {
      // A return whose call is not linearized yet: revisit the last choice.
      const last = calls.pop();
      if (last === undefined) return false;
      state = last.state;
      mark(last.event.id, false);
      unlift(last.event);
      if (!tryOptions(last.event, last.state, last.options, last.next)) entry = last.event.next;
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
