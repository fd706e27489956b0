import { StorageUnavailableError } from "../../domain/domain-error";
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
      metrics.storageErrors.inc({ operation, kind: error instanceof StorageUnavailableError ? "unavailable" : "error" });
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
    for (const kind of ["unavailable", "error"]) metrics.storageErrors.inc({ operation, kind }, 0);
  }
  return instrumented;
}
