import { Client } from "pg";
import { resetPostgres } from "../support/postgres";
import { openTestStorage, testConfig } from "../support/test-storage";
import type { HeldWrite } from "./change-log.contract";
import { describeRepositoryContract, type ChangeLogSupport } from "./key-value-repository.contract";

/**
 * The repository contract on a PostgreSQL server (or a Citus coordinator) at
 * `url`, migrated from scratch; skipped, saying why, when there is none.
 */
export function describeServerContract(name: string, url: string | null, skipReason: string, changeLog: ChangeLogSupport): void {
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
      changes: storage.changes,
      holdWrite: (key) => holdWrite(url, key),
      reset: async () => void (await storage.repository.deleteMatching(null, 0)),
      close: () => storage.close(),
    };
  }, changeLog);
}

/** Writes `key` on a connection of its own, in a transaction left open. */
async function holdWrite(url: string, key: string): Promise<HeldWrite> {
  const client = new Client({ connectionString: url });
  await client.connect();
  const finish = async (statement: string) => {
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  const write = async (key: string, value: string) => {
    await client.query(
      `INSERT INTO kv_entries (key, value, version, expires_at_ms) VALUES ($1, $2, nextval('kv_version_seq'), NULL)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version, expires_at_ms = NULL`,
      [key, value],
    );
  };
  try {
    await client.query("BEGIN");
    await write(key, "1");
  } catch (error) {
    await client.end();
    throw error;
  }
  return { write, commit: () => finish("COMMIT"), rollback: () => finish("ROLLBACK") };
}
