import type { SqlClient, SqlQueryable, SqlResult } from "../../src/infrastructure/storage/postgres/sql-client";

/**
 * A SqlClient that, before running each statement, has PostgreSQL EXPLAIN it
 * with the same parameters on the same target, and keeps the plan: the plans
 * of the statements a repository really sends. Runs everything in the
 * target's session (a transaction's, when given one); closing it leaves the
 * target open.
 */
export class ExplainingSqlClient implements SqlClient {
  readonly plans: string[] = [];

  constructor(
    private readonly target: SqlQueryable,
    private readonly explain = "EXPLAIN",
  ) {}

  async query<Row>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>> {
    const { rows } = await this.target.query<{ "QUERY PLAN": string }>(`${this.explain} ${text}`, params);
    this.plans.push(rows.map((row) => row["QUERY PLAN"]).join("\n"));
    return this.target.query<Row>(text, params);
  }

  exec(script: string): Promise<void> {
    return this.target.exec(script);
  }

  transaction<T>(work: (tx: SqlQueryable) => Promise<T>): Promise<T> {
    return work(this);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
