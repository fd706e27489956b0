import "reflect-metadata";
import { exitOnStorageLost, openConfiguredStorage } from "./composition-root";
import { SystemClock } from "./infrastructure/clock/system-clock";
import { ConfigError, environmentHelp, loadConfig } from "./infrastructure/config/config";
import { createLogger, errorFields } from "./infrastructure/logging/logger";
import { acceptArguments } from "./interfaces/cli/command-line";

const USAGE = `kv migrate: applies pending schema migrations (migrations/*.sql) and exits

Usage: npm run migrate
       node dist/src/migrate.js [--help]

The service also migrates at startup; this is for deployments that prefer a
separate step. Migrations run in one transaction under an advisory lock, so
running this beside starting instances is safe. Exit 0 when the schema is
current, 1 when migrating failed.

Environment variables (name, default, meaning; those about storage apply):
${environmentHelp()}`;

/**
 * Entry point of `npm run migrate`, beside main.ts: opens the configured
 * storage through the composition root (which migrates it) and exits. The service also migrates at startup; this is for deployments that
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
    const storage = await openConfiguredStorage(config, new SystemClock(), logger, exitOnStorageLost(logger));
    await storage.close();
  } catch (error) {
    logger.error("migration failed", error instanceof ConfigError ? { error: error.message } : errorFields(error));
    process.exitCode = 1;
  }
}

void migrateCommand();
