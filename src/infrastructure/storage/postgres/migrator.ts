import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { SqlClient } from "./sql-client";

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export interface MigrationReport {
  readonly applied: readonly Migration[];
  readonly schemaVersion: number;
}

// Any constant works; all instances of this service must agree on it.
const MIGRATION_LOCK_ID = 7_283_541_001;
const FILE_NAME = /^(\d+)_([a-z0-9_]+)\.sql$/;

/** Reads `NNNN_name.sql` files, in version order. */
export function loadMigrations(directory: string): Migration[] {
  return readdirSync(directory)
    .filter((file) => FILE_NAME.test(file))
    .map((file) => {
      const [, version, name] = FILE_NAME.exec(file) as RegExpExecArray;
      return { version: Number(version), name, sql: readFileSync(join(directory, file), "utf8") };
    })
    .sort((a, b) => a.version - b.version);
}

/**
 * Applies pending migrations in one transaction under a transaction-level
 * advisory lock, so instances starting together apply each migration exactly
 * once: the others wait on the lock, then find nothing left to do.
 */
export async function migrate(client: SqlClient, migrations: readonly Migration[]): Promise<MigrationReport> {
  return client.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_ID]);
    await tx.exec(
      `CREATE TABLE IF NOT EXISTS kv_schema_migrations (
         version    integer PRIMARY KEY,
         name       text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const { rows } = await tx.query<{ version: number }>("SELECT version FROM kv_schema_migrations");
    const done = new Set(rows.map((row) => Number(row.version)));
    const applied: Migration[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      await tx.exec(migration.sql);
      await tx.query("INSERT INTO kv_schema_migrations (version, name) VALUES ($1, $2)", [migration.version, migration.name]);
      applied.push(migration);
    }
    return { applied, schemaVersion: latestVersion(migrations) };
  });
}

export function latestVersion(migrations: readonly Migration[]): number {
  return migrations.length === 0 ? 0 : migrations[migrations.length - 1].version;
}
