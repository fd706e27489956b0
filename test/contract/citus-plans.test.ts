import { expect } from "chai";
import { Pool } from "pg";
import { PgPoolSqlClient } from "../../src/infrastructure/storage/postgres/pg-pool-sql-client";
import { CITUS_SEQUENTIAL_SESSION } from "../../src/infrastructure/storage/postgres/open-postgres-storage";
import { PostgresKeyValueRepository } from "../../src/infrastructure/storage/postgres/postgres-key-value-repository";
import { CITUS_SKIP_REASON, citusTestUrl } from "../support/citus";
import { ExplainingSqlClient } from "../support/explaining-sql-client";
import { openTestStorage, testConfig } from "../support/test-storage";

const url = citusTestUrl();

if (url === null) {
  describe(`Citus query plans (${CITUS_SKIP_REASON})`, () => it.skip(CITUS_SKIP_REASON));
} else {
  describe("Citus query plans of kv's statements", () => {
    let pool: Pool;
    let sql: ExplainingSqlClient;
    let repository: PostgresKeyValueRepository;
    const T0 = Date.UTC(2026, 0, 1);

    before(async () => {
      // Migrates the cluster's database (and distributes kv_entries) if needed.
      const storage = await openTestStorage(testConfig({ STORAGE: "postgres", DATABASE_URL: url }));
      await storage.close();
      pool = new Pool({ connectionString: url, max: 2 });
      sql = new ExplainingSqlClient(new PgPoolSqlClient(pool), "EXPLAIN (COSTS OFF)");
      repository = new PostgresKeyValueRepository(sql, { schemaVersion: 1, deleteBatchRows: null, exactCountLimit: 10, distributed: true });
    });
    after(() => pool?.end());

    /** The plan of the one statement that `operation` sent. */
    async function planOf(operation: () => Promise<unknown>): Promise<string> {
      sql.plans.length = 0;
      await operation();
      expect(sql.plans, "one statement").to.have.length(1);
      return sql.plans[0];
    }

    function expectRoutedToOneShard(plan: string, shardOperation: RegExp): void {
      expect(plan).to.match(/^Custom Scan \(Citus Adaptive\)/);
      expect(plan).to.include("Task Count: 1");
      expect(plan).to.match(shardOperation);
    }

    it("point reads, writes, conditional writes and deletes are router queries: one task, on one shard (the shard scan itself is up to the planner: on a nearly empty shard a sequential scan)", async () => {
      const key = `plan-${T0}`;
      expectRoutedToOneShard(await planOf(() => repository.putMany([{ key, value: "1" }], null, T0)), /Insert on kv_entries_\d+ e\n\s+Conflict Resolution: UPDATE/);
      expectRoutedToOneShard(await planOf(() => repository.get(key, T0)), /Scan (using kv_entries_pkey_\d+ )?on kv_entries_\d+/);
      const written = await repository.get(key, T0);
      const conditional = await planOf(() => repository.putIf({ key, value: "2" }, null, { kind: "version-in", versions: [written!.version] }, T0));
      // The new version is drawn on the coordinator first (a volatile function), then the update goes to the shard.
      expect(conditional).to.match(/Distributed Subplan \S+\n\s+-> {2}Result/);
      expectRoutedToOneShard(conditional, /Update on kv_entries_\d+/);
      expectRoutedToOneShard(await planOf(() => repository.putIf({ key: `${key}-new`, value: "3" }, null, { kind: "absent" }, T0)), /Insert on kv_entries_\d+ e/);
      expectRoutedToOneShard(await planOf(() => repository.deleteIf(key, { kind: "present" }, T0)), /Delete on kv_entries_\d+/);
    });

    it("every shard has the trigram index that serves infix filters", async () => {
      const { rows } = await pool.query<{ shards: string; with_index: string }>(
        `SELECT count(*) AS shards, count(*) FILTER (WHERE success AND result = '1') AS with_index
           FROM run_command_on_shards('kv_entries', $$SELECT count(*) FROM pg_index AS i
             JOIN pg_class AS c ON c.oid = i.indexrelid JOIN pg_am AS a ON a.oid = c.relam
            WHERE i.indrelid = '%s'::regclass AND a.amname = 'gin'$$)`,
      );
      expect(Number(rows[0].shards)).to.be.greaterThan(1);
      expect(rows[0].with_index).to.equal(rows[0].shards);
    });

    it("a read of several keys in one statement runs a task on each shard they hash to", async () => {
      const plan = await planOf(() => repository.getEach(["a", "b", "c", "d"].map((key) => ({ key, now: T0 }))));
      expect(plan).to.match(/^Custom Scan \(Citus Adaptive\)\n\s+Task Count: [2-4]\n/);
    });

    it("the keyspace statistics are answered by each shard on its own: no statement sends rows to the coordinator to be counted there", async () => {
      sql.plans.length = 0;
      await repository.statistics(T0, 100);
      expect(sql.plans.length, "statements").to.be.within(2, 3);
      for (const plan of sql.plans) {
        expect(plan).to.match(/Custom Scan \(Citus Adaptive\)|Function Scan on run_command_on_workers/);
        expect(plan).to.not.match(/Distributed Subplan|intermediate_result|pull to coordinator/);
      }
    });

    it("a write of several keys is one statement that Citus splits by shard, each shard getting its own rows (not pulled through the coordinator)", async () => {
      const entries = ["a", "b", "c", "d", "e", "f"].map((key) => ({ key: `plan-many-${key}`, value: "1" }));
      const plan = await planOf(() => repository.putMany(entries, null, T0));
      expect(plan).to.match(/^Custom Scan \(Citus Adaptive\)\n\s+Task Count: [2-6]\n/);
      expect(plan).to.not.include("pull to coordinator");
    });

    it("the sweeper's statements run on its own sessions, which run each multi-shard statement over one connection per worker", async () => {
      const maintenancePool = new Pool({ connectionString: url, max: 1, options: CITUS_SEQUENTIAL_SESSION });
      try {
        const maintenance = new ExplainingSqlClient(new PgPoolSqlClient(maintenancePool), "EXPLAIN (COSTS OFF)");
        const { rows } = await maintenancePool.query<{ size: string }>("SELECT current_setting('citus.max_adaptive_executor_pool_size') AS size");
        expect(rows[0].size).to.equal("1");
        const sweeping = new PostgresKeyValueRepository(sql, { schemaVersion: 1, deleteBatchRows: null, exactCountLimit: 10, distributed: true, maintenance });
        sql.plans.length = 0;
        await sweeping.purgeExpired(T0, 10);
        expect(sql.plans, "statements on the requests' sessions").to.deep.equal([]);
        const tasks = /Custom Scan \(Citus Adaptive\)\n\s+Task Count: (\d+)/.exec(maintenance.plans[0] ?? "");
        expect(Number(tasks?.[1]), "the purge's first statement asks every shard").to.be.greaterThan(1);
      } finally {
        await maintenancePool.end();
      }
    });
  });
}
