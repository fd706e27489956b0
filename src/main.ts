import "reflect-metadata";
import { ConfigError, loadConfig } from "./infrastructure/config/config";
import { createLogger, errorFields } from "./infrastructure/logging/logger";
import { KvService } from "./service";

/** Entry point: `node dist/src/main.js`. Configuration comes from the environment only. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    createLogger("error").error("invalid configuration", { error: error.message });
    process.exitCode = 78; // EX_CONFIG
    return;
  }
  const logger = createLogger(config.logLevel, config.logFormat);
  let service: KvService;
  try {
    service = await KvService.start(config, { logger });
  } catch (error) {
    logger.error("startup failed", errorFields(error));
    process.exitCode = 1;
    return;
  }
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info("signal received", { signal });
    service.stop(config.shutdownTimeoutSeconds * 1000).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error("shutdown failed", errorFields(error));
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

void main();
