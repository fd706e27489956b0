import { expect } from "chai";
import { Pool } from "pg";
import { InsufficientStorageError, StorageUnavailableError } from "../../../src/domain/domain-error";
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

  const withCode = (code: string) => Object.assign(new Error("x"), { code });

  it("classifies server shutdown and connection-class SQLSTATEs as unreachable", () => {
    for (const code of ["57P01", "57P03", "08006", "08001", "ETIMEDOUT"]) {
      const error = classifyStorageError(withCode(code));
      expect(error, code).to.be.instanceOf(StorageUnavailableError);
      expect((error as StorageUnavailableError).reason, code).to.equal("unreachable");
    }
    const cannotConnect = classifyStorageError(new Error("Connection terminated due to connection timeout"));
    expect((cannotConnect as StorageUnavailableError).reason).to.equal("unreachable");
  });

  it("names the Citus worker that does not answer, in each way Citus reports it, as a partial outage", () => {
    const citus = Object.assign(
      new Error("connection to the remote node postgres@127.0.0.1:9701 failed with the following error: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?"),
      { code: "08006" },
    );
    const error = classifyStorageError(citus) as StorageUnavailableError;
    expect(error).to.be.instanceOf(StorageUnavailableError);
    expect(error.reason).to.equal("unreachable");
    expect(error.message).to.equal("the database node 127.0.0.1:9701 is unreachable (the keys on its shards cannot be served now)");
    expect(error.partial, "the other nodes' keys may still be served").to.equal(true);
    for (const message of [
      "failure on connection marked as essential: 127.0.0.1:9701",
      "connection establishment for node 127.0.0.1:9701 failed",
      "failed to prepare transaction 'citus_0_1234_5_6' on host 127.0.0.1:9701",
      "failed to COPY to shard 102034 on 127.0.0.1:9701",
      "failed to complete COPY on 127.0.0.1:9701",
    ]) {
      const other = classifyStorageError(Object.assign(new Error(message), { code: "XX000" })) as StorageUnavailableError;
      expect(other, message).to.be.instanceOf(StorageUnavailableError);
      expect(other.message, message).to.equal("the database node 127.0.0.1:9701 is unreachable (the keys on its shards cannot be served now)");
      expect(other.partial, message).to.equal(true);
    }
  });

  it("takes a worker connection lost mid-statement (libpq's words passed on by Citus as XX000) for a partial outage", () => {
    const error = classifyStorageError(Object.assign(new Error("SSL SYSCALL error: EOF detected\ninvalid socket"), { code: "XX000" })) as StorageUnavailableError;
    expect(error).to.be.instanceOf(StorageUnavailableError);
    expect(error.partial).to.equal(true);
    expect(error.message).to.equal("a database node behind the coordinator stopped answering (the keys on its shards cannot be served now)");
  });

  it("classifies a full disk (SQLSTATE 53100, or ENOSPC from PGlite's files) as insufficient storage, not as a bug", () => {
    for (const code of ["53100", "ENOSPC"]) {
      const error = classifyStorageError(withCode(code), "PGlite");
      expect(error, code).to.be.instanceOf(InsufficientStorageError);
      expect((error as Error).message).to.equal("PGlite has no disk space left for this write; nothing of it was stored");
    }
  });

  it("classifies the rest of class 53, a cancelled statement and a busy pool as overload, not as an unreachable database", () => {
    const cases: [Error, string][] = [
      [withCode("53200"), "PostgreSQL is out of memory"],
      [withCode("53300"), "PostgreSQL has no free connection slots"],
      [withCode("53400"), "PostgreSQL reached a configured limit"],
      [withCode("53000"), "PostgreSQL is short of resources"],
      [withCode("57014"), "PostgreSQL did not finish the statement in time and cancelled it; nothing of it was committed"],
      [new Error("timeout exceeded when trying to connect"), "every database connection stayed busy: the service is overloaded"],
    ];
    for (const [cause, message] of cases) {
      const error = classifyStorageError(cause);
      expect(error, message).to.be.instanceOf(StorageUnavailableError);
      expect(error).to.include({ reason: "overloaded", message });
    }
  });

  it("leaves statement errors alone: they are bugs, not outages", () => {
    for (const code of ["42P01", "23505", "22P02"]) {
      const error = Object.assign(new Error("x"), { code });
      expect(classifyStorageError(error), code).to.equal(error);
    }
  });
});
