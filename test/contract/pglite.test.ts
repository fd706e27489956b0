import { openTestStorage, temporaryDirectory, testConfig } from "../support/test-storage";
import { describeRepositoryContract } from "./key-value-repository.contract";

describeRepositoryContract("pglite (embedded, no server needed)", async () => {
  const directory = temporaryDirectory();
  const storage = await openTestStorage(testConfig({ STORAGE: "pglite", DATA_DIR: directory.path }));
  return {
    repository: storage.repository,
    changes: storage.changes,
    reset: async () => void (await storage.repository.deleteMatching(null, 0)),
    close: async () => {
      await storage.close();
      directory.remove();
    },
  };
}, { kept: true, heldWrites: false });
