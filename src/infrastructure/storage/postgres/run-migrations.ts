import type { Logger } from "../../logging/logger";
import { migrationsDirectory } from "../../project-files";
import { loadMigrations, migrate, type MigrationReport } from "./migrator";
import type { SqlClient } from "./sql-client";

/** Applies the project's migrations and logs what was done. */
export async function runMigrations(sql: SqlClient, logger: Logger): Promise<MigrationReport> {
  const report = await migrate(sql, loadMigrations(migrationsDirectory()));
  for (const migration of report.applied) {
    logger.info("migration applied", { migration_version: migration.version, migration_name: migration.name });
  }
  logger.info("schema is current", { schema_version: report.schemaVersion, applied: report.applied.length });
  return report;
}
