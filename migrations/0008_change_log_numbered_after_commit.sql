-- Revisions given after commit, so that writers no longer take turns.
--
-- Under 0007 every writing transaction held the one row of kv_revision
-- until it committed: commits happened one at a time and could not share a
-- WAL flush, which cost a quarter of the write throughput where commits are
-- the bottleneck. Now a write's triggers put its changes in kv_change_queue,
-- each stamped from kv_change_seq, and take no lock; kv_number_changes()
-- moves the committed ones into kv_changes with consecutive revisions.
--
-- Why every reader still sees a prefix: one numbering runs at a time (an
-- advisory lock) and commits its revisions together; each sees only changes
-- of transactions committed before it, so a change committed later gets a
-- larger revision than every change already numbered.
--
-- Why per key the revisions follow the writes: changes are numbered in
-- kv_change_seq order within a numbering. Two writes of one key are ordered
-- by the row (or unique index entry) lock the first holds until it commits,
-- so the second draws its stamp after the first committed; it is then either
-- numbered in the same run, after the first, or in a later run. Neither the
-- stamp order across keys nor the transaction id order (a transaction that
-- began first may write a key second) would give that alone.
--
-- A sequence without CACHE: cached ranges per session would break the
-- per-key argument above.
--
-- Writers no longer NOTIFY: a transaction that notifies commits under
-- PostgreSQL's notification lock, so notifying writers took turns again
-- whenever some instance had watchers. A numbering that gave revisions
-- notifies instead (channel kv_changes, while some instance has watchers,
-- see 0007's kv_watchers); each kv instance numbers its own writes soon
-- after they commit while it knows of watchers anywhere.
--
-- Nothing to do where 0007 created no change log (a Citus-distributed
-- kv_entries).
DO $migration$
BEGIN
  IF to_regclass('kv_changes') IS NULL THEN
    RETURN;
  END IF;

  CREATE SEQUENCE kv_change_seq;

  -- Read only by kv_number_changes(), through the primary key: a heap scan
  -- would read every row deleted since the last vacuum, on every numbering.
  CREATE TABLE kv_change_queue (
    seq           bigint PRIMARY KEY,
    key           text COLLATE "C" NOT NULL,
    kind          text NOT NULL,
    value         text,
    version       bigint NOT NULL,
    expires_at_ms bigint,
    recorded_at   timestamptz NOT NULL DEFAULT clock_timestamp()
  );

  -- Within a statement, keys are stamped in key order (the subquery sorts
  -- before nextval() runs).
  CREATE OR REPLACE FUNCTION kv_record_puts() RETURNS trigger LANGUAGE plpgsql AS $fn$
  BEGIN
    INSERT INTO kv_change_queue (seq, key, kind, value, version, expires_at_ms)
      SELECT nextval('kv_change_seq'), key, 'put', value, version, expires_at_ms
        FROM (SELECT * FROM written ORDER BY key) AS w;
    RETURN NULL;
  END
  $fn$;

  CREATE OR REPLACE FUNCTION kv_record_removals() RETURNS trigger LANGUAGE plpgsql AS $fn$
  DECLARE
    now_ms bigint := nullif(current_setting('kv.now', true), '')::bigint;
  BEGIN
    INSERT INTO kv_change_queue (seq, key, kind, version, expires_at_ms)
      SELECT nextval('kv_change_seq'), key, CASE WHEN expires_at_ms <= now_ms THEN 'expire' ELSE 'delete' END, version, expires_at_ms
        FROM (SELECT * FROM removed ORDER BY key) AS r;
    RETURN NULL;
  END
  $fn$;

  -- Numbers up to `batch` committed changes; returns how many, and the head
  -- after. VOLATILE plpgsql: each statement below takes a new snapshot, so
  -- the queue is read after the lock is held, and sees every change of a
  -- numbering that held it before. An advisory lock, not a row lock: a
  -- numbering that finds nothing writes nothing and needs no commit flush.
  -- = ANY (ARRAY(...)), not IN (...): the planner joins an IN by hashing
  -- and scanning the whole heap.
  CREATE FUNCTION kv_number_changes(batch bigint, OUT numbered bigint, OUT head bigint) LANGUAGE plpgsql AS $fn$
  BEGIN
    numbered := 0;
    -- Nothing waiting (in one snapshot with the head): every committed change
    -- has its revision, and no lock is needed. min() reads the index.
    SELECT r.head INTO head FROM kv_revision AS r WHERE (SELECT min(q.seq) FROM kv_change_queue AS q) IS NULL;
    IF FOUND THEN
      RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock(7283541002);
    SELECT r.head INTO head FROM kv_revision AS r;
    WITH taken AS (
      DELETE FROM kv_change_queue
       WHERE seq = ANY (ARRAY(SELECT q.seq FROM kv_change_queue AS q ORDER BY q.seq LIMIT batch))
      RETURNING *
    )
    INSERT INTO kv_changes (revision, key, kind, value, version, expires_at_ms, recorded_at)
      SELECT head + row_number() OVER (ORDER BY t.seq), t.key, t.kind, t.value, t.version, t.expires_at_ms, t.recorded_at
        FROM taken AS t;
    GET DIAGNOSTICS numbered = ROW_COUNT;
    IF numbered > 0 THEN
      head := head + numbered;
      UPDATE kv_revision SET head = kv_number_changes.head;
      IF EXISTS (SELECT FROM kv_watchers WHERE until > now()) THEN
        PERFORM pg_notify('kv_changes', '');
      END IF;
    END IF;
  END
  $fn$;
END
$migration$;
