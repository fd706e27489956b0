import { expect } from "chai";
import { Pool } from "pg";
import { StorageUnavailableError } from "../../../src/domain/domain-error";
import { PgPoolSqlClient } from "../../../src/infrastructure/storage/postgres/pg-pool-sql-client";
import { classifyStorageError } from "../../../src/infrastructure/storage/postgres/storage-error";

describe("storage error classification", () => {
  it("turns 'PostgreSQL is not reachable' into StorageUnavailableError, from a real refused connection", async () => {
    const sql = new PgPoolSqlClient(new Pool({ host: "127.0.0.1", port: 1, connectionTimeoutMillis: 1000 }));
    try {
      const error = await sql.query("SELECT 1").then(() => null, (e: unknown) => e);
      expect(error).to.be.instanceOf(StorageUnavailableError);
      expect((error as Error).cause).to.have.property("code", "ECONNREFUSED");
      const inTransaction = await sql.transaction((tx) => tx.query("SELECT 1")).then(() => null, (e: unknown) => e);
      expect(inTransaction).to.be.instanceOf(StorageUnavailableError);
    } finally {
      await sql.close();
    }
  });

  it("classifies server shutdown and connection-class SQLSTATEs as unavailable", () => {
    for (const code of ["57P01", "57P03", "08006", "08001", "53300", "ETIMEDOUT"]) {
      expect(classifyStorageError(Object.assign(new Error("x"), { code })), code).to.be.instanceOf(StorageUnavailableError);
    }
    expect(classifyStorageError(new Error("timeout exceeded when trying to connect"))).to.be.instanceOf(StorageUnavailableError);
  });

  it("leaves statement errors alone: they are bugs, not outages", () => {
    for (const code of ["42P01", "23505", "22P02"]) {
      const error = Object.assign(new Error("x"), { code });
      expect(classifyStorageError(error), code).to.equal(error);
    }
  });
});
