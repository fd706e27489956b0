import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { EXPIRED_COUNT_LIMIT, type KeyspaceReport } from "../../application/describe-keyspace";
import { OPERATION_OUTCOMES, type Operation, type OperationOutcomes, type Outcome } from "../../application/operation-outcomes";

export interface PoolStats {
  readonly total: number;
  readonly idle: number;
  readonly waiting: number;
  readonly max: number;
}

export interface BuildInfo {
  readonly version: string;
  readonly storage: string;
}

/**
 * Every metric the service exports, on its own registry (not prom-client's
 * global one, so tests and several apps in one process do not collide).
 * Label values come from small fixed sets - route templates, operation names -
 * never from keys, paths or error messages.
 */
export class Metrics implements OperationOutcomes {
  readonly registry = new Registry();

  readonly operations = new Counter({
    name: "kv_operations_total",
    help: "Key-value operations by operation and outcome: one per key written or deleted (bulk writes and deletes count each key), one per get or list request.",
    labelNames: ["operation", "outcome"] as const,
    registers: [this.registry],
  });

  readonly purgedKeys = new Counter({
    name: "kv_expired_keys_purged_total",
    help: "Expired keys removed from storage by the sweeper.",
    registers: [this.registry],
  });

  readonly sweeps = new Counter({
    name: "kv_sweeper_runs_total",
    help: "Sweeper runs, by result (ok, error).",
    labelNames: ["result"] as const,
    registers: [this.registry],
  });

  readonly lastSweep = new Gauge({
    name: "kv_sweeper_last_success_timestamp_seconds",
    help: "Unix time of the last sweeper run that completed without error.",
    registers: [this.registry],
  });

  readonly sweepInterval = new Gauge({
    name: "kv_sweeper_interval_seconds",
    help: "Configured pause between sweeper runs; 0 when the sweeper is disabled.",
    registers: [this.registry],
  });

  readonly storageUp = new Gauge({
    name: "kv_storage_up",
    help: "1 when the storage sample taken for this scrape succeeded, 0 when storage was unreachable or too slow.",
    registers: [this.registry],
  });

  readonly keys = new Gauge({
    name: "kv_keys",
    help: "Entries stored, expired ones awaiting purge included. Exact up to 10000 entries; above, the database's live-row estimate (n_live_tup), which trails writes by seconds (PGlite: until kv's next VACUUM ANALYZE).",
    registers: [this.registry],
  });

  readonly expiredKeys = new Gauge({
    name: "kv_expired_keys",
    help: `Entries past their expiry that the sweeper has not purged yet (invisible to reads). Counting stops at ${EXPIRED_COUNT_LIMIT}.`,
    registers: [this.registry],
  });

  readonly oldestExpiredAge = new Gauge({
    name: "kv_expired_keys_oldest_age_seconds",
    help: "How long the longest-expired entry not yet purged has been waiting; 0 when none is. Grows steadily when the sweeper falls behind.",
    registers: [this.registry],
  });

  readonly storageErrors = new Counter({
    name: "kv_storage_errors_total",
    help: "Storage operations that failed, by operation and kind (unavailable: unreachable or stopped; overloaded: out of connections, memory or time; insufficient_storage: disk full; error: anything else).",
    labelNames: ["operation", "kind"] as const,
    registers: [this.registry],
  });

  readonly storageDuration = new Histogram({
    name: "kv_storage_operation_duration_seconds",
    help: "Latency of storage operations (one repository call), by operation.",
    labelNames: ["operation"] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  constructor(build: BuildInfo) {
    collectDefaultMetrics({ register: this.registry });
    // Series that exist from the start (at 0) let rate() and increase() see
    // the first event, and let dashboards show 0 rather than "no data".
    for (const [operation, outcomes] of Object.entries(OPERATION_OUTCOMES)) for (const outcome of outcomes) this.operations.inc({ operation, outcome }, 0);
    for (const result of ["ok", "error"]) this.sweeps.inc({ result }, 0);
    new Gauge({
      name: "kv_build_info",
      help: "Always 1; labels carry the running version and storage adapter.",
      labelNames: ["version", "storage"] as const,
      registers: [this.registry],
    }).set({ version: build.version, storage: build.storage }, 1);
  }

  /** Exports connection-pool gauges, read at scrape time. */
  observePool(stats: () => PoolStats): void {
    const gauge = (name: string, help: string, read: (s: PoolStats) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(read(stats()));
        },
      });
    gauge("kv_db_pool_connections", "Open database connections (busy and idle).", (s) => s.total);
    gauge("kv_db_pool_idle_connections", "Open database connections not in use.", (s) => s.idle);
    gauge("kv_db_pool_waiting_requests", "Queries waiting for a free database connection.", (s) => s.waiting);
    gauge("kv_db_pool_max_connections", "Configured maximum of database connections.", (s) => s.max);
  }

  /** Exports the free space of the embedded database's disk and the reserve kept on it, read at scrape time. */
  observeDisk(stats: () => { free: number; reserve: number }): void {
    const registry = this.registry;
    new Gauge({
      name: "kv_storage_disk_free_bytes",
      help: "Free space on the disk of the embedded database's data directory (PGlite only), sampled every second.",
      registers: [registry],
      collect() {
        const { free } = stats();
        if (Number.isFinite(free)) this.set(free);
      },
    });
    new Gauge({
      name: "kv_storage_disk_reserve_bytes",
      help: "Free space kept in reserve on that disk (DATA_DIR_MIN_FREE_MB): below it, writes are refused with 507.",
      registers: [registry],
      collect() {
        this.set(stats().reserve);
      },
    });
  }

  /**
   * Sets the keyspace gauges from a storage sample taken for this scrape, or
   * marks storage down when there is none (the other gauges keep their last
   * values rather than pretend the keyspace emptied).
   */
  private recordKeyspace(report: KeyspaceReport | null): void {
    this.storageUp.set(report === null ? 0 : 1);
    if (report === null) return;
    this.keys.set(report.entries);
    this.expiredKeys.set(report.expired);
    this.oldestExpiredAge.set(report.oldestExpiredAgeMs / 1000);
  }

  record<O extends Operation>(operation: O, outcome: Outcome<O>, count = 1): void {
    this.operations.inc({ operation, outcome }, count);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition for one scrape, with the keyspace gauges from a sample taken for it (null: storage down). */
  render(keyspace: KeyspaceReport | null): Promise<string> {
    this.recordKeyspace(keyspace);
    return this.registry.metrics();
  }
}

