import { compose, type Composition, type Overrides } from "./composition-root";
import type { AppConfig } from "./infrastructure/config/config";
import { createLogger, type Logger } from "./infrastructure/logging/logger";
import { packageVersion } from "./infrastructure/project-files";
import { HttpServer } from "./interfaces/http/http-server";

/** The running service: storage, HTTP server and sweeper, started and stopped in order. */
export class KvService {
  private constructor(
    private readonly parts: Composition,
    private readonly server: HttpServer,
    private readonly logger: Logger,
  ) {}

  static async start(config: AppConfig, overrides: Overrides = {}): Promise<KvService> {
    const logger = overrides.logger ?? createLogger(config.logLevel, config.logFormat);
    const server = await HttpServer.bind(config, logger);
    let parts: Composition;
    try {
      parts = await compose(config, { ...overrides, logger });
    } catch (error) {
      await server.close(0);
      throw error;
    }
    server.serve(parts.app);
    parts.sweeper.start();
    logger.info("listening", { version: packageVersion(), storage: config.storage, host: config.host, port: server.port });
    return new KvService(parts, server, logger);
  }

  get port(): number {
    return this.server.port;
  }

  /** Ends watch streams, stops accepting, drains in-flight requests (cut after the timeout), stops the sweeper, closes storage. */
  async stop(timeoutMs: number): Promise<void> {
    this.logger.info("shutting down", { timeout_ms: timeoutMs });
    const closing = this.server.close(timeoutMs);
    // After close(): streams are ended, and one opened meanwhile ends at once.
    this.parts.watches.closeAll();
    await this.parts.feed?.stop();
    const drained = await closing;
    await this.parts.sweeper.stop();
    await this.parts.storage.close();
    this.logger.info("stopped", { drained });
  }
}
