import type { WriteCondition } from "../../domain/write-condition";
import { RequestError } from "./request-error";

/** The entity-tag of a version: strong, quoted (RFC 9110 section 8.8.3). */
export function etagOf(version: string): string {
  return `"${version}"`;
}

interface EntityTag {
  readonly weak: boolean;
  readonly opaque: string;
}

type TagList = "*" | EntityTag[];

const TAG = /\s*(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(?:,|$)/y;

/** Parses an If-Match / If-None-Match value: `*` or a comma-separated list of entity-tags. */
function parseTagList(header: string, value: string): TagList {
  if (value.trim() === "*") return "*";
  const tags: EntityTag[] = [];
  TAG.lastIndex = 0;
  while (TAG.lastIndex < value.length) {
    const start = TAG.lastIndex;
    const match = TAG.exec(value);
    if (!match) throw new RequestError("invalid-header", `${header} must be * or a list of quoted entity-tags (at character ${start})`);
    tags.push({ weak: match[1] !== undefined, opaque: match[2] });
  }
  if (tags.length === 0) throw new RequestError("invalid-header", `${header} must be * or a list of quoted entity-tags`);
  return tags;
}

/**
 * The write condition of a PUT or DELETE on one key. If-Match uses the strong
 * comparison (a weak tag never matches, RFC 9110 section 13.1.1); If-None-Match
 * is accepted only as `*` (create-only) on PUT. Headers that cannot be honoured
 * are rejected rather than ignored, so a client never gets an unconditional
 * write it did not ask for.
 */
export function writeConditionFrom(ifMatch: string | undefined, ifNoneMatch: string | undefined, allowCreateOnly: boolean): WriteCondition {
  if (ifMatch !== undefined && ifNoneMatch !== undefined) {
    throw new RequestError("invalid-header", "send either If-Match or If-None-Match, not both");
  }
  if (ifNoneMatch !== undefined) {
    if (!allowCreateOnly || parseTagList("If-None-Match", ifNoneMatch) !== "*") {
      throw new RequestError("invalid-header", "If-None-Match is supported here only as If-None-Match: * on PUT (create only)");
    }
    return { kind: "absent" };
  }
  if (ifMatch !== undefined) {
    const tags = parseTagList("If-Match", ifMatch);
    if (tags === "*") return { kind: "present" };
    return { kind: "version-in", versions: tags.filter((tag) => !tag.weak).map((tag) => tag.opaque) };
  }
  return { kind: "none" };
}

/** Rejects conditional headers on requests that cannot honour them. */
export function rejectConditions(ifMatch: string | undefined, ifNoneMatch: string | undefined, what: string): void {
  if (ifMatch !== undefined || ifNoneMatch !== undefined) {
    throw new RequestError("invalid-header", `If-Match and If-None-Match are not supported on ${what}`);
  }
}

/** For GET/HEAD: does If-None-Match match the current version (weak comparison, RFC 9110 section 13.1.2)? */
export function noneMatchHits(ifNoneMatch: string | undefined, version: string): boolean {
  if (ifNoneMatch === undefined) return false;
  const tags = parseTagList("If-None-Match", ifNoneMatch);
  return tags === "*" || tags.some((tag) => tag.opaque === version);
}

/** For GET/HEAD: the condition If-Match states (strong comparison; `*` = the key exists). */
export function readConditionFrom(ifMatch: string | undefined): WriteCondition {
  return writeConditionFrom(ifMatch, undefined, false);
}
