import type { DomainErrorCode } from "../../domain/domain-error";
import type { RequestErrorCode } from "./request-error";

export type ProblemCode = DomainErrorCode | RequestErrorCode | "internal-error";

export interface ProblemType {
  readonly status: number;
  readonly title: string;
  /** A passing condition: the answer carries Retry-After. */
  readonly retryAfter?: true;
}

/**
 * The one table from error codes to HTTP statuses. Problem bodies (RFC 9457)
 * carry `type: "urn:kv:problem:<code>"`, so clients can branch on the code
 * without parsing titles or details.
 */
export const PROBLEMS: Readonly<Record<ProblemCode, ProblemType>> = {
  "invalid-key": { status: 400, title: "Invalid key" },
  "invalid-filter": { status: 400, title: "Invalid filter" },
  "invalid-expiry": { status: 400, title: "Invalid expire_in" },
  "invalid-page": { status: 400, title: "Invalid paging parameters" },
  "invalid-json": { status: 400, title: "Malformed JSON" },
  "invalid-body": { status: 400, title: "Invalid request body" },
  "invalid-query": { status: 400, title: "Invalid query string" },
  "invalid-header": { status: 400, title: "Invalid header" },
  "bad-request": { status: 400, title: "Malformed HTTP request" },
  "unauthorized": { status: 401, title: "Authentication required" },
  "key-not-found": { status: 404, title: "Key not found" },
  "route-not-found": { status: 404, title: "Not found" },
  "method-not-allowed": { status: 405, title: "Method not allowed" },
  "request-timeout": { status: 408, title: "Request timeout" },
  "precondition-failed": { status: 412, title: "Precondition failed" },
  "payload-too-large": { status: 413, title: "Request body too large" },
  "too-many-keys": { status: 413, title: "Too many keys in one request" },
  "unsupported-media-type": { status: 415, title: "Unsupported media type" },
  "expectation-failed": { status: 417, title: "Expectation failed" },
  "headers-too-large": { status: 431, title: "Request header fields too large" },
  "internal-error": { status: 500, title: "Internal server error" },
  "storage-unavailable": { status: 503, title: "Storage unavailable", retryAfter: true },
  "too-many-listings": { status: 503, title: "Too many listings in progress", retryAfter: true },
  "too-many-watches": { status: 503, title: "Too many watch streams open", retryAfter: true },
  "watch-unavailable": { status: 501, title: "Watching is not available on this storage" },
  "insufficient-storage": { status: 507, title: "Insufficient storage" },
  "revision-compacted": { status: 410, title: "Revision compacted" },
};

export function problemTypeUri(code: ProblemCode): string {
  return `urn:kv:problem:${code}`;
}
