import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { errorFields } from "../../logging/logger";
import { CoalescingKeyValueRepository } from "../postgres/coalescing-key-value-repository";
import { EXACT_COUNT_LIMIT, PostgresKeyValueRepository } from "../postgres/postgres-key-value-repository";
import { runMigrations } from "../postgres/run-migrations";
import type { Storage, StorageContext } from "../storage";
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

export async function openPgliteStorage({ config, clock, logger }: StorageContext): Promise<Storage> {
  const lock = await DataDirectoryLock.acquire(config.dataDir, clock, {
    onLost: (error) => {
      // Another process may be writing the same files now; continuing could corrupt them.
      logger.error("data directory lock lost; exiting to protect the data", errorFields(error));
      process.exit(70);
    },
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
    sql = await PgliteWorkerSqlClient.open({ directory, template }, (error) => {
      // The engine's state is unknown; a restart (supervisor) reopens it from disk.
      logger.error("embedded database worker stopped; exiting", errorFields(error));
      process.exit(70);
    });
    logger.info("embedded database open", { duration_ms: Math.round(performance.now() - started) });
    const { schemaVersion } = await runMigrations(sql, logger);
    const statements = new PostgresKeyValueRepository(sql, { schemaVersion, deleteBatchRows: DELETE_BATCH_ROWS, exactCountLimit: EXACT_COUNT_LIMIT });
    // PGlite runs one statement at a time anyway: one batch in flight.
    const repository = new CoalescingKeyValueRepository(statements, { reads: { maxInFlight: 1, maxBatch: 256 }, writes: { maxInFlight: 1, maxBatch: 64 } });
    return { kind: "pglite", repository, close };
  } catch (error) {
    await close();
    throw error;
  }
}
