import type { KeyValueRepository } from "../../../domain/key-value-repository";
import { decorateRepository } from "../decorate-repository";
import { errorFields, type Logger } from "../../logging/logger";
import type { SqlClient } from "../postgres/sql-client";

export interface TableMaintenanceOptions {
  /** How often to check whether the table has changed enough to need maintenance. */
  readonly intervalMs?: number;
}

/**
 * PGlite's stand-in for autovacuum, which it does not have (nor the
 * statistics collector that drives it): without it dead rows are never
 * reclaimed, the planner never learns the table's size or key distribution
 * (so it picks plans for an empty table), and `n_live_tup` never moves. Rows
 * changed through the repository are counted here; once they exceed
 * autovacuum's default threshold (10% of the table, plus 1,000 rows) the
 * table is vacuumed and analysed. ANALYZE reads a fixed sample, VACUUM skips
 * pages that hold no dead rows.
 */
export class TableMaintenance {
  private changed = 0;
  private rows = 0;
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly sql: SqlClient,
    private readonly logger: Logger,
  ) {}

  /** Analyses once (the statistics may be missing or stale from an earlier run), then checks every `intervalMs`. */
  async start(options: TableMaintenanceOptions = {}): Promise<void> {
    await this.sql.exec("ANALYZE kv_entries");
    this.rows = await this.estimatedRows();
    this.timer = setInterval(() => void this.runIfDue(), options.intervalMs ?? 10_000);
    this.timer.unref();
  }

  noteChanges(rows: number): void {
    this.changed += rows;
  }

  /** Vacuums and analyses when enough rows changed since the last time; resolves when done. */
  runIfDue(): Promise<void> {
    if (this.running) return this.running;
    if (this.changed < this.rows * 0.1 + 1_000) return Promise.resolve();
    const changed = this.changed;
    this.changed = 0;
    this.running = this.vacuum(changed).finally(() => (this.running = null));
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  private async vacuum(changed: number): Promise<void> {
    const started = performance.now();
    try {
      // The change log and its queue grow and shrink at the pace kv_entries
      // changes, and kv_revision's one row is rewritten by every numbering.
      await this.sql.exec("VACUUM (ANALYZE) kv_entries, kv_changes, kv_change_queue, kv_revision");
      this.rows = await this.estimatedRows();
      this.logger.debug("table maintenance", { changed_rows: changed, rows: this.rows, duration_ms: Math.round(performance.now() - started) });
    } catch (error) {
      // Counted again next time: the changes are still unreclaimed.
      this.changed += changed;
      this.logger.warn("table maintenance failed", errorFields(error));
    }
  }

  private async estimatedRows(): Promise<number> {
    const { rows } = await this.sql.query<{ n: number }>("SELECT greatest(reltuples, 0)::float8 AS n FROM pg_class WHERE oid = 'kv_entries'::regclass");
    return Number(rows[0]?.n ?? 0);
  }
}

/** The repository with every row it changes counted for maintenance. */
export function countChanges(inner: KeyValueRepository, maintenance: TableMaintenance): KeyValueRepository {
  const counted = async <T>(result: Promise<T>, rows: (value: T) => number): Promise<T> => {
    const value = await result;
    maintenance.noteChanges(rows(value));
    return value;
  };
  return decorateRepository(inner, {
    putMany: (...args) => counted(inner.putMany(...args), (results) => results.length),
    putIf: (...args) => counted(inner.putIf(...args), (result) => (result === null ? 0 : 1)),
    deleteIf: (...args) => counted(inner.deleteIf(...args), (deleted) => (deleted ? 1 : 0)),
    deleteMatching: (...args) => counted(inner.deleteMatching(...args), (deleted) => deleted),
    purgeExpired: (...args) => counted(inner.purgeExpired(...args), (purged) => purged),
  });
}
