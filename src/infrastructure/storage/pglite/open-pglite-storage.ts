import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { chunkPolicy } from "../../../application/list-values";
import { CoalescingKeyValueRepository } from "../postgres/coalescing-key-value-repository";
import { ChangeNotifications, notifyAfterWrites } from "../change-notifications";
import { PostgresChangeLog } from "../postgres/postgres-change-log";
import { EXACT_COUNT_LIMIT, PostgresKeyValueRepository } from "../postgres/postgres-key-value-repository";
import { runMigrations } from "../postgres/run-migrations";
import { StorageLostError, type Storage, type StorageContext } from "../storage";
import { StorageUnavailableError } from "../../../domain/domain-error";
import { errorFields } from "../../logging/logger";
import { DataDirectoryLock } from "./data-directory-lock";
import { FreeSpaceGuard, guardWrites, readFreeBytes } from "./free-space-guard";
import { countChanges, TableMaintenance } from "./table-maintenance";
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

export async function openPgliteStorage({ config, clock, logger, metrics, onLost }: StorageContext): Promise<Storage> {
  const lock = await DataDirectoryLock.acquire(config.dataDir, clock, {
    // Another process may be writing the same files now; continuing could corrupt them.
    onLost: (error) => onLost(new StorageLostError("the data directory lock was lost: another process may be using the same files", { cause: error })),
  });
  let sql: PgliteWorkerSqlClient | null = null;
  let guard: FreeSpaceGuard | null = null;
  let maintenance: TableMaintenance | null = null;
  const notifications = new ChangeNotifications();
  const close = async () => {
    notifications.close();
    guard?.stop();
    await maintenance?.stop();
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
      onLost(new StorageLostError(`the embedded database stopped: ${error.message}`, { cause: error })),
    ).catch(async (error: unknown) => {
      throw await explainOpenFailure(error, config.dataDir);
    });
    logger.info("embedded database open", { duration_ms: Math.round(performance.now() - started) });
    const { schemaVersion } = await runMigrations(sql, logger);
    sql.watchForStalls(config.dbQueryTimeoutMs);
    sql.fenceWith(() => {
      if (lock.holdsLease()) return null;
      return new StorageUnavailableError("this process could not renew its data directory lock in time; it writes nothing until it has", {
        reason: "unreachable",
      });
    });
    maintenance = new TableMaintenance(sql, logger);
    await maintenance.start();
    guard = await FreeSpaceGuard.start(config.dataDir, config.dataDirMinFreeBytes, {
      onSampleError: (error) => logger.warn("could not read the data directory's free disk space", errorFields(error)),
    });
    const freeSpace = guard;
    metrics.observeDisk(() => ({ free: freeSpace.freeBytes, reserve: freeSpace.reserveBytes }));
    const statements = new PostgresKeyValueRepository(sql, { schemaVersion, deleteBatchRows: DELETE_BATCH_ROWS, exactCountLimit: EXACT_COUNT_LIMIT, distributed: false });
    // PGlite runs one statement at a time anyway: one batch in flight.
    const coalescing = new CoalescingKeyValueRepository(statements, { reads: { maxInFlight: 1, maxBatch: 256 }, writes: { maxInFlight: 1, maxBatch: 64 } });
    // One process owns the data directory: its own writes are all the changes there are.
    const repository = guardWrites(countChanges(notifyAfterWrites(coalescing, notifications), maintenance), freeSpace);
    return { kind: "pglite", repository, changes: new PostgresChangeLog(sql), changeSignal: notifications, listChunks: LIST_CHUNKS, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * PGlite cannot even open on a full disk (it writes WAL as it starts), and
 * says so only as "failed to initialize": name the likely cause.
 */
async function explainOpenFailure(error: unknown, dataDir: string): Promise<unknown> {
  const free = await readFreeBytes(dataDir).catch(() => Infinity);
  if (free >= LOW_DISK_BYTES) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new Error(
    `the embedded database could not open (${detail}); the disk of ${dataDir} has only ${(free / 1024 / 1024).toFixed(1)} MiB free: ` +
      "free some space and start again",
    { cause: error },
  );
}

/** Under this much free space, PGlite cannot write its WAL (segments are 16 MiB). */
const LOW_DISK_BYTES = 32 * 1024 * 1024;
