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
  | "storage-unavailable";

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

/** Thrown by repository adapters when the backing store cannot be reached; callers may retry later. */
export class StorageUnavailableError extends DomainError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("storage-unavailable", message);
    this.name = "StorageUnavailableError";
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}
