import { expect } from "chai";
import { StorageUnavailableError } from "../../../src/domain/domain-error";
import { CoalescingKeyValueRepository } from "../../../src/infrastructure/storage/postgres/coalescing-key-value-repository";
import { PostgresKeyValueRepository } from "../../../src/infrastructure/storage/postgres/postgres-key-value-repository";
import type { SqlClient, SqlResult } from "../../../src/infrastructure/storage/postgres/sql-client";

/** A SqlClient whose upserts succeed until the database goes away after the first one. */
function flakySql(): { sql: SqlClient; statements: unknown[][] } {
  const statements: unknown[][] = [];
  const sql = {
    query<Row>(_text: string, params: readonly unknown[] = []): Promise<SqlResult<Row>> {
      statements.push([...params]);
      if (statements.length > 1) return Promise.reject(new StorageUnavailableError("PostgreSQL is unreachable"));
      // One row is written with scalar parameters, several with arrays.
      const keys = (Array.isArray(params[0]) ? params[0] : [params[0]]) as string[];
      return Promise.resolve({ rows: keys.map((key, i) => ({ key, version: String(i + 1), created: true })) as Row[], rowCount: keys.length });
    },
  } as unknown as SqlClient;
  return { sql, statements };
}

describe("CoalescingKeyValueRepository write batches over PostgresKeyValueRepository", () => {
  it("keeps an earlier statement's committed writes when a later one of the same batch finds storage gone", async () => {
    const { sql, statements } = flakySql();
    const repository = new CoalescingKeyValueRepository(new PostgresKeyValueRepository(sql, { schemaVersion: 1, deleteBatchRows: null, exactCountLimit: 10, distributed: false }), {
      reads: { maxInFlight: 1, maxBatch: 10 },
      writes: { maxInFlight: 1, maxBatch: 10 },
    });
    const T0 = Date.UTC(2026, 0, 1);
    // The second write repeats key "a", so it needs a statement of its own.
    const results = await Promise.allSettled([
      repository.putMany([{ key: "a", value: "1" }], null, T0),
      repository.putMany([{ key: "a", value: "2" }], null, T0),
    ]);
    expect(statements).to.have.length(2);
    expect(results.map((result) => result.status)).to.deep.equal(["fulfilled", "rejected"]);
    expect((results[1] as PromiseRejectedResult).reason).to.be.instanceOf(StorageUnavailableError);
  });
});

/**
 * A SqlClient for a store with one node down: any statement that touches the
 * key "lost" fails as Citus fails it (a partial outage); the others succeed.
 */
function oneNodeDownSql(): { sql: SqlClient; statements: string[][] } {
  const statements: string[][] = [];
  const sql = {
    query<Row>(text: string, params: readonly unknown[] = []): Promise<SqlResult<Row>> {
      // Keys come as one array, as one scalar, or as every third parameter of a VALUES list.
      const keys = (Array.isArray(params[0]) ? params[0] : text.includes("VALUES") ? params.filter((_, i) => i % 3 === 0) : [params[0]]) as string[];
      statements.push(keys);
      if (keys.includes("lost")) return Promise.reject(new StorageUnavailableError("the database node 10.0.0.2:5432 is unreachable", { partial: true }));
      const rows = text.trimStart().startsWith("SELECT")
        ? keys.map((key) => ({ key, value: `"${key}"`, version: "1", expires_at_ms: null }))
        : keys.map((key, i) => ({ key, version: String(i + 1), created: true }));
      return Promise.resolve({ rows: rows as Row[], rowCount: rows.length });
    },
  } as unknown as SqlClient;
  return { sql, statements };
}

describe("CoalescingKeyValueRepository when one node of a distributed store is down", () => {
  const T0 = Date.UTC(2026, 0, 1);
  function repositoryOn(sql: SqlClient): CoalescingKeyValueRepository {
    return new CoalescingKeyValueRepository(new PostgresKeyValueRepository(sql, { schemaVersion: 1, deleteBatchRows: null, exactCountLimit: 10, distributed: true }), {
      reads: { maxInFlight: 1, maxBatch: 10 },
      writes: { maxInFlight: 1, maxBatch: 10 },
    });
  }

  it("serves the reads of keys on the nodes still up, which came in the same batch as a read of the missing node", async () => {
    const { sql, statements } = oneNodeDownSql();
    const repository = repositoryOn(sql);
    const batched = await Promise.allSettled(["a", "lost", "b"].map((key) => repository.get(key, T0)));
    expect(statements, "one statement for the batch, then one per read").to.deep.equal([["a", "lost", "b"], ["a"], ["lost"], ["b"]]);
    expect(batched.map((result) => result.status)).to.deep.equal(["fulfilled", "rejected", "fulfilled"]);
    expect((batched[0] as PromiseFulfilledResult<{ value: string } | null>).value?.value).to.equal('"a"');
    expect((batched[1] as PromiseRejectedResult).reason).to.be.instanceOf(StorageUnavailableError);
  });

  it("acknowledges the writes of keys on the nodes still up, and fails only those that need the missing node", async () => {
    const { sql, statements } = oneNodeDownSql();
    const repository = repositoryOn(sql);
    const results = await Promise.allSettled([
      repository.putMany([{ key: "a", value: "1" }], null, T0),
      repository.putMany([{ key: "lost", value: "2" }], null, T0),
      repository.putMany([{ key: "b", value: "3" }, { key: "c", value: "4" }], null, T0),
      repository.putMany([{ key: "d", value: "5" }, { key: "lost2", value: "6" }, { key: "lost", value: "7" }], null, T0),
    ]);
    // The fourth write repeats "lost", so it has a statement of its own.
    expect([...statements[0]].sort(), "one statement for the first three writes").to.deep.equal(["a", "b", "c", "lost"]);
    expect(results.map((result) => result.status)).to.deep.equal(["fulfilled", "rejected", "fulfilled", "rejected"]);
  });

});
