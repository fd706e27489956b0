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
  const wrap =
    <A extends unknown[], R>(operation: Operation, call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const stop = metrics.storageDuration.startTimer({ operation });
      try {
        return await call.apply(inner, args);
      } catch (error) {
        metrics.storageErrors.inc({ operation, kind: error instanceof StorageUnavailableError ? "unavailable" : "error" });
        throw error;
      } finally {
        stop();
      }
    };
  return {
    get: wrap("get", inner.get),
    putMany: wrap("putMany", inner.putMany),
    putIf: wrap("putIf", inner.putIf),
    deleteIf: wrap("deleteIf", inner.deleteIf),
    deleteMatching: wrap("deleteMatching", inner.deleteMatching),
    list: wrap("list", inner.list),
    keysAt: wrap("keysAt", inner.keysAt),
    purgeExpired: wrap("purgeExpired", inner.purgeExpired),
    checkReady: wrap("checkReady", inner.checkReady),
  };
}
