import { expect } from "chai";
import { Pool } from "pg";
import { migrationsDirectory } from "../../src/infrastructure/project-files";
import { loadMigrations, migrate } from "../../src/infrastructure/storage/postgres/migrator";
import { PgPoolSqlClient } from "../../src/infrastructure/storage/postgres/pg-pool-sql-client";
import { CoalescingKeyValueRepository } from "../../src/infrastructure/storage/postgres/coalescing-key-value-repository";
import { PostgresKeyValueRepository } from "../../src/infrastructure/storage/postgres/postgres-key-value-repository";
import { POSTGRES_SKIP_REASON, postgresTestUrl, resetPostgres } from "../support/postgres";

const url = postgresTestUrl();
const T0 = Date.UTC(2026, 0, 1);

if (url === null) {
  describe(`PostgreSQL repository specifics: large-table statistics, batch failures (${POSTGRES_SKIP_REASON})`, () => it.skip(POSTGRES_SKIP_REASON));
} else {
  describe("PostgreSQL repository specifics: large-table statistics, batch failures", () => {
    // One connection: the writes and the statistics flush happen in the same backend.
    let sql: PgPoolSqlClient;
    let repository: PostgresKeyValueRepository;
    before(async () => {
      await resetPostgres(url);
      sql = new PgPoolSqlClient(new Pool({ connectionString: url, max: 1 }));
      const { schemaVersion } = await migrate(sql, loadMigrations(migrationsDirectory()));
      // A tiny limit stands in for "more rows than are worth counting".
      repository = new PostgresKeyValueRepository(sql, { schemaVersion, deleteBatchRows: null, exactCountLimit: 2, distributed: false });
    });
    after(() => sql?.close());

    it("switches to the database's running estimate above the exact-count limit, never below what it counted", async () => {
      await repository.putMany([1, 2, 3, 4, 5].map((n) => ({ key: `k${n}`, value: String(n) })), null, T0);
      await repository.deleteIf("k5", { kind: "none" }, T0);
      let stats = await repository.statistics(T0, 100);
      expect(stats.entriesExact).to.equal(false);
      expect(stats.entries).to.be.at.least(3);
      // Publish this backend's counts now instead of within the next ~10 s.
      await sql.query("SELECT pg_stat_force_next_flush()");
      const deadline = Date.now() + 15_000;
      while (stats.entries !== 4 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        stats = await repository.statistics(T0, 100);
      }
      expect(stats).to.deep.include({ entries: 4, entriesExact: false });
    });

    it("fails only the bad write of a coalesced batch (the others are retried alone and commit)", async () => {
      const batched = new CoalescingKeyValueRepository(new PostgresKeyValueRepository(sql, { schemaVersion: 1, deleteBatchRows: null, exactCountLimit: 2, distributed: false }), {
        reads: { maxInFlight: 1, maxBatch: 100 },
        writes: { maxInFlight: 1, maxBatch: 100 },
      });
      // The table's CHECK refuses a key over 1024 bytes (the domain refuses it earlier; here it reaches SQL).
      const results = await Promise.allSettled([
        batched.putMany([{ key: "good-1", value: "1" }], null, T0),
        batched.putMany([{ key: "x".repeat(1100), value: "2" }], null, T0),
        batched.putMany([{ key: "good-2", value: "3" }], null, T0),
      ]);
      expect(results.map((result) => result.status)).to.deep.equal(["fulfilled", "rejected", "fulfilled"]);
      expect((await batched.get("good-1", T0))?.value).to.equal("1");
      expect((await batched.get("good-2", T0))?.value).to.equal("3");
    });

    it("reads the expiry backlog from the expiry index instead of scanning the table", async () => {
      await sql.exec("SET enable_seqscan = off");
      const { rows } = await sql.query<{ "QUERY PLAN": string }>(
        "EXPLAIN SELECT count(*) FROM (SELECT 1 FROM kv_entries WHERE expires_at_ms <= $1 LIMIT $2) AS due",
        [T0, 100_000],
      );
      await sql.exec("RESET enable_seqscan");
      expect(rows.map((row) => row["QUERY PLAN"]).join("\n")).to.include("kv_entries_expires_at_ms_idx");
    });
  });
}
