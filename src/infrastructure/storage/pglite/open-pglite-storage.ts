import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { chunkPolicy } from "../../../application/list-values";
import { CoalescingKeyValueRepository } from "../postgres/coalescing-key-value-repository";
import { EXACT_COUNT_LIMIT, PostgresKeyValueRepository } from "../postgres/postgres-key-value-repository";
import { runMigrations } from "../postgres/run-migrations";
import { StorageLostError, type Storage, type StorageContext } from "../storage";
import { DataDirectoryLock } from "./data-directory-lock";
import { availablePgliteTemplate } from "./pglite-template";
import { holdsDatabase } from "./pglite-worker-protocol";
import { PgliteWorkerSqlClient } from "./pglite-worker-sql-client";

/**
 * Rows per statement for bulk deletes and purges: PGlite runs one statement at
 * a time, so a request's statement waits for the purge statement running.
 * 200 rather than 1000: reads during a 1M-key purge p50 27 -> 7 ms when PGlite
 * still ran on the main thread; see bench/results.
 */
const DELETE_BATCH_ROWS = 200;

/**
 * PGlite runs one statement at a time (in its worker thread): listing chunks
 * of at most 2,000 rows (about 10 ms) keep other requests' statements from
 * queueing behind a long one; 10,000 pays off only on a server.
 */
const LIST_CHUNKS = chunkPolicy(2_000);

export async function openPgliteStorage({ config, clock, logger, onLost }: StorageContext): Promise<Storage> {
  const lock = await DataDirectoryLock.acquire(config.dataDir, clock, {
    // Another process may be writing the same files now; continuing could corrupt them.
    onLost: (error) => onLost(new StorageLostError("the data directory lock was lost: another process may be using the same files", { cause: error })),
  });
  let sql: PgliteWorkerSqlClient | null = null;
  const close = async () => {
    await sql?.close();
    await lock.release();
  };
  try {
    const directory = join(config.dataDir, "pglite");
    const template = availablePgliteTemplate();
    const started = performance.now();
    if (holdsDatabase(directory)) {
      logger.info("opening embedded database", { data_dir: directory });
    } else {
      logger.info("initialising a new data directory", { data_dir: directory, from: template === null ? "initdb" : "prepared template" });
    }
    // The engine's state is unknown after its worker died; a restart reopens it from disk.
    sql = await PgliteWorkerSqlClient.open({ directory, template }, (error) =>
      onLost(new StorageLostError("the embedded database worker stopped", { cause: error })),
    );
    logger.info("embedded database open", { duration_ms: Math.round(performance.now() - started) });
    const { schemaVersion } = await runMigrations(sql, logger);
    const statements = new PostgresKeyValueRepository(sql, { schemaVersion, deleteBatchRows: DELETE_BATCH_ROWS, exactCountLimit: EXACT_COUNT_LIMIT });
    // PGlite runs one statement at a time anyway: one batch in flight.
    const repository = new CoalescingKeyValueRepository(statements, { reads: { maxInFlight: 1, maxBatch: 256 }, writes: { maxInFlight: 1, maxBatch: 64 } });
    return { kind: "pglite", repository, listChunks: LIST_CHUNKS, close };
  } catch (error) {
    await close();
    throw error;
  }
}
