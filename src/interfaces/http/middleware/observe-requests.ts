import { randomUUID } from "node:crypto";
import type { Context, Middleware } from "koa";
import type { Logger } from "../logger";
import type { HttpMetrics } from "../http-metrics";

const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * Outermost middleware: assigns the request id (the client's X-Request-Id
 * when it is sane, else a UUID), echoes it, and when the response is done -
 * including a streamed body, or an aborted one - writes the access log line
 * and the HTTP metrics. Routes are labelled by template (`/keys/:key`),
 * never by raw path, so the number of series stays fixed. Whatever logs on a
 * request's behalf takes the id from requestIdOf(ctx).
 */
export function observeRequests(metrics: HttpMetrics, logger: Logger): Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    const offered = ctx.get("X-Request-Id");
    const requestId = REQUEST_ID.test(offered) ? offered : randomUUID();
    ctx.state.requestId = requestId;
    ctx.set("X-Request-Id", requestId);
    ctx.res.once("close", () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const labels = { method: ctx.method, route: routeOf(ctx), status: String(ctx.status) };
      metrics.requests.inc(labels);
      // A watch stream lasts as long as its client wants: timing it would
      // bury the listing latencies of GET /keys (kv_watch_* describe streams).
      if (!String(ctx.res.getHeader("Content-Type") ?? "").startsWith("text/event-stream")) metrics.duration.observe(labels, seconds);
      logger.info("request", {
        request_id: requestId,
        method: labels.method,
        route: labels.route,
        status: ctx.status,
        duration_ms: Math.round(seconds * 1e6) / 1e3,
        ...(ctx.res.writableFinished ? {} : { aborted: true }),
      });
    });
    await next();
  };
}

/** The id observeRequests assigned to this request. */
export function requestIdOf(ctx: Context): string | undefined {
  return (ctx.state as { requestId?: string }).requestId;
}

function routeOf(ctx: Context): string {
  const matched = (ctx as { _matchedRoute?: unknown })._matchedRoute;
  if (typeof matched === "string") return matched;
  // A 405 matched the path but no method: label it with the path's template.
  const layers = (ctx as { matched?: { path?: unknown; opts?: { end?: boolean } }[] }).matched ?? [];
  const layer = layers.find((candidate) => candidate.opts?.end && typeof candidate.path === "string");
  return layer ? (layer.path as string) : "unmatched";
}
