import type { Context } from "koa";
import { DomainError } from "../../domain/domain-error";
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

export function problemBody(code: ProblemCode, detail: string, requestId?: string): ProblemBody {
  const { status, title } = PROBLEMS[code];
  return { type: problemTypeUri(code), title, status, detail, ...(requestId === undefined ? {} : { request_id: requestId }) };
}

/** Writes an RFC 9457 problem response. */
export function sendProblem(ctx: Context, code: ProblemCode, detail: string): void {
  const body = problemBody(code, detail, requestIdOf(ctx));
  ctx.status = body.status;
  ctx.body = JSON.stringify(body);
  ctx.type = "application/problem+json";
  if (code === "storage-unavailable") ctx.set("Retry-After", String(RETRY_AFTER_SECONDS));
}
