import { InsufficientStorageError, StorageUnavailableError } from "../../domain/domain-error";
import type { KeyValueRepository } from "../../domain/key-value-repository";
import type { Metrics } from "../metrics/metrics";

type Operation = keyof KeyValueRepository;

/**
 * Wraps any repository to record the latency and failures of each call in
 * the storage metrics. Decorating the port keeps metrics out of the adapters
 * and gives every adapter the same instrumentation.
 */
export function instrumentRepository(inner: KeyValueRepository, metrics: Metrics): KeyValueRepository {
  const observe = async <R>(operation: Operation, call: () => Promise<R>): Promise<R> => {
    const stop = metrics.storageDuration.startTimer({ operation });
    try {
      return await call();
    } catch (error) {
      metrics.storageErrors.inc({ operation, kind: errorKind(error) });
      throw error;
    } finally {
      stop();
    }
  };
  const instrumented: KeyValueRepository = {
    get: (...args) => observe("get", () => inner.get(...args)),
    putMany: (...args) => observe("putMany", () => inner.putMany(...args)),
    putIf: (...args) => observe("putIf", () => inner.putIf(...args)),
    deleteIf: (...args) => observe("deleteIf", () => inner.deleteIf(...args)),
    deleteMatching: (...args) => observe("deleteMatching", () => inner.deleteMatching(...args)),
    list: (...args) => observe("list", () => inner.list(...args)),
    keysAt: (...args) => observe("keysAt", () => inner.keysAt(...args)),
    purgeExpired: (...args) => observe("purgeExpired", () => inner.purgeExpired(...args)),
    statistics: (...args) => observe("statistics", () => inner.statistics(...args)),
    checkReady: () => observe("checkReady", () => inner.checkReady()),
  };
  // Error series exist at 0 from the start, so the first failure shows in rate().
  for (const operation of Object.keys(instrumented)) {
    for (const kind of STORAGE_ERROR_KINDS) metrics.storageErrors.inc({ operation, kind }, 0);
  }
  return instrumented;
}

/** The `kind` label of kv_storage_errors_total. */
const STORAGE_ERROR_KINDS = ["unavailable", "overloaded", "insufficient_storage", "error"] as const;

function errorKind(error: unknown): (typeof STORAGE_ERROR_KINDS)[number] {
  if (error instanceof InsufficientStorageError) return "insufficient_storage";
  if (error instanceof StorageUnavailableError) return error.reason === "overloaded" ? "overloaded" : "unavailable";
  return "error";
}
