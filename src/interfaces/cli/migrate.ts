import { ConfigError, environmentHelp, loadConfig } from "../../infrastructure/config/config";
import { createLogger, errorFields } from "../../infrastructure/logging/logger";
import { Metrics } from "../../infrastructure/metrics/metrics";
import { SystemClock } from "../../infrastructure/clock/system-clock";
import { openStorage } from "../../infrastructure/storage/open-storage";
import { packageVersion } from "../../infrastructure/project-files";
import { acceptArguments } from "./command-line";

const USAGE = `kv migrate: applies pending schema migrations (migrations/*.sql) and exits

Usage: npm run migrate
       node dist/src/interfaces/cli/migrate.js [--help]

The service also migrates at startup; this is for deployments that prefer a
separate step. Migrations run in one transaction under an advisory lock, so
running this beside starting instances is safe. Exit 0 when the schema is
current, 1 when migrating failed.

Environment variables (name, default, meaning; those about storage apply):
${environmentHelp()}`;

/**
 * `npm run migrate`: applies pending migrations to the configured storage and
 * exits. The service also migrates at startup; this is for deployments that
 * prefer a separate step.
 */
async function migrateCommand(): Promise<void> {
  if (!acceptArguments(process.argv.slice(2), USAGE)) return;
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
