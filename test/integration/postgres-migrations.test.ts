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
  });
}
