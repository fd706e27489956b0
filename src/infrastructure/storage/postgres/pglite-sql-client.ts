import type { PGlite, Transaction } from "@electric-sql/pglite";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { SqlClient, SqlQueryable, SqlResult } from "./sql-client";

/**
 * SqlClient over PGlite: PostgreSQL compiled to WASM, in this process. Every
 * statement runs synchronously on the main thread, so after each one we yield
 * to the event loop; callers keep statements small (bounded batches) so no
 * single one blocks requests for long.
 */
export class PgliteSqlClient implements SqlClient {
  constructor(private readonly db: PGlite) {}

  async query<Row>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>> {
    try {
      return await runQuery<Row>(this.db, text, params);
    } finally {
      await yieldToEventLoop();
    }
  }

  async exec(script: string): Promise<void> {
    await this.db.exec(script);
    await yieldToEventLoop();
  }

  transaction<T>(work: (tx: SqlQueryable) => Promise<T>): Promise<T> {
    // PGlite has one session; its transaction() holds it exclusively, so no
    // other request's statement can slip into this transaction.
    return this.db.transaction((tx) =>
      work({
        query: <Row>(text: string, params?: readonly unknown[]) => runQuery<Row>(tx, text, params),
        exec: async (script: string) => {
          await tx.exec(script);
        },
      }),
    );
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

async function runQuery<Row>(db: PGlite | Transaction, text: string, params?: readonly unknown[]): Promise<SqlResult<Row>> {
  const result = await db.query<Row>(text, params as unknown[] | undefined);
  return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
}
