import type { Pool, PoolClient, QueryConfig } from "pg";
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
      // Transactions run migrations: exempt from the pool's statement_timeout (see `unlimited`).
      await client.query("SET LOCAL statement_timeout = 0");
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

/**
 * Transactions run migrations, whose index builds on a big table may
 * legitimately outlast the pool's query_timeout: no client-side limit here
 * (setTimeout's maximum, ~24 days).
 */
const UNLIMITED_MS = 2_147_483_647;

/** pg reads `query_timeout` from a query's config (client.js), though its types omit it. */
type TimedQuery = QueryConfig & { query_timeout: number };

function unlimited(text: string, values?: readonly unknown[]): TimedQuery {
  return { text, values: values as unknown[] | undefined, query_timeout: UNLIMITED_MS };
}

function sessionOf(client: PoolClient): SqlQueryable {
  return {
    async query<Row>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>> {
      const result = await client.query(unlimited(text, params));
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
    },
    async exec(script: string): Promise<void> {
      await client.query(unlimited(script));
    },
  };
}
