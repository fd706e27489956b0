import type { Change, ChangeKind } from "../../../domain/change";
import type { ChangeLog, Retention } from "../../../domain/change-log";
import { RevisionCompactedError } from "../../../domain/domain-error";
import type { KeyPattern } from "../../../domain/key-pattern";
import { toLikePattern } from "./like-pattern";
import type { SqlQueryable } from "./sql-client";

interface ChangeRow {
  revision: string;
  key: string;
  kind: ChangeKind;
  value: string | null;
  version: string;
  expires_at_ms: string | null;
  recorded_at_ms: string;
}

/**
 * kv_changes, written by the triggers of migration 0007 (which also explains
 * why every read sees a prefix of the revisions). Retention by duration uses
 * the database's clock, which stamped the changes.
 */
export class PostgresChangeLog implements ChangeLog {
  constructor(private readonly sql: SqlQueryable) {}

  async head(): Promise<number> {
    const { rows } = await this.sql.query<{ head: string }>("SELECT head::text AS head FROM kv_revision");
    return Number(rows[0].head);
  }

  async read(after: number, pattern: KeyPattern | null, limit: number): Promise<Change[]> {
    const params: unknown[] = [after, limit];
    // ESCAPE '\': toLikePattern escapes the LIKE metacharacters that are literal in kv patterns.
    const filter = pattern === null ? "" : ` AND key LIKE $${params.push(toLikePattern(pattern))}::text ESCAPE '\\'`;
    // ORDER BY c.revision, qualified: a bare name would sort by the text output column.
    const { rows } = await this.sql.query<ChangeRow>(
      `SELECT revision::text AS revision, key, kind, value, version::text AS version, expires_at_ms::text AS expires_at_ms,
              (extract(epoch FROM recorded_at) * 1000)::bigint::text AS recorded_at_ms
         FROM kv_changes AS c WHERE c.revision > $1::bigint${filter} ORDER BY c.revision LIMIT $2::bigint`,
      params,
    );
    // Checked after reading: trimming only moves forward, so if nothing
    // after `after` is trimmed now, nothing was when the rows were read.
    const compactedThrough = await this.compactedThrough();
    if (after < compactedThrough) throw new RevisionCompactedError(after, compactedThrough);
    return rows.map(toChange);
  }

  async trim(retention: Retention, _now: number, limit: number): Promise<number> {
    // Deletes a prefix of the revisions, so the oldest kept revision tells
    // how far the log is compacted (see compactedThrough). Comparisons, not
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

  /** Every revision up to this one may be gone: the one before the oldest kept, or the head when none is kept. */
  private async compactedThrough(): Promise<number> {
    const { rows } = await this.sql.query<{ through: string }>(
      "SELECT coalesce((SELECT min(revision) - 1 FROM kv_changes), (SELECT head FROM kv_revision))::text AS through",
    );
    return Number(rows[0].through);
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
