import type { SqlClient } from "./sql-client";

/** How kv_entries is laid out: one table, or a Citus distributed table in `shards` shards. */
export interface Distribution {
  readonly distributed: boolean;
  readonly shards: number;
}

/**
 * Asks the database whether kv_entries is a Citus distributed table (the
 * migrations distribute it where the citus extension is installed). Two
 * statements: pg_dist_partition exists only where citus does.
 */
export async function readDistribution(sql: SqlClient): Promise<Distribution> {
  const { rows } = await sql.query<{ citus: boolean }>("SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') AS citus");
  if (!rows[0].citus) return { distributed: false, shards: 1 };
  const { rows: shards } = await sql.query<{ shards: string }>(
    "SELECT count(*) AS shards FROM pg_dist_shard WHERE logicalrelid = 'kv_entries'::regclass",
  );
  const count = Number(shards[0].shards);
  return { distributed: count > 0, shards: Math.max(count, 1) };
}
