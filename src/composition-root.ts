import { container, instanceCachingFactory, type DependencyContainer, type InjectionToken } from "tsyringe";
import { CheckReadiness } from "./application/check-readiness";
import { DeleteValue } from "./application/delete-value";
import { DeleteValues } from "./application/delete-values";
import { DescribeKeyspace } from "./application/describe-keyspace";
import { GetValue } from "./application/get-value";
import { DEFAULT_CHUNK_POLICY, ListValues } from "./application/list-values";
import { PurgeExpiredKeys } from "./application/purge-expired-keys";
import { PutValue } from "./application/put-value";
import { PutValues } from "./application/put-values";
import type { Clock } from "./domain/clock";
import type { KeyValueRepository } from "./domain/key-value-repository";
import { SystemClock } from "./infrastructure/clock/system-clock";
import type { AppConfig } from "./infrastructure/config/config";
import { createLogger, type Logger } from "./infrastructure/logging/logger";
import { Metrics } from "./infrastructure/metrics/metrics";
import { packageVersion } from "./infrastructure/project-files";
import { instrumentRepository } from "./infrastructure/storage/instrumented-key-value-repository";
import { openStorage } from "./infrastructure/storage/open-storage";
import { ExpirySweeper } from "./infrastructure/sweeper/expiry-sweeper";
import { KeysController } from "./interfaces/http/keys-controller";
import { OperationsController } from "./interfaces/http/operations-controller";
import { TOKENS } from "./tokens";

/** Replacements for tests: a fake clock, a quiet logger. */
export interface Overrides {
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/**
 * The one place that wires the service. Opens storage first (it is async:
 * connect, lock, migrate), then registers every part as a singleton in a
 * child container. Domain and application classes carry no decorators (they
 * must not know tsyringe), so they are registered here with factories;
 * interface-layer classes use @injectable.
 */
export async function createContainer(config: AppConfig, overrides: Overrides = {}): Promise<DependencyContainer> {
  const clock = overrides.clock ?? new SystemClock();
  const logger = overrides.logger ?? createLogger(config.logLevel, config.logFormat);
  const metrics = new Metrics({ version: packageVersion(), storage: config.storage });
  const storage = await openStorage({ config, clock, logger, metrics });

  const c = container.createChildContainer();
  c.register(TOKENS.Config, { useValue: config });
  c.register(TOKENS.Clock, { useValue: clock });
  c.register(TOKENS.Logger, { useValue: logger });
  c.register(TOKENS.Metrics, { useValue: metrics });
  c.register(TOKENS.Storage, { useValue: storage });
  c.register(TOKENS.KeyValueRepository, { useValue: instrumentRepository(storage.repository, metrics) });

  const useCase = <T>(token: InjectionToken<T>, make: (repository: KeyValueRepository) => T) =>
    c.register(token, { useFactory: instanceCachingFactory((r) => make(r.resolve(TOKENS.KeyValueRepository))) });
  useCase(GetValue, (repository) => new GetValue(repository, clock));
  useCase(PutValue, (repository) => new PutValue(repository, clock));
  useCase(PutValues, (repository) => new PutValues(repository, clock));
  useCase(DeleteValue, (repository) => new DeleteValue(repository, clock));
  useCase(DeleteValues, (repository) => new DeleteValues(repository, clock));
  // PGlite runs one statement at a time (in its worker thread): keep its
  // chunks at 2,000 rows (about 10 ms) so other requests' statements do not
  // queue behind a long one; 10,000 pays off on a server.
  const chunks = storage.kind === "pglite" ? { ...DEFAULT_CHUNK_POLICY, maxRows: 2_000 } : DEFAULT_CHUNK_POLICY;
  useCase(ListValues, (repository) => new ListValues(repository, clock, chunks));
  useCase(PurgeExpiredKeys, (repository) => new PurgeExpiredKeys(repository, clock));
  useCase(CheckReadiness, (repository) => new CheckReadiness(repository));
  useCase(DescribeKeyspace, (repository) => new DescribeKeyspace(repository, clock));

  c.register(ExpirySweeper, {
    useFactory: instanceCachingFactory(
      (r) =>
        new ExpirySweeper(
          r.resolve(PurgeExpiredKeys),
          { intervalMs: config.sweepIntervalSeconds * 1000, batchSize: config.sweepBatchSize, maxBatches: 100 },
          clock,
          metrics,
          logger,
        ),
    ),
  });
  c.registerSingleton(KeysController);
  c.registerSingleton(OperationsController);
  return c;
}
