import type { Pool, PoolClient } from "pg";
import type { SqlClient, SqlQueryable, SqlResult } from "./sql-client";
import { classifyStorageError } from "./storage-error";

/** SqlClient over a `pg` connection pool: a PostgreSQL server. */
export class PgPoolSqlClient implements SqlClient {
  constructor(private readonly pool: Pool) {}

  async query<Row>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>> {
    try {
      const result = await this.pool.query(text, params as unknown[] | undefined);
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
    } catch (error) {
      throw classifyStorageError(error);
    }
  }

  async exec(script: string): Promise<void> {
    await this.query(script);
  }

  async transaction<T>(work: (tx: SqlQueryable) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw classifyStorageError(error);
    }
    let broken: unknown = undefined;
    try {
      await client.query("BEGIN");
      const result = await work(sessionOf(client));
      await client.query("COMMIT");
      return result;
    } catch (error) {
      broken = await client.query("ROLLBACK").then(
        () => undefined,
        (rollbackError: unknown) => rollbackError,
      );
      throw classifyStorageError(error);
    } finally {
      // A client whose rollback failed is in an unknown state: destroy it rather than reuse it.
      client.release(broken instanceof Error ? broken : undefined);
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

function sessionOf(client: PoolClient): SqlQueryable {
  return {
    async query<Row>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>> {
      const result = await client.query(text, params as unknown[] | undefined);
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
    },
    async exec(script: string): Promise<void> {
      await client.query(script);
    },
  };
}
