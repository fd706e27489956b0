import { resetPostgres } from "../support/postgres";
import { openTestStorage, testConfig } from "../support/test-storage";
import { describeRepositoryContract } from "./key-value-repository.contract";

/**
 * The repository contract on a PostgreSQL server (or a Citus coordinator) at
 * `url`, migrated from scratch; skipped, saying why, when there is none.
 */
export function describeServerContract(name: string, url: string | null, skipReason: string): void {
  if (url === null) {
    describe(`KeyValueRepository contract: ${name} (${skipReason})`, () => {
      it.skip(skipReason);
    });
    return;
  }
  describeRepositoryContract(name, async () => {
    await resetPostgres(url);
    const storage = await openTestStorage(testConfig({ STORAGE: "postgres", DATABASE_URL: url }));
    return {
      repository: storage.repository,
      reset: async () => void (await storage.repository.deleteMatching(null, 0)),
      close: () => storage.close(),
    };
  });
}
