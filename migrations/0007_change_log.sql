-- The change log behind the watch feed: one row per change of a key, written
-- by triggers on kv_entries in the same transaction as the change, so a write
-- and its change commit together or not at all, whoever issued the write.
--
-- Revisions come from the single row of kv_revision, incremented by each
-- writing statement's trigger. Its row lock is held until the transaction
-- commits, so transactions that change keys commit one at a time, in
-- revision order, and every snapshot sees a prefix of the revisions: a
-- reader that has passed revision n can never be shown a smaller one later.
-- (A sequence would not do: nextval order is not commit order, and a reader
-- could pass revision 11 while the transaction holding 10 is still open.)
--
-- Each writing transaction notifies channel kv_changes (delivered when it
-- commits; repeats within a transaction are folded into one), which wakes
-- the watchers of every kv instance - while any instance has watchers: each
-- such instance keeps a row in kv_watchers with an expiry it renews, and
-- without one a write skips the NOTIFY, which costs every commit a share of
-- the notification queue.
--
-- A deleted row is recorded as 'expire' when its expiry had passed by the
-- deleting statement's clock (kv sets kv.now for its deletes, to the same
-- milliseconds it compares expiries with), else as 'delete'.
--
-- On Citus the table is distributed and the triggers would run on the
-- workers, which cannot take the coordinator's revision lock: nothing is
-- created there, and kv does not offer the feed. One statement: Citus
-- refuses several commands in one migration text.
DO $migration$
BEGIN
  IF EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
    IF EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = 'kv_entries'::regclass) THEN
      RETURN;
    END IF;
  END IF;

  CREATE TABLE kv_revision (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    head      bigint NOT NULL
  );
  INSERT INTO kv_revision (head) VALUES (0);

  CREATE TABLE kv_watchers (
    instance text PRIMARY KEY,
    until    timestamptz NOT NULL
  );

  CREATE TABLE kv_changes (
    revision      bigint PRIMARY KEY,
    key           text COLLATE "C" NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('put', 'delete', 'expire')),
    value         text,
    version       bigint NOT NULL,
    expires_at_ms bigint,
    -- The database's clock, for retention by duration.
    recorded_at   timestamptz NOT NULL DEFAULT clock_timestamp()
  );

  CREATE FUNCTION kv_record_puts() RETURNS trigger LANGUAGE plpgsql AS $fn$
  DECLARE
    n    bigint;
    last bigint;
  BEGIN
    SELECT count(*) INTO n FROM written;
    IF n = 0 THEN RETURN NULL; END IF;
    UPDATE kv_revision SET head = head + n RETURNING head INTO last;
    INSERT INTO kv_changes (revision, key, kind, value, version, expires_at_ms)
      SELECT last - n + row_number() OVER (ORDER BY key), key, 'put', value, version, expires_at_ms FROM written;
    IF EXISTS (SELECT FROM kv_watchers WHERE until > now()) THEN
      PERFORM pg_notify('kv_changes', '');
    END IF;
    RETURN NULL;
  END
  $fn$;

  CREATE FUNCTION kv_record_removals() RETURNS trigger LANGUAGE plpgsql AS $fn$
  DECLARE
    n      bigint;
    last   bigint;
    now_ms bigint := nullif(current_setting('kv.now', true), '')::bigint;
  BEGIN
    SELECT count(*) INTO n FROM removed;
    IF n = 0 THEN RETURN NULL; END IF;
    UPDATE kv_revision SET head = head + n RETURNING head INTO last;
    INSERT INTO kv_changes (revision, key, kind, version, expires_at_ms)
      SELECT last - n + row_number() OVER (ORDER BY key), key,
             CASE WHEN expires_at_ms <= now_ms THEN 'expire' ELSE 'delete' END, version, expires_at_ms
        FROM removed;
    IF EXISTS (SELECT FROM kv_watchers WHERE until > now()) THEN
      PERFORM pg_notify('kv_changes', '');
    END IF;
    RETURN NULL;
  END
  $fn$;

  -- Transition tables allow one event per trigger: an upsert fires both of the first two.
  CREATE TRIGGER kv_entries_record_inserts AFTER INSERT ON kv_entries
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION kv_record_puts();
  CREATE TRIGGER kv_entries_record_updates AFTER UPDATE ON kv_entries
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION kv_record_puts();
  CREATE TRIGGER kv_entries_record_deletes AFTER DELETE ON kv_entries
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION kv_record_removals();
END
$migration$;
