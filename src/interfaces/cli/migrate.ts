import "reflect-metadata";
import { ConfigError, loadConfig } from "../../infrastructure/config/config";
import { createLogger, errorFields } from "../../infrastructure/logging/logger";
import { Metrics } from "../../infrastructure/metrics/metrics";
import { SystemClock } from "../../infrastructure/clock/system-clock";
import { openStorage } from "../../infrastructure/storage/open-storage";
import { packageVersion } from "../../infrastructure/project-files";

/**
 * `npm run migrate`: applies pending migrations to the configured storage and
 * exits. The service also migrates at startup; this is for deployments that
 * prefer a separate step.
 */
async function migrateCommand(): Promise<void> {
  const logger = createLogger("info");
  try {
    const config = loadConfig();
    if (config.storage === "memory") {
      logger.info("memory storage has no schema; nothing to migrate");
      return;
    }
    const metrics = new Metrics({ version: packageVersion(), storage: config.storage });
    const storage = await openStorage({ config, clock: new SystemClock(), logger, metrics });
    await storage.close();
  } catch (error) {
    logger.error("migration failed", error instanceof ConfigError ? { error: error.message } : errorFields(error));
    process.exitCode = 1;
  }
}

void migrateCommand();
