import { InMemoryKeyValueRepository } from "../../src/infrastructure/storage/memory/in-memory-key-value-repository";
import { describeRepositoryContract } from "./key-value-repository.contract";

describeRepositoryContract("memory", () => {
  const repository = new InMemoryKeyValueRepository();
  return Promise.resolve({
    repository,
    changes: repository.changes,
    reset: async () => void (await repository.deleteMatching(null, 0)),
    close: () => Promise.resolve(),
  });
}, { kept: true, heldWrites: false });
