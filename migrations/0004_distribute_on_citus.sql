-- On Citus (distributed PostgreSQL: the citus extension is installed in this
-- database), kv_entries is hash-distributed by key across the worker nodes,
-- in citus.shard_count shards (32 unless the database sets another count).
-- Point reads and writes then go to the one shard holding their key; the
-- shards get the table's indexes (the trigram index included). Elsewhere,
-- on plain PostgreSQL and on PGlite, this does nothing.
-- kv_version_seq stays a sequence of the coordinator, where Citus evaluates
-- nextval() before routing a write, so versions remain unique.
DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
    -- A separate statement: pg_dist_partition exists only where citus does.
    IF NOT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = 'kv_entries'::regclass) THEN
      PERFORM create_distributed_table('kv_entries', 'key');
    END IF;
  END IF;
END
$$;
