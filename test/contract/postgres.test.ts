import { POSTGRES_SKIP_REASON, postgresTestUrl, resetPostgres } from "../support/postgres";
import { openTestStorage, testConfig } from "../support/test-storage";
import { describeRepositoryContract } from "./key-value-repository.contract";

const url = postgresTestUrl();

if (url === null) {
  describe(`KeyValueRepository contract: postgres (${POSTGRES_SKIP_REASON})`, () => {
    it.skip(POSTGRES_SKIP_REASON);
  });
} else {
  describeRepositoryContract("postgres (server)", async () => {
    await resetPostgres(url);
    const storage = await openTestStorage(testConfig({ STORAGE: "postgres", DATABASE_URL: url }));
    return {
      repository: storage.repository,
      reset: async () => void (await storage.repository.deleteMatching(null, 0)),
      close: () => storage.close(),
    };
  });
}
