import type { Middleware } from "koa";
import { InsufficientStorageError, StorageUnavailableError } from "../../../domain/domain-error";
import type { Logger } from "../logger";
import { foreignHttpErrorOf, problemCodeOf, problemExtensionsOf, sendForeignProblem, sendProblem } from "../problem-response";
import { requestIdOf } from "./observe-requests";

/**
 * Turns every failure into an RFC 9457 problem response: known errors by
 * their code (the one table in problem-catalog.ts), errors that libraries
 * raise with an HTTP status (`status`, `expose`) by that status, anything else as a 500
 * that is logged with its stack and request id and reveals nothing to the
 * client. Also gives the router's bare 404/405 a problem body (the 405
 * keeps the router's Allow header).
 */
export function problemResponses(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const code = problemCodeOf(error);
      const foreign = code === null ? foreignHttpErrorOf(error) : null;
      if (foreign !== null) {
        if (foreign.status >= 500) logger.error("unexpected error", { request_id: requestIdOf(ctx), error });
        sendForeignProblem(ctx, foreign);
        return;
      }
      if (code === null) {
        logger.error("unexpected error", { request_id: requestIdOf(ctx), error });
        sendProblem(ctx, "internal-error", "the server failed to handle this request; quote the request_id when reporting it");
        return;
      }
      const storageProblem = storageProblemOf(error);
      if (storageProblem !== null) logger.warn(storageProblem, { request_id: requestIdOf(ctx), error: (error as Error).cause ?? error });
      sendProblem(ctx, code, (error as Error).message, problemExtensionsOf(error));
      return;
    }
    if (ctx.body !== undefined && ctx.body !== null) return;
    if (ctx.status === 404) sendProblem(ctx, "route-not-found", `no route for ${ctx.method} ${ctx.path}`);
    else if (ctx.status === 405) sendProblem(ctx, "method-not-allowed", `${ctx.method} is not allowed here; see the Allow header`);
  };
}

/** The log message for a storage failure (operators act differently on each), or null for other errors. */
function storageProblemOf(error: unknown): string | null {
  if (error instanceof InsufficientStorageError) return "storage full";
  if (error instanceof StorageUnavailableError) return error.reason === "overloaded" ? "storage overloaded" : "storage unavailable";
  return null;
}
