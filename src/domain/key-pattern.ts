import { DomainError } from "./domain-error";
import { utf8ByteLength } from "./utf8";

export const MAX_PATTERN_BYTES = 4096;

/**
 * A wildcard pattern over whole keys. `$` matches any run of characters,
 * including none; `\$` is a literal `$` and `\\` a literal `\`; every other
 * character, including a `\` before anything else, matches only itself.
 * Matching is case-sensitive and anchored at both ends: `wo$d` matches `wod`
 * and `world` but not `sword` or `words`.
 *
 * The pattern is kept as its literal segments between wildcards, so adapters
 * can translate it to their own syntax (LIKE, a prefix scan) without ever
 * re-parsing user text.
 */
export class KeyPattern {
  private constructor(
    readonly source: string,
    /** Literal text between wildcards; there is one more segment than there are wildcards. */
    readonly segments: readonly string[],
  ) {}

  static parse(source: string): KeyPattern {
    if (source.length === 0) throw new DomainError("invalid-filter", "a pattern must not be empty");
    if (source.includes("\u0000")) throw new DomainError("invalid-filter", "a pattern must not contain NUL (U+0000)");
    if (!source.isWellFormed()) throw new DomainError("invalid-filter", "a pattern must be well-formed Unicode");
    if (utf8ByteLength(source) > MAX_PATTERN_BYTES) {
      throw new DomainError("invalid-filter", `a pattern must be at most ${MAX_PATTERN_BYTES} bytes in UTF-8`);
    }
    const segments: string[] = [];
    let current = "";
    for (let i = 0; i < source.length; i++) {
      const ch = source[i];
      const next = source[i + 1];
      if (ch === "\\" && (next === "$" || next === "\\")) {
        current += next;
        i++;
      } else if (ch === "$") {
        segments.push(current);
        current = "";
      } else {
        current += ch;
      }
    }
    segments.push(current);
    return new KeyPattern(source, segments);
  }

  get hasWildcard(): boolean {
    return this.segments.length > 1;
  }

  matches(key: string): boolean {
    const segments = this.segments;
    const first = segments[0];
    if (segments.length === 1) return key === first;
    const last = segments[segments.length - 1];
    if (key.length < first.length + last.length) return false;
    if (!key.startsWith(first) || !key.endsWith(last)) return false;
    // Leftmost-first matching of the middle segments is complete for a
    // pattern whose only wildcard is "any run": an earlier match never
    // prevents a later segment from matching.
    let position = first.length;
    const end = key.length - last.length;
    for (let i = 1; i < segments.length - 1; i++) {
      const segment = segments[i];
      const found = key.indexOf(segment, position);
      if (found < 0 || found + segment.length > end) return false;
      position = found + segment.length;
    }
    return true;
  }
}
