import type { Context } from "koa";
import { STATUS_CODES } from "node:http";
import { DomainError, RevisionCompactedError } from "../../domain/domain-error";
import { PROBLEMS, problemTypeUri, type ProblemCode } from "./problem-catalog";
import { requestIdOf } from "./middleware/observe-requests";
import { RequestError } from "./request-error";

/** Seconds a client should wait before retrying when storage is unavailable. */
export const RETRY_AFTER_SECONDS = 5;

export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly request_id?: string;
}

/** The problem code of a known error, or null for an unexpected one. */
export function problemCodeOf(error: unknown): ProblemCode | null {
  if (error instanceof DomainError || error instanceof RequestError) return error.code;
  return null;
}

/** An RFC 9457 problem document; `extensions` are members beyond the standard ones (see problemExtensionsOf). */
export function problemBody(code: ProblemCode, detail: string, requestId?: string, extensions: Record<string, unknown> = {}): ProblemBody {
  const { status, title } = PROBLEMS[code];
  return { type: problemTypeUri(code), title, status, detail, ...(requestId === undefined ? {} : { request_id: requestId }), ...extensions };
}

/** Members a problem adds to the standard ones (RFC 9457 extension members), from the error that caused it. */
export function problemExtensionsOf(error: unknown): Record<string, unknown> {
  if (error instanceof RevisionCompactedError) return { oldest_revision: error.oldestAvailable };
  return {};
}

/** Writes an RFC 9457 problem response. */
export function sendProblem(ctx: Context, code: ProblemCode, detail: string, extensions: Record<string, unknown> = {}): void {
  const body = problemBody(code, detail, requestIdOf(ctx), extensions);
  ctx.status = body.status;
  ctx.body = JSON.stringify(body);
  ctx.type = "application/problem+json";
  if (PROBLEMS[code].retryAfter) ctx.set("Retry-After", String(RETRY_AFTER_SECONDS));
}

/** An error raised by a library with an HTTP status (the http-errors convention: `status`, `expose`). */
export interface ForeignHttpError {
  readonly status: number;
  /** The message is meant for the client (http-errors sets this for 4xx). */
  readonly expose: boolean;
  readonly message: string;
}

export function foreignHttpErrorOf(error: unknown): ForeignHttpError | null {
  if (typeof error !== "object" || error === null) return null;
  const { status, expose, message } = error as { status?: unknown; expose?: unknown; message?: unknown };
  if (typeof status !== "number" || !Number.isInteger(status) || status < 400 || status > 599) return null;
  return { status, expose: expose === true, message: typeof message === "string" ? message : "" };
}

/**
 * A problem response for a foreign HTTP error: its status, type about:blank
 * (RFC 9457: nothing beyond the status), its message only when exposed.
 */
export function sendForeignProblem(ctx: Context, error: ForeignHttpError): void {
  const title = STATUS_CODES[error.status] ?? "Error";
  const body: ProblemBody = {
    type: "about:blank",
    title,
    status: error.status,
    detail: error.expose && error.message !== "" ? error.message : title,
    request_id: requestIdOf(ctx),
  };
  ctx.status = error.status;
  ctx.body = JSON.stringify(body);
  ctx.type = "application/problem+json";
}
