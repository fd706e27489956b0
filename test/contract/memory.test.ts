import { InMemoryKeyValueRepository } from "../../src/infrastructure/storage/memory/in-memory-key-value-repository";
import { describeRepositoryContract } from "./key-value-repository.contract";

describeRepositoryContract("memory", async () => {
  const repository = new InMemoryKeyValueRepository();
  return { repository, reset: async () => void (await repository.deleteMatching(null)), close: async () => undefined };
});
