-- Versions are drawn from one sequence, so a version (the HTTP ETag) is never
-- reused, not even after a key is deleted and written again.
CREATE SEQUENCE kv_version_seq;

CREATE TABLE kv_entries (
  -- COLLATE "C" compares bytes: ordering is Unicode code-point order whatever
  -- the database's locale, and `key LIKE 'prefix%'` can use this primary-key
  -- index as a range scan (under a linguistic collation it cannot).
  key            text COLLATE "C" PRIMARY KEY
                 CHECK (key <> '' AND octet_length(key) <= 1024),
  -- The JSON text exactly as the client wrote it. Not jsonb: jsonb rewrites
  -- numbers (1e400, 12345678901234567890.0) and rejects \u0000 in strings.
  value          text   NOT NULL,
  version        bigint NOT NULL,
  -- The version that created the key (equal to `version` right after a create);
  -- lets one upsert statement tell "created" from "replaced".
  create_version bigint NOT NULL,
  -- Epoch milliseconds; NULL = never expires. Live iff NULL or > now.
  expires_at_ms  bigint
);

-- The sweeper's access path: oldest expiry first, persistent keys excluded.
CREATE INDEX kv_entries_expires_at_ms_idx ON kv_entries (expires_at_ms) WHERE expires_at_ms IS NOT NULL;
