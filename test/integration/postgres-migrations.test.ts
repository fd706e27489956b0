import { expect } from "chai";
import { Pool } from "pg";
import { PgPoolSqlClient } from "../../src/infrastructure/storage/postgres/pg-pool-sql-client";
import { PostgresKeyValueRepository } from "../../src/infrastructure/storage/postgres/postgres-key-value-repository";
import type { SqlClient } from "../../src/infrastructure/storage/postgres/sql-client";
import { KeyPattern } from "../../src/domain/key-pattern";
import { loadMigrations, migrate } from "../../src/infrastructure/storage/postgres/migrator";
import { migrationsDirectory } from "../../src/infrastructure/project-files";
import { ExplainingSqlClient } from "../support/explaining-sql-client";
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

    it("a batch of point reads uses the primary key, even on rows the planner has no statistics for yet: the trigram index cannot serve it", async () => {
      await resetPostgres(url);
      const client = new PgPoolSqlClient(new Pool({ connectionString: url, max: 1 }));
      try {
        await migrate(client, loadMigrations(migrationsDirectory()));
        const plans = await rolledBack(client, async (tx) => {
          // Keys alike (each one's trigrams match nearly every row), never analyzed.
          await tx.exec("INSERT INTO kv_entries (key, value, version, create_version) SELECT 'user:' || lpad(g::text, 7, '0'), '1', g, g FROM generate_series(1, 3000) AS g");
          const keys = Array.from({ length: 64 }, (_, i) => `user:${String(i * 40).padStart(7, "0")}`);
          await repositoryOn(tx).getEach(keys.map((key) => ({ key, now: 0 })));
        });
        expect(plans).to.have.length(1);
        expect(plans[0]).to.match(/kv_entries_pkey|Seq Scan on kv_entries/).and.not.match(/trgm/);
      } finally {
        await client.close();
      }
    });

    it("an infix filter is served by the trigram index (the planner picks it on its own)", async () => {
      const client = new PgPoolSqlClient(new Pool({ connectionString: url, max: 1 }));
      try {
        await client.exec(
          "INSERT INTO kv_entries (key, value, version, create_version) SELECT 'key-' || lpad(g::text, 7, '0'), '1', g, g FROM generate_series(1, 20000) AS g",
        );
        await client.exec("VACUUM ANALYZE kv_entries");
        const explaining = new ExplainingSqlClient(client);
        await repositoryOn(explaining).list({ after: null, through: null, pattern: KeyPattern.parse("$12345$") }, 100, 0);
        // As autovacuum leaves the table (statistics, the index's pending list merged). The walk along the key index stops once
        // matches prove sparse; the rest is read through the trigram index.
        expect(explaining.plans.at(-1)).to.match(/Bitmap Index Scan on kv_entries_key_filter_trgm_idx/);
      } finally {
        await client.exec("DELETE FROM kv_entries WHERE key LIKE 'key-%'");
        await client.close();
      }
    });
  });
}

/** Runs `work` in a transaction that is then rolled back; the plan of every statement the repository sent, in order. */
async function rolledBack(client: SqlClient, work: (tx: SqlClient) => Promise<void>): Promise<string[]> {
  const plans: string[] = [];
  const rollback = new Error("roll back");
  await client
    .transaction(async (queryable) => {
      const explaining = new ExplainingSqlClient(queryable);
      await work(explaining);
      plans.push(...explaining.plans);
      throw rollback;
    })
    .catch((error: unknown) => {
      if (error !== rollback) throw error;
    });
  return plans;
}

function repositoryOn(sql: SqlClient): PostgresKeyValueRepository {
  return new PostgresKeyValueRepository(sql, { schemaVersion: 0, deleteBatchRows: null, exactCountLimit: 10_000, distributed: false });
}

