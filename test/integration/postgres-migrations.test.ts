import { expect } from "chai";
import { Pool } from "pg";
import { PgPoolSqlClient } from "../../src/infrastructure/storage/postgres/pg-pool-sql-client";
import { loadMigrations, migrate } from "../../src/infrastructure/storage/postgres/migrator";
import { migrationsDirectory } from "../../src/infrastructure/project-files";
import { POSTGRES_SKIP_REASON, postgresTestUrl, resetPostgres } from "../support/postgres";

const url = postgresTestUrl();

if (url === null) {
  describe(`migrations on PostgreSQL (${POSTGRES_SKIP_REASON})`, () => it.skip(POSTGRES_SKIP_REASON));
} else {
  describe("migrations on PostgreSQL", () => {
    it("instances starting together apply each migration exactly once (advisory lock)", async () => {
      await resetPostgres(url);
      const migrations = loadMigrations(migrationsDirectory());
      const clients = [1, 2, 3, 4].map(() => new PgPoolSqlClient(new Pool({ connectionString: url, max: 2 })));
      try {
        const reports = await Promise.all(clients.map((client) => migrate(client, migrations)));
        const applied = reports.map((report) => report.applied.length);
        expect(applied.filter((count) => count === migrations.length)).to.have.length(1);
        expect(applied.filter((count) => count === 0)).to.have.length(3);
        const { rows } = await clients[0].query<{ n: string }>("SELECT count(*)::text AS n FROM kv_schema_migrations");
        expect(rows[0].n).to.equal(String(migrations.length));
      } finally {
        await Promise.all(clients.map((client) => client.close()));
      }
    });

    it("keys use COLLATE \"C\", so a prefix filter is an index range scan", async () => {
      const client = new PgPoolSqlClient(new Pool({ connectionString: url, max: 1 }));
      try {
        await client.exec("SET enable_seqscan = off");
        const { rows } = await client.query<{ "QUERY PLAN": string }>(
          "EXPLAIN SELECT key FROM kv_entries WHERE key LIKE $1 ESCAPE '\\' ORDER BY key LIMIT 10",
          ["abc%"],
        );
        const plan = rows.map((row) => row["QUERY PLAN"]).join("\n");
        expect(plan).to.match(/(Index (Only )?Scan using|Bitmap Index Scan on) kv_entries_pkey/);
        expect(plan).to.match(/Index Cond: \(\(key >= 'abc'::text\) AND \(key < 'abd'::text\)\)/);
      } finally {
        await client.close();
      }
    });

    it("an infix filter is served by the trigram index (the planner picks it on its own)", async () => {
      const client = new PgPoolSqlClient(new Pool({ connectionString: url, max: 1 }));
      try {
        await client.exec(
          "INSERT INTO kv_entries (key, value, version, create_version) SELECT 'key-' || lpad(g::text, 7, '0'), '1', g, g FROM generate_series(1, 20000) AS g; ANALYZE kv_entries",
        );
        const { rows } = await client.query<{ "QUERY PLAN": string }>(
          "EXPLAIN SELECT key, value FROM kv_entries WHERE (expires_at_ms IS NULL OR expires_at_ms > $1) AND key LIKE $2 ESCAPE '\\' ORDER BY key LIMIT 100",
          [0, "%12345%"],
        );
        expect(rows.map((row) => row["QUERY PLAN"]).join("\n")).to.match(/Bitmap Index Scan on kv_entries_key_trgm_idx/);
      } finally {
        await client.exec("DELETE FROM kv_entries WHERE key LIKE 'key-%'");
        await client.close();
      }
    });
  });
}
