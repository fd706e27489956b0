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
