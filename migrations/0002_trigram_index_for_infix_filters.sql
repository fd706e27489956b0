-- Filters with a wildcard in front (`$abc$`, `$abc`) become `key LIKE '%abc%'`,
-- which no B-tree can serve: without this index every such listing scans the
-- whole table (about 50 ms per million keys). A trigram GIN index answers any
-- LIKE pattern holding three or more literal characters from the index
-- (under a millisecond on a million keys); shorter patterns still scan.
-- pg_trgm ships with PostgreSQL and is a trusted extension (PostgreSQL 13+):
-- the database owner may install it without superuser rights.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX kv_entries_key_trgm_idx ON kv_entries USING gin (key gin_trgm_ops);
