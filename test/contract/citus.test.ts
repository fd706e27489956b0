import { CITUS_SKIP_REASON, citusTestUrl } from "../support/citus";
import { resetPostgres } from "../support/postgres";
import { openTestStorage, testConfig } from "../support/test-storage";
import { describeRepositoryContract } from "./key-value-repository.contract";

const url = citusTestUrl();

if (url === null) {
  describe(`KeyValueRepository contract: citus (${CITUS_SKIP_REASON})`, () => {
    it.skip(CITUS_SKIP_REASON);
  });
} else {
  describeRepositoryContract("citus (a coordinator and two workers)", async () => {
    await resetPostgres(url);
    const storage = await openTestStorage(testConfig({ STORAGE: "postgres", DATABASE_URL: url }));
    return {
      repository: storage.repository,
      reset: async () => void (await storage.repository.deleteMatching(null, 0)),
      close: () => storage.close(),
    };
  });
}
