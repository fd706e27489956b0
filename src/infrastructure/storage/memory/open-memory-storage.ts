import type { Storage, StorageContext } from "../storage";
import { InMemoryKeyValueRepository } from "./in-memory-key-value-repository";

export function openMemoryStorage({ logger }: StorageContext): Storage {
  logger.warn("memory storage: every key is lost when the process stops; use STORAGE=pglite or postgres to keep data");
  return { kind: "memory", repository: new InMemoryKeyValueRepository(), close: () => Promise.resolve() };
}
