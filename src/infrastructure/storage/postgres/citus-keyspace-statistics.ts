import type { KeyspaceStatistics } from "../../../domain/keyspace-statistics";
import type { SqlClient } from "./sql-client";

/**
 * Below this multiple of the exact-count limit the estimate is not trusted
 * and the shards count their rows: the estimate trails writes by seconds, and
 * a full count of a table this small takes milliseconds.
 */
const RECOUNT_BELOW_ESTIMATE_FACTOR = 4;

/**
 * The keyspace statistics of a Citus distributed kv_entries, from statements
 * that every shard answers on its own (pushed down whole), so the coordinator
 * receives one row per shard rather than rows to count.
 *
 * The single-node form bounds its counts with LIMIT subqueries; on Citus a
 * LIMIT inside a subquery is planned recursively: each shard sends up to
 * LIMIT rows to the coordinator, which counts them. That statement took
 * 0.2-0.6 s on an idle two-worker cluster and over 2 s under a purge, and
 * the per-shard n_live_tup read (run_command_on_shards, a connection per
 * shard) about 0.9 s. Here:
 * - the estimate is n_live_tup summed over each worker's kv_entries shards,
 *   one connection per worker (60-80 ms); shards of a worker that does not
 *   answer are left out;
 * - the exact count (count(*) pushed down) runs only while the estimate is
 *   small, so its cost stays bounded by the table size it runs on;
 * - expired entries are counted over the expiry index's expired range, which
 *   the sweepers keep short: the cost grows with the purge backlog, not with
 *   the table, and the count is capped at expiredLimit after counting.
 */
export async function citusKeyspaceStatistics(
  sql: SqlClient,
  now: number,
  expiredLimit: number,
  exactCountLimit: number,
): Promise<KeyspaceStatistics> {
  const { rows: estimated } = await sql.query<{ estimate: string | null }>(
    `SELECT sum(result::bigint) AS estimate FROM run_command_on_workers(
       $$SELECT coalesce(sum(n_live_tup), 0) FROM pg_stat_user_tables WHERE relname ~ '^kv_entries_[0-9]+$'$$) WHERE success`,
  );
  const estimate = Number(estimated[0]?.estimate ?? 0);
  let entries = estimate;
  if (estimate <= RECOUNT_BELOW_ESTIMATE_FACTOR * exactCountLimit) {
    const { rows: counted } = await sql.query<{ entries: string }>("SELECT count(*) AS entries FROM kv_entries");
    entries = Number(counted[0].entries);
  }
  const { rows: expired } = await sql.query<{ expired: string; oldest: string | null }>(
    "SELECT count(*) AS expired, min(expires_at_ms) AS oldest FROM kv_entries WHERE expires_at_ms <= $1::bigint",
    [now],
  );
  return {
    entries,
    entriesExact: entries <= exactCountLimit,
    expired: Math.min(Number(expired[0].expired), expiredLimit),
    oldestExpiredAt: expired[0].oldest === null ? null : Number(expired[0].oldest),
  };
}
