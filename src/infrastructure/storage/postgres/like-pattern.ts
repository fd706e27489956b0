import type { KeyPattern } from "../../../domain/key-pattern";

/**
 * Translates a domain pattern to a LIKE pattern for `LIKE $n ESCAPE '\'`.
 * Each literal segment has LIKE's own metacharacters (`%`, `_` and the escape
 * `\`) escaped, and segments are joined with `%`, which LIKE matches against
 * the whole string - so the translation is anchored exactly like the domain
 * pattern. The result is always passed as a bound parameter, never spliced
 * into SQL. Under `COLLATE "C"`, PostgreSQL turns a pattern with a literal
 * prefix into a range scan of the primary-key index.
 */
export function toLikePattern(pattern: KeyPattern): string {
  return pattern.segments.map(escapeLiteral).join("%");
}

function escapeLiteral(segment: string): string {
  return segment.replace(/[\\%_]/g, "\\$&");
}
