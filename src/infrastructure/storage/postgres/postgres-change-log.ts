import type { Change, ChangeKind } from "../../../domain/change";
import type { ChangeLog, Retention } from "../../../domain/change-log";
import { RevisionCompactedError } from "../../../domain/domain-error";
import type { KeyPattern } from "../../../domain/key-pattern";
import { toLikePattern } from "./like-pattern";
import type { SqlQueryable } from "./sql-client";

interface ChangeRow {
  /** Every revision up to this one may be gone (see the read). */
  compacted_through: string;
  /** The rest is null when no change follows `after`: the row then carries only compacted_through. */
  revision: string | null;
  key: string;
  kind: ChangeKind;
  value: string | null;
  version: string;
  expires_at_ms: string | null;
  recorded_at_ms: string;
}

/** Changes numbered per call of kv_number_changes(): each call holds the numbering lock for one batch. */
const NUMBERING_BATCH = 5_000;

/**
 * kv_changes: the triggers of migration 0007 record changes, which
 * kv_number_changes() (migration 0008, which also explains why every read
 * sees a prefix of the revisions) gives their revisions after commit. This
 * adapter numbers when asked for the head and before trimming. Retention by
 * duration uses the database's clock, which stamped the changes.
 */
export class PostgresChangeLog implements ChangeLog {
  constructor(private readonly sql: SqlQueryable) {}

  async head(): Promise<number> {
    for (;;) {
      const { numbered, head } = await this.number(NUMBERING_BATCH);
      // A short batch took everything committed before it began.
      if (numbered < NUMBERING_BATCH) return head;
    }
  }

  async read(after: number, pattern: KeyPattern | null, limit: number): Promise<Change[]> {
    const params: unknown[] = [after, limit];
    // ESCAPE '\': toLikePattern escapes the LIKE metacharacters that are literal in kv patterns.
    const filter = pattern === null ? "" : ` AND key LIKE $${params.push(toLikePattern(pattern))}::text ESCAPE '\\'`;
    // One statement, so the changes and how far the log is compacted come from
    // one snapshot: trimming deletes a prefix, so every revision up to the one
    // before the oldest kept may be gone (all up to the head when none is kept).
    // The LEFT JOIN keeps that row when no change follows `after`. ORDER BY
    // c.revision, qualified: a bare name would sort by the text output column.
    const { rows } = await this.sql.query<ChangeRow>(
      `SELECT h.compacted_through::text AS compacted_through, c.revision::text AS revision, c.key, c.kind, c.value,
              c.version::text AS version, c.expires_at_ms::text AS expires_at_ms,
              (extract(epoch FROM c.recorded_at) * 1000)::bigint::text AS recorded_at_ms
         FROM (SELECT coalesce((SELECT min(revision) - 1 FROM kv_changes), (SELECT head FROM kv_revision)) AS compacted_through) AS h
         LEFT JOIN LATERAL (SELECT * FROM kv_changes AS c WHERE c.revision > $1::bigint${filter} ORDER BY c.revision LIMIT $2::bigint) AS c ON true
        ORDER BY c.revision`,
      params,
    );
    const compactedThrough = Number(rows[0].compacted_through);
    if (after < compactedThrough) throw new RevisionCompactedError(after, compactedThrough);
    return rows.filter((row) => row.revision !== null).map(toChange);
  }

  async trim(retention: Retention, _now: number, limit: number): Promise<number> {
    // Changes not numbered yet cannot be trimmed; numbering them here keeps
    // the queue short while no one asks for the head (the work grows with the
    // writes since the last time, a few microseconds a change).
    await this.head();
    // Deletes a prefix of the revisions, so the oldest kept revision tells
    // how far the log is compacted (see read). Comparisons, not
    // least(): least() ignores a NULL bound (nothing old enough).
    const through =
      retention.kind === "count"
        ? "(SELECT head - $2::bigint FROM kv_revision)"
        : "(SELECT max(revision) FROM oldest WHERE recorded_at < clock_timestamp() - make_interval(secs => $2::double precision / 1000))";
    const { rowCount } = await this.sql.query(
      `WITH oldest AS (SELECT revision, recorded_at FROM kv_changes ORDER BY revision LIMIT $1::bigint)
       DELETE FROM kv_changes WHERE revision <= ${through} AND revision <= (SELECT max(revision) FROM oldest)`,
      [limit, retention.kind === "count" ? retention.changes : retention.ms],
    );
    return rowCount;
  }

  private async number(batch: number): Promise<{ numbered: number; head: number }> {
    const { rows } = await this.sql.query<{ numbered: string; head: string }>(
      "SELECT numbered::text AS numbered, head::text AS head FROM kv_number_changes($1::bigint)",
      [batch],
    );
    return { numbered: Number(rows[0].numbered), head: Number(rows[0].head) };
  }
}

function toChange(row: ChangeRow): Change {
  return {
    revision: Number(row.revision),
    key: row.key,
    kind: row.kind,
    value: row.value,
    version: row.version,
    expiresAt: row.expires_at_ms === null ? null : Number(row.expires_at_ms),
    recordedAt: Number(row.recorded_at_ms),
  };
}
