import { expect } from "chai";
import { Client } from "pg";
import { POSTGRES_SKIP_REASON, postgresTestUrl, resetPostgres } from "../support/postgres";
import { waitFor } from "../support/polling";
import { startTestService, type TestService } from "../support/test-service";

const url = postgresTestUrl();
const KEYS = 1_000;

async function countKeys(connectionString: string): Promise<number> {
  const client = new Client({ connectionString });
  await client.connect();
  try {
    return Number((await client.query<{ n: string }>("SELECT count(*) AS n FROM kv_entries")).rows[0].n);
  } finally {
    await client.end();
  }
}

async function activeStatements(client: Client): Promise<number> {
  const { rows } = await client.query<{ n: string }>(
    "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'kv' AND state = 'active' AND pid <> pg_backend_pid()",
  );
  return Number(rows[0].n);
}

if (url === null) {
  describe(`DB_QUERY_TIMEOUT_MS on PostgreSQL (${POSTGRES_SKIP_REASON})`, () => it.skip(POSTGRES_SKIP_REASON));
} else {
  describe("DB_QUERY_TIMEOUT_MS on PostgreSQL", () => {
    let t: TestService;
    before(async () => {
      await resetPostgres(url);
      t = await startTestService({ STORAGE: "postgres", DATABASE_URL: url, DB_QUERY_TIMEOUT_MS: "100" });
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(
          `INSERT INTO kv_entries (key, value, version, create_version)
           SELECT 'user:' || i, '1', n, n FROM (SELECT i, nextval('kv_version_seq') AS n FROM generate_series(1, $1::int) AS i) AS s`,
          [KEYS],
        );
      } finally {
        await client.end();
      }
    });
    after(() => t?.stop());

    it("cancels a statement that runs longer in the database: the 503 means nothing of it was committed", async () => {
      // Another session holds one row's lock, so the DELETE waits in the database past the timeout.
      const holder = new Client({ connectionString: url });
      await holder.connect();
      try {
        await holder.query("BEGIN");
        await holder.query("SELECT key FROM kv_entries WHERE key = 'user:500' FOR UPDATE");
        const response = await t.api.delete("/keys?filter=user:$");
        expect(response.status).to.equal(503);
        expect(response.json()).to.deep.include({
          type: "urn:kv:problem:storage-unavailable",
          detail: "PostgreSQL did not finish the statement in time and cancelled it; nothing of it was committed",
        });
        await holder.query("COMMIT");
        // A statement left running would go on and commit now: wait until no session of kv runs one.
        await waitFor(async () => (await activeStatements(holder)) === 0, 60_000, "kv's sessions to be idle");
      } finally {
        await holder.end();
      }
      expect(await countKeys(url)).to.equal(KEYS);
      // The connection that ran it is still good for the next request.
      expect((await t.api.get("/keys/user:1")).status).to.equal(200);
    });
  });
}
