import { chunkPolicy } from "../../../application/list-values";
import type { Storage, StorageContext } from "../storage";
import { ChangeNotifications, notifyAfterWrites } from "../change-notifications";
import { InMemoryKeyValueRepository } from "./in-memory-key-value-repository";

export function openMemoryStorage({ logger }: StorageContext): Storage {
  logger.warn("memory storage: every key is lost when the process stops; use STORAGE=pglite or postgres to keep data");
  // A chunk is a slice of an index walk with no round trip to amortise: the bounds only cap what one read holds.
  const store = new InMemoryKeyValueRepository();
  const notifications = new ChangeNotifications();
  return {
    kind: "memory",
    repository: notifyAfterWrites(store, notifications),
    changes: store.changes,
    changeSignal: notifications,
    listChunks: chunkPolicy(10_000),
    close: () => Promise.resolve(notifications.close()),
  };
}
