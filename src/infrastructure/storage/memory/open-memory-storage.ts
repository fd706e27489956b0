import type { Storage, StorageContext } from "../storage";
import { InMemoryKeyValueRepository } from "./in-memory-key-value-repository";

export function openMemoryStorage({ logger }: StorageContext): Storage {
  logger.warn("memory storage: every key is lost when the process stops; use STORAGE=pglite or postgres to keep data");
  // A chunk is a slice of an index walk with no round trip to amortise: the bounds only cap what one read holds.
  const listChunks = { firstRows: 100, maxRows: 10_000, maxBytes: 4 * 1024 * 1024 };
  return { kind: "memory", repository: new InMemoryKeyValueRepository(), listChunks, close: () => Promise.resolve() };
}
