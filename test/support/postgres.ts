import { Client } from "pg";

/**
 * The PostgreSQL server for tests: TEST_DATABASE_URL. When it is unset the
 * PostgreSQL suites skip (their titles say so), unless REQUIRE_POSTGRES=1,
 * which turns a missing database into a failure - CI sets both.
 */
export function postgresTestUrl(): string | null {
  const url = process.env.TEST_DATABASE_URL?.trim() || null;
  if (url === null && process.env.REQUIRE_POSTGRES === "1") {
    throw new Error("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set");
  }
  return url;
}

export const POSTGRES_SKIP_REASON = "skipped: set TEST_DATABASE_URL to run against PostgreSQL";

/** Runs `work` on a connection of its own to `url`, closed afterwards whatever happens. */
export async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Drops everything the service creates, so the next start migrates from scratch. */
export async function resetPostgres(url: string): Promise<void> {
  await withClient(url, (client) =>
    client.query(
      `DROP TABLE IF EXISTS kv_entries, kv_schema_migrations, kv_changes, kv_change_queue, kv_revision, kv_watchers;
       DROP SEQUENCE IF EXISTS kv_change_seq;
       DROP FUNCTION IF EXISTS kv_record_puts(), kv_record_removals(), kv_number_changes(bigint);
       DROP SEQUENCE IF EXISTS kv_version_seq;`,
    ),
  );
}
