export interface SqlResult<Row> {
  readonly rows: Row[];
  readonly rowCount: number;
}

export interface SqlQueryable {
  /** One statement with bound parameters ($1, $2, ...). */
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>>;
  /** A script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
}

/**
 * What the PostgreSQL repository needs from a driver. Implemented over a `pg`
 * pool (a PostgreSQL server) and over PGlite (PostgreSQL embedded in WASM), so
 * the same SQL and migrations serve both.
 */
export interface SqlClient extends SqlQueryable {
  /** Runs `work` in one transaction on one session; commits if it resolves, rolls back if it rejects. */
  transaction<T>(work: (tx: SqlQueryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
