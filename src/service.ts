import type { DependencyContainer } from "tsyringe";
import { createContainer, type Overrides } from "./composition-root";
import type { AppConfig } from "./infrastructure/config/config";
import { createLogger, type Logger } from "./infrastructure/logging/logger";
import type { Metrics } from "./infrastructure/metrics/metrics";
import { packageVersion } from "./infrastructure/project-files";
import type { Storage } from "./infrastructure/storage/storage";
import { ExpirySweeper } from "./infrastructure/sweeper/expiry-sweeper";
import { createHttpApp } from "./interfaces/http/http-app";
import { HttpServer } from "./interfaces/http/http-server";
import { KeysController } from "./interfaces/http/keys-controller";
import { OperationsController } from "./interfaces/http/operations-controller";
import { TOKENS } from "./tokens";

/** The running service: storage, HTTP server and sweeper, started and stopped in order. */
export class KvService {
  private constructor(
    readonly container: DependencyContainer,
    private readonly server: HttpServer,
    private readonly logger: Logger,
  ) {}

  static async start(config: AppConfig, overrides: Overrides = {}): Promise<KvService> {
    const logger = overrides.logger ?? createLogger(config.logLevel, config.logFormat);
    const server = await HttpServer.bind(config, logger);
    let container: DependencyContainer;
    try {
      container = await createContainer(config, { ...overrides, logger });
    } catch (error) {
      await server.close(0);
      throw error;
    }
    try {
      const app = createHttpApp({
        keys: container.resolve(KeysController),
        operations: container.resolve(OperationsController),
        metrics: container.resolve<Metrics>(TOKENS.Metrics),
        logger,
        access: { tokens: config.apiTokens, protectMetrics: config.metricsAuth },
      });
      server.serve(app);
      container.resolve(ExpirySweeper).start();
      logger.info("listening", { version: packageVersion(), storage: config.storage, host: config.host, port: server.port });
      return new KvService(container, server, logger);
    } catch (error) {
      await server.close(0);
      await container.resolve<Storage>(TOKENS.Storage).close();
      throw error;
    }
  }

  get port(): number {
    return this.server.port;
  }

  /** Stops accepting, drains in-flight requests (cut after the timeout), stops the sweeper, closes storage. */
  async stop(timeoutMs: number): Promise<void> {
    this.logger.info("shutting down", { timeout_ms: timeoutMs });
    const drained = await this.server.close(timeoutMs);
    await this.container.resolve(ExpirySweeper).stop();
    await this.container.resolve<Storage>(TOKENS.Storage).close();
    this.logger.info("stopped", { drained });
  }
}
