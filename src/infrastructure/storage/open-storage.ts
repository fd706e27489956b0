import { openMemoryStorage } from "./memory/open-memory-storage";
import { openPgliteStorage } from "./pglite/open-pglite-storage";
import { openPostgresStorage } from "./postgres/open-postgres-storage";
import type { Storage, StorageContext } from "./storage";

/** Opens the backend the configuration names: connects, locks, migrates. */
export function openStorage(context: StorageContext): Promise<Storage> {
  switch (context.config.storage) {
    case "postgres":
      return openPostgresStorage(context);
    case "pglite":
      return openPgliteStorage(context);
    case "memory":
      return Promise.resolve(openMemoryStorage(context));
  }
}
