import { container, instanceCachingFactory, type DependencyContainer, type InjectionToken } from "tsyringe";
import type Koa from "koa";
import { ChangeFeed } from "./application/change-feed";
import { CheckReadiness } from "./application/check-readiness";
import { DeleteValue } from "./application/delete-value";
import { DeleteValues } from "./application/delete-values";
import { DescribeKeyspace } from "./application/describe-keyspace";
import { GetValue } from "./application/get-value";
import { ListValues } from "./application/list-values";
import { TrimChanges } from "./application/trim-changes";
import { PurgeExpiredKeys } from "./application/purge-expired-keys";
import { PutValue } from "./application/put-value";
import { PutValues } from "./application/put-values";
import type { Clock } from "./domain/clock";
import type { KeyValueRepository } from "./domain/key-value-repository";
import { SystemClock } from "./infrastructure/clock/system-clock";
import type { AppConfig } from "./infrastructure/config/config";
import { createLogger, errorFields, type Logger } from "./infrastructure/logging/logger";
import { Metrics } from "./infrastructure/metrics/metrics";
import { packageVersion } from "./infrastructure/project-files";
import { instrumentRepository } from "./infrastructure/storage/instrumented-key-value-repository";
import { openStorage } from "./infrastructure/storage/open-storage";
import type { Storage, StorageLostError } from "./infrastructure/storage/storage";
import { ExpirySweeper } from "./infrastructure/sweeper/expiry-sweeper";
import { createHttpApp } from "./interfaces/http/http-app";
import { HttpMetrics } from "./interfaces/http/http-metrics";
import { KeysController } from "./interfaces/http/keys-controller";
import { OperationsController } from "./interfaces/http/operations-controller";
import { WatchController } from "./interfaces/http/watch-controller";
import { WatchMetrics } from "./interfaces/http/watch-metrics";

/** What the entry points and tests choose: a clock, a logger, what to do when storage is lost, a look at the storage opened. */
export interface Overrides {
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Storage that can no longer be trusted (see StorageContext.onLost); by default it is logged as an error. */
  readonly onStorageLost?: (error: StorageLostError) => void;
  readonly onStorageOpened?: (storage: Storage) => void;
}

/** The wired service: the HTTP app to serve, the sweeper to start, the watch streams to end first, the storage to close last. */
export interface Composition {
  readonly app: Koa;
  readonly sweeper: ExpirySweeper;
  readonly watches: WatchController;
  /** Follows the change log while the service runs; null without one. */
  readonly feed: ChangeFeed | null;
  readonly storage: Storage;
}

// Tokens for what is registered by value; private to the root.
const TOKENS = {
  Metrics: Symbol("Metrics") as InjectionToken<Metrics>,
  KeyValueRepository: Symbol("KeyValueRepository") as InjectionToken<KeyValueRepository>,
  HttpApp: Symbol("HttpApp") as InjectionToken<Koa>,
} as const;

/**
 * What the entry points do when storage is lost: serving on from storage in
 * an unknown state could lose or corrupt data, and a supervisor's restart
 * reopens it cleanly. Exit code 70 (EX_SOFTWARE).
 */
export function exitOnStorageLost(logger: Logger): (error: StorageLostError) => void {
  return (error) => {
    logger.error("storage lost; exiting", errorFields(error));
    process.exit(70);
  };
}

/**
 * Opens the storage the configuration names (connect, lock, migrate), with
 * the service's metrics attached. Also the whole of `npm run migrate`.
 */
export function openConfiguredStorage(
  config: AppConfig,
  clock: Clock,
  logger: Logger,
  onLost: (error: StorageLostError) => void,
  metrics = newMetrics(config),
): Promise<Storage> {
  return openStorage({ config, clock, logger, metrics, onLost });
}

function newMetrics(config: AppConfig): Metrics {
  return new Metrics({ version: packageVersion(), storage: config.storage });
}

/**
 * The one place that wires the service. Opens storage first (it is async),
 * then registers every part as a singleton in a child container and resolves
 * what the service runs. Domain, application and interface classes carry no
 * decorators (they must not know tsyringe), so they are registered here with
 * factories.
 */
export async function compose(config: AppConfig, overrides: Overrides = {}): Promise<Composition> {
  const clock = overrides.clock ?? new SystemClock();
  const logger = overrides.logger ?? createLogger(config.logLevel, config.logFormat);
  const metrics = newMetrics(config);
  const onLost = overrides.onStorageLost ?? ((error: StorageLostError) => logger.error("storage lost", errorFields(error)));
  const storage = await openConfiguredStorage(config, clock, logger, onLost, metrics);
  overrides.onStorageOpened?.(storage);
  let feed: ChangeFeed | null = null;
  try {
    if (storage.changes !== null && storage.changeSignal !== null) {
      feed = new ChangeFeed(storage.changes, storage.changeSignal, CHANGE_FEED, (error) =>
        logger.warn("watch feed cannot read the change log; retrying", errorFields(error)),
      );
      feed.start();
    }
    const c = register(config, clock, logger, metrics, storage, feed);
    return { app: c.resolve(TOKENS.HttpApp), sweeper: c.resolve(ExpirySweeper), watches: c.resolve(WatchController), feed, storage };
  } catch (error) {
    await storage.close();
    throw error;
  }
}

/** What a watch stream may have waiting for its socket, and how long its socket may take nothing while it is full. */
const WATCH_BUFFER_BYTES = 1024 * 1024;
const WATCH_STALL_MS = 60_000;

/** One instance's reader of the change log: pages of 1,000; the latest 16 MiB of changes kept for watchers close behind. */
const CHANGE_FEED = { pageSize: 1_000, windowBytes: 16 * 1024 * 1024 };

function register(config: AppConfig, clock: Clock, logger: Logger, metrics: Metrics, storage: Storage, feed: ChangeFeed | null): DependencyContainer {
  const c = container.createChildContainer();
  c.register(TOKENS.Metrics, { useValue: metrics });
  c.register(TOKENS.KeyValueRepository, { useValue: instrumentRepository(storage.repository, metrics) });
  const singleton = <T>(token: InjectionToken<T>, make: (resolve: <U>(token: InjectionToken<U>) => U) => T) =>
    c.register(token, { useFactory: instanceCachingFactory((r) => make((t) => r.resolve(t))) });

  const useCase = <T>(token: InjectionToken<T>, make: (repository: KeyValueRepository) => T) =>
    singleton(token, (resolve) => make(resolve(TOKENS.KeyValueRepository)));
  useCase(GetValue, (repository) => new GetValue(repository, clock, metrics));
  useCase(PutValue, (repository) => new PutValue(repository, clock, metrics));
  useCase(PutValues, (repository) => new PutValues(repository, clock, metrics));
  useCase(DeleteValue, (repository) => new DeleteValue(repository, clock, metrics));
  useCase(DeleteValues, (repository) => new DeleteValues(repository, clock, metrics));
  useCase(ListValues, (repository) => new ListValues(repository, clock, metrics, storage.listChunks, storage.changes));
  useCase(PurgeExpiredKeys, (repository) => new PurgeExpiredKeys(repository, clock));
  useCase(CheckReadiness, (repository) => new CheckReadiness(repository));
  useCase(DescribeKeyspace, (repository) => new DescribeKeyspace(repository, clock));

  const sweeping = { intervalMs: config.sweepIntervalSeconds * 1000, batchSize: config.sweepBatchSize, maxBatches: 100 };
  const trim = storage.changes === null ? null : new TrimChanges(storage.changes, config.watchRetention, clock);
  singleton(ExpirySweeper, (resolve) => new ExpirySweeper(resolve(PurgeExpiredKeys), sweeping, clock, metrics, logger, trim));
  singleton(
    KeysController,
    (resolve) =>
      new KeysController(
        resolve(GetValue),
        resolve(PutValue),
        resolve(PutValues),
        resolve(DeleteValue),
        resolve(DeleteValues),
        resolve(ListValues),
        { maxBodyBytes: config.maxBodyBytes, maxKeysPerPut: config.maxKeysPerPut, maxListings: config.maxListings },
      ),
  );
  singleton(
    WatchController,
    () =>
      new WatchController(feed, clock, new WatchMetrics(metrics.registry), logger, {
        maxStreams: config.watchMaxStreams,
        heartbeatMs: config.watchHeartbeatSeconds * 1000,
        bufferBytes: WATCH_BUFFER_BYTES,
        stallMs: WATCH_STALL_MS,
      }),
  );
  singleton(OperationsController, (resolve) => new OperationsController(resolve(CheckReadiness), resolve(DescribeKeyspace), metrics, logger));
  singleton(TOKENS.HttpApp, (resolve) =>
    createHttpApp({
      keys: resolve(KeysController),
      watches: resolve(WatchController),
      operations: resolve(OperationsController),
      metrics: new HttpMetrics(metrics.registry),
      logger,
      access: { tokens: config.apiTokens, protectMetrics: config.metricsAuth },
      // Memory answers within the request's own turn, so batching the writes
      // of one loop iteration doubles its throughput; on PostgreSQL the
      // coalescer already answers in batches and the extra turn cost GET
      // (docs/performance.md).
      replyInCheckPhase: storage.kind === "memory",
    }),
  );
  return c;
}
