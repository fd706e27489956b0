import type { KeyPattern } from "../../../domain/key-pattern";
import type { KeyspaceStatistics } from "../../../domain/keyspace-statistics";
import type { KeyRange, KeyValueRepository } from "../../../domain/key-value-repository";
import type { NewEntry, StoredEntry, WriteResult } from "../../../domain/stored-entry";
import { isLive } from "../../../domain/expiry";
import { compareCodePoints } from "../../../domain/utf8";
import type { WriteCondition } from "../../../domain/write-condition";
import { citusKeyspaceStatistics } from "./citus-keyspace-statistics";
import { toLikePattern } from "./like-pattern";
import type { SqlClient, SqlQueryable } from "./sql-client";

export interface PostgresRepositoryOptions {
  /** checkReady() fails until the database reports this schema version. */
  readonly schemaVersion: number;
  /**
   * When set, bulk deletes run as several statements of at most this many rows
   * each. PGlite needs it (it runs one statement at a time, and every other
   * request's statement waits for the one running);
   * on a PostgreSQL server one statement is better (atomic, one round trip).
   */
  readonly deleteBatchRows: number | null;
  /**
   * statistics() counts entries exactly up to this many (a scan that stops
   * there); beyond it reports the database's running estimate instead.
   */
  readonly exactCountLimit: number;
  /**
   * kv_entries is a Citus distributed table: the sweeper cannot lock rows
   * across shards (no multi-shard FOR UPDATE), and the statistics are read
   * from the shards (see citusKeyspaceStatistics).
   */
  readonly distributed: boolean;
  /**
   * Sessions for the sweeper's statements, which need no consistent view
   * across shards (they delete keys already expired, each only if still
   * expired). On Citus these sessions run each multi-shard statement over one
   * connection per worker (citus.max_adaptive_executor_pool_size = 1): by
   * default Citus opens up to 16 per worker for every such statement, which
   * costs more than the statement. Requests keep the default: their listings
   * rely on the shards being read in parallel (see docs/performance.md).
   * Unset: the sweeper uses the repository's own client.
   */
  readonly maintenance?: SqlQueryable;
}

/** One point read: a key at a moment. */
export interface PointRead {
  readonly key: string;
  readonly now: number;
}

/** One unconditional multi-key write, as putMany takes it. */
export interface PendingWrite {
  readonly entries: readonly NewEntry[];
  readonly expiresAt: number | null;
  readonly now: number;
}

/** Statements that serve many callers at once (a coalescing layer can use them; the repository itself does not coalesce). */
export interface BatchStatements {
  /** Several point reads in one statement, each with its own `now`; one answer per read, in order. */
  getEach(reads: readonly PointRead[]): Promise<(StoredEntry | null)[]>;
  /**
   * Several writes in one statement: atomic together, one commit. No key may
   * appear in two of them (ON CONFLICT cannot touch a row twice). Results per
   * write, in order; each write's results in the order of its entries.
   */
  putEach(writes: readonly PendingWrite[]): Promise<WriteResult[][]>;
}

/** Rows of one multi-row VALUES write: three parameters each, at most 65,535 per statement. */
const MAX_VALUES_ROWS = 20_000;

/** The default exactCountLimit: counting this many rows takes about a millisecond. */
export const EXACT_COUNT_LIMIT = 10_000;

interface EntryRow {
  key: string;
  value: string;
  version: string;
  expires_at_ms: string | number | null;
}

interface WriteRow {
  key: string;
  version: string;
  created: boolean;
}

// Live means "no expiry, or expiry strictly after now": the boundary of isLive() in src/domain/expiry.ts.
const LIVE = "(expires_at_ms IS NULL OR expires_at_ms > $1::bigint)";

// For the change log's trigger (migration 0007): sets kv.now to $1 for the
// rest of the statement's transaction, once, before the first row is deleted,
// so a removed row whose expiry had passed by $1 is recorded as 'expire'.
// An uncorrelated EXISTS is evaluated once, as an init plan. Not on Citus,
// which has no change log (and would run the CTE as a separate subplan).
const MARK_NOW = { with: "WITH marker AS MATERIALIZED (SELECT set_config('kv.now', $1::text, true))", and: " AND EXISTS (SELECT FROM marker)" };
const NO_MARK = { with: "", and: "" };

// Versions are bigints we issued; anything else in an If-Match can never match.
const VERSION_TEXT = /^[1-9][0-9]{0,17}$/;

/**
 * The repository on PostgreSQL (a server through `pg`, or PGlite). Every write
 * is a single statement, so there is no read-then-write race: conditions and
 * the created/replaced distinction are decided by the row lock the statement
 * takes. Expiry is compared with the caller's `now`, never SQL `now()`.
 */
export class PostgresKeyValueRepository implements KeyValueRepository, BatchStatements {
  constructor(
    private readonly sql: SqlClient,
    private readonly options: PostgresRepositoryOptions,
  ) {}

  async get(key: string, now: number): Promise<StoredEntry | null> {
    return (await this.getEach([{ key, now }]))[0];
  }

  async putMany(entries: readonly NewEntry[], expiresAt: number | null, now: number): Promise<WriteResult[]> {
    return (await this.putEach([{ entries, expiresAt, now }]))[0];
  }

  /**
   * The rows of the keys read, by key (one key: `key = $1`, which Citus
   * routes to the one shard holding it); each read then judges expiry at its
   * own `now`.
   */
  async getEach(reads: readonly PointRead[]): Promise<(StoredEntry | null)[]> {
    const single = reads.length === 1;
    const { rows } = await this.sql.query<EntryRow>(
      `SELECT key, value, version::text AS version, expires_at_ms FROM kv_entries
        WHERE ${single ? "key = $1::text" : "key = ANY($1::text[])"}`,
      [single ? reads[0].key : [...new Set(reads.map((read) => read.key))]],
    );
    const byKey = new Map(rows.map((row) => [row.key, toEntry(row)]));
    return reads.map((read) => {
      const entry = byKey.get(read.key);
      return entry !== undefined && isLive(entry.expiresAt, read.now) ? entry : null;
    });
  }

  /**
   * One statement for all rows: atomic, one commit. On conflict the old row is
   * still visible as `e`, so an expired key is re-created and a live one
   * replaced, decided under the row lock; create_version records which for
   * RETURNING (NULL: this write created the key). Expiry is judged at the
   * latest `now` of the group: the moment closest to the write.
   */
  async putEach(writes: readonly PendingWrite[]): Promise<WriteResult[][]> {
    // Rows in code-point order of keys across the whole group: every statement
    // then takes its row locks in one global order, so concurrent batches (and
    // multi-key writes) cannot deadlock.
    const rows = writes
      .flatMap((write) => write.entries.map((entry) => ({ entry, expiresAt: write.expiresAt })))
      .sort((a, b) => compareCodePoints(a.entry.key, b.entry.key));
    const now = Math.max(...writes.map((write) => write.now));
    const upsert = `ON CONFLICT (key) DO UPDATE
         SET value = EXCLUDED.value,
             version = EXCLUDED.version,
             expires_at_ms = EXCLUDED.expires_at_ms,
             create_version = CASE WHEN e.expires_at_ms <= ${sqlInteger(now)} THEN NULL ELSE coalesce(e.create_version, e.version) END
       RETURNING key, version::text AS version, create_version IS NULL AS created`;
    // One row: VALUES, which Citus routes to the shard of the key. Several:
    // the arrays unnested, one statement whatever the count - except on
    // Citus, where a VALUES list (up to MAX_VALUES_ROWS) is split by shard,
    // each shard getting its own rows in one distributed transaction, while
    // INSERT ... SELECT pulls the rows through the coordinator: 8.4k vs 0.3k
    // keys/s for batches of 64 (bench/citus-batching.ts). `now` is written
    // into the statement because Citus sends the ON CONFLICT clause of an
    // INSERT ... SELECT to the shards with the statement's parameters but
    // without their types (42P18 "could not determine data type").
    const valuesList = rows.length === 1 || (this.options.distributed && rows.length <= MAX_VALUES_ROWS);
    const { rows: written } = valuesList
        ? await this.sql.query<WriteRow>(
            `INSERT INTO kv_entries AS e (key, value, version, create_version, expires_at_ms)
             VALUES ${rows.map((_, i) => `($${3 * i + 1}::text, $${3 * i + 2}::text, nextval('kv_version_seq'), NULL, $${3 * i + 3}::bigint)`).join(", ")} ${upsert}`,
            rows.flatMap((row) => [row.entry.key, row.entry.value, row.expiresAt]),
          )
        : await this.sql.query<WriteRow>(
            `INSERT INTO kv_entries AS e (key, value, version, create_version, expires_at_ms)
             SELECT k, v, nextval('kv_version_seq'), NULL, x FROM unnest($1::text[], $2::text[], $3::bigint[]) AS u(k, v, x)
             ${upsert}`,
            [rows.map((row) => row.entry.key), rows.map((row) => row.entry.value), rows.map((row) => row.expiresAt)],
          );
    const byKey = new Map(written.map((row) => [row.key, row]));
    return writes.map((write) =>
      write.entries.map((entry) => {
        const row = byKey.get(entry.key) as WriteRow;
        return { key: entry.key, version: row.version, expiresAt: write.expiresAt, created: row.created };
      }),
    );
  }

  async putIf(entry: NewEntry, expiresAt: number | null, condition: WriteCondition, now: number): Promise<WriteResult | null> {
    switch (condition.kind) {
      case "none":
        return (await this.putMany([entry], expiresAt, now))[0];
      case "absent": {
        const { rows } = await this.sql.query<{ version: string }>(
          `INSERT INTO kv_entries AS e (key, value, version, create_version, expires_at_ms)
           VALUES ($1::text, $2::text, nextval('kv_version_seq'), NULL, $3::bigint)
           ON CONFLICT (key) DO UPDATE
             SET value = EXCLUDED.value, version = EXCLUDED.version,
                 create_version = NULL, expires_at_ms = EXCLUDED.expires_at_ms
             WHERE e.expires_at_ms <= $4::bigint
           RETURNING version::text AS version`,
          [entry.key, entry.value, expiresAt, now],
        );
        return rows.length === 0 ? null : { key: entry.key, version: rows[0].version, expiresAt, created: true };
      }
      case "present":
      case "version-in": {
        const params: unknown[] = [now, entry.key, entry.value, expiresAt];
        const versionClause = this.versionClause(condition, params);
        if (versionClause === null) return null;
        const { rows } = await this.sql.query<{ version: string }>(
          // nextval() in a CTE: Citus refuses volatile functions in an UPDATE
          // of a distributed table, but runs a CTE on the coordinator first.
          `WITH fresh AS (SELECT nextval('kv_version_seq') AS n)
           UPDATE kv_entries
              SET value = $3::text, version = (SELECT n FROM fresh), expires_at_ms = $4::bigint,
                  create_version = coalesce(create_version, version)
            WHERE ${LIVE} AND key = $2::text${versionClause}
           RETURNING version::text AS version`,
          params,
        );
        return rows.length === 0 ? null : { key: entry.key, version: rows[0].version, expiresAt, created: false };
      }
    }
  }

  async deleteIf(key: string, condition: WriteCondition, now: number): Promise<boolean> {
    if (condition.kind === "absent") return false;
    const params: unknown[] = [now, key];
    const versionClause = this.versionClause(condition, params);
    if (versionClause === null) return false;
    const { rowCount } = await this.sql.query(`DELETE FROM kv_entries WHERE ${LIVE} AND key = $2::text${versionClause}`, params);
    return rowCount > 0;
  }

  async deleteMatching(pattern: KeyPattern | null, now: number): Promise<number> {
    const params: unknown[] = [now];
    const where = pattern === null ? "TRUE" : filterClause(pattern, params);
    const batch = this.options.deleteBatchRows;
    const rows = batch === null ? "" : ` AND key IN (SELECT key FROM kv_entries WHERE ${where} LIMIT $${params.push(batch)}::bigint)`;
    // ${LIVE} reads $1 (now): the count is of live keys; expired rows are deleted all the same.
    const mark = this.options.distributed ? NO_MARK : MARK_NOW;
    const statement = `${mark.with ? `${mark.with},` : "WITH"} deleted AS (DELETE FROM kv_entries WHERE ${where}${rows}${mark.and} RETURNING expires_at_ms)
       SELECT count(*)::int AS removed, (count(*) FILTER (WHERE ${LIVE}))::int AS live FROM deleted`;
    let live = 0;
    for (;;) {
      const { rows: [counts] } = await this.sql.query<{ removed: number; live: number }>(statement, params);
      live += counts.live;
      if (batch === null || counts.removed < batch) return live;
    }
  }

  /**
   * Entries in key order. A filter whose literal text is not all at its
   * start (`$session$`, `user:$:s`) is read by walking the key index in
   * windows (see matchesByWindows) while matches are dense: a plan that reads
   * every match again for each chunk (the trigram index, then a sort) makes
   * a long listing quadratic. Sparse matches are read through the trigram
   * index, which finds them without walking the keys in between.
   */
  async list(range: KeyRange, limit: number, now: number): Promise<StoredEntry[]> {
    if (!walksWindows(range.pattern)) return this.listByIndex(range, limit, now);
    const { found, sparseAfter } = await this.matchesByWindows(range, range.pattern, limit, now, true);
    if (sparseAfter === null) return found;
    return found.concat(await this.listByIndex({ ...range, after: sparseAfter }, limit - found.length, now));
  }

  /** The same choice as list() makes, for finding where a page ends. */
  async keysAt(range: KeyRange, offset: number, now: number): Promise<string[]> {
    if (!walksWindows(range.pattern)) return this.keysByIndex(range, offset, now);
    const { found, sparseAfter } = await this.matchesByWindows(range, range.pattern, offset + 2, now, false);
    const keys = found.map((entry) => entry.key);
    if (sparseAfter !== null) {
      // The rest of the range, read through the index, continues the sequence at position keys.length.
      const start = keys.length;
      const skip = Math.max(0, offset - start);
      const rest = await this.keysByIndex({ ...range, after: sparseAfter }, skip, now);
      rest.forEach((key, i) => (keys[start + skip + i] = key));
    }
    return keys.slice(offset, offset + 2).filter((key) => key !== undefined);
  }

  private async listByIndex(range: KeyRange, limit: number, now: number): Promise<StoredEntry[]> {
    const params: unknown[] = [now];
    const where = rangeClause(range, params);
    const { rows } = await this.sql.query<EntryRow>(
      `SELECT key, value, version::text AS version, expires_at_ms FROM kv_entries
       WHERE ${where} ORDER BY key LIMIT $${params.push(limit)}::bigint`,
      params,
    );
    return rows.map(toEntry);
  }

  private async keysByIndex(range: KeyRange, offset: number, now: number): Promise<string[]> {
    const params: unknown[] = [now];
    const where = rangeClause(range, params);
    const { rows } = await this.sql.query<{ key: string }>(
      `SELECT key FROM kv_entries WHERE ${where} ORDER BY key OFFSET $${params.push(offset)}::bigint LIMIT 2`,
      params,
    );
    return rows.map((row) => row.key);
  }

  /**
   * The first `count` matches after the cursor, found by walking the keys in
   * order, a window of rows per statement: each key is read once over a
   * whole listing, so its cost grows linearly, whatever the planner's
   * statistics say. A window is no bigger than the matches still needed
   * (rows read past the last match returned would be read again by the next
   * call), which also bounds one statement's work (PGlite runs one at a
   * time). Once SPARSE_PROBE_ROWS were read with fewer than 1 match in
   * SPARSE_RATIO, it stops and says where (`sparseAfter`): the caller reads
   * the rest through the trigram index. Values only when `withValues`.
   */
  private async matchesByWindows(
    range: KeyRange,
    pattern: KeyPattern,
    count: number,
    now: number,
    withValues: boolean,
  ): Promise<{ found: StoredEntry[]; sparseAfter: string | null }> {
    const prefix = pattern.segments[0];
    const found: StoredEntry[] = [];
    const done = { found, sparseAfter: null };
    let after = range.after;
    let scanned = 0;
    while (found.length < count) {
      const windowRows = Math.max(count - found.length, 100);
      const params: unknown[] = [now, toLikePattern(pattern), windowRows, withValues];
      // The literal prefix as where the walk along the primary key starts; the loop below stops past it.
      const bounds = prefix === "" ? ["TRUE"] : [`key >= $${params.push(prefix)}::text`];
      if (after !== null) bounds.push(`key > $${params.push(after)}::text`);
      if (range.through !== null) bounds.push(`key <= $${params.push(range.through)}::text`);
      const { rows } = await this.sql.query<EntryRow & { hit: boolean }>(
        `SELECT key, hit, CASE WHEN hit AND $4::boolean THEN value END AS value, version::text AS version, expires_at_ms
           FROM (SELECT key, value, version, expires_at_ms, key LIKE $2::text ESCAPE '\\' AND ${LIVE} AS hit
                   FROM kv_entries WHERE ${bounds.join(" AND ")} ORDER BY key LIMIT $3::bigint) AS w
          ORDER BY key`,
        params,
      );
      for (const row of rows) {
        // Keys in order: the first one past the prefix ends the range.
        if (!row.key.startsWith(prefix)) return done;
        if (!row.hit) continue;
        found.push(toEntry(row));
        if (found.length === count) return done;
      }
      if (rows.length < windowRows) return done;
      after = rows[rows.length - 1].key;
      scanned += rows.length;
      if (scanned >= SPARSE_PROBE_ROWS && found.length * SPARSE_RATIO < scanned) return { found, sparseAfter: after };
    }
    return done;
  }

  async purgeExpired(now: number, limit: number): Promise<number> {
    // In statements of at most deleteBatchRows rows where that is set (PGlite:
    // requests' statements wait behind each one).
    const perStatement = Math.min(limit, this.options.deleteBatchRows ?? limit);
    let purged = 0;
    while (purged < limit) {
      const rows = Math.min(perStatement, limit - purged);
      const { removed, more } = this.options.distributed ? await this.purgeAcrossShards(now, rows) : await this.purgeSkippingLocked(now, rows);
      purged += removed;
      if (!more) return purged;
    }
    return purged;
  }

  /**
   * SKIP LOCKED: concurrent sweepers (several app instances) take disjoint
   * rows instead of queueing on each other. Rows locked by a writer are
   * skipped too; the next run gets them if they are still expired.
   */
  private async purgeSkippingLocked(now: number, rows: number): Promise<{ removed: number; more: boolean }> {
    const { rowCount } = await this.sql.query(
      `${MARK_NOW.with}
       DELETE FROM kv_entries WHERE key IN (
         SELECT key FROM kv_entries WHERE expires_at_ms <= $1::bigint
         ORDER BY expires_at_ms LIMIT $2::bigint FOR UPDATE SKIP LOCKED)${MARK_NOW.and}`,
      [now, rows],
    );
    return { removed: rowCount, more: rowCount === rows };
  }

  /**
   * Citus cannot lock rows across shards (no multi-shard FOR UPDATE): the
   * expired keys are read first, then deleted if still expired. Sweepers of
   * several instances may pick the same keys; a row is deleted once, and
   * only the sweeper whose DELETE removed it counts it.
   */
  private async purgeAcrossShards(now: number, rows: number): Promise<{ removed: number; more: boolean }> {
    const sql = this.options.maintenance ?? this.sql;
    const { rows: due } = await sql.query<{ key: string }>(
      "SELECT key FROM kv_entries WHERE expires_at_ms <= $1::bigint ORDER BY expires_at_ms LIMIT $2::bigint",
      [now, rows],
    );
    if (due.length === 0) return { removed: 0, more: false };
    const { rowCount } = await sql.query("DELETE FROM kv_entries WHERE key = ANY($1::text[]) AND expires_at_ms <= $2::bigint", [
      due.map((row) => row.key),
      now,
    ]);
    return { removed: rowCount, more: due.length === rows };
  }

  async statistics(now: number, expiredLimit: number): Promise<KeyspaceStatistics> {
    if (this.options.distributed) return citusKeyspaceStatistics(this.sql, now, expiredLimit, this.options.exactCountLimit);
    // Every part stops early or reads one index edge, so the cost does not grow
    // with the table. Above exactCountLimit the entry count is n_live_tup: the
    // statistics system's running count, which trails commits by seconds and
    // drifts (it is clamped at 0 when deletes are published before the inserts
    // they undo, and reset by a crash) until the next VACUUM or ANALYZE.
    const { rows } = await this.sql.query<{ counted: string; expired: string; oldest: string | null }>(
      `SELECT
         (SELECT count(*) FROM (SELECT 1 FROM kv_entries LIMIT $3::bigint) AS sample) AS counted,
         (SELECT count(*) FROM (SELECT 1 FROM kv_entries WHERE expires_at_ms <= $1::bigint LIMIT $2::bigint) AS due) AS expired,
         (SELECT min(expires_at_ms) FROM kv_entries WHERE expires_at_ms IS NOT NULL) AS oldest`,
      [now, expiredLimit, this.options.exactCountLimit + 1],
    );
    const counted = Number(rows[0].counted);
    const entriesExact = counted <= this.options.exactCountLimit;
    const oldest = rows[0].oldest === null ? null : Number(rows[0].oldest);
    return {
      entries: entriesExact ? counted : Math.max(counted, await this.estimatedEntries()),
      entriesExact,
      expired: Number(rows[0].expired),
      oldestExpiredAt: oldest !== null && oldest <= now ? oldest : null,
    };
  }

  /** n_live_tup of kv_entries. */
  private async estimatedEntries(): Promise<number> {
    const { rows } = await this.sql.query<{ estimate: string | null }>(
      "SELECT n_live_tup AS estimate FROM pg_stat_user_tables WHERE relid = 'kv_entries'::regclass",
    );
    return Number(rows[0]?.estimate ?? 0);
  }

  async checkReady(): Promise<void> {
    const { rows } = await this.sql.query<{ version: number | null }>("SELECT max(version) AS version FROM kv_schema_migrations");
    const version = Number(rows[0]?.version ?? 0);
    if (version < this.options.schemaVersion) {
      throw new Error(`database schema is at version ${version}, this build needs ${this.options.schemaVersion}`);
    }
    if (this.options.distributed) await this.checkWorkers();
  }

  /**
   * On Citus, every worker must answer: while one does not, the keys of its
   * shards can be neither read nor written (the others can), and readiness
   * says so rather than report a store that serves only part of its keys.
   */
  private async checkWorkers(): Promise<void> {
    const { rows } = await this.sql.query<{ node: string; success: boolean; result: string }>(
      "SELECT nodename || ':' || nodeport AS node, success, result FROM run_command_on_workers('SELECT 1')",
    );
    const down = rows.filter((row) => !row.success);
    if (down.length > 0) {
      throw new Error(`Citus worker ${down.map((row) => `${row.node} (${row.result})`).join(", ")} unreachable: the keys of its shards cannot be read or written`);
    }
  }

  /** The extra WHERE clause for a version condition; null when it cannot match anything. */
  private versionClause(condition: WriteCondition, params: unknown[]): string | null {
    if (condition.kind !== "version-in") return "";
    const versions = condition.versions.filter((version) => VERSION_TEXT.test(version));
    if (versions.length === 0) return null;
    return ` AND version = ANY($${params.push(versions)}::bigint[])`;
  }
}

/** Whether a filter has literal text after its first wildcard, which the key index alone cannot serve. */
function walksWindows(pattern: KeyPattern | null): pattern is KeyPattern {
  return pattern !== null && pattern.segments.slice(1).some((segment) => segment !== "");
}

/** Fewer matches than 1 in SPARSE_RATIO rows, once SPARSE_PROBE_ROWS were read: sparse enough for the trigram index. */
const SPARSE_RATIO = 16;
const SPARSE_PROBE_ROWS = 1_000;

function rangeClause(range: KeyRange, params: unknown[]): string {
  const clauses = [LIVE];
  if (range.after !== null) clauses.push(`key > $${params.push(range.after)}::text`);
  if (range.through !== null) clauses.push(`key <= $${params.push(range.through)}::text`);
  if (range.pattern !== null) clauses.push(filterClause(range.pattern, params));
  return clauses.join(" AND ");
}

/**
 * A filter as SQL. The trigram index is over `key || ''` (migration 0005),
 * so only a clause naming that expression can use it, and point reads never
 * can: filters with literal text after a wildcard name it. `key LIKE` stays
 * for the literal text in front, from which the planner derives a range of
 * the primary key (`key >= 'abc' AND key < 'abd'`, exact under COLLATE "C").
 */
function filterClause(pattern: KeyPattern, params: unknown[]): string {
  const like = `$${params.push(toLikePattern(pattern))}::text ESCAPE '\\'`;
  if (!walksWindows(pattern)) return `key LIKE ${like}`;
  const trigram = `(key || '') LIKE ${like}`;
  return pattern.segments[0] === "" ? trigram : `key LIKE ${like} AND ${trigram}`;
}

/** A number written into a statement's text: only ever a safe integer, so nothing but digits and a sign. */
function sqlInteger(value: number): string {
  if (!Number.isSafeInteger(value)) throw new TypeError(`not a safe integer: ${value}`);
  return `${value}::bigint`;
}

function toEntry(row: EntryRow): StoredEntry {
  return {
    key: row.key,
    value: row.value,
    version: row.version,
    expiresAt: row.expires_at_ms === null ? null : Number(row.expires_at_ms),
  };
}
