import { expect } from "chai";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { StorageUnavailableError } from "../../../src/domain/domain-error";
import { availablePgliteTemplate, pgliteTemplatePath } from "../../../src/infrastructure/storage/pglite/pglite-template";
import { serializeError } from "../../../src/infrastructure/storage/pglite/pglite-worker-protocol";
import { PgliteWorkerSqlClient } from "../../../src/infrastructure/storage/pglite/pglite-worker-sql-client";
import { temporaryDirectory } from "../../support/test-storage";

describe("PgliteWorkerSqlClient (PGlite in a worker thread)", function () {
  let directory: ReturnType<typeof temporaryDirectory>;
  let client: PgliteWorkerSqlClient;
  const crashes: Error[] = [];

  before(async () => {
    directory = temporaryDirectory();
    client = await PgliteWorkerSqlClient.open({ directory: join(directory.path, "pglite"), template: availablePgliteTemplate() }, (error) => crashes.push(error));
    await client.exec("CREATE TABLE t (k text PRIMARY KEY, n bigint)");
  });
  after(async () => {
    await client.close();
    directory.remove();
  });

  it("returns rows and row counts like the pg driver", async () => {
    const inserted = await client.query("INSERT INTO t VALUES ($1, $2), ($3, $4)", ["a", 1, "b", 2]);
    expect(inserted.rowCount).to.equal(2);
    const { rows } = await client.query<{ k: string }>("SELECT k FROM t ORDER BY k");
    expect(rows).to.deep.equal([{ k: "a" }, { k: "b" }]);
  });

  it("carries the SQLSTATE of a failed statement across the thread boundary", async () => {
    const error = await client.query("INSERT INTO t VALUES ('a', 3)").then(() => null, (e: unknown) => e);
    expect(error).to.be.instanceOf(Error);
    expect((error as { code?: string }).code).to.equal("23505");
  });

  it("keeps the event loop free while a long statement runs", async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const started = performance.now();
    await client.query("SELECT count(*) FROM generate_series(1, 3000000)");
    const elapsedMs = performance.now() - started;
    clearInterval(timer);
    // On the main thread this statement would have allowed no tick at all.
    expect(elapsedMs).to.be.greaterThan(20);
    expect(ticks).to.be.greaterThan(0);
  });

  it("holds the single session for a transaction: other statements wait for its end", async () => {
    const seen: string[] = [];
    const transaction = client.transaction(async (tx) => {
      await tx.query("INSERT INTO t VALUES ('in-tx', 1)");
      await new Promise((resolve) => setTimeout(resolve, 50));
      seen.push("transaction body done");
      throw new Error("roll back");
    });
    const outside = client.query<{ n: string }>("SELECT count(*) AS n FROM t WHERE k = 'in-tx'").then(({ rows }) => {
      seen.push(`outside saw ${rows[0].n}`);
    });
    expect(await transaction.then(() => null, (e: unknown) => (e as Error).message)).to.equal("roll back");
    await outside;
    expect(seen).to.deep.equal(["transaction body done", "outside saw 0"]);
  });

  it("fails statements with StorageUnavailableError once closed", async () => {
    const other = await PgliteWorkerSqlClient.open({ directory: join(directory.path, "other"), template: availablePgliteTemplate() }, (error) => crashes.push(error));
    await other.close();
    const error = await other.query("SELECT 1").then(() => null, (e: unknown) => e);
    expect(error).to.be.instanceOf(StorageUnavailableError);
    expect(crashes).to.deep.equal([]);
  });

  it("stops an engine that answers nothing for the stall timeout: waiting statements fail as unavailable and the crash is reported", async () => {
    const stalls: Error[] = [];
    const stalling = await PgliteWorkerSqlClient.open({ directory: join(directory.path, "stalling"), template: availablePgliteTemplate() }, (error) => stalls.push(error));
    try {
      stalling.watchForStalls(400);
      // A slow statement that finishes in time is not a stall.
      await stalling.query("SELECT pg_sleep(0.1)");
      const stuck = stalling.query("SELECT pg_sleep(30)").then(() => null, (e: unknown) => e);
      const queued = stalling.query("SELECT 1").then(() => null, (e: unknown) => e);
      expect(await stuck).to.be.instanceOf(StorageUnavailableError);
      expect(await queued).to.be.instanceOf(StorageUnavailableError);
      expect(stalls.map((error) => error.message)).to.deep.equal(["the embedded database answered nothing for 400 ms"]);
    } finally {
      await stalling.close();
    }
  });

  it("names the engine's file-system errors, which are not Error objects (a full disk during the first start)", () => {
    expect(serializeError({ name: "ErrnoError", errno: 51 })).to.deep.equal({
      name: "FileSystemError",
      message: "the embedded database's file system failed: no space left on device",
      code: "ENOSPC",
    });
    expect(serializeError({ name: "ErrnoError", errno: 7 }).message).to.equal("the embedded database's file system failed: errno 7");
    expect(serializeError({ odd: true }).message).to.equal("{ odd: true }");
  });

  describe("a new data directory", () => {
    it("ships a prepared data directory for the installed PGlite (after an upgrade: npm run pglite-template)", () => {
      expect(availablePgliteTemplate(), pgliteTemplatePath()).to.not.equal(null);
    });

    it("is created under a marker file: a first start that did not finish is started over", async () => {
      const target = join(directory.path, "fresh");
      mkdirSync(target);
      writeFileSync(join(target, "PG_VERSION"), "half-made");
      writeFileSync(`${target}.initialising`, "");
      const fresh = await PgliteWorkerSqlClient.open({ directory: target, template: availablePgliteTemplate() }, (error) => crashes.push(error));
      try {
        expect((await fresh.query<{ n: number }>("SELECT 1 AS n")).rows).to.deep.equal([{ n: 1 }]);
        expect(existsSync(`${target}.initialising`)).to.equal(false);
      } finally {
        await fresh.close();
      }
    });

    it("refuses a non-empty directory that holds no database instead of overwriting it", async () => {
      const target = join(directory.path, "not-a-database");
      mkdirSync(target);
      writeFileSync(join(target, "notes.txt"), "mine");
      const error = await PgliteWorkerSqlClient.open({ directory: target, template: availablePgliteTemplate() }, (e) => crashes.push(e)).then(
        () => null,
        (e: unknown) => e as Error,
      );
      expect(error?.message).to.match(/is not empty but holds no database/);
      expect(readFileSync(join(target, "notes.txt"), "utf8")).to.equal("mine");
    });
  });
});
