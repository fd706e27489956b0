-- create_version tells an upsert's RETURNING whether that write created the
-- key (RETURNING cannot see the row as it was). NULL now means "created by
-- the write that gave the row its version": one nextval() per row instead of
-- the same value in two columns, which a single INSERT ... VALUES cannot
-- express and which made every write an INSERT ... SELECT (on Citus that is
-- pulled through the coordinator instead of routed to one shard).
-- Rows written before keep a number there; to the next write any number
-- means "the key existed", which it did.
ALTER TABLE kv_entries ALTER COLUMN create_version DROP NOT NULL;
