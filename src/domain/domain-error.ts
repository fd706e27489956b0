/**
 * Stable, machine-readable error codes of the domain. The HTTP layer maps each
 * code to a status in one table (src/interfaces/http/problem-catalog.ts); the
 * codes themselves never change meaning once published.
 */
export type DomainErrorCode =
  | "invalid-key"
  | "invalid-filter"
  | "invalid-expiry"
  | "invalid-page"
  | "key-not-found"
  | "precondition-failed"
  | "storage-unavailable"
  | "insufficient-storage"
  | "revision-compacted";

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "DomainError";
  }
}

/** No live key has this name: it was never written, was deleted, or has expired. */
export class KeyNotFoundError extends DomainError {
  constructor() {
    super("key-not-found", "no live key with this name");
    this.name = "KeyNotFoundError";
  }
}

/** A conditional operation's condition did not hold against the key's current state (the caller knows the condition it stated). */
export class PreconditionFailedError extends DomainError {
  constructor() {
    super("precondition-failed", "the key's current state does not satisfy the condition");
    this.name = "PreconditionFailedError";
  }
}

/**
 * Why storage cannot serve now: it cannot be reached (or is starting, or
 * stopped), or it is there but out of capacity (connections, memory, time).
 */
export type UnavailableReason = "unreachable" | "overloaded";

/** Thrown by repository adapters when the backing store cannot serve now; callers may retry later. */
export class StorageUnavailableError extends DomainError {
  readonly reason: UnavailableReason;
  /**
   * True when only part of the store is out of reach (a node of a
   * distributed database, holding some of the keys): an operation on fewer
   * keys may still succeed.
   */
  readonly partial: boolean;

  constructor(message: string, options?: { cause?: unknown; reason?: UnavailableReason; partial?: boolean }) {
    super("storage-unavailable", message);
    this.name = "StorageUnavailableError";
    this.reason = options?.reason ?? "unreachable";
    this.partial = options?.partial ?? false;
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/**
 * Thrown by repository adapters when the store has no room for a write (its
 * disk is full). Nothing of the write was stored; reads still work, and
 * writes succeed again once space is freed.
 */
export class InsufficientStorageError extends DomainError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("insufficient-storage", message);
    this.name = "InsufficientStorageError";
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/**
 * The changes after the requested revision are no longer kept: the caller
 * must read the current state again and continue from its revision.
 */
export class RevisionCompactedError extends DomainError {
  /** The smallest revision a reader may still continue from. */
  readonly oldestAvailable: number;

  constructor(requested: number, oldestAvailable: number) {
    super("revision-compacted", `changes after revision ${requested} are no longer kept; the oldest revision to continue from is ${oldestAvailable}`);
    this.name = "RevisionCompactedError";
    this.oldestAvailable = oldestAvailable;
  }
}
