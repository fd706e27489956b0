-- Replaced by kv_entries_key_filter_trgm_idx (0005), which point reads cannot use.
DROP INDEX IF EXISTS kv_entries_key_trgm_idx;
