import "reflect-metadata";
import { ConfigError, environmentHelp, loadConfig } from "./infrastructure/config/config";
import { createLogger, errorFields } from "./infrastructure/logging/logger";
import { acceptArguments } from "./interfaces/cli/command-line";
import { exitOnStorageLost } from "./composition-root";
import { KvService } from "./service";

const USAGE = `kv: an HTTP key-value store (docs: README.md, docs/api.md, docs/operations.md)

Usage: npm start                      (builds, then runs node dist/src/main.js)
       node dist/src/main.js [--help]

Serves the HTTP API on HOST:PORT until SIGTERM or SIGINT, then drains and
exits 0. Logs are JSON lines on stdout. Without DATABASE_URL, data is kept in
an embedded PostgreSQL (PGlite) under DATA_DIR.

Environment variables (name, default, meaning):
${environmentHelp()}

Exit codes: 0 stopped on a signal, 1 startup failed, 64 bad arguments,
70 storage lost (embedded database worker died or lock taken), 78 invalid configuration.`;

/** Entry point: `node dist/src/main.js`. Configuration comes from the environment only. */
async function main(): Promise<void> {
  if (!acceptArguments(process.argv.slice(2), USAGE)) return;
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
    service = await KvService.start(config, { logger, onStorageLost: exitOnStorageLost(logger) });
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
