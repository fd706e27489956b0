import { Pool, type PoolConfig } from "pg";
import { setTimeout as sleep } from "node:timers/promises";
import { chunkPolicy } from "../../../application/list-values";
import { StorageUnavailableError } from "../../../domain/domain-error";
import type { AppConfig } from "../../config/config";
import { errorFields, type Logger } from "../../logging/logger";
import type { Storage, StorageContext } from "../storage";
import { PgPoolSqlClient } from "./pg-pool-sql-client";
import { readDistribution } from "./citus-distribution";
import { CoalescingKeyValueRepository, type CoalescingOptions } from "./coalescing-key-value-repository";
import { ChangeNotifications, notifyAfterWrites } from "../change-notifications";
import { PostgresChangeListener } from "./postgres-change-listener";
import { PostgresChangeLog } from "./postgres-change-log";
import { EXACT_COUNT_LIMIT, PostgresKeyValueRepository } from "./postgres-key-value-repository";
import { runMigrations } from "./run-migrations";
import type { SqlClient } from "./sql-client";

/**
 * A few batches in flight at once, each carrying everything that queued
 * meanwhile: measured with `npm run bench` (see docs/performance.md).
 */
const POOL_BATCHING: CoalescingOptions = {
  reads: { maxInFlight: 4, maxBatch: 256 },
  writes: { maxInFlight: 4, maxBatch: 64 },
};

/** 10,000 rows per round trip at most: a full listing of 1.1M keys took 1.09-1.40 s against 1.17-1.49 s with 2,000 (docs/performance.md). */
const LIST_CHUNKS = chunkPolicy(10_000);

/** How long after statement_timeout the client gives up on an answer: room for the server's cancellation to arrive. */
const CANCEL_MARGIN_MS = 1_000;

export async function openPostgresStorage({ config, clock, logger, metrics }: StorageContext): Promise<Storage> {
  const pool = openPool(config, logger, { max: config.dbPoolMax });
  metrics.observePool(() => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: config.dbPoolMax }));
  const sql = new PgPoolSqlClient(pool);
  let maintenance: PgPoolSqlClient | undefined;
  let notifications: ChangeNotifications | undefined;
  let listener: PostgresChangeListener | undefined;
  const close = async () => {
    notifications?.close();
    await Promise.all([sql.close(), maintenance?.close(), listener?.close()]);
  };
  try {
    const deadline = clock.now() + config.dbStartupTimeoutSeconds * 1000;
    const { schemaVersion } = await migrateWhenReachable(sql, deadline, { clock, logger });
    const { distributed, shards } = await readDistribution(sql);
    if (distributed) {
      logger.info("kv_entries is distributed by Citus", { shards });
      // The sweeper's own session (see PostgresRepositoryOptions.maintenance):
      // a purge of 100,000 expired keys took 5.2 s instead of 17.4 s.
      maintenance = new PgPoolSqlClient(openPool(config, logger, { max: 1, options: CITUS_SEQUENTIAL_SESSION }));
    }
    const statements = new PostgresKeyValueRepository(sql, { schemaVersion, deleteBatchRows: null, exactCountLimit: EXACT_COUNT_LIMIT, distributed, maintenance });
    const repository = new CoalescingKeyValueRepository(statements, POOL_BATCHING);
    // On Citus migration 0007 creates no change log (see there).
    if (distributed) return { kind: "postgres", repository, changes: null, changeSignal: null, listChunks: LIST_CHUNKS, close };
    notifications = new ChangeNotifications();
    // Other instances' writes arrive as notifications; this one's own are signalled as they complete.
    listener = new PostgresChangeListener({ ...poolConfig(config), application_name: "kv-changes" }, notifications, logger);
    notifications.onWanted = (wanted) => listener?.setWanted(wanted);
    const changes = new PostgresChangeLog(sql);
    // While only other instances have watchers, this one numbers its writes
    // soon after they commit: the numbering notifies them. (With watchers of
    // its own, its feed does.)
    const signal = notifications;
    signal.subscribe(() => {
      if (!signal.wantedHere) changes.head().catch((error: unknown) => logger.debug("could not number this instance's changes", errorFields(error)));
    });
    return {
      kind: "postgres",
      repository: notifyAfterWrites(repository, notifications),
      changes,
      changeSignal: notifications,
      listChunks: LIST_CHUNKS,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Session options: each multi-shard statement over one connection per worker. */
export const CITUS_SEQUENTIAL_SESSION = "-c citus.max_adaptive_executor_pool_size=1";

function openPool(config: AppConfig, logger: Logger, settings: PoolConfig): Pool {
  const pool = new Pool({ ...poolConfig(config), ...settings });
  // Without a listener, an idle connection dropped by the server would crash the process.
  pool.on("error", (error) => logger.warn("idle database connection failed", errorFields(error)));
  return pool;
}

function poolConfig(config: AppConfig): PoolConfig {
  return {
    connectionString: config.databaseUrl ?? undefined,
    connectionTimeoutMillis: config.dbConnectTimeoutMs,
    // Server-side: a statement running longer is cancelled by PostgreSQL
    // itself (SQLSTATE 57014), so the 503 it leads to means nothing of it was
    // committed. A client-side timeout alone would leave it running.
    statement_timeout: config.dbQueryTimeoutMs,
    // Client-side, a little later: a server that stops answering (hung host,
    // lost network without a reset) fails the statement as unavailable
    // instead of holding the request forever; the pool then discards that
    // connection. The margin lets the server's cancellation arrive first.
    query_timeout: config.dbQueryTimeoutMs + CANCEL_MARGIN_MS,
    idleTimeoutMillis: 30_000,
    application_name: "kv",
  };
}

/** Migrates, waiting with backoff while the server is unreachable (it may still be starting). */
async function migrateWhenReachable(sql: SqlClient, deadline: number, { clock, logger }: Pick<StorageContext, "clock" | "logger">) {
  for (let delayMs = 250; ; delayMs = Math.min(delayMs * 2, 5_000)) {
    try {
      return await runMigrations(sql, logger);
    } catch (error) {
      if (!(error instanceof StorageUnavailableError) || clock.now() + delayMs > deadline) throw error;
      logger.warn("database unreachable, retrying", { retry_in_ms: delayMs, ...errorFields(error.cause ?? error) });
      await sleep(delayMs);
    }
  }
}
